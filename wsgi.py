"""Entry point for gunicorn (`gunicorn wsgi:app`) and the flask command."""

from intranet import create_app

app = create_app()
