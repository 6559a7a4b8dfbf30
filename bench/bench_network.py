"""The network's consolidated view and an association's home at 1x and 10x (BENCH_SCALES), and the ESF+ export.

The networks are built by bench/scale.py as in bench_pages (association 1 identical at every scale; on
PostgreSQL when DATABASE_URL is set). /network/ is opened by the network office for this year's figures
(comparison, trends, map), the association home by association 1's admin, through their real routes: the
median of RUNS requests, alternating scales, after two warm-ups; one request counts the SQL statements.
Before that, the snapshot the tick keeps — the network's medians the homes show, and the network page's figures
with no filter — is computed as the tick would (`reporting.medians`; its time is network_medians_refresh_s_<N>x,
the four periods), so /network/ reads it as in production, and so do one association's drill-down
(network_association_figures_ms_<N>x) and the page filtered on the remote program (network_dashboard_program);
network_dashboard_live_ms_<N>x is the page filtered on a territory (rural areas), which computes its figures on
demand. The ESF+ export runs the export job of the
per-participant CSV of the largest scale's participants of the year (15,900 at 10x: counted, then read from the
database and written) and gives its rows per second.

Printed: network_dashboard_ms_<N>x, network_dashboard_queries_<N>x, network_dashboard_growth_ratio,
association_home_ms_<N>x, association_home_queries_<N>x, association_home_growth_ratio,
network_medians_refresh_s_<N>x, esf_export_rows, esf_export_s, esf_export_rows_per_s. Targets (issue 13):
growth under 2, the same statements at every scale. `python bench/bench_network.py` runs it alone.
"""

import contextlib
import sys
import time
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_pages import NAME, Page, _count_queries, _median_ms, _target, label, scales
from bench.scratch import database

PAGES = [Page("network_dashboard", "network", "/network/?period=year", NAME),
         Page("network_association_figures", "network", "/network/figures/{association_id}?period=year",
              "chiffres calculés le"),
         Page("network_dashboard_program", "network", "/network/?period=year&program=remote", NAME),
         Page("network_dashboard_live", "network", "/network/?period=year&rural=yes", NAME),
         Page("association_home", "admin", "/a/{slug}/?period=year", "Médianes calculées le")]


def run() -> dict:
    figures: dict[str, float] = {}
    with contextlib.ExitStack() as stack:
        targets = []
        for scale in scales():
            url = stack.enter_context(database(f"network_{label(scale).replace('.', '_')}"))
            target = stack.enter_context(_target(url, scale))
            figures[f"network_medians_refresh_s_{target.label}"] = _medians(target)
            targets.append(target)
        for page in PAGES:
            counts = [_count_queries(t, page) for t in targets]
            times = _median_ms(targets, page)
            for target, ms, count in zip(targets, times, counts, strict=True):
                figures[f"{page.name}_ms_{target.label}"] = ms
                figures[f"{page.name}_queries_{target.label}"] = count
            figures[f"{page.name}_growth_ratio"] = times[-1] / times[0]
            # Said at once too: the ESF+ export that follows may be long.
            print({k: round(v, 3) for k, v in figures.items() if k.startswith(page.name)}, file=sys.stderr, flush=True)
        figures.update(_esf(targets[-1]))
    return figures


def _medians(target) -> float:
    """The tick's step that computes the medians the homes read (its four periods), timed."""
    from intranet.clock import utcnow
    from intranet.extensions import db
    from intranet.reporting import medians

    with target.app.app_context():
        started = time.perf_counter()
        medians.refresh(utcnow(), force=True)
        db.session.commit()
        seconds = time.perf_counter() - started
        db.session.remove()
    print(f"{target.label} network_medians_refresh_s: {seconds:.3f}", file=sys.stderr, flush=True)
    return seconds


def _esf(target) -> dict:
    """The ESF+ participants' file of the year as the network office asks for it: its export job run (participants
    counted, then read and written as CSV), timed."""
    from sqlalchemy import select

    from intranet.auth.models import User
    from intranet.clock import today_in
    from intranet.exports import jobs as export_jobs
    from intranet.exports import services
    from intranet.exports.models import ExportJob
    from intranet.extensions import db
    from intranet.reporting import esf, esf_files
    from intranet.reporting.periods import Filters, Period

    with target.app.test_request_context():
        office = db.session.scalar(select(User).where(User.is_network_office).limit(1))
        filters = Filters(Period.of("year", today_in("Europe/Paris")))
        job = services.start_report("esf_participants", "csv", office, esf_files.settings(filters, esf.rule()), "fse")
        db.session.commit()
        started = time.perf_counter()
        export_jobs.run(job.id)
        db.session.commit()
        seconds = time.perf_counter() - started
        done = db.session.get(ExportJob, job.id)
        assert done.status == "done" and done.content, done.error
        rows = done.rows_done
    return {"esf_export_rows": rows, "esf_export_s": seconds, "esf_export_rows_per_s": rows / seconds}


if __name__ == "__main__":
    for name, value in run().items():
        print(f"{name}: {value:.3f}" if isinstance(value, float) else f"{name}: {value}", flush=True)
