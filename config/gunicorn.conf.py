"""gunicorn's settings for OrderDesk (README, Production deployment): `gunicorn -c config/gunicorn.conf.py`.

The access log keeps method, path, status and timing, but not the values of search and personal
parameters in query strings and referrers (config/log_filters.py): searches are GET requests.
"""

import os

from gunicorn.glogging import Logger

from config.log_filters import redact_query

wsgi_app = "config.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
# A sync worker that has not finished its request after `timeout` seconds is killed: the CSV
# export streams from the worker for as long as the download runs (a million orders take about a
# minute on two cores, docs/export.md), where gunicorn's default of 30 s would cut it off.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "300"))
accesslog = "-"


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        # Every atom: the request line, the query string, the referrer, and headers and environ
        # entries a custom access_log_format may name.
        return {
            key: redact_query(value) if isinstance(value, str) else value
            for key, value in super().atoms(resp, req, environ, request_time).items()
        }


logger_class = RedactingLogger
