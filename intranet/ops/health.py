"""What /healthz reports: can this app serve (the database answers), and is the background work keeping up.

The database is asked on a connection of its own, made for the check with short timeouts: a pooled
connection to a server that stopped answering would hang the check as long as the server does.
Unavailable (503) means the database does not answer: this node cannot serve. Degraded (still 200,
so a load balancer keeps every node) means the app serves but something behind it lags: Redis is down
(bookings still work, mail waits in the outbox), a periodic schedule has not run for three of its
periods, mail is overdue, or the SMTP server fails and mail is held.
"""

from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import Engine, and_, create_engine, func, or_, select, text
from sqlalchemy.pool import NullPool

from intranet.clock import utcnow
from intranet.notifications.models import OutboxMessage
from intranet.ticks import PeriodicRun, schedules

# Seconds the check waits for the database's answer to each statement (the connection itself waits
# DATABASE_CONNECT_TIMEOUT seconds at most, 2 by default, the least psycopg allows).
STATEMENT_TIMEOUT = 1
# Counts stop there: the check must stay cheap whatever the backlog.
COUNT_CAP = 10_000


def report(app: Flask) -> tuple[dict, int]:
    """The health report and its HTTP status."""
    now = utcnow()
    state: dict = {}
    try:
        with _probe_engine(app).connect() as connection:
            connection.execute(text("SELECT 1"))
            runs = dict(connection.execute(select(PeriodicRun.name, PeriodicRun.finished_at)).all())
            overdue, held = _outbox_counts(connection, app, now)
        state["database"] = "ok"
    except Exception as error:  # any failure means unusable, whatever the driver raises
        state.update(database=f"error: {error.__class__.__name__}", redis=_redis_state(app), status="unavailable")
        return state, 503
    state["redis"] = _redis_state(app)
    ages = {name: _age(runs.get(name), now) for name in schedules(app.config)}
    state["ticks"] = ages  # seconds since each schedule last ran (None: never)
    state["last_tick_s"] = ages.get("tick")
    state["outbox_overdue"], state["outbox_held"] = overdue, held
    lagging = [name for name, age in ages.items()
               if (seconds := schedules(app.config)[name]) > 0 and (age is None or age > 3 * seconds)]
    degraded = (state["redis"].startswith("error") or lagging or overdue or held)
    state["status"] = "degraded" if degraded else "ok"
    return state, 200


def _age(moment: datetime | None, now: datetime) -> float | None:
    return None if moment is None else round(max((now - moment).total_seconds(), 0.0), 1)


def _outbox_counts(connection, app: Flask, now: datetime) -> tuple[int | None, int | None]:
    """Mail due that no worker took in time (two mail ticks and a lease late), and mail held by the breaker."""
    if not app.config["MAIL_SERVER"]:
        return None, None  # the outbox is the mailbox: nothing is supposed to leave
    late = now - timedelta(seconds=2 * max(app.config["MAIL_TICK_SECONDS"], 1) + app.config["MAIL_LEASE_SECONDS"])
    pending = select(OutboxMessage.id).where(OutboxMessage.status == "pending")
    overdue = pending.where(OutboxMessage.waits_for_server.is_(False), or_(
        OutboxMessage.next_attempt_at < late,
        and_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.created_at < late)))
    held = pending.where(OutboxMessage.waits_for_server.is_(True))
    return tuple(connection.scalar(select(func.count()).select_from(query.limit(COUNT_CAP).subquery()))
                 for query in (overdue, held))


def _redis_state(app: Flask) -> str:
    url = app.config["REDIS_URL"]
    if not url:
        return "not configured"
    from redis import Redis

    try:
        Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
        return "ok"
    except Exception as error:
        return f"error: {error.__class__.__name__}"


def _probe_engine(app: Flask) -> Engine:
    """An engine that opens a new connection for each check, with short timeouts."""
    engine = app.extensions.get("health_engine")
    if engine is None:
        from intranet import postgresql_timeouts

        url = app.config["SQLALCHEMY_DATABASE_URI"]
        if url.startswith("postgresql"):
            connect_args = postgresql_timeouts(app.config, statement_timeout=STATEMENT_TIMEOUT)
            connect_args["connect_timeout"] = min(connect_args["connect_timeout"] or 2, 2)
        elif url.startswith("sqlite"):
            connect_args = {"timeout": STATEMENT_TIMEOUT}
        else:
            connect_args = {}
        engine = app.extensions.setdefault("health_engine", create_engine(url, poolclass=NullPool,
                                                                          connect_args=connect_args))
    return engine
