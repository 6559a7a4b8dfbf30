"""Build a network N times the size of one association-equivalent, with bulk inserts.

    python bench/scale.py --scale N [--database-url URL] [--today YYYY-MM-DD]

Proportions (one scale unit = one local association as the network wants them, four years of work):
the issue's 100x — 100 associations, 700,000 files, 2.8 M appointments, 16.4 M mails, about four
years of a grown network — divided by 100. So, per unit:

- 1 local association (the national space is added once, whatever N: the network office's seat,
  with the network office as its admin and no files): 1 admin, 3 staff, 40 volunteers (2 of them
  the studio's photographers), a studio and a coaching room, each volunteer available Monday to
  Friday 9:00-18:00;
- 7,000 beneficiary files created over 4 years (1,461 days up to today, ids growing with time),
  92 % with an e-mail address; every file but the newest has one journey of the in-person program's
  4 modules, 5 % of them with 2 remote modules added (mixed journeys, as in the demo); 8 % withdraw;
- about 4.2 appointments a file (29,000 a unit): one per module, booked 2-20 days ahead by staff; 6 % are
  cancelled and booked again a week later, 8 % moved a week before they were due; 7 % of the past
  ones are no-shows; the journey module follows each appointment, as the app does;
- the mails the app queues for all that (about 21 a file, 147,000 a unit; the issue's 164,000 also
  count the staff's daily digests, not generated here): confirmations with their
  .ics to the beneficiary and to the coach, the reminders (2 days before, the day before at 8:00,
  the coach's), moves and cancellations (with the reminders they cancel), the follow-ups a month and
  six months after an exit (answered by 35 % and 40 %); sent when their time is past, pending after;
- the journeys' exits and ESF+ results, an audit entry per creation and status change, an event per
  booking, move, cancellation and outcome, one personal booking link per person booked.

A fractional N (0.05) makes one association with N x 7,000 files. Each association's content
depends only on its number and the seed, so association 1 (the one the benchmark opens) is the same at
every scale; only what sits beside it grows.

The database must be migrated to head and hold no association. Random choices are seeded: the same
N, seed and day build the same rows (as the network stands at midnight UTC of that day). Rows go
through bench/scale_tables.py, one place per table: a new column, or one the app derives from others
(DERIVED there), is adapted there. From 50,000 files on PostgreSQL the build is a bulk load: keys and
indexes dropped then rebuilt, tables left UNLOGGED, one process per core (scale_tables.prepare_bulk).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import sys
import time as clock
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from email.utils import parseaddr
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import current_app  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from bench.scale_mail import AssociationMail, escape, invitation  # noqa: E402
from bench.scale_tables import Writer, finish_bulk, prepare_bulk, set_sequences  # noqa: E402
from bench.scratch import app_for  # noqa: E402
from intranet.beneficiaries.demo import COMMUNES, FIRST_NAMES, JOBS, LAST_NAMES, REFERRERS  # noqa: E402
from intranet.beneficiaries.rules import name_key  # noqa: E402
from intranet.clock import local, to_utc  # noqa: E402
from intranet.extensions import db  # noqa: E402
from intranet.followups.services import PERIODS, RESULT_OF_ANSWER  # noqa: E402
from intranet.journeys.models import FollowUpAnswer  # noqa: E402
from intranet.network.models import Association  # noqa: E402
from intranet.notifications.services import LEASE  # noqa: E402
from intranet.programs.models import Module, Program  # noqa: E402
from intranet.search import search_key  # noqa: E402

FILES_PER_UNIT = 7_000
DAYS = 1_461  # four years of history up to today
STAFF, VOLUNTEERS, PHOTOGRAPHERS = 3, 40, 2
EMAIL_SHARE = 0.92
MIXED_SHARE = 0.05  # journeys with two remote modules after the in-person ones
WITHDRAW_SHARE = 0.08
CANCEL_SHARE, MOVE_SHARE, NO_SHOW_SHARE = 0.06, 0.08, 0.07
ANSWER_SHARE = {"1m": 0.35, "6m": 0.40}
HOURS = (9, 10, 11, 12, 14, 15, 16, 17)  # a session of an hour at most starts on the hour
STUDIO_SLOTS = 16  # half-hour portraits from 9:00 to 16:30
BULK_FROM_FILES = 50_000  # from this many files, keys and indexes are dropped during the load
VISIO = "Visio : https://visio.exemple.test/tremplin"  # the demo's remote call details
CITIES = [("Bordeaux", "33"), ("Lille", "59"), ("Le Mans", "72"), ("Nantes", "44"), ("Lyon", "69"),
          ("Marseille", "13"), ("Toulouse", "31"), ("Rennes", "35"), ("Strasbourg", "67"), ("Montpellier", "34"),
          ("Grenoble", "38"), ("Dijon", "21"), ("Angers", "49"), ("Nîmes", "30"), ("Limoges", "87"),
          ("Clermont-Ferrand", "63"), ("Tours", "37"), ("Amiens", "80"), ("Metz", "57"), ("Besançon", "25")]
OVERSEAS = {7: ("Saint-Denis", "974", "Indian/Reunion"), 14: ("Cayenne", "973", "America/Cayenne")}
PASSWORD = "bench-password"
# Every association keeps the default reminders: so many days before, and the day before at this hour
# (for the coach too, as reminders.coach_due_time gives it when the eve hour is set).
DAYS_BEFORE = Association.__table__.c.reminder_days_before.default.arg
EVE_HOUR = Association.__table__.c.reminder_eve_hour.default.arg
CANCEL_REASONS = ("empêchement de la personne", "bénévole malade", "entretien d’embauche le même jour")


@dataclass(frozen=True)
class Plan:
    """How many associations and files to build."""

    associations: int
    files_per_association: int

    @classmethod
    def of(cls, scale: float, associations: int | None = None, files: int | None = None) -> Plan:
        count = associations or max(1, round(scale))
        total = files if files is not None else round(FILES_PER_UNIT * scale)
        return cls(count, max(1, total // count))


@dataclass(frozen=True)
class ModuleInfo:
    id: int
    name: str
    minutes: int
    mode: str
    studio: bool
    capacity: int
    remote_program: bool


def slug_of(number: int) -> str:
    return f"tremplin-{number:03d}"


# --- the build --------------------------------------------------------------------------------------


def build(scale: float = 1.0, *, associations: int | None = None, files: int | None = None,
          today: date | None = None, seed: int = 1, bulk: bool | None = None, workers: int | None = None,
          log=None) -> dict[str, int]:
    """Fill the app's database (in an app context) with the network; return the rows written per table.

    A bulk build (PostgreSQL, from BULK_FROM_FILES files) drops the keys and indexes while it loads,
    leaves the tables UNLOGGED (see bench/scale_tables.py) and runs `workers` processes (one per core
    by default), each filling its share of the associations over its own connection.
    """
    plan = Plan.of(scale, associations, files)
    today = today or datetime.now(UTC).date()
    now = datetime.combine(today, time(0, 0), tzinfo=UTC)  # the network as it stands at midnight (UTC)
    postgresql = db.engine.dialect.name == "postgresql"
    if bulk is None:
        bulk = plan.associations * plan.files_per_association >= BULK_FROM_FILES
    bulk = bulk and postgresql
    workers = min(workers or (os.cpu_count() or 1), plan.associations) if bulk else 1
    started = clock.perf_counter()

    def say(line: str) -> None:
        if log:
            log(f"{line} ({clock.perf_counter() - started:.0f} s)")

    restore: list[str] = []
    with db.engine.connect() as connection, connection.begin():
        if connection.scalar(select(func.count()).select_from(Association)):
            raise SystemExit("The database already holds associations: build into an empty database migrated to "
                             "head.")
        modules = _modules(connection)
        if bulk:
            restore = prepare_bulk(connection)
        writer = Writer(connection)
        Network(writer, plan, today, now, seed, modules).shared()
        if workers == 1:
            _fill(writer, plan, today, now, seed, modules, share=(1, 0), say=say)
        writer.finish()
        counts = dict(writer.counts)
    if workers > 1:
        for table, count in _in_processes(workers, plan, today, now, seed, modules, say).items():
            counts[table] += count
    say("rows written; keys and indexes")
    with db.engine.connect() as connection, connection.begin():
        if bulk:
            finish_bulk(connection, restore)
        set_sequences(connection)
    if postgresql:
        say("committed; vacuum analyze")
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM (ANALYZE)"))
    say("built")
    return counts


def _fill(writer: Writer, plan: Plan, today: date, now: datetime, seed: int, modules: list[ModuleInfo], *,
          share: tuple[int, int], say) -> None:
    """Generate the associations numbered `share[1]` modulo `share[0]` (from 1), a month at a time."""
    network = Network(writer, plan, today, now, seed, modules)
    network.spaces = [Space(network, number) for number in range(1, plan.associations + 1)
                      if (number - 1) % share[0] == share[1]]
    first_day = today - timedelta(days=DAYS)
    window = first_day
    while window <= today:  # a month at a time, every association in turn, as a real network fills up
        end = min(window + timedelta(days=30), today + timedelta(days=1))
        for space in network.spaces:
            space.files_until(end)
        window = end
        if (window - first_day).days % 360 < 30:
            say(f"{share[1] + 1}/{share[0]}: files until {window}, "
                f"{writer.counts['outbox_message'] + len(writer.pending['outbox_message']):,} mails")
    for space in network.spaces:
        space.booking_links()
    writer.finish()


def _in_processes(workers: int, plan: Plan, today: date, now: datetime, seed: int, modules: list[ModuleInfo],
                  say) -> dict[str, int]:
    """Fill the associations in `workers` forked processes, each in a transaction of its own."""
    import multiprocessing
    import traceback

    context = multiprocessing.get_context("fork")
    db.engine.dispose()  # no connection shared with the children

    def work(share: tuple[int, int], results) -> None:
        try:
            db.engine.dispose(close=False)
            with db.engine.connect() as connection, connection.begin():
                writer = Writer(connection, stride=share)
                _fill(writer, plan, today, now, seed, modules, share=share, say=say)
            results.put((share[1], dict(writer.counts), None))
        except BaseException:
            results.put((share[1], None, traceback.format_exc()))

    results = context.Queue()
    processes = [context.Process(target=work, args=((workers, n), results)) for n in range(workers)]
    for process in processes:
        process.start()
    counts: dict[str, int] = {}
    failures = []
    for _ in processes:
        _n, written, failure = results.get()
        if failure:
            failures.append(failure)
        else:
            for table, count in written.items():
                counts[table] = counts.get(table, 0) + count
    for process in processes:
        process.join()
    if failures:
        raise RuntimeError("a worker of the build failed:\n" + "\n".join(failures))
    return counts


def _modules(connection) -> list[ModuleInfo]:
    rows = connection.execute(
        select(Module.id, Module.name, Module.duration_minutes, Module.mode, Module.resource_kind, Module.capacity,
               Program.remote).join(Program, Program.id == Module.program_id)
        .where(Module.active.is_(True)).order_by(Program.position, Module.position)).all()
    return [ModuleInfo(r.id, r.name, r.duration_minutes, r.mode, r.resource_kind == "studio", r.capacity, r.remote)
            for r in rows]


class Network:
    """The people and places shared by the whole network, and one Space per local association."""

    def __init__(self, writer: Writer, plan: Plan, today: date, now: datetime, seed: int,
                 modules: list[ModuleInfo]):
        from intranet.auth.services import hash_password

        self.writer, self.plan, self.today, self.now, self.seed = writer, plan, today, now, seed
        # Bodies of mails older than this are gone (notifications.retention), as the tick leaves them.
        self.retention = timedelta(days=current_app.config["MAIL_RETENTION_DAYS"])
        self.modules = modules
        self.password_hash = hash_password(PASSWORD)
        self.opened = datetime.combine(today - timedelta(days=DAYS + 30), time(8, 0), tzinfo=UTC)
        self.communes = list(COMMUNES.values())
        self.spaces: list[Space] = []
        self.people: dict[int, tuple[str, str]] = {}  # user id: name, address (the memberships' search key)

    def user(self, email: str, name: str, *, network_office: bool = False) -> int:
        user_id = self.writer.new_id("user")
        self.people[user_id] = (name, email)
        self.writer.add("user", id=user_id, email=email, name=name, password_hash=self.password_hash, locale="fr",
                        active=True, is_network_office=network_office, created_at=self.opened,
                        last_login_at=self.now - timedelta(hours=user_id % 48))
        return user_id

    def member(self, association_id: int, user_id: int, role: str) -> None:
        self.writer.add("membership", id=self.writer.new_id("membership"), association_id=association_id,
                        user_id=user_id, role=role, state="active", digest=True, created_at=self.opened,
                        accepted_at=self.opened, search_key=search_key(*self.people[user_id]))

    def association(self, *, slug: str, name: str, kind: str, city: str, department: str, timezone: str) -> int:
        association_id = self.writer.new_id("association")
        self.writer.add("association", id=association_id, name=name, slug=slug, kind=kind, city=city,
                        department_code=department, timezone=timezone, active=True, created_at=self.opened)
        return association_id

    def shared(self) -> None:
        """What the whole network shares: the national space and its network office, the communes."""
        national = self.association(slug="national", name="Coup de Pouce à la Maison (tête de réseau)",
                                    kind="national", city="Paris", department="75", timezone="Europe/Paris")
        self.member(national, self.user("reseau@bench.test", "Claire Fontaine", network_office=True), "admin")
        seen = set()
        for rows in self.communes:
            for postcode, name, rural in rows:
                if (postcode, name_key(name)) not in seen:
                    seen.add((postcode, name_key(name)))
                    self.writer.add("commune", id=self.writer.new_id("commune"), postcode=postcode,
                                    name_key=name_key(name), name=name, rural=rural)


def _weekday(day: date) -> date:
    """The day itself, or the Monday after a weekend day."""
    return day + timedelta(days=(7 - day.weekday()) % 7) if day.weekday() >= 5 else day


@dataclass
class Booking:
    """One appointment being generated: when, with whom, what happened to it."""

    id: int
    module: ModuleInfo
    starts_at: datetime
    volunteer_id: int
    booked_at: datetime
    status: str = "planned"
    moved_from: datetime | None = None
    moved_at: datetime | None = None
    cancelled_at: datetime | None = None
    seat_id: int = 0
    events: list = field(default_factory=list)


class Space:
    """One local association and everything that happens in it."""

    def __init__(self, network: Network, number: int):
        self.network, self.number = network, number
        self.writer = network.writer
        self.rng = random.Random(f"{network.seed}-{number}")
        rng = self.rng
        if number % len(CITIES) in OVERSEAS:
            city, department, timezone = OVERSEAS[number % len(CITIES)]
        else:
            city, department = CITIES[(number - 1) % len(CITIES)]
            timezone = "Europe/Paris"
        name = f"Tremplin {city}" + (f" {number // len(CITIES) + 1}" if number > len(CITIES) else "")
        self.slug = slug_of(number)
        self.id = network.association(slug=self.slug, name=name, kind="local", city=city, department=department,
                                      timezone=timezone)
        self.timezone = timezone
        self.info = SimpleNamespace(id=self.id, name=name, city=city, timezone=timezone, slug=self.slug,
                                    mail_sender_name="", mail_reply_to="")
        self.mail = AssociationMail(self.info)
        names = [f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}" for _ in range(1 + STAFF + VOLUNTEERS)]
        self.admin_id = network.user(f"admin.{self.slug}@bench.test", names[0])
        network.member(self.id, self.admin_id, "admin")
        self.staff_ids = []
        for n in range(STAFF):
            self.staff_ids.append(network.user(f"staff{n + 1}.{self.slug}@bench.test", names[1 + n]))
            network.member(self.id, self.staff_ids[-1], "staff")
        self.volunteers: list[tuple[int, str]] = []
        for n in range(VOLUNTEERS):
            name_n = names[1 + STAFF + n]
            user_id = network.user(f"benevole{n + 1}.{self.slug}@bench.test", name_n)
            network.member(self.id, user_id, "volunteer")
            self.volunteers.append((user_id, name_n))
            for weekday in range(5):
                self.writer.add("availability", id=self.writer.new_id("availability"), association_id=self.id,
                                user_id=user_id, weekday=weekday, starts=time(9, 0), ends=time(18, 0),
                                valid_from=network.opened.date(), valid_until=None)
        self.coach_names = dict(self.volunteers)
        self.coach_emails = {v: f"benevole{n + 1}.{self.slug}@bench.test" for n, (v, _) in enumerate(self.volunteers)}
        self.photographers = [v for v, _ in self.volunteers[:PHOTOGRAPHERS]]
        self.general = [v for v, _ in self.volunteers[PHOTOGRAPHERS:]]
        self.studio_id = self.writer.new_id("resource")
        self.writer.add("resource", id=self.studio_id, association_id=self.id, name="Studio photo", kind="studio",
                        capacity=1, open_days="01234", opens_at=time(9, 0), closes_at=time(18, 0), active=True)
        self.writer.add("resource", id=self.writer.new_id("resource"), association_id=self.id,
                        name="Salle de coaching", kind="room", capacity=2, open_days="01234", opens_at=time(9, 0),
                        closes_at=time(18, 0), active=True)
        self.in_person = [m for m in network.modules if not m.remote_program]
        self.remote = [m for m in network.modules if m.remote_program]
        self.communes = network.communes[(number - 1) % len(network.communes)]
        self.files = network.plan.files_per_association
        self.next_file = 0
        self.first_day = network.today - timedelta(days=DAYS)
        self.used_general: dict[date, int] = {}
        self.used_studio: dict[date, int] = {}
        self.last_booking: dict[int, datetime] = {}  # beneficiary -> when staff last mailed them a link
        self.organizer_name, self.organizer = self._organizer()

    def _organizer(self) -> tuple[str, str]:
        """The association, at the platform's address (no generated association sets a reply-to)."""
        from flask import current_app

        return self.info.name, parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]

    # --- files -------------------------------------------------------------------------------------

    def files_until(self, end: date) -> None:
        """Generate the files created before `end`, each with its whole story."""
        while self.next_file < self.files:
            day = self.first_day + timedelta(days=self.next_file * DAYS // self.files)
            if day >= end:
                return
            self._file(self.next_file, _weekday(day))
            self.next_file += 1

    def _local(self, day: date, hour: int, minute: int = 0) -> datetime:
        return to_utc(day, time(hour, minute), self.timezone)

    def _file(self, k: int, day: date) -> None:
        rng, net, w = self.rng, self.network, self.writer
        now, today = net.now, net.today
        created_at = min(self._local(day, 9 + rng.randrange(8), rng.randrange(60)),
                         now - timedelta(minutes=1 + rng.randrange(600)))
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = (f"{name_key(first).replace(' ', '')}.{name_key(last).replace(' ', '')}.{self.number}-{k}@exemple.test"
                 if rng.random() < EMAIL_SHARE else "")
        postcode, commune, rural = rng.choice(self.communes)
        staff = rng.choice(self.staff_ids)
        beneficiary_id = w.new_id("beneficiary")
        start = _weekday(day + timedelta(days=rng.randrange(0, 4)))
        chosen = list(self.in_person) + (rng.sample(self.remote, 2) if rng.random() < MIXED_SHARE else [])
        withdraw_at = rng.randrange(1, len(chosen)) if rng.random() < WITHDRAW_SHARE else None
        # The first booking decides whether the file is still "new" (nothing booked yet).
        first_booked = self._local(start, 9) - timedelta(days=rng.randrange(2, 21))
        first_booked = max(first_booked, created_at + timedelta(minutes=10))
        status, exited_on = "new", None
        journey_id = None
        items: list[dict] = []
        bookings: list[tuple[Booking, int]] = []
        audit = [("create", ["birth_date", "commune", "consent_scope", "contact_channel", "education_level",
                              "email", "first_name", "gender", "labour_status", "last_name", "phone", "postcode",
                              "referrer", "rural", "target_job"], created_at, staff)]
        if first_booked <= now:
            journey_id = w.new_id("journey")
            status = "in_progress"
            audit.append(("status", ["status"], first_booked, staff))
            shift, last_day = 0, None
            withdrawn_on = None
            for position, module in enumerate(chosen, start=1):
                item = {"id": w.new_id("journey_module"), "association_id": self.id, "journey_id": journey_id,
                        "module_id": module.id, "position": position, "name": module.name, "status": "to_plan",
                        "happened_on": None, "coach_id": None, "notes": ""}
                items.append(item)
                planned_day = _weekday(start + timedelta(days=7 * (position - 1) + shift))
                if withdraw_at is not None and position > withdraw_at:
                    if withdrawn_on is None:
                        withdrawn_on = planned_day
                    if withdrawn_on <= today:
                        item["status"] = "skipped"
                        continue
                booked_at = (first_booked if position == 1
                             else self._local(planned_day, 9) - timedelta(days=rng.randrange(2, 21),
                                                                          minutes=rng.randrange(600)))
                booked_at = max(booked_at, created_at + timedelta(minutes=10))
                if booked_at > now:
                    continue  # not booked yet: to plan
                booking = self._book(module, planned_day, booked_at)
                if booking.starts_at <= now and rng.random() < CANCEL_SHARE:
                    # Cancelled by staff before it happened; the module is booked again a week later.
                    booking.status = "cancelled"
                    booking.cancelled_at = booked_at + (booking.starts_at - booked_at) * rng.uniform(0.2, 0.9)
                    bookings.append((booking, item["id"]))
                    shift += 7
                    planned_day = _weekday(planned_day + timedelta(days=7))
                    booked_at = booking.cancelled_at + timedelta(minutes=5)
                    booking = self._book(module, planned_day, booked_at)
                elif (booking.starts_at <= now and rng.random() < MOVE_SHARE
                      and booking.starts_at - timedelta(days=9) > created_at):
                    booking.moved_from = booking.starts_at - timedelta(days=7)
                    booking.booked_at = min(booking.booked_at, booking.moved_from - timedelta(days=2))
                    booking.moved_at = booking.booked_at + (booking.moved_from - booking.booked_at) / 2
                if booking.starts_at <= now:
                    booking.status = "no_show" if rng.random() < NO_SHOW_SHARE else "done"
                bookings.append((booking, item["id"]))
                item["status"] = {"planned": "planned", "done": "done", "no_show": "missed"}[booking.status]
                item["happened_on"] = local(booking.starts_at, self.timezone).date()
                item["coach_id"] = booking.volunteer_id
                last_day = item["happened_on"]
            if withdrawn_on is not None and withdrawn_on <= today:
                status = "withdrawn"
                audit.append(("status", ["status"], self._local(withdrawn_on, 10), staff))
            elif all(i["status"] in ("done", "missed") for i in items):
                status = "completed"
                exited_on = min(today, last_day + timedelta(days=5))
                audit.append(("status", ["status"], self._local(exited_on, 10), staff))
        updated_at = max([a[2] for a in audit])
        w.add("beneficiary", id=beneficiary_id, association_id=self.id, first_name=first, last_name=last,
              email=email, phone=f"+336{(self.number * 100_003 + k * 7_919) % 10**8:08d}", postcode=postcode,
              commune=commune, contact_channel="email" if email else rng.choice(("phone", "sms")),
              consent_at=created_at, consent_scope="accompaniment_esf", referrer=rng.choice(REFERRERS),
              target_job=rng.choice(JOBS),
              interview_on=start + timedelta(days=rng.randrange(7, 40)) if rng.random() < 0.3 else None,
              notes="", gender=rng.choice(("woman", "woman", "man", "man", "non_binary", "")),
              birth_date=date(rng.randrange(1962, 2007), rng.randrange(1, 13), rng.randrange(1, 29)),
              labour_status=rng.choice(("unemployed", "long_term_unemployed", "inactive", "employed")),
              education_level=rng.choice(("isced_0_2", "isced_3_4", "isced_5_8")),
              disability=rng.choice(("no", "no", "no", "yes", "undisclosed")),
              third_country_national=rng.choice(("no", "no", "yes", "undisclosed")),
              foreign_background=rng.choice(("no", "yes", "undisclosed", "")),
              minority=rng.choice(("no", "undisclosed", "")), homeless=rng.choice(("no", "no", "no", "yes")),
              rural="yes" if rural else "no", status=status, active=True, created_at=created_at,
              updated_at=updated_at)
        if journey_id is not None:
            journey = {"exit_situation": "", "follow_up_result": "", "follow_up_on": None, "answer_1m": "",
                       "answer_6m": ""}
            if exited_on is not None:
                journey["exit_situation"] = rng.choice(("employment", "employment", "job_searching",
                                                        "education_training", "qualification"))
                mails = self._follow_ups(journey_id, beneficiary_id, first, email, exited_on, journey, audit)
            else:
                mails = []
            w.add("journey", id=journey_id, association_id=self.id, beneficiary_id=beneficiary_id,
                  started_on=start, exited_on=exited_on, created_at=first_booked, **journey)
            for mail in mails:  # after their journey, which they point at
                self._mail(*mail[0], **mail[1])
            for item in items:
                w.add("journey_module", **item)
            for booking, item_id in bookings:
                self._appointment(booking, beneficiary_id, item_id, first, f"{first} {last}", email, staff)
        for action, fields, at, user_id in audit:
            w.add("audit_entry", id=w.new_id("audit_entry"), association_id=self.id, object_type="Beneficiary",
                  object_id=beneficiary_id, action=action, fields=sorted(fields), user_id=user_id, at=at)

    def _book(self, module: ModuleInfo, day: date, booked_at: datetime) -> Booking:
        """A free slot on `day` (or the next working days) for this module: its start and its coach."""
        while True:
            day = _weekday(day)
            if module.studio:
                n = self.used_studio.get(day, 0)
                if n < STUDIO_SLOTS:
                    self.used_studio[day] = n + 1
                    starts_at = self._local(day, 9 + n // 2, 30 * (n % 2))
                    coach = self.photographers[n % len(self.photographers)]
                    break
            else:
                n = self.used_general.get(day, 0)
                if n < len(HOURS) * len(self.general):
                    self.used_general[day] = n + 1
                    rounds, rank = divmod(n, len(self.general))
                    # Each coach at most once an hour; the day's first sessions spread over coaches and hours.
                    coach = self.general[(rank + day.toordinal() * 11) % len(self.general)]
                    starts_at = self._local(day, HOURS[(rounds + rank) % len(HOURS)])
                    break
            day += timedelta(days=1)
        return Booking(id=self.writer.new_id("appointment"), module=module, starts_at=starts_at, volunteer_id=coach,
                       booked_at=min(booked_at, starts_at - timedelta(hours=2)))

    # --- appointments and their mail -----------------------------------------------------------------

    def _place(self, module: ModuleInfo) -> str:
        if module.mode != "in_person":
            return VISIO
        where = f"{self.info.name}, {self.info.city}"
        return f"{where} — Studio photo" if module.studio else where

    def _appointment(self, b: Booking, beneficiary_id: int, item_id: int, first: str, full_name: str, email: str,
                     staff: int) -> None:
        w, rng, module = self.writer, self.rng, b.module
        duration = timedelta(minutes=module.minutes)
        remote = module.mode != "in_person"
        w.add("appointment", id=b.id, association_id=self.id, module_id=module.id, name=module.name,
              starts_at=b.starts_at, ends_at=b.starts_at + duration, volunteer_id=b.volunteer_id,
              resource_id=self.studio_id if module.studio else None, capacity=module.capacity, mode=module.mode,
              call_details=VISIO if remote else "", status=b.status,
              cancel_reason=rng.choice(CANCEL_REASONS) if b.status == "cancelled" else "",
              outside_availability=False, created_at=b.booked_at)
        seat_id = w.new_id("seat")
        # A cancelled appointment keeps its seat "booked" (set_status cancels the session, not the seat).
        w.add("seat", id=seat_id, association_id=self.id, appointment_id=b.id, beneficiary_id=beneficiary_id,
              journey_module_id=item_id, status="booked", created_at=b.booked_at)
        events = [("booked", "", b.booked_at, staff)]
        first_start = b.moved_from or b.starts_at
        if b.moved_at is not None:
            detail = f"déplacé du {local(b.moved_from, self.timezone):%d/%m/%Y %H:%M}"
            events.append(("moved", detail, b.moved_at, staff))
        if b.status == "cancelled":
            events.append(("cancelled", "", b.cancelled_at, staff))
        elif b.status in ("done", "no_show"):
            events.append((b.status, "", b.starts_at + duration + timedelta(minutes=30), staff))
        for action, detail, at, user_id in events:
            w.add("appointment_event", id=w.new_id("appointment_event"), association_id=self.id, appointment_id=b.id,
                  user_id=user_id, action=action, detail=detail, at=at)
        if email:
            self.last_booking[beneficiary_id] = max(self.last_booking.get(beneficiary_id, b.booked_at), b.booked_at)
        coach = b.volunteer_id
        people = {"beneficiary_id": beneficiary_id, "email": email, "coach": coach, "seat": seat_id,
                  "name": full_name}
        # Booked: confirmations and reminders for the first time chosen. Each change after it raises the
        # sequence (notifications.context.sequence), which names the mails and reminders it sends.
        ends_first = first_start + duration
        self._announce("confirmed", b, people, first, first_start, ends_first, b.booked_at, sequence=0)
        change = b.moved_at or b.cancelled_at
        self._reminders(b, people, first, first_start, ends_first, b.booked_at, sequence=0, until=change)
        sequence = 0
        if b.moved_at is not None:
            sequence += 1
            self._announce("moved", b, people, first, b.starts_at, b.starts_at + duration, b.moved_at,
                           sequence=sequence)
            self._reminders(b, people, first, b.starts_at, b.starts_at + duration, b.moved_at, sequence=sequence,
                            until=None)
        if b.cancelled_at is not None:
            sequence += 1
            self._announce("cancelled", b, people, first, b.starts_at, b.starts_at + duration, b.cancelled_at,
                           sequence=sequence, cancelled=True)

    def _announce(self, event: str, b: Booking, people: dict, first: str, starts_at: datetime, ends_at: datetime,
                  at: datetime, *, sequence: int, cancelled: bool = False) -> None:
        """The beneficiary's and the coach's mail about a booking, a move or a cancellation."""
        module = b.module
        remote = module.mode != "in_person"
        place = self._place(module)

        def ics(attendee: tuple[str, str]) -> str:  # one per person: each is the ATTENDEE of their own copy
            return invitation(uid=f"appointment-{b.id}@tremplin", starts_at=starts_at, ends_at=ends_at,
                              timezone=self.timezone, summary=f"{module.name} — {self.info.name}", location=place,
                              description=VISIO if remote else "", sequence=sequence, organizer=self.organizer,
                              organizer_name=self.organizer_name, attendee=attendee, stamp=at, cancelled=cancelled)

        values, escaped = self.mail.values(first=first, coach=self.coach_names[people["coach"]], module=module.name,
                                           starts_at=starts_at, ends_at=ends_at, place=place)
        if people["email"]:
            self._mail(f"appointment_{event}", remote, values, escaped, to=people["email"],
                       key=f"appointment-{event}-{b.id}-v{sequence}-b{people['beneficiary_id']}", at=at,
                       beneficiary_id=people["beneficiary_id"], appointment_id=b.id,
                       ics=lambda: ics((people["name"], people["email"])))
        coach = people["coach"]
        self._mail(f"coach_{event}", remote, values, escaped, to=self._coach_email(coach),
                   key=f"coach-{event}-{b.id}-v{sequence}-u{coach}", at=at, appointment_id=b.id,
                   ics=lambda: ics((self.coach_names[coach], self._coach_email(coach))))

    def _reminders(self, b: Booking, people: dict, first: str, starts_at: datetime, ends_at: datetime,
                   at: datetime, *, sequence: int, until: datetime | None) -> None:
        """The reminders scheduled at `at` (reminders.schedule), cancelled at `until` if not sent by then."""
        module = b.module
        remote = module.mode != "in_person"
        values, escaped = self.mail.values(first=first, coach=self.coach_names[people["coach"]], module=module.name,
                                           starts_at=starts_at, ends_at=ends_at, place=self._place(module))
        stamp = f"v{sequence}"
        start = local(starts_at, self.timezone)
        eve = start.date() - timedelta(days=1)
        if people["email"]:
            due = {"days": to_utc(start.date() - timedelta(days=DAYS_BEFORE), start.time(), self.timezone),
                   "eve": self._local(eve, EVE_HOUR)}
            for name, due_at in due.items():
                if due_at > at:
                    self._mail("appointment_reminder", remote, values, escaped, to=people["email"],
                               key=f"reminder-{name}-{b.id}-{stamp}-s{people['seat']}",
                               at=at, due_at=due_at, until=until, beneficiary_id=people["beneficiary_id"],
                               appointment_id=b.id)
        due_at = self._local(eve, EVE_HOUR)
        if due_at > at:
            coach = people["coach"]
            self._mail("coach_reminder", remote, values, escaped, to=self._coach_email(coach),
                       key=f"reminder-coach-{b.id}-{stamp}-u{coach}", at=at, due_at=due_at, until=until,
                       appointment_id=b.id)

    def _coach_email(self, user_id: int) -> str:
        return self.coach_emails[user_id]

    def _mail(self, kind: str, remote: bool | None, values: dict, escaped: dict, *, to: str, key: str,
              at: datetime, due_at: datetime | None = None, until: datetime | None = None,
              beneficiary_id: int | None = None, appointment_id: int | None = None, ics=None,
              journey_id: int | None = None) -> None:
        """One outbox row as queue_mail writes it, then as delivery (or a cancellation) and the retention
        job leave it. `ics()` gives its invitation, made only for a mail that still keeps its body."""
        now = self.network.now
        moment = due_at or at
        if until is not None and moment > until:
            status, sent_at, attempts, next_attempt_at = "cancelled", None, 0, None
        elif moment <= now:
            status, sent_at, attempts = "sent", moment + timedelta(seconds=2 + len(key) % 29), 1
            next_attempt_at = moment + LEASE
        else:
            status, sent_at, attempts, next_attempt_at = "pending", None, 0, due_at
        purged_at = at + self.network.retention + timedelta(minutes=1)
        if status != "pending" and purged_at <= now:
            subject, text_body, html_body, ics_text = self.mail.subject(kind, remote, values), "", "", ""
        else:
            purged_at = None
            subject, text_body, html_body = self.mail.fill(kind, remote, values, escaped)
            ics_text = ics() if ics else ""
        self.writer.add("outbox_message", id=self.writer.new_id("outbox_message"), association_id=self.id, key=key,
                        kind=kind, beneficiary_id=beneficiary_id, appointment_id=appointment_id,
                        journey_id=journey_id, ics=ics_text,
                        sender=self.mail.sender, reply_to=self.mail.reply_to, due_at=due_at, to_address=to,
                        subject=subject, text_body=text_body, html_body=html_body, secret_links="", status=status,
                        attempts=attempts, last_error="", created_at=at, next_attempt_at=next_attempt_at,
                        sent_at=sent_at, purged_at=purged_at)

    # --- exits and follow-ups ------------------------------------------------------------------------

    def _follow_ups(self, journey_id: int, beneficiary_id: int, first: str, email: str, exited_on: date,
                    journey: dict, audit: list) -> list[tuple[tuple, dict]]:
        """The follow-up mails a month and six months after the exit (send_follow_ups), to write once the
        journey is; and the answers, into `journey`."""
        mails = []
        rng, today = self.rng, self.network.today
        values = {"first": first, "coach": "", "module": "", "day": "", "hours": "", "start": "", "place": ""}
        escaped = {name: escape(value) for name, value in values.items()}
        for period, days in PERIODS.items():
            due = exited_on + timedelta(days=days)
            if due > today:
                break
            if period == "6m" and journey["follow_up_result"]:
                break
            if email:
                at = datetime.combine(due, time(0, 1), tzinfo=UTC)  # the tick compares with the UTC date
                mails.append(((f"follow_up_{period}", None, values, escaped),
                              {"to": email, "key": f"follow-up-{period}-{journey_id}", "at": at,
                               "beneficiary_id": beneficiary_id, "journey_id": journey_id}))
                answered_on = due + timedelta(days=rng.randrange(0, 10))
                if rng.random() < ANSWER_SHARE[period] and answered_on <= today:
                    answer = rng.choice(FollowUpAnswer.values())
                    journey[f"answer_{period}"] = answer
                    audit.append(("follow_up_answer", [f"journey:{journey_id}", f"answer_{period}"],
                                  self._local(answered_on, 19), None))
                    if period == "6m" and answer in RESULT_OF_ANSWER:
                        journey["follow_up_result"], journey["follow_up_on"] = RESULT_OF_ANSWER[answer], answered_on
            if period == "1m" and rng.random() < 0.15 and due + timedelta(days=60) <= today:
                # Some results are known to staff before the six-month mail (a phone call, a visit).
                journey["follow_up_result"] = rng.choice(("employment", "improved", "no_change"))
                journey["follow_up_on"] = due + timedelta(days=60)
        return mails

    def booking_links(self) -> None:
        """The personal link of each person booked by staff: the last one made, the earlier ones replaced."""
        for beneficiary_id, at in self.last_booking.items():
            digest = hashlib.sha256(f"bench-{self.number}-{beneficiary_id}".encode()).hexdigest()
            self.writer.add("booking_link", id=self.writer.new_id("booking_link"), association_id=self.id,
                            beneficiary_id=beneficiary_id, token_hash=digest, expires_at=at + timedelta(days=42),
                            revoked=False, created_at=at)


# --- command line -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    from flask_migrate import upgrade

    from config import _database_url

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--today", type=date.fromisoformat, default=None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--associations", type=int, default=None, help="instead of one per scale unit")
    parser.add_argument("--files", type=int, default=None, help="files in all, instead of 7,000 per scale unit")
    args = parser.parse_args(argv)
    url = args.database_url or _database_url()
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    app = app_for(url)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        started = clock.perf_counter()
        counts = build(args.scale, associations=args.associations, files=args.files, today=args.today,
                       seed=args.seed, log=lambda line: print(line, file=sys.stderr, flush=True))
        elapsed = clock.perf_counter() - started
        db.engine.dispose()
    for table, count in counts.items():
        print(f"rows_{table}: {count}")
    print(f"build_s: {elapsed:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
