"""Test settings: production's, with what a test run cannot have (README, Configuration)."""

import os
import secrets

# The suite runs with DEBUG off, as production does: it needs a key (and a random one is as good
# as any). Subprocesses the tests start (qcluster, manage.py) inherit it.
os.environ.setdefault("SECRET_KEY", f"test-run-{secrets.token_urlsafe(48)}")

from config.settings import *  # noqa: F403

# The test client speaks plain http; redirecting it to https would answer every request with 301.
SECURE_SSL_REDIRECT = False
