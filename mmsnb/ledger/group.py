"""Group commit: the writes that threads ask for at the same time, made in one transaction.

A thread that asks to write while another's transaction is under way waits; when that transaction
ends, one of the waiting threads writes every waiting thread's work in one transaction and one
commit (one sync of the disk), as databases do with their log. Each thread returns only once its
own work is committed, so what it wrote is as durable as if it had committed alone; or, with
:meth:`GroupCommit.later`, at once, its work committed with the next transaction (before any work asked
for after it), to be waited for when it matters.

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

    def __init__(self, work: Callable[[Any], T], *, waited: bool = True) -> None:
        self.work = work
        self.waited = waited  # a thread waits for it (False: its thread went on, see GroupCommit.later)
        self.woken = threading.Event()
        self.done = False
        self.value: T | None = None
        self.error: BaseException | None = None

    def outcome(self) -> T:
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


class Pending(Generic[T]):
    """A work handed to :meth:`GroupCommit.later`; ``wait()`` gives its value once it is committed."""

    def __init__(self, group: GroupCommit, work: _Work[T]) -> None:
        self._group, self._work = group, work

    def wait(self) -> T:
        """Its value once committed (or its error); written now if no thread is writing."""
        return self._group.wait(self._work)


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
        if self._queue(mine):
            mine.woken.wait()
            if mine.done:
                return mine.outcome()
        self._write_turn()
        return mine.outcome()

    def later(self, work: Callable[[Any], T]) -> Pending[T]:
        """``work(tx)`` queued for the next transaction, this thread going on at once (``together=False``: written
        now, alone); every work asked for after it is committed in the same transaction or a later one. It waits
        for another thread's work, or for :meth:`Pending.wait`."""
        mine = _Work(work, waited=False)
        if not self._together:
            self._alone(mine)
        else:
            with self._lock:
                self._waiting.append(mine)
        return Pending(self, mine)

    def wait(self, work: _Work[T]) -> T:
        """The value of a work handed to :meth:`later` once it is committed: waited for while another thread
        writes, else written by this one."""
        with self._lock:
            if work.done:
                return work.outcome()
            work.waited = True
            writing, self._writing = self._writing, True
        if writing:
            work.woken.wait()
            if work.done:
                return work.outcome()
        self._write_turn()
        return work.outcome()

    def _queue(self, work: _Work[Any]) -> bool:
        """Queue ``work``; True when another thread is writing (this one waits, or goes on), False: it writes."""
        with self._lock:
            self._waiting.append(work)
            writing, self._writing = self._writing, True
        return writing

    def _write_turn(self) -> None:
        """Commit every work that waits, in one transaction; then hand the turn to the first of those queued
        meanwhile that a thread waits for (the others go with it, or with the next work queued)."""
        with self._lock:
            batch, self._waiting = self._waiting, []
        try:
            self._commit(batch)
        finally:
            with self._lock:
                following = next((work for work in self._waiting if work.waited), None)
                self._writing = following is not None
            for done in batch:
                done.woken.set()
            if following is not None:
                following.woken.set()

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
