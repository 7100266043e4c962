"""The auditable record of explanations: a self-contained HTML report and result.json."""

from .record import explanation_record, sentence
from .report import build_report, write_report
from .schema import RESULT_SCHEMA, validate_result

__all__ = ["build_report", "write_report", "explanation_record", "sentence",
           "RESULT_SCHEMA", "validate_result"]
