#!/bin/sh
# Entrypoint of the PgBouncer image (`cargo xtask image`), built from Debian's pgbouncer package:
# a pooler configured like Neon's `-pooler` endpoints (transaction mode), in front of one server.
#   PGBOUNCER_UPSTREAM_HOST  the PostgreSQL server (required); PGBOUNCER_UPSTREAM_PORT (5432)
#   PGBOUNCER_USER / PGBOUNCER_PASSWORD  the one user clients log in as; PgBouncer logs in to the
#                            server with the same credentials (postgres / postgres)
#   PGBOUNCER_POOL_SIZE      server connections per database and user (20)
# It listens on 6432 and logs to stderr; "process up" means it accepts clients.
set -eu

: "${PGBOUNCER_UPSTREAM_HOST:?set PGBOUNCER_UPSTREAM_HOST to the PostgreSQL server}"
user="${PGBOUNCER_USER:-postgres}"
password="${PGBOUNCER_PASSWORD:-postgres}"

umask 077
cat > /etc/pgbouncer/pgbouncer.ini <<EOF
[databases]
* = host=$PGBOUNCER_UPSTREAM_HOST port=${PGBOUNCER_UPSTREAM_PORT:-5432}

[pgbouncer]
listen_addr = *
listen_port = 6432
unix_socket_dir =
auth_type = scram-sha-256
auth_file = /etc/pgbouncer/userlist.txt
; The admin console (SHOW CONFIG, SHOW POOLS) lets tests check the mode they run against.
admin_users = $user
; As Neon's pooler: a server connection belongs to a client for one transaction only, so
; nothing a session sets outside a transaction (SET, session advisory locks) can be relied on.
pool_mode = transaction
default_pool_size = ${PGBOUNCER_POOL_SIZE:-20}
max_client_conn = 200
; tokio-postgres runs query/execute as named prepared statements ("s0", "s1", ...), prepared
; and executed in separate round trips that transaction mode may send to different server
; connections: with 0, concurrent clients fail with 'prepared statement "s0" already exists'
; or '... does not exist'. Above 0, PgBouncer (1.21+) tracks each client's prepared statements
; and prepares them on whichever server connection runs them.
max_prepared_statements = 200
EOF
printf '"%s" "%s"\n' "$user" "$password" > /etc/pgbouncer/userlist.txt
chown postgres /etc/pgbouncer/pgbouncer.ini /etc/pgbouncer/userlist.txt

# PgBouncer refuses to run as root; -u switches to the postgres user (from postgresql-common).
exec pgbouncer -u postgres /etc/pgbouncer/pgbouncer.ini
