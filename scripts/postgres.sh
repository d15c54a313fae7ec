#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the ledger service's tests and bench:
#   scripts/postgres.sh start   creates a cluster in a temp dir, listening on 127.0.0.1:$PGPORT
#                               (default 55432, trust auth, fsync on), and prints the URL
#                               to export as CREDIT_METER_TEST_POSTGRES_URL
#   scripts/postgres.sh stop    stops it and deletes its directory
# Uses Debian's postgresql (apt-get install postgresql); as root, the server runs as the
# `postgres` user (initdb refuses root).
set -euo pipefail
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
PGPORT=${PGPORT:-55432}
DIR=${CREDIT_METER_PG_DIR:-${TMPDIR:-/tmp}/credit-meter-pg-$PGPORT}
[ -x "$PGBIN/initdb" ] || { echo "no PostgreSQL found (apt-get install postgresql)" >&2; exit 1; }
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "${1:-}" in
  start)
    if [ -f "$DIR/data/postmaster.pid" ]; then
      echo "postgres://postgres@127.0.0.1:$PGPORT/postgres"
      exit 0
    fi
    rm -rf "$DIR"
    mkdir -p "$DIR"
    [ "$(id -u)" = 0 ] && chown postgres "$DIR"
    as_owner "$PGBIN/initdb" -D "$DIR/data" -U postgres --auth=trust --encoding=UTF8 --no-locale >"$DIR/initdb.log" 2>&1 \
      || { cat "$DIR/initdb.log" >&2; exit 1; }
    as_owner "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w \
      -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $DIR -c max_connections=200" start >/dev/null \
      || { cat "$DIR/server.log" >&2; exit 1; }
    echo "postgres://postgres@127.0.0.1:$PGPORT/postgres"
    ;;
  stop)
    if [ -f "$DIR/data/postmaster.pid" ]; then
      as_owner "$PGBIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null
    fi
    rm -rf "$DIR"
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
