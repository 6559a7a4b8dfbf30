"""A feature that exists only in the tests: it adds a step to the minute tick and a demo loader by itself.

Imported by `tests/test_unit_of_work.py` inside a test, with the registries put back afterwards.
"""

from intranet.demo import demo_loader
from intranet.jobs import periodic

RUNS: list = []


@periodic("probe")
def probe_step(now) -> str:
    RUNS.append(("tick", now))
    return "ran"


@demo_loader(order=99, name="probe")
def load(associations) -> None:
    RUNS.append(("demo", sorted(associations)))
