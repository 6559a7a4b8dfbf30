"""What the calendar tells other features: a session booked, moved, cancelled, a place freed.

Sent by `calendar.booking` inside the transaction, once the change is flushed, with the objects
themselves; a receiver writes in the same transaction (an outbox row, a reminder), so the caller's
commit keeps both, or its rollback neither. The sender is the association. The calendar knows no
receiver: features that react (notifications) connect theirs when the app is set up.
"""

from blinker import Namespace

_signals = Namespace()

# Every signal carries `change`: the history entry (AppointmentEvent) the change wrote. Each change writes
# exactly one, under the appointment's lock, so receivers tell changes apart by their history (notifications
# number them, `notifications.context.sequence`), never by the appointment's time or place, which a later
# change may bring back.

# appointment, beneficiary, link_url (the personal link in use, for a self-booking), self_service, now,
# change, new_session (False when the person joined a collective session already there)
appointment_booked = _signals.signal("appointment-booked")
# appointment, change, previous_starts_at, previous_volunteer_id, previous_resource_id (at least one differs)
appointment_moved = _signals.signal("appointment-moved")
# appointment, beneficiaries (the people to tell), moving (True when freed for a move by the person), change;
# also sent when a planned session is excused before it begins: it will not take place either
appointment_cancelled = _signals.signal("appointment-cancelled")
# appointment, seat (a collective session goes on without this person), moving, change
seat_cancelled = _signals.signal("seat-cancelled")
# appointment, status (what happened: done, no_show, excused, cancelled), previous, reason, change
appointment_status_changed = _signals.signal("appointment-status-changed")
