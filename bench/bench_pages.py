"""The main pages at 1x and 10x the network (BENCH_SCALES, default "1,10"): time and SQL statements.

Each scale is built by bench/scale.py into a database of its own (a temporary SQLite file, or a
scratch PostgreSQL database on DATABASE_URL's server, see bench/scratch.py); association 1 is the
same at every scale, only the network around it grows. Every page is requested through its real
route by the test client, signed in as who uses it: the network office for /network, the admin or
a staff member of association 1 for its pages, one of its volunteers for /me. After two warm-up
requests, one request is counted (SQL statements) and the median of RUNS requests, alternating
between the scales so that a busy machine slows them alike, is the page's time.

Printed: page_<name>_ms_<N>x and page_<name>_queries_<N>x for each scale, page_<name>_growth_ratio
(the largest scale's time over the smallest's), page_floor_ms (a bare route of the same app running
one indexed query: the cost of a request itself), pages_worst_growth_ratio, and scale_build_s_<N>x.
`make bench-scale` runs it with BENCH_SCALES=1,100. BENCH_DATABASES (URLs, one per scale, as BENCH_KEEP=1 printed them)
measures networks built earlier instead of building them again.
(The network's figures page, /network/, is measured by bench_network.) Targets (the scale issue): the same statements at every scale; growth under 1.3 at 10x and under 2
at 100x (the week view: under 2 from 10x to 100x); the network mailbox under 50 ms at 100x.
"""

import contextlib
import gc
import os
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial

from flask import Flask
from sqlalchemy import select

from bench.scale import build, slug_of
from bench.scratch import client_as, database, migrated_app, statements
from intranet.auth.models import User
from intranet.auth.sessions import signed_in_state
from intranet.beneficiaries.models import Beneficiary
from intranet.clock import today_in
from intranet.extensions import db
from intranet.network.models import Association

WARMUPS, RUNS = 2, int(os.environ.get("BENCH_RUNS", "7"))
SLUG = slug_of(1)
NAME = "Tremplin Bordeaux"  # association 1's name
SEARCH = "garn"  # part of a surname, as staff type it


@dataclass(frozen=True)
class Page:
    name: str
    who: str  # network, admin, staff, volunteer
    path: str  # formatted with slug, day, beneficiary_id, association_id
    expect: str  # a piece of text the page must show


PAGES = [
    Page("network_mailbox", "network", "/network/mailbox", "@"),
    Page("association_mailbox", "admin", "/a/{slug}/mailbox", "@"),
    Page("followups", "staff", "/a/{slug}/follow-ups", "<table"),
    Page("beneficiaries", "staff", "/a/{slug}/beneficiaries", "/beneficiaries/"),
    Page("beneficiaries_search", "staff", "/a/{slug}/beneficiaries?q=" + SEARCH, "/beneficiaries/"),
    Page("network_overview", "network", "/network/associations", NAME),
    Page("calendar_week", "staff", "/a/{slug}/calendar?day={day}", "cal-item"),
    Page("beneficiary_file", "staff", "/a/{slug}/beneficiaries/{beneficiary_id}", "@exemple.test"),
    Page("members", "admin", "/a/{slug}/members", "bench.test"),
    Page("me", "volunteer", "/me/", NAME),
]
FLOOR = Page("floor", "staff", "/bench-floor", "ok")
PEOPLE = {"network": "reseau@bench.test", "admin": f"admin.{SLUG}@bench.test",
          "staff": f"staff1.{SLUG}@bench.test", "volunteer": f"benevole3.{SLUG}@bench.test"}


def scales() -> list[float]:
    return [float(s) for s in os.environ.get("BENCH_SCALES", "1,10").split(",") if s.strip()]


def kept_databases() -> list[str | None]:
    """The networks to measure again (BENCH_DATABASES), or None per scale to build."""
    urls = [u.strip() for u in os.environ.get("BENCH_DATABASES", "").split(",") if u.strip()]
    if urls and len(urls) != len(scales()):
        raise SystemExit("BENCH_DATABASES needs one database URL per scale of BENCH_SCALES")
    return urls or [None] * len(scales())


def label(scale: float) -> str:
    return f"{scale:g}x"


def run() -> dict:
    figures: dict[str, float] = {}
    with contextlib.ExitStack() as stack:
        targets = []
        for scale, kept in zip(scales(), kept_databases(), strict=True):
            url = kept or stack.enter_context(database(f"pages_{label(scale).replace('.', '_')}"))
            target = stack.enter_context(_target(url, scale, build_it=not kept))
            if not kept:
                figures[f"scale_build_s_{label(scale)}"] = target.build_s
            targets.append(target)
        for page in [FLOOR, *PAGES]:
            counts = [_count_queries(t, page) for t in targets]
            times = _median_ms(targets, page)
            if page is FLOOR:
                figures["page_floor_ms"] = times[0]
                continue
            for target, ms, count in zip(targets, times, counts, strict=True):
                figures[f"page_{page.name}_ms_{target.label}"] = ms
                figures[f"page_{page.name}_queries_{target.label}"] = count
            figures[f"page_{page.name}_growth_ratio"] = times[-1] / times[0]
            if len(set(counts)) > 1:
                print(f"bench_pages: {page.name} runs {counts} statements at {[t.label for t in targets]}",
                      file=sys.stderr)
    figures["pages_worst_growth_ratio"] = max(v for k, v in figures.items() if k.endswith("_growth_ratio"))
    return figures


# --- the app on a built network -------------------------------------------------------------------------


@dataclass
class Target:
    label: str
    app: Flask
    build_s: float
    values: dict
    clients: dict = field(default_factory=dict)


def _floor():
    """One indexed query and a few bytes: what any request costs here."""
    return db.session.scalar(select(Association.slug).where(Association.slug == SLUG)) and "ok"


@contextlib.contextmanager
def _target(url: str, scale: float, build_it: bool = True) -> Iterator[Target]:
    """The app on a network built at `scale` in `url` (or built there earlier), a client signed in for each of PEOPLE."""
    with migrated_app(url, partial(_build, scale, build_it), analyze=False) as (app, (build_s, values, states)):
        app.add_url_rule("/bench-floor", "bench_floor", _floor)
        yield Target(label(scale), app, build_s, values, {who: client_as(app, state) for who, state in states.items()})


def _build(scale: float, build_it: bool = True) -> tuple[float, dict, dict]:
    """Build the network (it ANALYZEs what it loads); return its time, the pages' values, the people's sessions."""
    build_s = 0.0
    if build_it:
        started = time.perf_counter()
        build(scale, log=lambda line: print(f"{label(scale)} {line}", file=sys.stderr, flush=True))
        build_s = time.perf_counter() - started
    association = db.session.scalar(select(Association).where(Association.slug == SLUG))
    # The most recent completed file with an address: journeys, appointments and mails to show.
    beneficiary_id = db.session.scalar(
        select(Beneficiary.id).where(Beneficiary.association_id == association.id,
                                     Beneficiary.status == "completed", Beneficiary.email != "")
        .order_by(Beneficiary.created_at.desc()).limit(1))
    values = {"slug": SLUG, "day": today_in(association.timezone).isoformat(), "beneficiary_id": beneficiary_id,
              "association_id": association.id}
    states = {who: signed_in_state(db.session.scalar(select(User).where(User.email == email)))
              for who, email in PEOPLE.items()}
    return build_s, values, states


# --- measure ------------------------------------------------------------------------------------------


def _get(target: Target, page: Page):
    response = target.clients[page.who].get(page.path.format(**target.values))
    html = response.get_data(as_text=True)
    assert response.status_code == 200, f"{page.name} at {target.label} answered {response.status_code}"
    assert page.expect in html, f"{page.name} at {target.label} does not show {page.expect!r}"
    return response


def _count_queries(target: Target, page: Page) -> int:
    for _ in range(WARMUPS):
        _get(target, page)
    seen = statements(target.app, partial(_get, target, page))
    if os.environ.get("BENCH_PAGES_SQL") == page.name:
        print(f"--- {page.name} at {target.label}\n" + "\n---\n".join(seen), file=sys.stderr)
    return len(seen)


def _median_ms(targets: list[Target], page: Page) -> list[float]:
    samples: list[list[float]] = [[] for _ in targets]
    gc.collect()
    for _ in range(RUNS):
        for target, timings in zip(targets, samples, strict=True):
            started = time.perf_counter()
            _get(target, page)
            timings.append(time.perf_counter() - started)
    return [statistics.median(timings) * 1000 for timings in samples]
