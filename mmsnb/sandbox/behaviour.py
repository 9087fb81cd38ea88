"""How the sandbox's recipients behave, so an analysis has real effects to find: a documented, seedable model.

Off by default (every setting neutral). ``Behaviour.realistic()`` turns on two effects people meet:

- **larger messages fail more often**: each 100 kB of attachments adds ``rejected_per_100kb`` to the weight of
  ``Rejected`` among the outcomes (whose default weights add up to 1: Retrieved 0.88, the rest 0.04 each);
- **people open more slowly at night**: a message sent between ``night`` hours in the time zone ``tz``
  (22:00 to 07:00 in Polish time) waits ``night_slowdown`` times longer before ``Retrieved``.

Outcomes stay repeatable: they are drawn from the sandbox's ``seed`` and the number, as before. ``clock``
tells the model the time of a send, and the sandbox its quota window's time and the ``received_at`` of each
send (inject one in tests), and ``hook`` scripts any address's outcome: it gets
a :class:`Sent` and returns a final status of the operator's card, or None to let the model decide.

>>> Behaviour.realistic().weights({"Retrieved": 0.9, "Rejected": 0.1}, 200_000)["Rejected"]
0.4
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from ..errors import ConfigError


@dataclass(frozen=True)
class Sent:
    """What the model knows of one address of a send: the address, the bytes of attachments, when (UTC)."""

    address: str
    size: int
    at: datetime


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Behaviour:
    """The sandbox's recipients' behaviour (see the module's text); pass it as ``Sandbox(behaviour=...)``."""

    rejected_per_100kb: float = 0.0
    night_slowdown: float = 1.0
    night: tuple[int, int] = (22, 7)
    tz: str = "Europe/Warsaw"
    clock: Callable[[], datetime] = _now
    hook: Callable[[Sent], str | None] | None = None

    def __post_init__(self) -> None:
        for name in ("rejected_per_100kb", "night_slowdown"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < float("inf"):
                raise ConfigError(f"Behaviour({name}=...) must be a number, 0 or more, not {value!r}.")
        if not (len(self.night) == 2 and all(isinstance(h, int) and 0 <= h <= 23 for h in self.night)):
            raise ConfigError(f"Behaviour(night=...) must be two hours, 0 to 23, e.g. (22, 7), not {self.night!r}.")
        try:
            ZoneInfo(self.tz)
        except (KeyError, ValueError):
            raise ConfigError(f"Behaviour(tz={self.tz!r}) is not a time zone name, such as 'Europe/Warsaw'.") from None

    @classmethod
    def realistic(cls) -> Behaviour:
        """Both effects on: a 250 kB message is rejected about a third of the time; at night people open 4× slower."""
        return cls(rejected_per_100kb=0.15, night_slowdown=4.0)

    def weights(self, outcomes: dict[str, float], size: int) -> dict[str, float]:
        """The outcomes' weights for a message of ``size`` bytes of attachments."""
        extra = self.rejected_per_100kb * size / 100_000
        if not extra:
            return dict(outcomes)
        return {**outcomes, "Rejected": round(outcomes.get("Rejected", 0.0) + extra, 12)}

    def at_night(self, at: datetime) -> bool:
        """Whether ``at`` falls in the night hours in the model's time zone."""
        hour = at.astimezone(ZoneInfo(self.tz)).hour
        start, end = self.night
        return start <= hour or hour < end if start > end else start <= hour < end

    def delay_factor(self, outcome: str, at: datetime) -> float:
        """How many times longer than usual the ``outcome`` of a message sent ``at`` takes to be reported."""
        return self.night_slowdown if outcome == "Retrieved" and self.at_night(at) else 1.0
