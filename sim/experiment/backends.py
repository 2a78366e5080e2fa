"""Where tasks run: in this process, in a process pool, or on a Dask cluster.

Tasks go to the workers in *chunks*: consecutive tasks grouped so that a chunk
holds about :data:`CHUNK_TARGET_S` seconds of work (estimated from the tasks of
the same design point that have finished, else from all finished tasks; one
task per chunk until something has finished).  Only a few chunks per worker are
in flight at a time, so a sweep of 10^5 tiny tasks costs the scheduler a few
hundred round trips at once instead of 10^5 futures, and each result is handed
to ``done`` as soon as its chunk returns.  Tasks are pure, so chunking never
changes a result, only the overhead.

This module knows nothing of the simulator: it is given the chunk function
(picklable, run on the workers) and how to name, group and fail a task.
"""

from __future__ import annotations

import math
import os
import re
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")  # a task
R = TypeVar("R")  # its result

#: seconds of work a chunk aims at: enough to make a round trip negligible, little enough
#: that the tail of a run stays balanced and a killed worker loses little
CHUNK_TARGET_S = 0.25
#: tasks in one chunk at most (keeps a chunk's message small whatever the estimate)
MAX_CHUNK = 1000
#: chunks in flight per worker (one running, one queued so that the worker never idles)
IN_FLIGHT_PER_WORKER = 2
#: a task whose worker process dies is tried this many times in all
MAX_ATTEMPTS = 3
#: seconds without any Dask worker before the terminal is warned
NO_WORKERS_WARN_S = 30.0
#: how often the Dask loop looks for finished chunks (they are fetched in the background)
POLL_S = 0.02
#: seconds to reach a Dask scheduler given with --dask-address
CONNECT_TIMEOUT_S = 5.0

_DASK_ADDRESS = re.compile(
    r"^(?:(?P<scheme>tcp|tls|ucx|inproc)://)?(?P<host>[A-Za-z0-9_.\-]+|\[[0-9A-Fa-f:.]+\]):(?P<port>\d{1,5})$"
)


@dataclass(frozen=True)
class Job(Generic[T, R]):
    """What a backend needs to know about the tasks it runs.

    Attributes
    ----------
    chunk_fn : callable
        Runs a list of tasks on a worker and returns their results in order (top-level,
        so that it pickles); it must not raise for one bad task.
    key : callable
        A task's unique, hashable name.
    group : callable
        Tasks of one group (a design point) are expected to take about as long.
    wall_s : callable
        How long a result's task took (from the result), for the chunk sizes.
    fail : callable
        The result of a task that could not be run, from the task and a reason.
    """

    chunk_fn: Callable[[list[T]], list[R]]
    key: Callable[[T], Hashable]
    group: Callable[[T], Hashable]
    wall_s: Callable[[R], float]
    fail: Callable[[T, str], R]


class Chunker(Generic[T, R]):
    """The queue of tasks still to run, cut into chunks of about ``target_s`` seconds."""

    def __init__(self, job: Job[T, R], tasks: Iterable[T], target_s: float = CHUNK_TARGET_S) -> None:
        self.job = job
        self.queue: deque[T] = deque(tasks)
        self.target_s = target_s
        self._sums: dict[Hashable, tuple[float, int]] = {}
        self._total = (0.0, 0)

    def __len__(self) -> int:
        return len(self.queue)

    def record(self, task: T, result: R) -> None:
        """Learn how long a task of this group takes."""
        w = max(0.0, float(self.job.wall_s(result)))
        s, n = self._sums.get(self.job.group(task), (0.0, 0))
        self._sums[self.job.group(task)] = (s + w, n + 1)
        self._total = (self._total[0] + w, self._total[1] + 1)

    def estimate(self, task: T) -> float | None:
        s, n = self._sums.get(self.job.group(task), self._total)
        return s / n if n else None

    def next(self) -> list[T]:
        """The next chunk (empty when nothing is left)."""
        chunk: list[T] = []
        work = 0.0
        while self.queue and len(chunk) < MAX_CHUNK:
            est = self.estimate(self.queue[0])
            if chunk and (est is None or work + est > self.target_s):
                break
            chunk.append(self.queue.popleft())
            if est is None:
                break  # nothing known yet: one task at a time
            work += est
        return chunk

    def put_back(self, tasks: Sequence[T]) -> None:
        """Tasks to run again, first."""
        self.queue.extendleft(reversed(tasks))

    def take(self, pred: Callable[[T], bool]) -> list[T]:
        """Remove and return the queued tasks for which ``pred`` holds."""
        out = [t for t in self.queue if pred(t)]
        if out:
            self.queue = deque(t for t in self.queue if not pred(t))
        return out


# ---------------------------------------------------------------------------
# serial


def run_serial(job: Job[T, R], tasks: Sequence[T], done: Callable[[R], None]) -> None:
    """In this process, one task after the other."""
    for task in tasks:
        (res,) = job.chunk_fn([task])
        done(res)


# ---------------------------------------------------------------------------
# process pool


def _watch_parent() -> None:
    """Worker initializer: exit as soon as the process that started the pool is gone.

    A killed parent (SIGKILL, out of memory) cannot shut its pool down, and a pool worker
    blocked on the task queue or busy with a long task would otherwise live on; its
    parent's death shows as a change of its parent process id (it is re-parented).
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def run_processes(job: Job[T, R], tasks: Sequence[T], workers: int, done: Callable[[R], None]) -> None:
    """A process pool; if a worker process dies, the unfinished tasks go to a new pool.

    A broken pool does not say which task killed it, so every task in flight is charged
    an attempt; a task charged twice is a suspect and runs alone in a pool of its own,
    so that a task that always kills its worker fails by itself after
    :data:`MAX_ATTEMPTS` while the innocent tasks finish.
    """
    chunker = Chunker(job, tasks)
    attempts: dict[Hashable, int] = {}

    def deliver(chunk: list[T], results: list[R]) -> None:
        for task, res in zip(chunk, results, strict=True):
            chunker.record(task, res)
            done(res)

    def pool_run(source: Chunker[T, R], size: int) -> None:
        pool = ProcessPoolExecutor(max_workers=size, initializer=_watch_parent)
        inflight: dict[Future[list[R]], list[T]] = {}
        try:
            while len(source) or inflight:
                while len(source) and len(inflight) < IN_FLIGHT_PER_WORKER * size:
                    chunk = source.next()
                    for t in chunk:
                        attempts[job.key(t)] = attempts.get(job.key(t), 0) + 1
                    inflight[pool.submit(job.chunk_fn, chunk)] = chunk
                finished, _ = wait(inflight, return_when=FIRST_COMPLETED)
                for fut in finished:
                    results = fut.result()  # raises BrokenProcessPool if a worker died
                    deliver(inflight.pop(fut), results)
        except BrokenProcessPool:
            # a worker died (killed, out of memory): keep what came back, retry the rest
            for fut, chunk in inflight.items():
                if fut.done() and not fut.cancelled() and fut.exception() is None:
                    deliver(chunk, fut.result())
                    continue
                retry = []
                for t in chunk:
                    if attempts[job.key(t)] >= MAX_ATTEMPTS:
                        done(
                            job.fail(
                                t,
                                f"worker process died {MAX_ATTEMPTS} times running this task "
                                "(killed or out of memory)",
                            )
                        )
                    else:
                        retry.append(t)
                source.put_back(retry)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    while len(chunker):
        suspects = chunker.take(lambda t: attempts.get(job.key(t), 0) >= 2)
        if suspects:
            for t in suspects:
                alone: Chunker[T, R] = Chunker(job, [t])
                pool_run(alone, 1)
                chunker.put_back(list(alone.queue))  # (only if its pool broke again, below the limit)
        else:
            pool_run(chunker, max(1, min(workers, len(chunker))))


# ---------------------------------------------------------------------------
# Dask


def check_dask_address(address: str) -> str:
    """Accept only a scheduler address such as ``tcp://10.0.0.5:8786`` with a valid port."""
    m = _DASK_ADDRESS.match(address)
    if not m:
        raise ValueError(
            f"--dask-address: {address!r} is not a scheduler address (expected e.g. tcp://host:8786)"
        )
    port = int(m["port"])
    if not 1 <= port <= 65535:
        raise ValueError(f"--dask-address: port {port} is out of range (1-65535)")
    return address


def check_scheduler(address: str, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Raise ``ValueError`` (one line) unless a Dask scheduler answers at ``address``.

    For ``tcp://``: a TCP connection (a closed port is refused at once, an unreachable
    host times out), then the scheduler's greeting, which a Dask server sends as soon as
    a connection opens (a port that accepts but never speaks would make Dask's own client
    wait for ever); then a Dask client, within ``timeout`` seconds in all.
    """
    m = _DASK_ADDRESS.match(check_dask_address(address))
    assert m is not None
    deadline = time.monotonic() + timeout
    if m["scheme"] in (None, "tcp"):
        try:
            with socket.create_connection((m["host"].strip("[]"), int(m["port"])), timeout=timeout) as sock:
                greeting = b""
                while b"pickle-protocol" not in greeting and len(greeting) < 4096:
                    sock.settimeout(max(0.01, deadline - time.monotonic()))
                    data = sock.recv(4096)
                    if not data:
                        break
                    greeting += data
        except TimeoutError:
            greeting = None
        except OSError as exc:
            raise ValueError(
                f"--dask-address: no Dask scheduler at {address} ({exc.strerror or exc}); start one "
                "with `dask scheduler` or check the address"
            ) from None
        if not greeting or b"pickle-protocol" not in greeting:
            raise ValueError(
                f"--dask-address: no Dask scheduler answered at {address} within {timeout:.0f} s "
                "(something else listens there, or nothing answers)"
            )
    _connect(address, max(1.0, deadline - time.monotonic())).close()


def _connect(address: str, timeout: float) -> Any:
    """A client of the scheduler at ``address``; ``ValueError`` (one line) if it does not answer."""
    import logging

    from distributed import Client

    logging.getLogger("distributed").setLevel(logging.CRITICAL)
    try:
        return Client(address, timeout=f"{timeout}s")
    except Exception as exc:  # refused, timed out, or something else answered (any error)
        raise ValueError(
            f"--dask-address: no Dask scheduler answered at {address} within {timeout:.0f} s "
            f"({type(exc).__name__}); is it a Dask scheduler?"
        ) from None


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr, flush=True)


def run_dask(
    job: Job[T, R],
    tasks: Sequence[T],
    workers: int,
    address: str | None,
    done: Callable[[R], None],
    no_workers_warn_s: float | None = None,
) -> None:
    """Dask distributed: a LocalCluster, or the existing scheduler at ``address``.

    Dask reschedules the chunk of a worker that dies.  A chunk Dask gives up on (it
    killed its workers again and again) is split and its tasks retried one by one, so
    that only the guilty task fails.  A cluster with no workers for
    :data:`NO_WORKERS_WARN_S` seconds is reported on the terminal.
    """
    try:
        from distributed import LocalCluster
        from distributed import as_completed as dask_as_completed
    except ImportError:  # pragma: no cover - depends on the installation
        raise RuntimeError("the dask backend needs: pip install 'dask[distributed]'") from None
    import logging

    logging.getLogger("distributed").setLevel(logging.ERROR)
    warn_after = NO_WORKERS_WARN_S if no_workers_warn_s is None else no_workers_warn_s
    cluster = None
    if address:
        client = _connect(check_dask_address(address), CONNECT_TIMEOUT_S)
    else:
        import dask
        from distributed import Client

        # forked workers start in a tenth of a second with the simulator already imported
        # (spawned ones take seconds to import it); fork is safe here: the parent has
        # started no threads yet
        method = "fork" if sys.platform.startswith("linux") else "spawn"
        with dask.config.set({"distributed.worker.multiprocessing-method": method}):
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
        client = Client(cluster)
    chunker = Chunker(job, tasks)
    singles: set[Hashable] = set()  # tasks split out of a chunk Dask gave up on
    inflight: dict[Any, list[T]] = {}
    no_workers_since: float | None = None
    warned = False
    threads, asked = 0, -math.inf
    # results are fetched in the background as chunks finish (a fetch per chunk in this
    # loop would leave the workers idle for a round trip each time)
    arrived = dask_as_completed([], with_results=True, raise_errors=False)
    try:
        while len(chunker) or inflight:
            if time.monotonic() - asked >= 1.0:  # the cluster may grow or shrink
                threads, asked = sum(client.nthreads().values()), time.monotonic()
            limit = IN_FLIGHT_PER_WORKER * max(1, threads)
            while len(chunker) and len(inflight) < limit:
                head = chunker.queue[0]
                chunk = [chunker.queue.popleft()] if job.key(head) in singles else chunker.next()
                fut = client.submit(job.chunk_fn, chunk, pure=False, retries=MAX_ATTEMPTS - 1)
                inflight[fut] = chunk
                arrived.add(fut)
            batch = arrived.next_batch(block=False)
            if not batch:
                time.sleep(POLL_S)
            for fut, results in batch:
                chunk = inflight.pop(fut)
                # judged by what arrived, not by fut.status read now: a finished chunk's
                # status changes to "lost" when the worker holding its data dies meanwhile
                # (chunk_fn returns a list; an error arrives as (type, value, traceback),
                # a cancellation as its exception)
                if not isinstance(results, list):
                    exc = results[1] if isinstance(results, tuple) else results
                    if len(chunk) > 1:  # find the guilty task: each alone
                        singles.update(job.key(t) for t in chunk)
                        chunker.put_back(chunk)
                    else:
                        done(job.fail(chunk[0], f"{type(exc).__name__}: {exc}"))
                    continue
                for task, res in zip(chunk, results, strict=True):
                    chunker.record(task, res)
                    done(res)
            if threads:
                no_workers_since, warned = None, False
            elif no_workers_since is None:
                no_workers_since = time.monotonic()
            elif not warned and time.monotonic() - no_workers_since >= warn_after:
                waiting = len(chunker) + sum(len(c) for c in inflight.values())
                _warn(
                    f"the Dask cluster{f' at {address}' if address else ''} has had no workers for "
                    f"{math.floor(warn_after)} s; {waiting} task(s) are waiting. Start workers "
                    "(dask worker ADDRESS), or press Ctrl-C: the finished tasks are kept for --resume"
                )
                warned = True
    finally:
        for fut in inflight:
            fut.cancel()
        client.close()
        if cluster is not None:
            cluster.close()
