"""How the audit's process hands memory back to the system.

glibc's allocator serves a large block (a numpy array of the crop search, the permutation
tests) by mapping memory of its own, returned to the system when the block is freed; but once
such a block is freed it raises that threshold to the block's size, so the next arrays of that
size come from the heap, where freed memory stays with the process. At ten times the release,
one duplicate search then left 90 MB behind. A fixed threshold keeps every large array mapped
on its own and returned when freed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

M_MMAP_THRESHOLD = -3  # mallopt's parameter (malloc.h)
MAPPED_FROM = 1 << 20  # blocks of a MiB or more are mapped on their own


@functools.cache
def return_large_blocks() -> bool:
    """Fix glibc's threshold for mapping large blocks (once per process); False where the C
    library is not glibc (nothing to do there)."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MAPPED_FROM))
