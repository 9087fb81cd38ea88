"""One family of exceptions: everything the toolkit raises is an :class:`MMSError`.

>>> try:
...     raise QuotaError("The request quota is used up.", http_status=403, code=53)
... except MMSError as exc:
...     print(exc.http_status, exc.code)
403 53

What to change travels as data, a :class:`Fix`; each edge words it (:mod:`mmsnb.words`):

>>> error = InputError("The attachments total 511 KB.", fix=Fix(option="fit", value=True, to="shrink it"))
>>> str(error)
'The attachments total 511 KB. Pass fit=True to shrink it.'
>>> error.fix.option, error.say("cli")
('fit', 'The attachments total 511 KB. Add --fit to shrink it.')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from . import redact, words
from .words import N_


@dataclass(frozen=True, kw_only=True)
class Fix:
    """What to change: an ``option`` (and the ``value`` that helps, ``True`` for a switch), or a ``call`` to make.

    ``others`` are more options, any of which would do as well ("subject= or attachments=").
    ``to`` says what it does ("shrink it"); ``alternative`` when it is another way than the sentence's own
    advice; ``variable`` the environment variable that sets the same; ``otherwise`` what to say where the
    reader has no such option (a shell user has no ``allow_partial``).
    """

    option: str = ""
    value: bool | str | None = None
    others: tuple[str, ...] = ()
    call: str | None = None
    to: str = ""
    alternative: bool = False
    variable: str = ""
    otherwise: str = ""


class MMSError(Exception):
    """Base of every mmsnb error: a readable sentence plus what the gateway said.

    A sentence given with ``values`` is a message of the catalogue (``{name}`` filled in from them): it is
    said in Polish where Polish is chosen (``say(lang="pl")``, or ``MMSNB_LANG=pl``); the class and the
    code never change with the language.
    """

    def __init__(
        self,
        sentence: str,
        *,
        http_status: int | None = None,
        code: int | None = None,
        gateway_message: str | None = None,
        fix: Fix | None = None,
        values: Mapping[str, object] | None = None,
    ) -> None:
        self.template = sentence if values is not None else None
        self.values = {k: redact.redact(v) if isinstance(v, str) else v for k, v in (values or {}).items()}
        self.sentence = redact.redact(sentence.format(**self.values) if values is not None else sentence)
        self.fix = fix if fix is None or fix.value is None else _redacted(fix)
        super().__init__(self.say())
        self.http_status = http_status
        self.code = code
        self.gateway_message = None if gateway_message is None else redact.redact(gateway_message)

    def __str__(self) -> str:
        return self.say()

    def say(self, edge: words.Edge = "python", lang: str | None = None) -> str:
        """The sentence, with its fix in ``edge``'s words, in ``lang`` (default: English unless ``MMSNB_LANG``
        says Polish)."""
        chosen = words.language(lang) if lang else words.errors_language()
        return words.say(self.text(chosen), self.fix, edge, chosen)

    def text(self, lang: words.Lang = "en") -> str:
        """The sentence alone (without its fix) in ``lang``: Polish where the catalogue has it."""
        if lang == "en" or self.template is None:
            return self.sentence
        return redact.redact(words.Speaker(lang)(self.template, **self.values))


def _redacted(fix: Fix) -> Fix:
    """``fix`` with any secret in its value masked (the value may echo what a user gave)."""
    return replace(fix, value=redact.redact(fix.value)) if isinstance(fix.value, str) else fix


#: What :func:`too_large` says is over the limit unless told otherwise.
ATTACHMENTS_TOTAL = N_("The attachments total")


def too_large(
    size: int, limit: int, what: str | words.Later = ATTACHMENTS_TOTAL, hint: str = "", fix: Fix | None = None
) -> InputError:
    """The one sentence for content over a size limit: by how much, and what would help (``hint``, ``fix``).

    >>> str(too_large(400 * 1024, 300 * 1024))
    "The attachments total 400 KB, 100 KB over the gateway's limit of 300 KB."
    """
    values = {
        "what": words.Phrase(what) if isinstance(what, str) else what,
        "size": words.Bytes(size),
        "over": words.Bytes(size - limit),
        "limit": words.Bytes(limit),
    }
    if hint:
        return InputError(
            N_("{what} {size}, {over} over the gateway's limit of {limit}. {hint}"),
            fix=fix,
            values={**values, "hint": words.Phrase(hint.strip())},
        )
    return InputError(N_("{what} {size}, {over} over the gateway's limit of {limit}."), fix=fix, values=values)


def too_large_to_read(size: int, limit: int, what: str | words.Later) -> InputError:
    """The sentence for a file larger than mmsnb reads at all.

    >>> str(too_large_to_read(60 * 2**20, 50 * 2**20, "Attachment 'a.jpg' is"))
    "Attachment 'a.jpg' is 61440 KB: mmsnb does not read an image over 51200 KB, even to shrink it."
    """
    return InputError(
        N_("{what} {size}: mmsnb does not read an image over {limit}, even to shrink it."),
        values={"what": what, "size": words.Bytes(size), "limit": words.Bytes(limit)},
    )


class ConfigError(MMSError):
    """Missing or wrong settings: credentials, URLs, CA bundle."""


class InputError(MMSError, ValueError):
    """A number, column, file or value that cannot be sent as it is."""


class AuthError(MMSError):
    """The gateway refused the credentials or the token (401 code 41), or no token could be had."""


class QuotaError(MMSError):
    """The request quota is used up (403 code 53), or a campaign needs more than is left."""


class BadRequestError(MMSError):
    """The gateway refused the call as it stood (400, 413 too large, and any other 4xx not named here):
    it was not taken."""


class NotFoundError(MMSError):
    """Unknown resource or wrong method (404, 405)."""


class ThrottledError(MMSError):
    """The gateway said "slow down" (429, or 503 with ``Retry-After``): the request was not taken.

    ``retry_after`` is the wait the gateway asked for, in seconds (None when it named none).
    """

    def __init__(
        self, sentence: str, *, http_status: int, retry_after: float | None, gateway_message: str | None = None
    ) -> None:
        super().__init__(sentence, http_status=http_status, gateway_message=gateway_message)
        self.retry_after = retry_after


class RedirectError(MMSError):
    """The gateway answered with a redirect (3xx). Redirects are never followed: the request went nowhere else."""

    def __init__(self, sentence: str, *, http_status: int, location: str | None) -> None:
        super().__init__(sentence, http_status=http_status)
        self.location = None if location is None else redact.redact(location)


class LedgerError(MMSError):
    """The ledger file or database cannot be opened, read or written."""


class ServerError(MMSError):
    """The gateway had trouble (5xx, or an answer that is not the JSON it should be)."""


class TransportError(MMSError):
    """No answer: timeout, refused or dropped connection.

    ``maybe_sent`` is True when the request may have reached the gateway
    (read timeout, connection dropped after sending): such a send is never
    repeated silently.
    """

    def __init__(
        self, sentence: str, *, maybe_sent: bool, fix: Fix | None = None, values: Mapping[str, object] | None = None
    ) -> None:
        super().__init__(sentence, fix=fix, values=values)
        self.maybe_sent = maybe_sent
