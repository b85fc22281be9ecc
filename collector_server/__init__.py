"""The BugRelay collector: takes reports, groups them, rates their severity and forwards them."""

from sdk._version import __version__

__all__ = ["__version__"]
