"""``python -m minplus``: the same as the ``minplus`` command."""

from .cli import main

raise SystemExit(main())
