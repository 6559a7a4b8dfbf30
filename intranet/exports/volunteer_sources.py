"""Exports of the volunteers' pages: the directory as filtered, and the hours and their value for a year or a month."""

from datetime import date

from sqlalchemy import Select
from werkzeug.datastructures import MultiDict

from intranet.args import _int
from intranet.clock import local, today_in, utcnow
from intranet.exports.sources import Source, export_source
from intranet.network.models import Association
from intranet.volunteers import directory, hours
from intranet.volunteers.gate import qualification_names
from intranet.volunteers.models import VolunteerStatus

# --- the directory ----------------------------------------------------------------------------------------------


def _directory_filters(args: MultiDict) -> dict:
    """The directory page's filters (volunteers.views._filters), read from its query string."""
    status, sort = args.get("status", ""), args.get("sort", "")
    return {"q": args.get("q", "").strip()[:100], "status": status if status in directory.STATUSES else "",
            "qualification": args.get("qualification", "").strip()[:60], "expiring": args.get("expiring") == "1",
            "weekday": _int(args.get("weekday"), 0, 6), "idle": args.get("idle") == "1",
            "sort": sort if sort in directory.SORTS else "name"}


def _directory_query(association: Association, settings: dict) -> Select:
    return directory.search(association.id, directory.Filters(**settings), today_in(association.timezone), utcnow())


def _directory_batch(association: Association, settings: dict, memberships: list) -> list:
    names = qualification_names(association.id)
    rows = directory.rows(association.id, memberships, today_in(association.timezone), utcnow())
    return [(row, names) for row in rows]


def _directory_row(association: Association, item) -> list:
    row, names = item
    profile, user = row.profile, row.membership.user
    held = ", ".join(names.get(q.code, q.code) + (f" (jusqu’au {q.valid_until:%d/%m/%Y})" if q.valid_until else "")
                     for q in row.qualifications)
    return [user.name, user.email, profile.phone if profile else "", str(VolunteerStatus.label_of(row.status)),
            profile.skills if profile else "", profile.languages if profile else "", held,
            local(row.last_session, association.timezone).date() if row.last_session else None,
            profile.joined_on if profile else None]


export_source(Source(
    "volunteers", "benevoles",
    ["Nom", "E-mail", "Téléphone", "Statut", "Compétences", "Langues", "Habilitations", "Dernière séance",
     "Bénévole depuis le"],
    _directory_filters, _directory_query, _directory_row, batch=_directory_batch))


# --- hours and their value --------------------------------------------------------------------------------------


def _hours_filters(args: MultiDict) -> dict:
    """The hours page's year and month (the whole year when no month is chosen)."""
    return {"year": _int(args.get("year"), 2000, 2100) or date.today().year, "month": _int(args.get("month"), 1, 12)}


def _scope(association: Association, settings: dict, user_ids: list[int] | None = None) -> hours.Scope:
    first, last = hours.period(settings["year"], settings["month"])
    return hours.Scope(first, last, [association.id], user_ids=user_ids)


def _hours_query(association: Association, settings: dict) -> Select:
    return hours.people(_scope(association, settings))


def _hours_batch(association: Association, settings: dict, people: list) -> list:
    found = hours.totals(_scope(association, settings, [person.id for person in people]), "user")
    return [(person, found.get((association.id, person.id), hours.Totals())) for person in people]


def _hours_row(association: Association, item) -> list:  # the columns follow hours.KINDS
    person, totals = item
    return [person.name, person.email, *(totals.hours(kind) for kind in hours.KINDS), totals.hours(), totals.euros]


export_source(Source(
    "volunteer_hours", "heures-benevoles",
    ["Bénévole", "E-mail", "Séances d’accompagnement (h)", "Formations suivies (h)", "Autres activités (h)",
     "Total (h)", "Valorisation (€)"],
    _hours_filters, _hours_query, _hours_row, batch=_hours_batch))
