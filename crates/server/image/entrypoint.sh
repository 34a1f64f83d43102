#!/bin/sh
# Entrypoint of the offline PostgreSQL image (`cargo xtask image`), built from Debian's
# postgresql package where no container registry can supply the official image.
# It mimics the official image's contract, which testcontainers and `cargo xtask dev` rely on:
#   - POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB / POSTGRES_HOST_AUTH_METHOD are honoured;
#   - the first start runs initdb and a temporary server whose log goes to stdout;
#   - the final server logs to stderr, so "ready to accept connections" appears on both streams;
#   - arguments starting with '-' are passed to postgres (`-c fsync=off`);
#   - files copied into /var/run/postgresql before the start are handed to postgres.
set -eu

# The one PostgreSQL the image holds (17 from trixie, 15 from bookworm).
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | tail -n 1)
export PGDATA="${PGDATA:-/var/lib/postgresql/data}"
POSTGRES_USER="${POSTGRES_USER:-postgres}"
POSTGRES_DB="${POSTGRES_DB:-$POSTGRES_USER}"
POSTGRES_PASSWORD="${POSTGRES_PASSWORD:-}"

if [ "${1:-}" = postgres ]; then shift; fi

as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }

mkdir -p /var/run/postgresql "$PGDATA"
chown postgres:postgres /var/run/postgresql "$PGDATA"
# As the official image does: files put there before the start (a TLS key and certificate)
# become the postgres user's, since PostgreSQL reads its key only when it owns it.
find /var/run/postgresql "$PGDATA" ! -user postgres -exec chown postgres '{}' +
chmod 2775 /var/run/postgresql
chmod 700 "$PGDATA"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -n "$POSTGRES_PASSWORD" ]; then
        auth="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
    else
        auth="${POSTGRES_HOST_AUTH_METHOD:-trust}"
    fi
    pwfile=$(mktemp)
    printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
    chown postgres "$pwfile"
    if [ -n "$POSTGRES_PASSWORD" ]; then pwopt="--pwfile=$pwfile"; else pwopt=""; fi
    # shellcheck disable=SC2086 # pwopt is one word or none
    as_postgres "$PGBIN/initdb" --username="$POSTGRES_USER" $pwopt \
        --auth-local=trust --auth-host="$auth" --encoding=UTF8 --locale=C.UTF-8
    rm -f "$pwfile"
    echo "host all all all $auth" >> "$PGDATA/pg_hba.conf"

    as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" -w start -o "-c listen_addresses=''"
    if [ "$POSTGRES_DB" != postgres ]; then
        # From stdin: psql interpolates variables there, not in -c.
        echo 'CREATE DATABASE :"db";' | as_postgres "$PGBIN/psql" -v ON_ERROR_STOP=1 \
            --username="$POSTGRES_USER" --dbname=postgres --set=db="$POSTGRES_DB"
    fi
    as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop
    echo "PostgreSQL init process complete; ready for start up."
fi

exec setpriv --reuid=postgres --regid=postgres --init-groups \
    "$PGBIN/postgres" -c listen_addresses='*' "$@"
