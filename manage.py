#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys

if sys.version_info < (3, 12):  # noqa: UP036 - a clear message on old Pythons
    sys.exit(
        "This project needs Python 3.12 or newer (found {}.{}). Install it, e.g. with pyenv, "
        "and run the start command from the README again.".format(*sys.version_info[:2])
    )


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
