"""The schema comes from the migrations only: they build exactly what the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import Config as AlembicConfig

from tests.conftest import ROOT


def test_migrations_leave_no_difference_with_the_models(db):
    # conftest emptied the database and ran every migration from nothing before the tests.
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
    assert diff == []


def test_the_database_is_at_the_single_head(db):
    config = AlembicConfig(str(ROOT / "migrations" / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1
    with db.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_heads() == tuple(heads)


def test_every_models_module_is_found_from_the_feature_list(app):
    import sys

    from intranet import models

    on_disk = {".".join(path.relative_to(ROOT).with_suffix("").parts) for path in (ROOT / "intranet").rglob("models.py")}
    found = set(models.import_all())
    assert on_disk - {"intranet.models"} <= found
    assert found <= set(sys.modules)
