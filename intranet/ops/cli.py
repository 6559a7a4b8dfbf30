"""Command-line tools: create a network-office account, load the demo network."""

import click
from flask import Blueprint

from intranet.auth.models import User
from intranet.auth.services import MIN_PASSWORD_LENGTH, find_user, normalize_email, set_password
from intranet.extensions import db

bp = Blueprint("cli", __name__, cli_group=None)


@bp.cli.command("create-admin")
@click.option("--email", prompt="Adresse e-mail")
@click.option("--name", prompt="Nom")
@click.password_option("--password", prompt="Mot de passe", confirmation_prompt="Confirmez")
def create_admin(email: str, name: str, password: str) -> None:
    """Create (or promote) a network-office user."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.BadParameter(f"au moins {MIN_PASSWORD_LENGTH} caractères", param_hint="--password")
    user = find_user(email) or User(email=normalize_email(email), name=name)
    user.name, user.is_network_office, user.active = name, True, True
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
