#!/usr/bin/env bash
# Synchronous replication's cost on the write benchmark: a primary and one standby on loopback (the
# pair the replication tests start), the project's write benchmark run against the primary once per
# synchronous_commit setting, in one run; the standby's replay lag sampled every half second meanwhile.
# Usage: tests/Whistle.LoadTest/replication-bench.sh [seconds per run, default 20]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_RUN="${1:-20}"
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
DIR=$(mktemp -d /tmp/whistle-replbench-XXXXXX)
P1=$(( 40000 + RANDOM % 10000 )); P2=$(( P1 + 1 ))
pg() { if [ "$(id -u)" -eq 0 ]; then setpriv --reuid=postgres --regid=postgres --init-groups "$@"; else "$@"; fi; }
[ "$(id -u)" -eq 0 ] && chown postgres: "$DIR"
cleanup() {
  pg "$BIN/pg_ctl" -D "$DIR/standby" -m immediate stop >/dev/null 2>&1 || true
  pg "$BIN/pg_ctl" -D "$DIR/primary" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT

pg "$BIN/initdb" -D "$DIR/primary" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null
pg tee -a "$DIR/primary/postgresql.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
port = $P1
unix_socket_directories = '$DIR'
max_connections = 200
shared_preload_libraries = 'pg_stat_statements'
synchronous_standby_names = 'standby'
EOF
echo "host replication all 127.0.0.1/32 trust" | pg tee -a "$DIR/primary/pg_hba.conf" >/dev/null
pg "$BIN/pg_ctl" -D "$DIR/primary" -l "$DIR/primary.log" -w start >/dev/null
pg "$BIN/pg_basebackup" -h 127.0.0.1 -p "$P1" -U postgres -D "$DIR/standby" -R -X stream
echo "port = $P2" | pg tee -a "$DIR/standby/postgresql.conf" >/dev/null
echo "primary_conninfo = 'host=127.0.0.1 port=$P1 user=postgres application_name=standby'" | pg tee -a "$DIR/standby/postgresql.auto.conf" >/dev/null
pg "$BIN/pg_ctl" -D "$DIR/standby" -l "$DIR/standby.log" -w start >/dev/null
PSQL=(psql -h 127.0.0.1 -p "$P1" -U postgres -X -q -At)
until [ "$("${PSQL[@]}" -c "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'")" = 1 ]; do sleep 0.2; done
"${PSQL[@]}" -c "CREATE DATABASE whistle_bench"
dotnet build -c Release tests/Whistle.LoadTest -v q -nologo >/dev/null

for mode in local on remote_apply; do
  "${PSQL[@]}" -c "ALTER SYSTEM SET synchronous_commit = '$mode'" -c "SELECT pg_reload_conf()" >/dev/null
  ( while true; do "${PSQL[@]}" -c "SELECT coalesce(extract(epoch FROM replay_lag) * 1000, 0) FROM pg_stat_replication" 2>/dev/null; sleep 0.5; done ) > "$DIR/lag.$mode" &
  SAMPLER=$!
  dotnet run -c Release --no-build --project tests/Whistle.LoadTest -- --clients 16 --seconds "$SECONDS_PER_RUN" \
    --connection "Host=127.0.0.1;Port=$P1;Username=postgres;Database=whistle_bench" --out "$DIR/$mode.md" > "$DIR/$mode.log" 2>&1
  kill "$SAMPLER"; wait "$SAMPLER" 2>/dev/null || true
  lag=$(sort -n "$DIR/lag.$mode" | awk '{a[NR]=$1} END {if (NR) printf "replay lag median %.1f ms, max %.1f ms (%d samples)", a[int((NR+1)/2)], a[NR], NR}')
  echo "synchronous_commit=$mode: $lag"
  grep -E "^\*\*Closed loop|^\*\*Half load" "$DIR/$mode.md" | sed 's/^/  /'
  sed -n '/^\*\*Targets\*\*/,/^\*\*The database/p' "$DIR/$mode.md" | grep '^- ' | sed 's/^/  /'
done
