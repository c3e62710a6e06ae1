"""Why an audit cannot run at all: the one line fracqa prints before exiting with code 2."""

from __future__ import annotations


class Unusable(Exception):
    """The release, a file fracqa was given, or the command line cannot be used. The message
    is one line, in words a user can act on."""
