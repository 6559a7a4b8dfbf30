"""The partners' parts of the staff's daily digest: one's own next steps, referrals waiting too long."""

from datetime import date, datetime, timedelta

from flask_babel import gettext as _

from intranet.dates import format_date
from intranet.notifications.digest import DigestSection, digest_section
from intranet.partners import services
from intranet.partners.referrals import services as referrals
from intranet.urls import external_url


@digest_section("partners.next_steps")
def next_steps(association, user, membership, day: date, now: datetime) -> DigestSection | None:
    """The person's open next steps due by tomorrow (the digest's day): today's, tomorrow's, late ones."""
    steps = services.steps_due(association.id, user.id, day + timedelta(days=1))
    if not steps:
        return None
    lines = []
    for step in steps:
        when = format_date(step.next_step_due, "medium", locale=user.locale)
        late = _(" (en retard)") if step.next_step_due < day else ""
        lines.append(f"{when}{late} — {step.partner.name} : {step.next_step}")
    return DigestSection(title=_("Vos prochaines étapes avec les partenaires"), lines=lines,
                         url=external_url("partners.follow_ups", slug=association.slug),
                         url_label=_("À relancer"))


@digest_section("partners.stale_referrals")
def stale_referrals(association, user, membership, day: date, now: datetime) -> DigestSection | None:
    """Referrals received more than 7 days ago and still not handled."""
    waiting = referrals.stale(association.id, now)
    if not waiting:
        return None
    lines = [_("%(partner)s, reçue le %(date)s", partner=r.partner.name,
               date=format_date(r.received_on, "medium", locale=user.locale)) for r in waiting]
    return DigestSection(title=_("Orientations en attente depuis plus de 7 jours"), lines=lines,
                         url=external_url("referrals.inbox", slug=association.slug),
                         url_label=_("Ouvrir les orientations"))
