"""The `sqms` command: Django's manage.py with SQMS's own commands on top.

sqms run        set up (migrate, translations, static files, demo data on first start),
                then serve the web application and the worker
sqms serve      web server (gunicorn) and worker together; --no-worker for the web only
sqms worker     the Huey worker alone
sqms demo       load the demo organisation into an empty database
sqms token create --user NAME      a personal API token
sqms audit verify                  check the audit log's hash chain
sqms backup / sqms restore FILE    database and uploaded files
sqms migrate, sqms createsuperuser, …  every Django command
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sqms.settings")
    from django.core.management import execute_from_command_line

    args = sys.argv[:]
    aliases = {"worker": "run_huey", "run": "run_sqms"}
    if len(args) > 1 and args[1] in aliases:
        args[1] = aliases[args[1]]
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
