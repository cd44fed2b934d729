"""``python -m asyncmig``."""

from ._cli import main

raise SystemExit(main())
