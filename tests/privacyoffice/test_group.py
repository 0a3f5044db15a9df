"""The group "Datenschutz" (migration privacyoffice.0002): reports and erasure requests, reads
orders and customers, changes nothing else."""

import importlib
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.loader import MigrationLoader

pytestmark = pytest.mark.django_db

MIGRATION = "privacyoffice.migrations.0002_datenschutz_group"


def test_the_data_protection_group_may_read_but_not_change():
    # A transactional test before this one flushed what migrations wrote: run it again.
    Group.objects.filter(name="Datenschutz").delete()
    state = MigrationLoader(connection).project_state(("privacyoffice", "0002_datenschutz_group"))
    importlib.import_module(MIGRATION).create_group(
        state.apps, SimpleNamespace(connection=connection)
    )
    group = Group.objects.get(name="Datenschutz")

    held = {
        f"{app}.{codename}"
        for app, codename in group.permissions.values_list("content_type__app_label", "codename")
    }

    assert held == {
        "privacyoffice.view_subject_report",
        "privacyoffice.view_subjectreport",
        "privacyoffice.handle_erasure_request",
        "privacyoffice.view_erasurerequest",
        "orders.view_order",
        "customers.view_customer",
        "customers.view_personal_data",
    }
    assert not any(p.split(".")[1].startswith(("change_", "add_", "delete_")) for p in held)
