#!/usr/bin/env bash
# Start a local PostgreSQL server (Debian's postgresql-common clusters) and make
# sure the OrderCycle test role and database exist. Safe to run again and again.
#
#   bash .ci/pg-setup.sh            # progress on stderr, the URL on stdout
#   export ORDERCYCLE_TEST_PG_URL="$(bash .ci/pg-setup.sh)"
#
# Needs the `postgresql` package (apt-get install postgresql) and root, or sudo.
set -euo pipefail

PG_ROLE=ordercycle
PG_PASSWORD=ordercycle
PG_DB=ordercycle_test
PG_HOST=127.0.0.1
CLUSTER_NAME=main

log() { printf 'pg-setup: %s\n' "$*" >&2; }
die() { printf 'pg-setup: ERROR: %s\n' "$*" >&2; exit 1; }

# Commands that must run as root (pg_ctlcluster, pg_createcluster).
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else die "need root (or sudo) to run: $*"
    fi
}

# Commands that must run as the postgres superuser (peer auth over the socket).
# Run from / so psql does not complain about an unreadable working directory.
as_postgres() {
    if [ "$(id -un)" = postgres ]; then (cd / && "$@")
    elif [ "$(id -u)" -eq 0 ] && command -v runuser >/dev/null 2>&1; then (cd / && runuser -u postgres -- "$@")
    elif [ "$(id -u)" -eq 0 ]; then (cd / && su postgres -s /bin/sh -c "$(printf '%q ' "$@")")
    elif command -v sudo >/dev/null 2>&1; then (cd / && sudo -u postgres -- "$@")
    else die "need root (or sudo) to run as postgres: $*"
    fi
}

command -v pg_lsclusters >/dev/null 2>&1 \
    || die "PostgreSQL is not installed (Debian/Ubuntu: apt-get install postgresql)"

# ---- choose the cluster ----------------------------------------------------
# pg_lsclusters -h: "Ver Cluster Port Status Owner Datadir Logfile"
# Prefer the newest cluster called "main"; else the newest cluster of any name.
clusters="$(pg_lsclusters -h 2>/dev/null || true)"
line="$(printf '%s\n' "$clusters" | awk -v n="$CLUSTER_NAME" 'NF && $2 == n' | sort -k1,1V | tail -n 1)"
[ -n "$line" ] || line="$(printf '%s\n' "$clusters" | awk 'NF' | sort -k1,1V | tail -n 1)"

if [ -z "$line" ]; then
    # No cluster at all: create one for the newest installed server version.
    PG_VER=""
    for bin in /usr/lib/postgresql/*/bin/postgres; do
        [ -x "$bin" ] || continue
        v="${bin#/usr/lib/postgresql/}"; v="${v%%/*}"
        if [ -z "$PG_VER" ] || [ "$(printf '%s\n%s\n' "$PG_VER" "$v" | sort -V | tail -n 1)" = "$v" ]; then
            PG_VER="$v"
        fi
    done
    [ -n "$PG_VER" ] || die "no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)"
    log "no cluster found; creating $PG_VER/$CLUSTER_NAME"
    as_root pg_createcluster --locale=C.UTF-8 --encoding=UTF8 "$PG_VER" "$CLUSTER_NAME" >&2
    line="$(pg_lsclusters -h | awk -v v="$PG_VER" -v n="$CLUSTER_NAME" '$1 == v && $2 == n')"
    [ -n "$line" ] || die "pg_createcluster $PG_VER $CLUSTER_NAME did not create a cluster"
fi

read -r PG_VER CLUSTER_NAME PG_PORT PG_STATUS _ <<<"$line"
log "cluster $PG_VER/$CLUSTER_NAME, port $PG_PORT, status $PG_STATUS"

# ---- start it --------------------------------------------------------------
# /run may be a fresh tmpfs: make sure the socket directory exists.
if [ ! -d /var/run/postgresql ]; then
    as_root install -d -o postgres -g postgres -m 2775 /var/run/postgresql
fi

case "$PG_STATUS" in
    online*) log "already running" ;;
    *)
        log "starting cluster $PG_VER/$CLUSTER_NAME"
        if ! as_root pg_ctlcluster "$PG_VER" "$CLUSTER_NAME" start >&2; then
            logfile="/var/log/postgresql/postgresql-$PG_VER-$CLUSTER_NAME.log"
            if [ -r "$logfile" ]; then tail -n 30 "$logfile" >&2; fi
            die "pg_ctlcluster $PG_VER $CLUSTER_NAME start failed"
        fi
        ;;
esac

# ---- wait until it accepts TCP connections on 127.0.0.1 (bounded: ~30 s) ----
ready=0
for _ in $(seq 1 60); do
    if pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 2; then ready=1; break; fi
    sleep 0.5
done
if [ "$ready" -ne 1 ]; then
    pg_isready -h "$PG_HOST" -p "$PG_PORT" >&2 || true
    die "server did not accept connections on $PG_HOST:$PG_PORT within 30 s"
fi
log "accepting connections on $PG_HOST:$PG_PORT"

# ---- role and database (idempotent) ----------------------------------------
as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" -d postgres >&2 <<SQL
DO \$\$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$PG_ROLE') THEN
        CREATE ROLE $PG_ROLE LOGIN PASSWORD '$PG_PASSWORD';
    ELSE
        ALTER ROLE $PG_ROLE LOGIN PASSWORD '$PG_PASSWORD';
    END IF;
END
\$\$;
SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L LC_COLLATE %L LC_CTYPE %L TEMPLATE template0',
              '$PG_DB', '$PG_ROLE', 'UTF8', 'C.UTF-8', 'C.UTF-8')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$PG_DB')
\gexec
ALTER DATABASE $PG_DB OWNER TO $PG_ROLE;
SQL
log "role '$PG_ROLE' and database '$PG_DB' ready"

# ---- prove the URL works with password auth over TCP -------------------------
if ! PGPASSWORD="$PG_PASSWORD" PGCONNECT_TIMEOUT=5 psql -X -q -t -A \
        -h "$PG_HOST" -p "$PG_PORT" -U "$PG_ROLE" -d "$PG_DB" -c 'select 1' >/dev/null; then
    die "cannot log in as $PG_ROLE@$PG_HOST:$PG_PORT/$PG_DB with a password (check pg_hba.conf)"
fi

printf 'postgresql+psycopg://%s:%s@%s:%s/%s\n' "$PG_ROLE" "$PG_PASSWORD" "$PG_HOST" "$PG_PORT" "$PG_DB"
