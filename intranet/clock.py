"""Time in one place: stored in UTC, shown in the association's time zone."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

# The dates the app computes with: far enough for any birth or booking, and far from the year
# limits of Python's datetime, where a time-zone conversion would overflow.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2200, 12, 31)


def utcnow() -> datetime:
    """Return the current time, aware, in UTC."""
    return datetime.now(UTC)


def in_window(day: date) -> bool:
    """Tell whether a date lies between FIRST_DAY and LAST_DAY, where time-zone arithmetic is safe."""
    return FIRST_DAY <= day <= LAST_DAY


def today_in(timezone: str) -> date:
    """Today's date where the association is (Europe/Paris, Indian/Reunion…)."""
    return datetime.now(ZoneInfo(timezone)).date()


def to_utc(day: date, at: time, timezone: str) -> datetime:
    """The UTC instant of a wall-clock time in a time zone (10:00 in Paris stays 10:00 across DST)."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def local(moment: datetime, timezone: str) -> datetime:
    """A UTC instant as wall-clock time in a time zone."""
    return moment.astimezone(ZoneInfo(timezone))


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back as an aware datetime."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC time is required")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:  # SQLite keeps no offset
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
