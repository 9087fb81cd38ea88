"""A faithful local stand-in for the MMSOnnet gateway: HTTPS on loopback, no account needed."""

from .faults import Faults
from .gateway import Received, ReceivedFile
from .server import Sandbox

__all__ = ["Faults", "Received", "ReceivedFile", "Sandbox"]
