"""The privacy commands answer bad input with a CommandError naming the problem, never a traceback,
and change nothing."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from orders.models import PrivacyJob

ROOT = Path(__file__).resolve().parent.parent.parent
HUGE = str(2**63)
OUT_OF_RANGE = "außerhalb des unterstützten Bereichs"


@pytest.mark.django_db(databases=["default", "coldstorage"])
@pytest.mark.parametrize(
    ("command", "args", "message"),
    [
        ("anonymize_orders", ["--ids", HUGE], "ungültige Bestellnummern"),
        ("anonymize_orders", ["--ids", "0,-3"], "ungültige Bestellnummern"),
        ("restore_orders", ["--ids", "1," + "9" * 30], "ungültige Bestellnummern"),
        ("anonymize_orders", ["--from", "0001-01-01", "--to", "2026-01-01"], OUT_OF_RANGE),
        ("restore_orders", ["--from", "2026-01-01", "--to", "9999-12-31"], OUT_OF_RANGE),
        ("anonymize_orders", ["--from", "2026-13-01", "--to", "2026-12-31"], "not a date"),
        ("anonymize_orders", ["--ids", "1", "--chunk-size", "0"], "--chunk-size"),
        ("anonymize_due", ["--today", "0001-01-01"], OUT_OF_RANGE),
        ("anonymize_due", ["--now", "9999-12-31T23:59"], OUT_OF_RANGE),
        ("purge_coldstorage", ["--today", "9999-12-31"], OUT_OF_RANGE),
        ("purge_coldstorage", ["--today", "0001-01-01"], OUT_OF_RANGE),
    ],
)
def test_bad_input_gets_a_command_error(command, args, message):
    with pytest.raises(CommandError, match=message):
        call_command(command, *args)
    assert not PrivacyJob.objects.exists()


def test_the_command_line_shows_the_message_without_traceback(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")}
    env.update(VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings")
    for args in (["--ids", HUGE], ["--from", "0001-01-01", "--to", "0001-01-02"]):
        result = subprocess.run(
            [sys.executable, "manage.py", "anonymize_orders", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 1
        assert "CommandError" in result.stderr
        assert "Traceback" not in result.stderr
