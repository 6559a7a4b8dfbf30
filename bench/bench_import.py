"""Import of a generated 20,000-row, 30-column CSV of candidates: reading, dry run and commit.

`import_rows_per_s` is the rows of the file over the time of the whole import (reading the file and
suggesting the mapping, the dry run, the commit in one transaction); `import_vs_csv_read_ratio` is
that time over a bare `csv` module read of the same bytes (lower is better). The database is a
temporary SQLite file, or a scratch PostgreSQL database when DATABASE_URL is set.
"""

import csv
import io
import os
import random
import tempfile
import time

from flask_migrate import upgrade

from bench.scratch import database
from config import TestConfig
from intranet import create_app
from intranet.extensions import db

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", 20_000))
FIRST = ["Hélène", "Lucas", "Aïcha", "Mamadou", "Léa", "Théo", "Chloé", "Yanis", "Manon", "Bilal", "Inès", "Noah"]
LAST = ["DIALLO", "Martin", "BONNET", "Da Silva", "Traoré", "ROUSSEAU", "Nguyen", "Chevalier", "Lefèvre", "Roux"]
CIVILITY = ["Mme", "MME", "Madame", "M.", "Monsieur", "Mr"]
STATUS = ["en cours", "Terminé", "Abandon", "à recontacter", ""]


def generate(rows: int = ROWS) -> bytes:
    """A file like the associations' sheets: 14 columns Tremplin reads, 16 it does not."""
    rng = random.Random(14)
    headers = ["Civilité", "NOM", "Prénom", "Tél", "Mail", "Date de naiss.", "CP", "Ville", "Orienté par",
               "Statut", "Coaching image", "Coaching RH", "Photo", "Remarques"] + [f"Colonne libre {i}" for i in range(16)]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(headers)
    for i in range(rows):
        day = f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1960, 2004)}"
        writer.writerow([rng.choice(CIVILITY), rng.choice(LAST), rng.choice(FIRST), f"06 {i // 10000 + 10} {i % 10000 // 100:02d} {i % 100:02d} {rng.randint(10, 99)}",
                         f"personne{i}@exemple.fr", day, f"{rng.randint(1000, 95999):05d}", "Bordeaux", "France Travail",
                         rng.choice(STATUS), f"{rng.randint(1, 28):02d}/09/2024", "", "5 octobre 2024", "RAS"]
                        + [f"valeur {rng.randint(0, 999)}" for _ in range(16)])
    return out.getvalue().encode("utf-8")


def run() -> dict:
    import intranet.jobs
    from intranet.imports import jobs, services
    from tests.factories import make_association

    intranet.jobs.enqueue = lambda path, *args: True  # each step is run and timed here, not in a thread

    data = generate()
    start = time.perf_counter()
    for _ in range(3):
        rows = sum(1 for _row in csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=";"))
    bare = (time.perf_counter() - start) / 3
    assert rows == ROWS + 1
    with database("imports") as url, tempfile.TemporaryDirectory(prefix="tremplin-imports-") as folder:
        class Settings(TestConfig):
            SQLALCHEMY_DATABASE_URI = url
            IMPORTS_FOLDER = folder

        app = create_app(Settings)
        with app.app_context():
            upgrade(directory=app.extensions["migrate"].directory)
            association = make_association("bench-imports")
            timings = {}
            start = time.perf_counter()
            batch = services.upload(association.id, None, "beneficiaries", "generated.csv", data)
            db.session.commit()
            batch_id = batch.id
            jobs.run(batch_id)
            db.session.commit()
            timings["read"] = time.perf_counter() - start
            batch = db.session.get(services.ImportBatch, batch_id)
            services.save_mapping(batch, dict(batch.mapping["columns"]), {}, "accompaniment_esf")
            db.session.commit()
            start = time.perf_counter()
            jobs.run(batch_id)
            db.session.commit()
            timings["check"] = time.perf_counter() - start
            batch = db.session.get(services.ImportBatch, batch_id)
            assert batch.status == "checked", batch.error
            services.start_commit(batch)
            db.session.commit()
            start = time.perf_counter()
            jobs.run(batch_id)
            db.session.commit()
            timings["commit"] = time.perf_counter() - start
            batch = db.session.get(services.ImportBatch, batch_id)
            assert batch.status == "committed", batch.error
            created = batch.counts.get("create", 0)
            db.session.remove()
            db.engine.dispose()
    total = sum(timings.values())
    return {
        "import_rows_per_s": ROWS / total,
        "import_read_s": timings["read"],
        "import_dry_run_s": timings["check"],
        "import_commit_s": timings["commit"],
        "import_rows_created": created,
        "import_vs_csv_read_ratio": total / bare,
    }
