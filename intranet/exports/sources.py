"""What can be exported: each source reads its list's filters, builds its query and names its columns in French.

The beneficiaries and the appointments are here; the volunteers and their hours (`volunteer_sources`) and the
partners, their contact log and the referrals (`partner_sources`) have modules of their own.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import aliased
from werkzeug.datastructures import MultiDict

from intranet.args import _int, parse_date
from intranet.auth.models import User
from intranet.beneficiaries import services as beneficiaries
from intranet.beneficiaries.models import Beneficiary, BeneficiaryStatus
from intranet.calendar.models import Appointment, AppointmentStatus, Seat, SeatStatus
from intranet.clock import local, to_utc, today_in
from intranet.exports.files import Table
from intranet.network.models import Association
from intranet.programs.models import Mode


@dataclass(frozen=True)
class Source:
    name: str
    title: str
    headers: list[str]
    filters: Callable[[MultiDict], dict]  # the list's query arguments -> the settings kept with the job
    query: Callable[[Association, dict], Select]  # rows for those settings, ordered by a unique key
    row: Callable[[Association, object], list]
    # A chunk of the query's rows -> what `row` reads, in a constant few queries a chunk (None: the rows).
    batch: Callable[[Association, dict, list], list] | None = None
    role: str = "staff"  # who may see the list, so export it


SOURCES: dict[str, Source] = {}


def export_source(source: Source) -> Source:
    SOURCES[source.name] = source
    return source


@dataclass(frozen=True)
class Report:
    """A file of the network office's, always written by a job: `count(settings)` rows to come, then
    `tables(settings, seen)` the file's tables (a CSV is the first one), their rows read as they are written and
    `seen()` called after each counted row."""

    name: str
    title: str
    count: Callable[[dict], int]
    tables: Callable[[dict, Callable[[], None]], list[Table]]


REPORTS: dict[str, Report] = {}


def export_report(report: Report) -> Report:
    REPORTS[report.name] = report
    return report


# --- beneficiaries: the list's filters ------------------------------------------------------------------------

def _beneficiary_filters(args: MultiDict) -> dict:
    status = args.get("status", "")
    return {"q": args.get("q", "").strip()[:100], "status": status if status in BeneficiaryStatus.values() else "",
            "program_id": _int(args.get("program"), 1, 2**31 - 1), "referrer": args.get("referrer", "").strip()[:160],
            "interview_soon": args.get("interview") == "soon", "inactive": args.get("inactive") == "1",
            "sort": args.get("sort") if args.get("sort") in beneficiaries.SORTS else "interview"}


def _beneficiary_query(association: Association, settings: dict) -> Select:
    query = beneficiaries.search(association.id, beneficiaries.Filters(**settings), today_in(association.timezone))
    return query.order_by(None).order_by(Beneficiary.id)


export_source(Source(
    "beneficiaries", "beneficiaires",
    ["N° de fiche", "Prénom", "Nom", "E-mail", "Téléphone", "Code postal", "Commune", "Statut", "Prescripteur",
     "Métier visé", "Entretien le", "Fiche créée le", "Active"],
    _beneficiary_filters, _beneficiary_query,
    lambda association, b: [b.id, b.first_name, b.last_name, b.email, b.phone, b.postcode, b.commune,
                            str(BeneficiaryStatus.label_of(b.status)), b.referrer, b.target_job, b.interview_on,
                            local(b.created_at, association.timezone).date(), "Oui" if b.active else "Non"]))


# --- appointments: one row per person and appointment ---------------------------------------------------------

def _appointment_filters(args: MultiDict) -> dict:
    first = parse_date(args.get("from")) or date.today().replace(day=1)
    last = parse_date(args.get("to")) or first + timedelta(days=30)
    first, last = min(first, last), max(first, last)
    return {"from": first.isoformat(), "to": min(last, first + timedelta(days=366 * 5)).isoformat()}


def _appointment_query(association: Association, settings: dict) -> Select:
    start = to_utc(date.fromisoformat(settings["from"]), time(0), association.timezone)
    end = to_utc(date.fromisoformat(settings["to"]) + timedelta(days=1), time(0),
                 association.timezone)
    coach = aliased(User)
    return (select(Appointment, Seat, Beneficiary, coach.name)
            .join(Seat, Seat.appointment_id == Appointment.id)
            .join(Beneficiary, Beneficiary.id == Seat.beneficiary_id)
            .join(coach, coach.id == Appointment.volunteer_id)
            .where(Appointment.association_id == association.id, Appointment.starts_at >= start,
                   Appointment.starts_at < end)
            .order_by(Appointment.starts_at, Appointment.id, Seat.id))


def _appointment_row(association: Association, row) -> list:
    appointment, seat, person, coach = row
    starts, ends = local(appointment.starts_at, association.timezone), local(appointment.ends_at, association.timezone)
    return [starts.date(), starts.strftime("%H:%M"), ends.strftime("%H:%M"), appointment.name,
            str(Mode.label_of(appointment.mode)), str(AppointmentStatus.label_of(appointment.status)),
            "Oui" if appointment.capacity > 1 else "Non", coach, person.id, person.first_name, person.last_name,
            str(SeatStatus.label_of(seat.status))]


export_source(Source(
    "appointments", "rendez-vous",
    ["Date", "Début", "Fin", "Séance", "Mode", "Statut de la séance", "Collective", "Intervenant·e", "N° de fiche",
     "Prénom", "Nom", "Place"],
    _appointment_filters, _appointment_query, _appointment_row))
