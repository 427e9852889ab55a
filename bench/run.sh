#!/usr/bin/env bash
# Usage: bench/run.sh [--quick] [--only NAME[,NAME...]] [--runs K] [--warmup W]
#                     [--backends sqlite,postgres,mysql] [--size NAME=N[,N...]]...
#                     [--profile] [--output FILE]
#
# Benchmarks retort against Alembic and against each database's own client, from a
# clean clone: builds retort in release mode, installs what is missing (the sqlite3,
# psql and mariadb clients with apt-get; Alembic, SQLAlchemy, psycopg2 and PyMySQL into
# the virtualenv target/bench-venv), starts PostgreSQL and MariaDB with
# scripts/with-databases.sh unless RETORT_TEST_POSTGRES_URL / RETORT_TEST_MYSQL_URL
# already name running servers, generates the fixtures under target/bench/, prints a
# table of medians and ratios and writes it to BENCHMARKS.md (target/bench/quick.md
# with --quick) together with the machine, the versions and the method.
# It measures and reports; it never fails because a target is missed.
#
# Benchmarks (--only): upgrade, downgrade, wide, graph, check, fleet. See bench/bench.py --help.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=$ROOT/target/bench-venv
PROG=bench
log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { log "error: $*"; exit 1; }

if [[ ${1:-} == -h || ${1:-} == --help ]]; then
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
  exec python3 "$ROOT/bench/bench.py" --help
fi

# The backends asked for decide which clients and servers are needed.
backends=sqlite,postgres,mysql
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case ${args[i]} in
    --backends=*) backends=${args[i]#--backends=} ;;
    --backends)
      ((i + 1 < ${#args[@]})) || { log "error: --backends needs a value, e.g. --backends sqlite,postgres"; exit 2; }
      backends=${args[i + 1]}
      ;;
  esac
done
want() { [[ ,$backends, == *,$1,* ]]; }

# Bad options fail here (exit 2), before anything is installed, built or started.
python3 "$ROOT/bench/bench.py" --check-args "$@"

# Debian packages: the clients, and GNU time for each run's peak memory (%M).
missing=()
command -v python3 >/dev/null 2>&1 || missing+=(python3 python3-venv)
[[ -x /usr/bin/time ]] || missing+=(time)
command -v sqlite3 >/dev/null 2>&1 || missing+=(sqlite3)
want postgres && { command -v psql >/dev/null 2>&1 || missing+=(postgresql-client); }
want mysql && { command -v mariadb >/dev/null 2>&1 || missing+=(mariadb-client); }
if ((${#missing[@]})); then
  [[ $(id -u) -eq 0 ]] || die "missing packages: ${missing[*]} (install them, or run as root to install automatically)"
  command -v apt-get >/dev/null 2>&1 || die "missing packages: ${missing[*]} and no apt-get to install them"
  log "installing ${missing[*]} (apt-get)..."
  apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
fi

# Start the servers only when a requested backend has no URL yet; with-databases.sh
# exports both URLs and runs this script again inside.
if { want postgres && [[ -z ${RETORT_TEST_POSTGRES_URL:-} ]]; } ||
  { want mysql && [[ -z ${RETORT_TEST_MYSQL_URL:-} ]]; }; then
  log "no RETORT_TEST_POSTGRES_URL / RETORT_TEST_MYSQL_URL: starting servers with scripts/with-databases.sh"
  # Their data goes on tmpfs where there is one: the benchmark compares retort with the
  # clients, not with the disk, and flushes to a shared disk made MariaDB's DDL times
  # wander by half from run to run. Both sides run on the same servers either way.
  if [[ -z ${TMPDIR:-} && -d /dev/shm && -w /dev/shm ]]; then
    export TMPDIR=/dev/shm RETORT_BENCH_SERVER_DATA="tmpfs (/dev/shm), started by bench/run.sh"
  else
    export RETORT_BENCH_SERVER_DATA="${TMPDIR:-/tmp}, started by bench/run.sh"
  fi
  exec "$ROOT/scripts/with-databases.sh" "$ROOT/bench/run.sh" "$@"
fi

if [[ ! -x $VENV/bin/python ]] || ! "$VENV/bin/python" -c 'import alembic, sqlalchemy, psycopg2, pymysql' 2>/dev/null; then
  log "installing Alembic, SQLAlchemy, psycopg2 and PyMySQL into $VENV (pip)..."
  python3 -m venv "$VENV" || die "python3 -m venv failed (apt-get install python3-venv)"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check alembic sqlalchemy psycopg2-binary pymysql ||
    die "pip install into $VENV failed"
fi

log "building retort (cargo build --release)..."
(cd "$ROOT" && cargo build --release --quiet --bin retort) || die "cargo build --release failed"

export RETORT_BENCH_BIN=$ROOT/target/release/retort
export RETORT_BENCH_VENV=$VENV
exec "$VENV/bin/python" "$ROOT/bench/bench.py" "$@"
