"""Group commit: the writes that threads ask for at the same time, made in one transaction.

A thread that asks to write while another's transaction is under way waits; when that transaction
ends, one of the waiting threads writes every waiting thread's work in one transaction and one
commit (one sync of the disk), as databases do with their log. Each thread returns only once its
own work is committed, so what it wrote is as durable as if it had committed alone.

>>> from contextlib import nullcontext
>>> GroupCommit(lambda: nullcontext("the transaction")).run(lambda tx: f"written in {tx}")
'written in the transaction'
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Generic, TypeVar

T = TypeVar("T")

#: One transaction of a ledger's store (``store.write``).
Write = Callable[[], AbstractContextManager[Any]]


class _Work(Generic[T]):
    """One thread's work; once done, its value or its error. ``woken`` is set when it is done, or when its
    thread is to write next."""

    def __init__(self, work: Callable[[Any], T]) -> None:
        self.work = work
        self.woken = threading.Event()
        self.done = False
        self.value: T | None = None
        self.error: BaseException | None = None

    def outcome(self) -> T:
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


class GroupCommit:
    """Works of many threads, each ``work(tx)``, committed together in transactions of ``write``.

    A thread waits on its own event, woken once: when its work is committed, or when it is its turn to write
    (the first of those that waited while the last transaction was under way).
    """

    def __init__(self, write: Write, *, together: bool = True) -> None:
        self._write = write
        self._together = together
        self._lock = threading.Lock()
        self._waiting: list[_Work[Any]] = []
        self._writing = False

    def run(self, work: Callable[[Any], T]) -> T:
        """``work(tx)`` in a transaction, perhaps with other threads' works; its value once committed
        (``together=False``: always in a transaction of its own)."""
        if not self._together:
            with self._write() as tx:
                return work(tx)
        mine = _Work(work)
        with self._lock:
            self._waiting.append(mine)
            waits, self._writing = self._writing, True
        if waits:
            mine.woken.wait()
            if mine.done:
                return mine.outcome()
        with self._lock:
            batch, self._waiting = self._waiting, []
        try:
            self._commit(batch)
        finally:
            with self._lock:
                following = self._waiting[0] if self._waiting else None
                self._writing = following is not None
            for done in batch:
                done.woken.set()
            if following is not None:
                following.woken.set()
        return mine.outcome()

    def _commit(self, batch: list[_Work[Any]]) -> None:
        """Every work of ``batch`` in one transaction; when it fails, each alone (so each gets its own error)."""
        try:
            with self._write() as tx:
                values = [work.work(tx) for work in batch]
        except Exception as exc:
            if len(batch) == 1:
                batch[0].error, batch[0].done = exc, True
                return
            for work in batch:
                self._alone(work)
            return
        except BaseException as exc:  # interrupted: nothing of the batch was committed
            for work in batch:
                work.error, work.done = exc, True
            raise
        for work, value in zip(batch, values, strict=True):
            work.value, work.done = value, True

    def _alone(self, work: _Work[Any]) -> None:
        try:
            with self._write() as tx:
                work.value = work.work(tx)
        except Exception as exc:
            work.error = exc
        work.done = True
