"""Command-line tools: create a network-office account, load the demo network."""

import re

import click
from flask import Blueprint

from intranet.auth.models import User
from intranet.auth.services import find_user, normalize_email, password_problem, set_password
from intranet.extensions import db

bp = Blueprint("cli", __name__, cli_group=None)


@bp.cli.command("create-admin")
@click.option("--email", prompt="Adresse e-mail")
@click.option("--name", prompt="Nom")
@click.password_option("--password", prompt="Mot de passe", confirmation_prompt="Confirmez")
def create_admin(email: str, name: str, password: str) -> None:
    """Create (or promote) a network-office user."""
    user = find_user(email) or User(email=normalize_email(email), name=name)
    user.name, user.is_network_office, user.active = name, True, True
    problem = password_problem(password, user)
    if problem:
        db.session.rollback()
        raise click.BadParameter(problem, param_hint="--password")
    set_password(user, password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"Compte tête de réseau prêt : {user.email}")


@bp.cli.command("demo-data")
@click.option("--if-empty", is_flag=True, help="Ne rien faire si la base contient déjà des comptes.")
def demo_data(if_empty: bool) -> None:
    """Load the demo network (safe to run again)."""
    from intranet.demo import load_demo

    if if_empty and db.session.scalar(db.select(User.id).limit(1)) is not None:
        click.echo("La base contient déjà des données : démo non chargée.")
        return
    load_demo()
    click.echo("Réseau de démonstration prêt. Mot de passe de chaque compte : tremplin-demo")


@bp.cli.command("import-communes")
@click.argument("csv_file", type=click.File(encoding="utf-8-sig"))
def import_communes(csv_file) -> None:
    """Load communes with their rural flag (CSV: code_postal;commune;rural with rural 1/0 or oui/non)."""
    import csv

    from intranet.beneficiaries.services import import_communes as load

    rows = []
    for line, row in enumerate(csv.reader(csv_file, delimiter=";"), start=1):
        if line == 1 and not re.fullmatch(r"[0-9]+", row[0].strip()):
            continue  # header
        if len(row) < 3 or not re.fullmatch(r"[0-9]{5}", row[0].strip()):
            raise click.BadParameter(f"ligne {line} : attendu code_postal;commune;rural", param_hint="CSV_FILE")
        rows.append((row[0], row[1], row[2].strip().lower() in ("1", "oui", "yes", "true", "rural")))
    count = load(rows)
    db.session.commit()
    click.echo(f"{count} communes chargées.")
