"""The gateway's delivery statuses: what each one means and how final it is.

>>> describe("Retrieved").category
<Category.DELIVERED: 'delivered'>
>>> describe("Retrieved").meaning_pl   # the operator's card's own words
'Wiadomość poprawnie wysłana do urządzenia'
"""

from __future__ import annotations

from dataclasses import dataclass

from .result_columns import Category
from .words import speaker

#: One fixed colour per category (Okabe-Ito, safe for colour-blind readers).
CATEGORY_COLORS: dict[str, str] = {
    Category.DELIVERED: "#009E73",
    Category.PENDING: "#56B4E9",
    Category.PARTIAL: "#E69F00",
    Category.FAILED: "#D55E00",
    Category.UNKNOWN: "#999999",
}


@dataclass(frozen=True)
class StatusInfo:
    """What a verbatim gateway status means: ``meaning`` in English, ``meaning_pl`` in the card's Polish."""

    status: str
    category: Category
    meaning: str
    final: bool
    meaning_pl: str = ""

    def meaning_in(self, lang: str = "en") -> str:
        """The meaning in ``lang`` ("en" or "pl")."""
        return self.meaning_pl if lang == "pl" else self.meaning


_TABLE: dict[str, tuple[Category, str, bool]] = {
    "Success": (Category.PENDING, "processed correctly; awaiting the delivery report", False),
    "Partial success": (Category.PARTIAL, "some of the addresses were processed correctly", False),
    "Client error": (Category.FAILED, "invalid request", True),
    "Address Error": (Category.FAILED, "invalid address", True),
    "Address Not Found": (Category.FAILED, "invalid MMS address (e.g. not an Orange subscriber)", True),
    "Message ID Not found": (Category.UNKNOWN, "no message with that id (yet)", False),
    "Message format corrupt": (Category.FAILED, "invalid message format", True),
    "Server Error": (Category.FAILED, "server error", True),
    "Operation restricted": (Category.FAILED, "no permission for the command", True),
    "LinkedID not found": (Category.FAILED, "the MMSC could not find the LinkedID named in the request", True),
    "Retrieved": (Category.DELIVERED, "delivered to the handset", True),
    "Rejected": (Category.FAILED, "rejected: system, server, content, size or other error", True),
    "Expired": (Category.FAILED, "validity period passed; the handset never reported", True),
    "Indeterminate": (Category.UNKNOWN, "delivery cannot be determined", True),
}

#: Every status the operator's card lists, verbatim.
KNOWN_STATUSES: tuple[str, ...] = tuple(_TABLE)


def describe(status: str | None, *, delivery_report: bool = True) -> StatusInfo:
    """Category, meaning (English and the card's Polish) and finality of a verbatim status.

    An unlisted status is kept as it came, with category ``unknown`` and not final.
    ``Success`` is final when no delivery report was asked for.

    >>> describe("Success", delivery_report=False).final
    True
    """
    text = "" if status is None else str(status)
    category, meaning, final = _TABLE.get(text, (Category.UNKNOWN, "status not listed on the operator's card", False))
    if text == "Success" and not delivery_report:
        final, meaning = True, "processed correctly; no delivery report was asked for"
    return StatusInfo(text, category, meaning, final, speaker("pl")(meaning))
