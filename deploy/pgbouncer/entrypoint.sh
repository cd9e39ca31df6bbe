#!/bin/sh
# Write PgBouncer's config and user list from the environment, then run it in the foreground.
set -eu
: "${POSTGRES_HOST:=db}" "${POSTGRES_DB:=attendance}" "${POSTGRES_USER:=attendance}"
: "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
: "${PGBOUNCER_POOL_SIZE:=20}" "${PGBOUNCER_MAX_CLIENT_CONN:=1000}"
export POSTGRES_HOST POSTGRES_DB PGBOUNCER_POOL_SIZE PGBOUNCER_MAX_CLIENT_CONN
sed -e "s|\${POSTGRES_HOST}|$POSTGRES_HOST|g" -e "s|\${POSTGRES_DB}|$POSTGRES_DB|g" \
    -e "s|\${PGBOUNCER_POOL_SIZE}|$PGBOUNCER_POOL_SIZE|g" \
    -e "s|\${PGBOUNCER_MAX_CLIENT_CONN}|$PGBOUNCER_MAX_CLIENT_CONN|g" \
    /etc/pgbouncer/pgbouncer.ini.template > /etc/pgbouncer/pgbouncer.ini
umask 077
printf '"%s" "%s"\n' "$POSTGRES_USER" "$POSTGRES_PASSWORD" > /etc/pgbouncer/userlist.txt
exec pgbouncer /etc/pgbouncer/pgbouncer.ini
