"""How finished reports leave the process: a :class:`Transport` per destination.

``send()`` only enqueues and never blocks the host; the work happens on a background worker.
"""

from sdk.transports.base import Transport

__all__ = ["Transport"]
