# The two commands: `make run` (the demo, SQLite, tasks in-process) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test bench lint format venv demo-reset

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	@mkdir -p var
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py seed_demo --if-empty
	$(PY) manage.py demo_logins
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

# make test                               the whole suite, on two processes (pytest-xdist: a test
#                                         database, temporary files, a live server, a browser and
#                                         Celery queues each; tests handed out two at a time, the
#                                         longest first: tests/scheduling.py)
# make test PYTEST_ARGS=tests/api         some of it
# make test PYTEST_XDIST=                 in one process
PYTEST_XDIST ?= -n 2 --maxschedchunk 2
test: $(STAMP)
	@mkdir -p var
	$(PY) -m pytest $(PYTEST_XDIST) $(PYTEST_ARGS)

# make bench                  every figure (PostgreSQL at 127.0.0.1:5432; about half an hour)
# make bench ONLY=capacity    only the open-loop register capacity and the nginx/PgBouncer topology
#                             (apt-get install -y nginx pgbouncer for the topology step)
# make bench ONLY=fanout      only the fan-out figures: nightly checks for 50 schools and a 500-letter
#                             batch, each on 1 then 2 Celery worker processes (Redis: CELERY_BROKER_URL)
bench: $(STAMP)
	$(PY) -m bench $(if $(ONLY),--only $(ONLY)) $(BENCH_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

demo-reset:
	rm -f db.sqlite3 db.sqlite3-wal db.sqlite3-shm
