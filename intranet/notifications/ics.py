"""Calendar invitations (.ics) for appointments, and the volunteers' calendar feed."""

from datetime import datetime

from icalendar import Calendar, Event, vCalAddress, vText

from intranet.clock import utcnow

PRODID = "-//Tremplin//Intranet du réseau//FR"


def _calendar(method: str | None = None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    if method:
        cal.add("method", method)
    return cal


def _event(*, uid: str, starts_at: datetime, ends_at: datetime, summary: str, location: str, description: str,
           sequence: int, organizer: str, cancelled: bool = False) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", utcnow())
    event.add("dtstart", starts_at)
    event.add("dtend", ends_at)
    event.add("summary", summary)
    event.add("sequence", sequence)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if location:
        event["location"] = vText(location)
    if description:
        event.add("description", description)
    organizer_address = vCalAddress(f"mailto:{organizer}")
    event["organizer"] = organizer_address
    return event


def invitation(*, uid: str, starts_at: datetime, ends_at: datetime, summary: str, location: str, description: str,
               sequence: int, organizer: str, cancelled: bool = False) -> str:
    """One appointment as an .ics: METHOD:REQUEST to add or update it, METHOD:CANCEL to remove it."""
    cal = _calendar("CANCEL" if cancelled else "REQUEST")
    cal.add_component(_event(uid=uid, starts_at=starts_at, ends_at=ends_at, summary=summary, location=location,
                             description=description, sequence=sequence, organizer=organizer, cancelled=cancelled))
    return cal.to_ical().decode()


def feed(name: str, events: list[dict]) -> bytes:
    """A subscribable calendar of several appointments (no METHOD: a published calendar)."""
    cal = _calendar()
    cal.add("x-wr-calname", name)
    for item in events:
        cal.add_component(_event(**item))
    return cal.to_ical()
