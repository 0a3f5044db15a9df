"""Runs the background worker (a django-q2 cluster) under a supervisor that restarts it when it
freezes or exits. Use this instead of `manage.py qcluster` (bin/start and the systemd unit do)."""

from django.core.management.base import BaseCommand

from orders.worker import Supervisor


class Command(BaseCommand):
    help = "Run the django-q2 worker cluster, restarting it when it freezes (see orders/worker.py)."

    def handle(self, *args, **options):
        Supervisor().run()
