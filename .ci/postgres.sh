#!/usr/bin/env bash
# Installs PostgreSQL from Debian's packages if needed and starts a throwaway cluster on
# 127.0.0.1:${HDAB_PG_PORT:-54329} (trust authentication, loopback only). Prints its admin URL.
set -euo pipefail
port="${HDAB_PG_PORT:-54329}"
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bin" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq postgresql >/dev/null
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi
data="${HDAB_PG_DATA:-/tmp/hdab-ci-pg}"
if [ -f "$data/postmaster.pid" ]; then
  su postgres -c "$bin/pg_ctl -D $data -m fast stop" >/dev/null 2>&1 || true
fi
rm -rf "$data"
mkdir -p "$data"
chown postgres "$data"
su postgres -c "$bin/initdb -D $data -A trust -U postgres" >/dev/null
su postgres -c "$bin/pg_ctl -D $data -o '-p $port -k /tmp -c listen_addresses=127.0.0.1' -l $data/server.log -w start" >/dev/null
echo "postgres://postgres@127.0.0.1:$port/postgres"
