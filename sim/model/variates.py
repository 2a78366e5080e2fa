"""Buffered draws from named random streams.

One numpy call per draw costs more than the rest of an event; drawing in
blocks and handing out Python floats one at a time removes that overhead.
The generator of a stream is created on first use, so a quantity that is
never drawn (no travel, one service class) costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim import rng as streams
from sim.distributions import Deterministic, Distribution

_FIRST_BLOCK = 8
_MAX_BLOCK = 512  # larger blocks only cost memory (many streams in a big fleet)


class Variates:
    """Successive draws of one quantity from one named stream."""

    __slots__ = ("_block", "_buf", "_draw", "_gen", "_key", "_seed")

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
        self._buf: list[float] = []
        self._block = _FIRST_BLOCK

    @property
    def generator(self) -> np.random.Generator:
        if self._gen is None:
            self._gen = streams.stream(self._seed, *self._key)  # type: ignore[arg-type]
        return self._gen

    def next(self) -> float:
        buf = self._buf
        if not buf:
            block = self._draw(self.generator, self._block).tolist()
            block.reverse()  # pop() from the end hands them out in draw order
            buf.extend(block)
            self._block = min(2 * self._block, _MAX_BLOCK)
        return buf.pop()


class Constant:
    """A deterministic quantity: the same value, no random numbers."""

    __slots__ = ("value",)

    def __init__(self, value: float) -> None:
        self.value = value

    def next(self) -> float:
        return self.value


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
