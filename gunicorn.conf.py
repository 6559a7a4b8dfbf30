"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app` (flags override them)."""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
# The access log goes to standard output. Link tokens (/p/…, /f/…, /reset/…, /invitation/…,
# /feeds/….ics, any "token=" value) appear as *** in it: create_app puts
# intranet.ops.logs.TokenLogFilter on the "gunicorn.access" logger of every worker.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
