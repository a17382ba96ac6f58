"""Scripted events: which are active in a year, and the scenario as modified by them."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from overcap.engine.state import B1
from overcap.scenario import Event, Scenario, load_scenario


def active_events(sc: Scenario, year: int, kind: str) -> Iterator[Event]:
    """Enabled events of ``kind`` whose years include ``year``, in name order."""
    for name in sorted(sc.events):
        ev = sc.events[name]
        if ev.enabled and ev.kind == kind and ev.years[0] <= year <= ev.years[1]:
            yield ev


def sector_mask(names: list[str], sectors: list[str]) -> B1:
    """Boolean mask over the modelled sectors for an event's sector list ('ALL' = all)."""
    if "ALL" in names:
        return np.ones(len(sectors), dtype=bool)
    return np.array([s in names for s in sectors], dtype=bool)


class YearScenarios:
    """The scenario in force each year: the base scenario with the parameters set by the
    active events of kind ``set`` (a reform from a chosen year, say). Cached by the set of
    active events, so a run builds each distinct version once."""

    def __init__(self, base: Scenario) -> None:
        self.base = base
        self._cache: dict[tuple[str, ...], Scenario] = {(): base}

    def __call__(self, year: int) -> Scenario:
        names = tuple(
            n
            for n in sorted(self.base.events)
            if (e := self.base.events[n]).enabled
            and e.kind == "set"
            and e.years[0] <= year <= e.years[1]
        )
        if names not in self._cache:
            overrides: dict[str, object] = {}
            for n in names:
                overrides.update(self.base.events[n].params)
            self._cache[names] = load_scenario(self.base, overrides)
        return self._cache[names]
