"""What stops fracqa: an audit that cannot run at all (the one line it prints before exiting
with code 2), and a fault of fracqa itself (exit 3)."""

from __future__ import annotations

import os


class Unusable(Exception):
    """The release, a file fracqa was given, or the command line cannot be used. The message
    is one line, in words a user can act on."""


class InternalFault(Exception):
    """fracqa itself failed (not the release): a process of its own kept dying, say. The
    message is one line naming what failed; the command exits 3."""


def where_it_failed(error: BaseException) -> str:
    """The innermost place in fracqa's own code where `error` was raised, as
    "fracqa/load/coco.py:57 (load_coco)", looking into the traceback of the worker process it
    came from if any; "" when no frame is fracqa's."""
    import re
    import traceback

    home = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frames = [(f.filename, f.lineno, f.name) for f in traceback.extract_tb(error.__traceback__)]
    remote = getattr(error.__cause__, "tb", None)  # a worker's traceback, as text
    if isinstance(remote, str):
        frames += [(name, int(line), function) for name, line, function
                   in re.findall(r'File "([^"]+)", line (\d+), in (\S+)', remote)]  # fmt: skip
    site = ""
    for filename, line, function in frames:
        relative = os.path.relpath(os.path.abspath(filename), home).replace(os.sep, "/")
        if relative.startswith("fracqa/"):
            site = f"{relative}:{line} ({function})"
    return site
