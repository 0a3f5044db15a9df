.PHONY: start test lint format messages

# Starts web server and worker on SQLite with demo data (see README).
start:
	bin/start

# Runs the full test suite (PostgreSQL when DATABASE_URL is set).
test:
	bin/test

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format:
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

messages:
	.venv/bin/python manage.py makemessages -l en --ignore=.venv --ignore=var
	.venv/bin/python manage.py compilemessages --ignore=.venv
