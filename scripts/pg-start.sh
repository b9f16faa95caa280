#!/usr/bin/env bash
# Starts a throw-away PostgreSQL server for the tests, on loopback only, and
# prints the DSN. Idempotent: a server already answering on the port is reused.
# Uses the PostgreSQL server that the image ships (/usr/lib/postgresql/*/bin);
# installs Debian's postgresql package when it is missing.
set -euo pipefail
PORT=${KEFU_PG_PORT:-55432}
DIR=${KEFU_PG_DIR:-/tmp/kefu-pg-$PORT}
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$BIN" ]; then
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi
DSN="postgres://postgres@127.0.0.1:$PORT/postgres?sslmode=disable"
if "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then echo "$DSN"; exit 0; fi
RUN=""
if [ "$(id -u)" = 0 ]; then RUN="runuser -u postgres --"; fi
if [ ! -s "$DIR/PG_VERSION" ]; then
  mkdir -p "$DIR"; [ -n "$RUN" ] && chown postgres "$DIR"
  $RUN "$BIN/initdb" -D "$DIR" -U postgres -A trust --no-sync >/dev/null
fi
$RUN "$BIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -c unix_socket_directories=$DIR -c fsync=off -c max_connections=200" start >/dev/null
echo "$DSN"
