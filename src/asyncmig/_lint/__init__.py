"""The migration linter: run scripts offline, read what they do, apply the rules.

:mod:`.capture` runs the scripts through the real op layer (offline, as
``--sql``) and keeps each operation with the SQL it wrote; :mod:`.facts` and
:mod:`.opfacts` turn SQL and operation objects into facts; :mod:`.check`
applies :mod:`.rules` to them in order; :mod:`.suppress` reads the scripts'
allow comments; :mod:`.runner` picks the range; :mod:`.report` is the result.
"""

from __future__ import annotations

from .report import LintFinding as LintFinding
from .report import LintReport as LintReport
from .rules import RULES as RULES

__all__ = ("LintFinding", "LintReport", "RULES")
