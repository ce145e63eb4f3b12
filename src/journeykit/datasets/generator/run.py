"""Running the generator: chunk after chunk, as Arrow batches, with the truth tallied on the way.

Memory holds one chunk at a time, whatever the number of customers; writers consume the batches
as they come. Progress is reported through an optional callback, so library code never prints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pyarrow as pa

from journeykit.datasets.generator.config import GeneratorConfig
from journeykit.datasets.generator.simulate import simulate_chunk
from journeykit.datasets.generator.truth import DemoTruth, Tally
from journeykit.datasets.generator.world import World

#: Called after each chunk with (events so far, customers done, customers in total).
ProgressCallback = Callable[[int, int, int], None]

FIRST_ORDER_NUMBER = 1001


class Simulation:
    """An iterable over the event batches of a run; ``truth`` is ready once it is exhausted."""

    def __init__(self, config: GeneratorConfig, progress: ProgressCallback | None = None) -> None:
        self.config = config
        self.progress = progress
        self.world = World.build(config)
        self._tally = Tally(self.world)
        self._done = False

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        config = self.config
        sessions = orders = events = 0
        for index in range(config.chunks):
            offset = index * config.chunk_customers
            count = min(config.chunk_customers, config.customers - offset)
            chunk = simulate_chunk(
                self.world, index, offset, count, sessions, FIRST_ORDER_NUMBER + orders
            )
            sessions += len(chunk.sessions)
            orders += len(chunk.orders)
            events += len(chunk.events)
            self._tally.add(chunk)
            yield chunk.batch
            if self.progress is not None:
                self.progress(events, offset + count, config.customers)
        self._done = True

    @property
    def truth(self) -> DemoTruth:
        """The recorded truth; raises if the batches were not all consumed."""
        if not self._done:
            raise RuntimeError("iterate over the simulation before asking for its truth")
        return self._tally.truth(self.config)


def simulate(config: GeneratorConfig, progress: ProgressCallback | None = None) -> Simulation:
    """A run of the generator (lazy: nothing happens until it is iterated)."""
    return Simulation(config, progress)
