"""Mail rows as `queue_mail` writes them, made fast enough for millions.

Rendering a template per message (and icalendar per invitation) would take hours at 100x, so each
template is rendered once per association and variant through the app's own path (the same blocks,
whitespace rules and link masking as `notifications.services.queue_mail`) with placeholders where
the person, the coach, the module, the day, the hours and the place go; each message then fills the
placeholders (HTML-escaped in the HTML part). The calendar invitation is written by `invitation()`,
a copy of what `notifications.ics.invitation` gives; tests/test_bench_scale.py compares both, and
compares generated messages with a fresh rendering through the app.
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

from flask import render_template
from flask_babel import force_locale
from icalendar.parser import Parameters

from intranet.clock import local
from intranet.dates import format_date, format_time
from intranet.followups.services import make_token
from intranet.journeys.models import FollowUpAnswer
from intranet.network.services import clean_sender_name, reply_address
from intranet.notifications.ics import PRODID, vtimezone
from intranet.rendering import render_text_block
from intranet.urls import external_url, mask_secret_links

# Placeholders: letters only (never escaped, never taken for a link), none inside another but HOURS,
# whose first five characters stand for `hours[:5]` (the start time), as the subjects use it.
FIELDS = {"first": "XqFIRSTqX", "coach": "XqCOACHqX", "module": "XqMODULEqX", "day": "XqDAYqX",
          "hours": "XqHOURSqX", "start": "XqHOU", "place": "XqPLACEqX", "at": "XqATqX"}


def _as_format(text: str) -> str:
    text = text.replace("{", "{{").replace("}", "}}")
    for name in ("first", "coach", "module", "day", "hours", "start", "place", "at"):  # HOURS before its prefix
        text = text.replace(FIELDS[name], "{" + name + "}")
    return text


class Stencil:
    """One template rendered with placeholders: subject, text and HTML as format strings."""

    def __init__(self, template: str, **context):
        name = f"emails/{template}.html"
        with force_locale("fr"):  # as queue_mail renders them (locale "fr" for every generated person)
            (subject, text, html), self.secret_links = mask_secret_links([
                " ".join(render_text_block(name, "subject", **context).split()),
                render_text_block(name, "text", **context).strip() + "\n",
                render_template(name, **context)])
        self.subject, self.text, self.html = _as_format(subject), _as_format(text), _as_format(html)

    def fill(self, values: dict, escaped: dict) -> tuple[str, str, str]:
        return (self.subject.format_map(values)[:255], self.text.format_map(values),
                self.html.format_map(escaped))

    def subject_of(self, values: dict) -> str:
        return self.subject.format_map(values)[:255]


class AssociationMail:
    """The stencils of one association's mails, and the values each message fills in."""

    def __init__(self, association: SimpleNamespace):
        self.association = association
        self.sender = clean_sender_name(association.mail_sender_name)
        self.reply_to = association.mail_reply_to
        person = SimpleNamespace(first_name=FIELDS["first"])
        coach = SimpleNamespace(name=FIELDS["coach"])
        appointment = SimpleNamespace(name=FIELDS["module"])
        # A staff booking mails a fresh personal link; stored masked, so one stencil serves every booking.
        link = external_url("selfbooking.home", token="bench" * 8)
        self.stencils: dict[tuple, Stencil] = {}
        for remote in (False, True):
            common = {"association": association, "appointment": appointment, "place": FIELDS["place"],
                      "day": FIELDS["day"], "hours": FIELDS["hours"], "at": FIELDS["at"], "remote": remote,
                      "replies": reply_address(association.mail_reply_to) is not None}
            # The generated moves change the time (never only the room or the coach).
            for kind in ("confirmed", "moved", "cancelled"):
                self.stencils[(f"appointment_{kind}", remote)] = Stencil(
                    f"appointment_{kind}", person=person, link=link if kind == "confirmed" else None,
                    changed="time", **common)
            self.stencils[("appointment_reminder", remote)] = Stencil("appointment_reminder", person=person,
                                                                      **common)
            for event in ("confirmed", "moved", "cancelled", "reminder"):
                self.stencils[(f"coach_{event}", remote)] = Stencil(
                    "coach_session", event=event, coach=coach, people=[person], changed="time", **common)
        for period in ("1m", "6m"):
            token = make_token(1, period)
            links = {answer: external_url("followups_public.answer", token=token, answer=answer)
                     for answer in FollowUpAnswer}
            self.stencils[(f"follow_up_{period}", None)] = Stencil(
                "follow_up", person=person, association=association, period=period, links=links)
        self._days: dict = {}

    def values(self, *, first: str, coach: str, module: str, starts_at: datetime, ends_at: datetime,
               place: str) -> tuple[dict, dict]:
        """The placeholders' values for one appointment (plain, and escaped for HTML)."""
        timezone = self.association.timezone
        start, end = local(starts_at, timezone), local(ends_at, timezone)
        day = start.date()
        if day not in self._days:  # the same formats as the app's mails (notifications.context.mail_context)
            self._days[day] = format_date(starts_at, "full", timezone=timezone, locale="fr")
        # format_hours and format_time in the zone, through the app's cache of local times of day.
        at = format_time(start.time(), locale="fr")
        hours = f"{at}–{format_time(end.time(), locale='fr')}"
        values = {"first": first, "coach": coach, "module": module, "day": self._days[day], "hours": hours,
                  "start": hours[:5], "place": place, "at": at}
        return values, {name: escape(value) for name, value in values.items()}

    def fill(self, kind: str, remote: bool | None, values: dict, escaped: dict) -> tuple[str, str, str]:
        return self.stencils[(kind, remote)].fill(values, escaped)

    def subject(self, kind: str, remote: bool | None, values: dict) -> str:
        """The subject alone: what the outbox keeps of a mail once its body is dropped."""
        return self.stencils[(kind, remote)].subject_of(values)


_HTML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "'": "&#39;", '"': "&#34;"})


def escape(value: str) -> str:
    """HTML-escape as Jinja (markupsafe) does, as a plain string."""
    return value.translate(_HTML)


# --- calendar invitations ---------------------------------------------------------------------------


def _text(value: str) -> str:
    """iCalendar TEXT escaping, as icalendar does it."""
    return (value.replace("\\N", "\n").replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def _fold(line: str, limit: int = 75) -> str:
    """Fold a content line at 75 octets, never splitting a character or a backslash escape (as icalendar)."""
    if len(line) < limit // 4 or (len(line) < limit and line.isascii()) or len(line.encode()) < limit:
        return line
    folded, current, count = [], [], 0
    for char in line:
        size = len(char.encode())
        if current and count + size >= limit:
            if len(current) > 1 and current[-1] in "\\^":
                carried = current.pop()
                folded.append("".join(current))
                current, count = [carried], len(carried.encode())
            else:
                folded.append("".join(current))
                current, count = [], 0
        current.append(char)
        count += size
    if current:
        folded.append("".join(current))
    return "\r\n ".join(folded)


_ZONES: dict[tuple[str, int, int], str] = {}


def _vtimezone(name: str, first_year: int, last_year: int) -> str:
    """The zone's VTIMEZONE as the app writes it (`notifications.ics.vtimezone`), made once per zone and years."""
    key = (name, first_year, last_year)
    if key not in _ZONES:
        _ZONES[key] = vtimezone(*key).to_ical().decode()
    return _ZONES[key]


def _address(name: str, email: str, params: dict) -> str:
    """An ORGANIZER or ATTENDEE value with its parameters, quoted and escaped as icalendar does."""
    return f"{Parameters({'CN': name, **params}).to_ical().decode()}:mailto:{email}"


ATTENDEE = {"ROLE": "REQ-PARTICIPANT", "PARTSTAT": "NEEDS-ACTION", "RSVP": "FALSE"}


def invitation(*, uid: str, starts_at: datetime, ends_at: datetime, timezone: str, summary: str, location: str,
               description: str, sequence: int, organizer: str, organizer_name: str, attendee: tuple[str, str],
               stamp: datetime, cancelled: bool = False) -> str:
    """The text `notifications.ics.invitation` gives for these values, its DTSTAMP being `stamp`."""
    start, end = local(starts_at, timezone), local(ends_at, timezone)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{_text(PRODID)}", f"METHOD:{'CANCEL' if cancelled else 'REQUEST'}"]
    head = "".join(_fold(line) + "\r\n" for line in lines) + _vtimezone(timezone, start.year, end.year)
    lines = ["BEGIN:VEVENT", f"SUMMARY:{_text(summary)}", f"DTSTART;TZID={timezone}:{start:%Y%m%dT%H%M%S}",
             f"DTEND;TZID={timezone}:{end:%Y%m%dT%H%M%S}", f"DTSTAMP:{stamp:%Y%m%dT%H%M%SZ}", f"UID:{_text(uid)}",
             f"SEQUENCE:{sequence}", f"ATTENDEE;{_address(*attendee, ATTENDEE)}"]
    if description:
        lines.append(f"DESCRIPTION:{_text(description)}")
    if location:
        lines.append(f"LOCATION:{_text(location)}")
    lines += [f"ORGANIZER;{_address(organizer_name, organizer, {})}", f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
              "END:VEVENT", "END:VCALENDAR"]
    return head + "".join(_fold(line) + "\r\n" for line in lines)
