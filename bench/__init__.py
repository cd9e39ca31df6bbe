"""`make bench`: performance figures, each beside a floor measured in the same run.

Run as `python -m bench [--sizes 2000,20000] [--rebuild] [--runs 50]`. The bench builds its
own PostgreSQL databases (`attendance_bench` for the register figures, `attendance_bench_<N>`
for an N-pupil school with a full year of marks, cached between runs), measures each figure
and a hand-written floor for the same work, and prints one table (also written as JSON to
`test-artifacts/bench.json`). There are no timing assertions anywhere: the table is read by
people, and the ratio to the same-run floor keeps it meaningful on a noisy machine.

Modules: `databases` (create, cache, switch), `synthetic` (the synthetic schools; COPY path
for benchmark data only), `register_figures` (taking a register), `statistics_figures`
(statistics sweep and penalty threshold against hand-written SQL), `capacity` (registers per
second per web core, open loop against gunicorn, CPU per register; `make bench ONLY=capacity`),
`topology` (the same through nginx, two gunicorn masters, PgBouncer, Redis and two Celery
workers, without Docker), `capacity_table` (its rows), `profile_register` (where a register's
CPU goes), `report` (the table)."""

DATA_VERSION = 1  # bump when `bench.synthetic` would build different data
SEED = 1
