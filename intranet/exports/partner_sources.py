"""Exports of the partners' pages: the directory as filtered, the contact log of those partners, the referrals' inbox."""

from sqlalchemy import Select, select
from sqlalchemy.orm import aliased, joinedload
from werkzeug.datastructures import MultiDict

from intranet.args import _int
from intranet.auth.models import User
from intranet.beneficiaries.models import YesNo
from intranet.clock import local, today_in
from intranet.exports.sources import Source, export_source
from intranet.extensions import db
from intranet.network.models import Association
from intranet.partners import services as partners
from intranet.partners.models import (
    Interaction,
    InteractionKind,
    Partner,
    PartnerContact,
    PartnerKind,
    PartnerStage,
    interaction_contact,
)
from intranet.partners.referrals import services as referrals
from intranet.partners.referrals.models import CandidateSituation, Referral, ReferralStatus, RefusalReason


def _yes(value: bool) -> str:
    return "Oui" if value else "Non"


# --- the directory ----------------------------------------------------------------------------------------------


def _partner_filters(args: MultiDict) -> dict:
    """The directory page's filters (partners.views._filters), read from its query string."""

    def choice(name: str, values) -> str:
        value = args.get(name, "")
        return value if value in values else ""

    return {"q": args.get("q", "").strip()[:100], "kind": choice("kind", PartnerKind.values()),
            "stage": choice("stage", PartnerStage.values()), "rural": choice("rural", YesNo.values()),
            "overdue": args.get("overdue") == "1", "inactive": args.get("inactive") == "1",
            "sort": choice("sort", partners.SORTS) or "name"}


def _partner_query(association: Association, settings: dict) -> Select:
    return partners.search(association.id, partners.Filters(**settings), today_in(association.timezone))


def _partner_batch(association: Association, settings: dict, chunk: list) -> list:
    facts = partners.row_facts([p.id for p in chunk])
    return [(p, facts[p.id]) for p in chunk]


def _partner_row(association: Association, item) -> list:
    p, facts = item
    return [p.id, p.name, str(PartnerKind.label_of(p.kind)), str(PartnerStage.label_of(p.stage)), p.address,
            p.postcode, p.commune, p.department_code, str(YesNo.label_of(p.rural, "")), p.website, p.siret,
            _yes(p.active), facts.last_on, facts.next_due, facts.next_step,
            local(p.created_at, association.timezone).date(), p.notes]


export_source(Source(
    "partners", "partenaires",
    ["N° du partenaire", "Nom", "Type", "Étape de la relation", "Adresse", "Code postal", "Commune", "Département",
     "Zone rurale", "Site", "SIRET", "Actif", "Dernier échange", "Prochaine étape le", "Prochaine étape",
     "Ajouté le", "Notes"],
    _partner_filters, _partner_query, _partner_row, batch=_partner_batch))


# --- the contact log of the listed partners ---------------------------------------------------------------------


def _interaction_query(association: Association, settings: dict) -> Select:
    listed = _partner_query(association, settings).with_only_columns(Partner.id).order_by(None)
    author, owner = aliased(User), aliased(User)
    return (select(Interaction, Partner.name.label("partner"), author.name.label("author"), owner.name.label("owner"))
            .join(Partner, Partner.id == Interaction.partner_id)
            .outerjoin(author, author.id == Interaction.author_id)
            .outerjoin(owner, owner.id == Interaction.next_step_owner_id)
            .where(Interaction.association_id == association.id, Interaction.partner_id.in_(listed))
            .order_by(Interaction.happened_on.desc(), Interaction.id.desc()))


def _interaction_batch(association: Association, settings: dict, chunk: list) -> list:
    """Each exchange with the names of the partner's people who took part (one query a chunk)."""
    people: dict[int, list[str]] = {}
    ids = [row[0].id for row in chunk]
    for interaction_id, name in db.session.execute(
            select(interaction_contact.c.interaction_id, PartnerContact.name)
            .join(PartnerContact, PartnerContact.id == interaction_contact.c.contact_id)
            .where(interaction_contact.c.interaction_id.in_(ids)).order_by(PartnerContact.name)) if ids else []:
        people.setdefault(interaction_id, []).append(name)
    return [(*row, people.get(row[0].id, [])) for row in chunk]


def _interaction_row(association: Association, item) -> list:
    interaction, partner, author, owner, contacts = item
    done = interaction.next_step_done_at
    return [interaction.happened_on, partner, str(InteractionKind.label_of(interaction.kind)), author or "",
            ", ".join(contacts), interaction.summary, interaction.next_step, interaction.next_step_due, owner or "",
            local(done, association.timezone).date() if done else None]


export_source(Source(
    "interactions", "echanges-partenaires",
    ["Date", "Partenaire", "Échange", "Par", "Personnes du partenaire", "Résumé", "Prochaine étape",
     "Prochaine étape le", "Responsable de la prochaine étape", "Prochaine étape faite le"],
    _partner_filters, _interaction_query, _interaction_row, batch=_interaction_batch))


# --- referrals ----------------------------------------------------------------------------------------------------


def _referral_filters(args: MultiDict) -> dict:
    """The inbox's tab and partner."""
    tab = args.get("tab", "")
    return {"tab": tab if tab in referrals.INBOX_TABS else "open", "partner_id": _int(args.get("partner"), 1, 2**31 - 1)}


def _referral_query(association: Association, settings: dict) -> Select:
    return (referrals.inbox(association.id, settings["tab"], settings["partner_id"])
            .options(joinedload(Referral.handled_by).load_only(User.name)))


def _referral_row(association: Association, r: Referral) -> list:
    return [local(r.received_at, association.timezone).date(), str(ReferralStatus.label_of(r.status)),
            r.partner.name, r.referrer_name, r.referrer_email, r.referrer_phone, r.first_name, r.last_name, r.email,
            r.phone, r.postcode, str(CandidateSituation.label_of(r.situation, "")), r.reason, r.availability,
            r.interview_on, local(r.handled_at, association.timezone).date() if r.handled_at else None,
            r.handled_by.name if r.handled_by else "", str(RefusalReason.label_of(r.refusal_reason, "")),
            r.refusal_note, r.beneficiary_id]


export_source(Source(
    "referrals", "orientations",
    ["Reçue le", "État", "Partenaire", "Orienté·e par", "E-mail de l’orienteur·rice", "Téléphone de l’orienteur·rice",
     "Prénom", "Nom", "E-mail", "Téléphone", "Code postal", "Situation", "Motif", "Disponibilités",
     "Entretien d’embauche le", "Traitée le", "Traitée par", "Motif du refus", "Précision sur le refus",
     "N° de fiche"],
    _referral_filters, _referral_query, _referral_row))
