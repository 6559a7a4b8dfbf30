"""The background steps of an import (read, dry run, commit) and the daily clean-up of old files."""

import logging
from datetime import datetime

from flask_babel import gettext as _

from intranet import jobs, progress
from intranet.extensions import db
from intranet.imports import services
from intranet.imports.models import BatchStatus, ImportBatch

log = logging.getLogger(__name__)


def run(batch_id: int) -> None:
    """Do the step the batch waits for; a failed commit writes nothing and says so on the batch."""
    batch = db.session.get(ImportBatch, batch_id, with_for_update=True)
    if batch is None:
        return
    if batch.status == BatchStatus.READING:
        services.read(batch, batch.options.get("chosen"))
    elif batch.status == BatchStatus.CHECKING:
        services.check(batch)
    elif batch.status == BatchStatus.COMMITTING:
        try:
            services.commit(batch)
        except Exception:
            log.exception("import %s failed", batch_id)
            db.session.rollback()
            batch = db.session.get(ImportBatch, batch_id)
            if batch is None:
                return
            batch.status = BatchStatus.FAILED
            batch.error = _("L’import a échoué : rien n’a été enregistré. Vérifiez le fichier à nouveau, puis "
                            "relancez l’import.")
    progress.clear(services.PROGRESS, batch_id)


@jobs.periodic("imports_purge")
def purge_old_files(now: datetime) -> int:
    return services.purge(now)
