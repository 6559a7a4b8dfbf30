"""The sections of the consolidated figures, each registered by the feature that owns its data.

A section is a titled list of figures and one function of the filters that computes them in aggregate SQL,
a fixed number of statements whatever the size of the network: `{association_id: {key: value}}`, plus the
network's totals under the key None (counts of distinct people and medians cannot be summed, so the section
computes its totals itself). Features register theirs with `@figure_section(...)` when they are set up, as
they register their periodic steps: the volunteers' and partners' figures plug in beside these ones.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from intranet.reporting.periods import Filters

Values = dict[int | None, dict[str, float | None]]
Compute = Callable[[Filters], Values]


@dataclass(frozen=True)
class Figure:
    """One figure: its key in the section's values, its label, how it reads (a count, a share, days, hours)."""

    key: str
    label: str
    unit: str = "count"  # count | percent | days | hours | euros | decimal (an average)
    compare: bool = True  # a column of the associations' comparison and of the dashboards' "vs network"
    headline: bool = False  # among the totals at the top of the network's page
    higher_is_better: bool | None = True
    note: str = ""


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    order: int
    figures: tuple[Figure, ...]
    compute: Compute
    notes: tuple[str, ...] = field(default=())
    # Its totals are also computed for the remote program alone, among that program's headline figures
    # (the volunteers' section adds "volunteers trained" this way).
    remote_headline: bool = False


SECTIONS: dict[str, Section] = {}


def figure_section(key: str, title: str, order: int, figures: list[Figure], notes: tuple[str, ...] = (),
                   remote_headline: bool = False):
    """Register `compute(filters) -> Values` as the section `key` of the consolidated figures."""

    def register(compute: Compute) -> Compute:
        SECTIONS[key] = Section(key, title, order, tuple(figures), compute, notes, remote_headline)
        return compute

    return register


def sections() -> list[Section]:
    return sorted(SECTIONS.values(), key=lambda s: s.order)


def figures_by_key() -> dict[str, Figure]:
    return {f.key: f for s in sections() for f in s.figures}
