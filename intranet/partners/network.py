"""Read-only queries of the network office over every association's partners (never from an association route)."""

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from intranet.extensions import db
from intranet.network.models import Association
from intranet.partners.models import Partner
from intranet.partners.referrals.models import Referral, ReferralStatus
from intranet.search import matches


def partners(*, q: str = "", kind: str = "", department: str = ""):
    """Every association's active partners, by name, then association."""
    query = select(Partner, Association.name).join(Association, Association.id == Partner.association_id).where(
        Partner.active.is_(True), Association.active.is_(True))
    if q.strip():
        query = query.where(matches(Partner.search_key, q))
    if kind:
        query = query.where(Partner.kind == kind)
    if department:
        query = query.where(Partner.department_code == department)
    return select(Partner).options(joinedload(Partner.association)).where(
        Partner.id.in_(query.with_only_columns(Partner.id))).order_by(Partner.name_key, Partner.association_id, Partner.id)


def departments() -> list[str]:
    return list(db.session.scalars(select(Partner.department_code).where(Partner.department_code != "")
                                   .distinct().order_by(Partner.department_code)))


@dataclass
class Duplicate:
    """The same organisation known to several associations."""

    reason: str  # "siret" or "name"
    key: str
    partners: list[Partner]


def duplicates(limit: int = 50) -> list[Duplicate]:
    """Organisations several associations work with: same SIRET, or same folded name and postcode."""
    found: list[Duplicate] = []
    same_siret = (select(Partner.siret).where(Partner.siret != "", Partner.active.is_(True))
                  .group_by(Partner.siret).having(func.count(func.distinct(Partner.association_id)) > 1).limit(limit))
    same_name = (select(Partner.name_key, Partner.postcode).where(Partner.active.is_(True), Partner.postcode != "")
                 .group_by(Partner.name_key, Partner.postcode)
                 .having(func.count(func.distinct(Partner.association_id)) > 1).limit(limit))
    sirets = list(db.session.scalars(same_siret))
    names = [tuple(row) for row in db.session.execute(same_name)]
    if not sirets and not names:
        return []
    conditions = []
    if sirets:
        conditions.append(Partner.siret.in_(sirets))
    for name_key, postcode in names:
        conditions.append((Partner.name_key == name_key) & (Partner.postcode == postcode))
    rows = list(db.session.scalars(select(Partner).options(joinedload(Partner.association))
                                   .where(Partner.active.is_(True), or_(*conditions))
                                   .order_by(Partner.association_id, Partner.id)))
    seen: set[int] = set()
    for siret in sirets:
        group = [p for p in rows if p.siret == siret]
        seen.update(p.id for p in group)
        found.append(Duplicate("siret", siret, group))
    for name_key, postcode in names:
        group = [p for p in rows if p.name_key == name_key and p.postcode == postcode]
        if {p.id for p in group} <= seen:
            continue
        found.append(Duplicate("name", f"{group[0].name} ({postcode})", group))
    return found


def referral_figures(by: str = "kind") -> list[tuple[str, int, int, int]]:
    """Referrals received, accepted and refused network-wide, by partner kind (or department)."""
    key = Partner.department_code if by == "department" else Partner.kind
    return [tuple(row) for row in db.session.execute(
        select(key, func.count(), func.count().filter(Referral.status == ReferralStatus.ACCEPTED),
               func.count().filter(Referral.status == ReferralStatus.REFUSED))
        .join(Partner, Partner.id == Referral.partner_id).group_by(key).order_by(key))]
