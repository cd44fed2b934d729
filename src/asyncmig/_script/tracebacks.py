"""Which line of a migration script an error came from.

Loading a script, running it and linting it all name the script's line in
their errors; they share this one reading of a traceback.  It lives in
``_script`` so that the runtime and the linter, both above it, can import it.
"""

from __future__ import annotations

import os
from types import TracebackType

__all__ = ("script_line",)


def script_line(path: str | os.PathLike[str], tb: TracebackType | None) -> int | None:
    """The line of the deepest traceback frame that is in the script file `path`.

    A frame matches by its file name as given or, through symlinks and relative
    names, by the real path of both; None when no frame is in the file.
    """
    given = os.fspath(path)
    wanted = os.path.realpath(given)
    line = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename == given or os.path.realpath(filename) == wanted:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
