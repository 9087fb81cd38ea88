"""A faithful local stand-in for the MMSOnnet gateway: HTTPS on loopback, no account needed."""

from .behaviour import Behaviour, Sent
from .faults import Faults
from .gateway import Received, ReceivedFile
from .server import Sandbox

__all__ = ["Behaviour", "Faults", "Received", "ReceivedFile", "Sandbox", "Sent"]
