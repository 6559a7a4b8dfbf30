"""Calendar invitations (.ics) for appointments, and the volunteers' calendar feed.

An invitation follows iTIP/iMIP (RFC 5546, RFC 6047) as Gmail, Outlook and Apple Calendar read it:
METHOD:REQUEST adds or updates the event, METHOD:CANCEL removes it (the mail's text/calendar part
carries the same method); the UID stays the appointment's across every update; SEQUENCE rises with
every change, a cancellation included, so each calendar keeps the latest; DTSTAMP says when it was
written; the ORGANIZER is the association (its name, at the address that reaches it) and the one
ATTENDEE is the person the mail goes to. Times are written in the association's time zone, with its
VTIMEZONE, so a calendar shows them right whatever its own zone.
"""

from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vCalAddress, vText

from intranet.clock import local, utcnow

PRODID = "-//Tremplin//Intranet du réseau//FR"


def _calendar(method: str | None = None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    if method:
        cal.add("method", method)
    return cal


@cache
def vtimezone(name: str, first_year: int, last_year: int) -> Timezone:
    """The zone's VTIMEZONE from the start of `first_year` to the end of `last_year`: its rules for the dates
    the events use, not fifty years of them."""
    return Timezone.from_tzinfo(ZoneInfo(name), first_date=date(first_year, 1, 1),
                                last_date=date(last_year + 1, 1, 1))


def _add_timezones(cal: Calendar, events: list[dict]) -> None:
    """One VTIMEZONE for each zone the events are written in, covering their years."""
    years: dict[str, list[int]] = {}
    for item in events:
        years.setdefault(item["timezone"], []).extend(
            (local(item["starts_at"], item["timezone"]).year, local(item["ends_at"], item["timezone"]).year))
    for name, found in sorted(years.items()):
        cal.add_component(vtimezone(name, min(found), max(found)))


def _address(email: str, name: str, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = name
    address.params.update(params)
    return address


def _event(*, uid: str, starts_at: datetime, ends_at: datetime, timezone: str, summary: str, location: str,
           description: str, sequence: int, organizer: str, organizer_name: str = "",
           attendee: tuple[str, str] | None = None, cancelled: bool = False) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", utcnow())
    event.add("dtstart", local(starts_at, timezone))
    event.add("dtend", local(ends_at, timezone))
    event.add("summary", summary)
    event.add("sequence", sequence)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if location:
        event["location"] = vText(location)
    if description:
        event.add("description", description)
    event["organizer"] = _address(organizer, organizer_name)
    if attendee is not None:
        name, email = attendee
        # No answer is expected: the association is told by its own means (a reply, a call, the personal link).
        event.add("attendee", _address(email, name, ROLE="REQ-PARTICIPANT", PARTSTAT="NEEDS-ACTION", RSVP="FALSE"))
    return event


def invitation(*, uid: str, starts_at: datetime, ends_at: datetime, timezone: str, summary: str, location: str,
               description: str, sequence: int, organizer: str, organizer_name: str, attendee: tuple[str, str],
               cancelled: bool = False) -> str:
    """One appointment as an .ics for one person (`attendee`: name, e-mail): METHOD:REQUEST to add or update
    it, METHOD:CANCEL to remove it."""
    cal = _calendar("CANCEL" if cancelled else "REQUEST")
    _add_timezones(cal, [{"timezone": timezone, "starts_at": starts_at, "ends_at": ends_at}])
    cal.add_component(_event(uid=uid, starts_at=starts_at, ends_at=ends_at, timezone=timezone, summary=summary,
                             location=location, description=description, sequence=sequence, organizer=organizer,
                             organizer_name=organizer_name, attendee=attendee, cancelled=cancelled))
    return cal.to_ical().decode()


def feed(name: str, events: list[dict]) -> bytes:
    """A subscribable calendar of several appointments (no METHOD: a published calendar)."""
    cal = _calendar()
    cal.add("x-wr-calname", name)
    _add_timezones(cal, events)
    for item in events:
        cal.add_component(_event(**item))
    return cal.to_ical()
