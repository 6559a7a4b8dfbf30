"""The migration that turns each association's free-text referrers into partners, the files keeping their text."""

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from tests.conftest import ROOT
from tests.factories import make_association

MIGRATIONS = str(ROOT / "migrations")


@pytest.mark.commits  # migrations run on their own connection
def test_free_text_referrers_become_partners_and_keep_their_text(app, db):
    bordeaux, lyon = make_association("bordeaux").id, make_association("lyon").id
    db.session.remove()  # the migration needs the database to itself (SQLite)
    downgrade(directory=MIGRATIONS, revision="0015_volunteers")  # just before the partners
    try:
        with db.engine.begin() as conn:
            for n, (association_id, referrer) in enumerate([
                    (bordeaux, "Mission Locale des Graves"), (bordeaux, "mission locale des graves "),
                    (bordeaux, "Pôle emploi Mérignac"), (bordeaux, "Chantier d’insertion Bastide"), (bordeaux, ""),
                    (lyon, "Mission Locale des Graves")]):
                conn.execute(text(
                    "INSERT INTO beneficiary (association_id, first_name, last_name, email, phone, postcode, commune, "
                    "contact_channel, consent_scope, referrer, target_job, notes, gender, labour_status, education_level,"
                    " disability, third_country_national, foreign_background, minority, homeless, rural, search_key, "
                    "status, active, created_at, updated_at) VALUES (:a, 'P', :n, '', '', '', '', 'email', '', :r, '', '',"
                    " '', '', '', '', '', '', '', '', '', '', 'new', :yes, :at, :at)"),
                    {"a": association_id, "n": f"N{n}", "r": referrer, "yes": True, "at": "2026-01-01 10:00:00"})
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as conn:
            partners = conn.execute(text("SELECT association_id, name, kind, stage FROM partner ORDER BY association_id, name")).all()
            files = conn.execute(text("SELECT b.referrer, p.name FROM beneficiary b LEFT JOIN partner p "
                                      "ON p.id = b.referrer_partner_id ORDER BY b.last_name")).all()
            changes = conn.execute(text("SELECT count(*) FROM stage_change WHERE to_stage = 'active'")).scalar()
    finally:
        with db.engine.begin() as conn:
            for table in ("stage_change", "beneficiary", "partner"):
                conn.execute(text(f"DELETE FROM {table}"))
    assert [tuple(p) for p in partners] == [
        (bordeaux, "Chantier d’insertion Bastide", "siae", "active"),
        (bordeaux, "Mission Locale des Graves", "mission_locale", "active"),
        (bordeaux, "Pôle emploi Mérignac", "france_travail", "active"),
        (lyon, "Mission Locale des Graves", "mission_locale", "active")]
    assert [tuple(f) for f in files] == [
        ("Mission Locale des Graves", "Mission Locale des Graves"),
        ("mission locale des graves ", "Mission Locale des Graves"),
        ("Pôle emploi Mérignac", "Pôle emploi Mérignac"), ("Chantier d’insertion Bastide", "Chantier d’insertion Bastide"),
        ("", None), ("Mission Locale des Graves", "Mission Locale des Graves")]
    assert changes == 4
