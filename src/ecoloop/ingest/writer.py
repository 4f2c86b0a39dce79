"""Group commit for the HJ 212 receiver: the readings and archived packets of many connections written in one
durable transaction of the hot store, each connection told when its own work is durable (then it acknowledges)."""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ecoloop.readings.store import HotStore
from ecoloop.readings.vocabulary import ArchiveRow, ReadingRow

log = logging.getLogger("ecoloop.ingest")


@dataclass(slots=True)
class _Job:
    rows: Sequence[ReadingRow]
    archived: Sequence[ArchiveRow]
    done: Callable[[int | BaseException], None]


class BatchWriter:
    """Group commit: jobs queued by all connections are written together, one durable transaction per batch.

    Transactions run on a writing thread of their own (SQLite and PostgreSQL release the GIL while they work), so
    the event loop goes on reading and parsing the next packets meanwhile. The thread commits for as long as jobs
    are queued, each batch taking what is queued once the store's write lock is held; after each commit, the
    jobs' callbacks run on the event loop.
    """

    def __init__(self, store: HotStore, max_rows: int = 20_000, max_jobs: int = 100_000) -> None:
        self.store = store
        self.max_rows = max_rows
        self.max_jobs = max_jobs  # 1 gives one transaction per packet (the naive baseline of the benchmark)
        self._pending: deque[_Job] = deque()  # appended on the loop, taken on the writing thread (both atomic)
        self._unsettled = 0  # jobs submitted whose callbacks have not run yet (loop thread only)
        self._idle: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queued = threading.Event()
        self._stopping = threading.Event()
        self._writer: threading.Thread | None = None
        self._checkpointer: threading.Thread | None = None

    def start(self) -> None:
        """Start writing (call from the event loop that will submit jobs)."""
        self._loop = asyncio.get_running_loop()
        self._idle = asyncio.Event()
        self._idle.set()
        self._queued = threading.Event()
        self._stopping = threading.Event()
        self._writer = threading.Thread(target=self._writes, name="hot-store", daemon=True)
        self._writer.start()
        self._checkpointer = threading.Thread(target=self._checkpoints, name="hot-store-checkpoint", daemon=True)
        self._checkpointer.start()

    async def stop(self) -> None:
        """Finish the queued jobs and stop."""
        if self._idle is not None:
            await self._idle.wait()
        self._stopping.set()
        self._queued.set()
        for thread in (self._writer, self._checkpointer):
            if thread is not None:
                thread.join()
        self._writer = self._checkpointer = None

    def _writes(self) -> None:
        # The writing thread. Commits never checkpoint on this connection: the checkpointing thread does.
        try:
            self.store.manual_checkpoints()
        except sqlite3.Error:  # commits then checkpoint now and then themselves: slower, not wrong
            log.exception("could not turn automatic checkpoints off")
        pending, loop = self._pending, self._loop
        assert loop is not None, "not started"
        while not self._stopping.is_set():
            self._queued.wait()
            self._queued.clear()  # before looking at the queue: a job queued from now on sets it again
            while pending:
                taken: list[_Job] = []
                try:
                    result: list[int] | BaseException = self.store.write_rows(functools.partial(self._take, taken))
                except Exception as exc:  # the store failed: no job of this batch is acknowledged
                    result = exc
                loop.call_soon_threadsafe(self._finished, taken, result)
        self.store.close()

    def _take(self, taken: list[_Job]) -> list[tuple[Sequence[ReadingRow], Sequence[ArchiveRow]]]:
        # Called by the store before its transaction, and again once it holds the write lock: while another
        # receiver process commits, the packets that arrive meanwhile join this batch instead of waiting for the
        # next one. Returns the jobs not taken before.
        pending = self._pending
        first = len(taken)
        rows = sum(len(job.rows) for job in taken)
        while pending and rows < self.max_rows and len(taken) < self.max_jobs:
            job = pending.popleft()
            taken.append(job)
            rows += len(job.rows)
        return [(job.rows, job.archived) for job in taken[first:]]

    def _checkpoints(self) -> None:
        # Once a second, with a connection of its own (SQLite runs it without the GIL and without blocking the
        # writer).
        while not self._stopping.wait(1.0):
            try:
                self.store.checkpoint()
            except sqlite3.Error:
                log.exception("hot store checkpoint failed")
        self.store.close()

    def submit(
        self, rows: Sequence[ReadingRow], archived: Sequence[ArchiveRow], done: Callable[[int | BaseException], None]
    ) -> None:
        """Queue readings and archived packets; `done` gets, once they are committed, how many readings changed
        (or the exception that made the batch fail: then nothing of it is stored)."""
        assert self._idle is not None, "not started"
        self._pending.append(_Job(rows, archived, done))
        self._unsettled += 1
        self._idle.clear()
        if not self._queued.is_set():
            self._queued.set()

    async def write(self, rows: Sequence[ReadingRow], archived: Sequence[ArchiveRow]) -> int:
        """`submit` as a coroutine."""
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def done(result: int | BaseException) -> None:
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)

        self.submit(rows, archived, done)
        return await future

    def _finished(self, jobs: list[_Job], result: list[int] | BaseException) -> None:
        if isinstance(result, BaseException):
            log.error("hot store write failed", exc_info=result)
            for job in jobs:
                job.done(result)
        else:
            for job, count in zip(jobs, result, strict=True):
                job.done(count)
        self._unsettled -= len(jobs)
        if not self._unsettled and self._idle is not None:
            self._idle.set()
