"""Buffered draws from named random streams.

One numpy call per draw costs more than the rest of an event; drawing in
blocks and handing out Python floats one at a time removes that overhead.
The generator of a stream is created on first use, so a quantity that is
never drawn (no travel, one service class) costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import chain, repeat

import numpy as np

from sim import rng as streams
from sim.distributions import Deterministic, Distribution

_FIRST_BLOCK = 8
_MAX_BLOCK = 512  # larger blocks only cost memory (many streams in a big fleet)


class Variates:
    """Successive draws of one quantity from one named stream.

    ``next()`` hands out the draws of blocks of 8, 16, ... 512 values in draw order.
    After the first draw ``next`` is the C-level ``__next__`` of an iterator over the
    blocks (no Python frame per draw: a call's life takes several), and the blocks
    are drawn by a generator that resumes once per block.
    """

    __slots__ = ("_draw", "_gen", "_key", "_seed", "next")

    def __init__(
        self,
        draw: Callable[[np.random.Generator, int], np.ndarray],
        seed: int,
        replication: int,
        stream: str,
        *entity: int,
    ) -> None:
        self._draw = draw
        self._seed = seed
        self._key = (replication, stream, *entity)
        self._gen: np.random.Generator | None = None
        # until the first draw: build the iterator (a fleet has many streams never drawn)
        self.next: Callable[[], float] = self._first

    @property
    def generator(self) -> np.random.Generator:
        if self._gen is None:
            self._gen = streams.stream(self._seed, *self._key)  # type: ignore[arg-type]
        return self._gen

    def _blocks(self) -> Iterator[list[float]]:
        gen, draw, block = self.generator, self._draw, _FIRST_BLOCK
        while True:
            yield draw(gen, block).tolist()
            block = min(2 * block, _MAX_BLOCK)

    def _first(self) -> float:
        self.next = chain.from_iterable(self._blocks()).__next__
        return self.next()


class Constant:
    """A deterministic quantity: the same value, no random numbers (``next`` is the
    C-level ``__next__`` of :func:`itertools.repeat`)."""

    __slots__ = ("next", "value")

    def __init__(self, value: float) -> None:
        self.value = value
        self.next: Callable[[], float] = repeat(value).__next__


def durations(
    dist: Distribution, seed: int, replication: int, stream: str, *entity: int
) -> Variates | Constant:
    """Draws of ``dist`` from the named stream (a constant when deterministic)."""
    if isinstance(dist, Deterministic):
        return Constant(dist.value)
    return Variates(dist.sample, seed, replication, stream, *entity)


def classes(shares: list[float], seed: int, replication: int, *entity: int) -> Variates | Constant:
    """Draws of a call's service-class index with the given shares."""
    if len(shares) == 1:
        return Constant(0)
    p = np.asarray(shares) / sum(shares)
    n = len(p)

    def draw(gen: np.random.Generator, size: int) -> np.ndarray:
        return gen.choice(n, size=size, p=p)

    return Variates(draw, seed, replication, "service_class", *entity)
