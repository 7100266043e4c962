"""One fuzzing process: ``python runner.py GROUP CALLS SEED LOG SUMMARY``.

Runs probes of GROUP (see probes.PROBES) under hypothesis until at least CALLS calls were made,
then writes the counts and the untyped errors as JSON to SUMMARY. Each call is logged to LOG
before it runs, so a crash (the process killed by a signal) leaves the offending call as LOG's
last line; the parent test reports it.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from probes import PROBES  # noqa: E402
from recorder import Recorder  # noqa: E402


def main(group: str, calls: int, first_seed: int, log: str, summary: str) -> None:
    warnings.simplefilter("ignore")  # RuntimeWarnings of NaN arithmetic are not outcomes
    rec = Recorder(log)
    probe = PROBES[group]
    round_ = 0
    while rec.counts["calls"] < calls:
        # rounds of a fixed number of examples: hypothesis refuses a test whose draws depend on
        # state outside it, such as a count of calls so far
        @seed(first_seed * 1000 + round_)
        @settings(max_examples=50, database=None, deadline=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(st.data())
        def run(data):
            probe(data, rec)

        run()
        round_ += 1
    Path(summary).write_text(json.dumps({"group": group, "counts": rec.counts,
                                         "untyped": rec.untyped, "by_entry": rec.by_entry}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5])
