#!/usr/bin/env bash
# shellcheck disable=SC2317 # cleanup functions are only reached via trap
# Usage: scripts/with-databases.sh CMD [ARGS...]
#
# Starts throwaway PostgreSQL 15 and MariaDB servers on 127.0.0.1, exports
#
#   RETORT_TEST_POSTGRES_URL=postgres://retort:retort@127.0.0.1:PGPORT/retort
#   RETORT_TEST_MYSQL_URL=mysql://retort:retort@127.0.0.1:MYPORT/retort
#   RETORT_TEST_REQUIRE_ALL=1            (only when $CI is set, other than "false"/"0")
#
# runs CMD in the caller's working directory, then stops both servers, removes
# their data and exits with CMD's exit status. If either server cannot be
# started, CMD is not run and the script exits non-zero.
#
# The user `retort` (password `retort`) is a superuser on both servers, so
# tests may create and drop databases freely.
#
# Environment knobs (all optional):
#   RETORT_PG_BINDIR   PostgreSQL binaries    (default /usr/lib/postgresql/15/bin)
#   RETORT_PG_PORT     first port to probe    (default 55432)
#   RETORT_MYSQL_PORT  first port to probe    (default 53306)
#   RETORT_DB_KEEP=1   keep the temp dir (logs) after exit, for debugging
#
# Works as root (servers run as `postgres` / root) and as an ordinary user.
set -euo pipefail

PROG=with-databases
log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { log "error: $*"; exit 1; }

if [[ $# -eq 0 || $1 == -h || $1 == --help ]]; then
  sed -n '3,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
  [[ $# -eq 0 ]] && exit 2 || exit 0
fi

# Server binaries often live in sbin, which is not always on PATH for non-root.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

PG_BINDIR=${RETORT_PG_BINDIR:-/usr/lib/postgresql/15/bin}
DB_USER=retort
DB_PASS=retort
DB_NAME=retort
START_TIME=$SECONDS

IS_ROOT=0
[[ $(id -u) -eq 0 ]] && IS_ROOT=1

# ---------------------------------------------------------------------------
# Dependencies
# ---------------------------------------------------------------------------

# True while some apt/dpkg process is running (e.g. a background install).
apt_busy() {
  local f comm
  for f in /proc/[0-9]*/comm; do
    comm=$(cat "$f" 2>/dev/null) || continue
    case $comm in
      apt | apt-get | aptitude | dpkg | unattended-upgr*) return 0 ;;
    esac
  done
  return 1
}

wait_for_apt() {
  local waited=0
  while apt_busy; do
    if ((waited == 0)); then log "waiting for a running apt/dpkg process to finish..."; fi
    if ((waited >= 1200)); then die "apt/dpkg still busy after ${waited}s"; fi
    sleep 2
    waited=$((waited + 2))
  done
}

missing_packages() {
  local -a pkgs=()
  command -v mariadbd >/dev/null 2>&1 || pkgs+=(mariadb-server)
  command -v mariadb-install-db >/dev/null 2>&1 || pkgs+=(mariadb-server)
  command -v mariadb >/dev/null 2>&1 || pkgs+=(mariadb-client)
  command -v mariadb-admin >/dev/null 2>&1 || pkgs+=(mariadb-client)
  command -v psql >/dev/null 2>&1 || pkgs+=(postgresql-client-15)
  if [[ ! -x $PG_BINDIR/initdb || ! -x $PG_BINDIR/pg_ctl || ! -x $PG_BINDIR/postgres ]]; then
    pkgs+=(postgresql-15)
  fi
  ((${#pkgs[@]})) && printf '%s\n' "${pkgs[@]}" | sort -u
  return 0
}

ensure_packages() {
  local -a pkgs
  mapfile -t pkgs < <(missing_packages)
  ((${#pkgs[@]} == 0)) && return 0
  # Someone may be installing them right now; wait and look again.
  if apt_busy; then
    wait_for_apt
    mapfile -t pkgs < <(missing_packages)
    ((${#pkgs[@]} == 0)) && return 0
  fi
  ((IS_ROOT)) || die "missing packages: ${pkgs[*]} (install them, or run as root to install automatically)"
  command -v apt-get >/dev/null 2>&1 || die "missing packages: ${pkgs[*]} and no apt-get to install them"
  log "installing ${pkgs[*]} (apt-get)..."
  # Keep the package's init scripts from starting a system-wide server.
  local policy=/usr/sbin/policy-rc.d made_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && made_policy=1
  fi
  local apt_log rc=0
  apt_log=$(mktemp)
  {
    apt-get -o DPkg::Lock::Timeout=600 update &&
      DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 \
        install -y --no-install-recommends "${pkgs[@]}"
  } </dev/null >"$apt_log" 2>&1 || rc=$?
  ((made_policy)) && rm -f "$policy"
  if ((rc != 0)); then
    tail -n 30 "$apt_log" | sed "s/^/$PROG: apt: /" >&2
    rm -f "$apt_log"
    die "apt-get install ${pkgs[*]} failed (exit $rc)"
  fi
  rm -f "$apt_log"
  mapfile -t pkgs < <(missing_packages)
  ((${#pkgs[@]} == 0)) || die "still missing after install: ${pkgs[*]}"
}

if [[ $PG_BINDIR != /usr/lib/postgresql/15/bin && ! -x $PG_BINDIR/pg_ctl ]]; then
  die "no pg_ctl in RETORT_PG_BINDIR=$PG_BINDIR"
fi
ensure_packages

if ((IS_ROOT)); then
  # initdb/postgres refuse to run as root.
  id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' user to run PostgreSQL as"
  command -v runuser >/dev/null 2>&1 || die "running as root but 'runuser' (util-linux) is not available"
  AS_PG=(runuser -u postgres --)
else
  AS_PG=()
fi

# ---------------------------------------------------------------------------
# Temp dir and cleanup
# ---------------------------------------------------------------------------

# Unix socket paths are limited to ~107 bytes; fall back to /tmp for long TMPDIRs.
tmp_base=${TMPDIR:-/tmp}
((${#tmp_base} > 60)) && tmp_base=/tmp
WORK=$(mktemp -d "$tmp_base/retort-db.XXXXXX")
chmod 755 "$WORK" # the postgres user must be able to traverse it

PG_DIR=$WORK/pg # owned by the server user: data dir, socket, log
PG_DATA=$PG_DIR/data
PG_LOG=$PG_DIR/postgres.log
MY_DIR=$WORK/my
MY_DATA=$MY_DIR/data
MY_SOCK=$MY_DIR/mysqld.sock
MY_PIDFILE=$MY_DIR/mysqld.pid
MY_LOG=$MY_DIR/mysqld.log
mkdir -p "$PG_DIR" "$MY_DIR" "$MY_DIR/tmp"
((IS_ROOT)) && chown postgres: "$PG_DIR"

PG_STARTED=0
MY_PID=

# Run a command from inside $WORK (the server user may not be able to read the
# caller's cwd).
in_work() { (cd "$WORK" && "$@"); }

# pid of the running mysqld (from its pid file, else the one we launched)
my_pid() {
  local pid=
  [[ -s $MY_PIDFILE ]] && pid=$(<"$MY_PIDFILE")
  [[ -n $pid ]] || pid=$MY_PID
  printf '%s' "$pid"
}

wait_gone() { # pid seconds
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 0.1
  done
  return 1
}

stop_mariadb() {
  [[ -n $MY_PID ]] || return 0
  local pid
  pid=$(my_pid)
  if kill -0 "$pid" 2>/dev/null; then
    timeout 30 mariadb-admin --no-defaults --socket="$MY_SOCK" -uroot shutdown >/dev/null 2>&1 ||
      kill -TERM "$pid" 2>/dev/null
    if ! wait_gone "$pid" 30; then
      log "mariadbd (pid $pid) did not stop; killing it"
      kill -KILL "$pid" 2>/dev/null
      wait_gone "$pid" 5
    fi
  fi
  # Also the process we launched, in case the pid file was not written.
  if [[ $MY_PID != "$pid" ]] && kill -0 "$MY_PID" 2>/dev/null; then
    kill -KILL "$MY_PID" 2>/dev/null
  fi
  wait "$MY_PID" 2>/dev/null
  MY_PID=
}

stop_postgres() {
  ((PG_STARTED)) || return 0
  if ! in_work timeout 60 "${AS_PG[@]}" "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -m fast -w -t 30 stop >/dev/null 2>&1; then
    local pid
    pid=$(head -n1 "$PG_DATA/postmaster.pid" 2>/dev/null) || pid=
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
      log "postgres (pid $pid) did not stop; killing it"
      kill -QUIT "$pid" 2>/dev/null
      wait_gone "$pid" 5 || kill -KILL "$pid" 2>/dev/null
      wait_gone "$pid" 5
    fi
  fi
  PG_STARTED=0
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  set +e
  stop_postgres
  stop_mariadb
  if [[ ${RETORT_DB_KEEP:-} == 1 ]]; then
    log "keeping $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

# True if nothing is listening on 127.0.0.1:$1 (best effort; startup retries
# with the next port if the bind still fails).
port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

next_free_port() { # start
  local p=$1
  while ! port_free "$p"; do
    p=$((p + 1))
    ((p < 65535)) || die "no free port found from $1"
  done
  printf '%s' "$p"
}

show_log() { # file label
  if [[ -s $1 ]]; then
    log "---- last lines of $2 ($1) ----"
    tail -n 40 "$1" | sed "s/^/$PROG:   /" >&2
  fi
}

# ---------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------

start_postgres() {
  local initdb_log=$PG_DIR/initdb.log
  if ! in_work "${AS_PG[@]}" "$PG_BINDIR/initdb" -D "$PG_DATA" -U postgres \
    --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C --no-sync --no-instructions \
    >"$initdb_log" 2>&1; then
    show_log "$initdb_log" initdb
    die "PostgreSQL initdb failed"
  fi

  local port=${RETORT_PG_PORT:-55432}
  for _ in 1 2 3 4 5; do
    port=$(next_free_port "$port")
    # Later settings override earlier ones, so re-appending on retry is fine.
    cat >>"$PG_DATA/postgresql.conf" <<EOF

# --- retort with-databases.sh ---
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$PG_DIR'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 300
# One transaction creating 10,000 tables (the benchmark's largest schema) takes about
# six locks per table.
max_locks_per_transaction = 256
logging_collector = off
EOF
    if in_work "${AS_PG[@]}" "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start >/dev/null 2>&1; then
      PG_STARTED=1
      break
    fi
    PG_STARTED=1 # in case it is half up
    stop_postgres
    if grep -qiE 'could not (bind|create listen)|address already in use' "$PG_LOG" 2>/dev/null; then
      log "PostgreSQL port $port is taken; trying another"
      port=$((port + 1))
      continue
    fi
    break
  done
  if ((!PG_STARTED)); then
    show_log "$PG_LOG" "PostgreSQL log"
    die "PostgreSQL failed to start"
  fi

  local sql_log=$PG_DIR/setup.log
  if ! in_work "${AS_PG[@]}" psql -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR" -p "$port" -U postgres -d postgres \
    -c "CREATE ROLE $DB_USER LOGIN SUPERUSER PASSWORD '$DB_PASS'" \
    -c "CREATE DATABASE $DB_NAME OWNER $DB_USER" >"$sql_log" 2>&1; then
    show_log "$sql_log" "psql setup"
    show_log "$PG_LOG" "PostgreSQL log"
    die "could not create the PostgreSQL role/database"
  fi
  PG_PORT=$port
}

# ---------------------------------------------------------------------------
# MariaDB
# ---------------------------------------------------------------------------

MY_ADMIN_USER=root
MY_SERVER_OPTS=(
  --datadir="$MY_DATA"
  --tmpdir="$MY_DIR/tmp"
  --character-set-server=utf8mb4
  --collation-server=utf8mb4_general_ci
  --innodb-flush-log-at-trx-commit=0
  --innodb-doublewrite=0
  --innodb-use-native-aio=0
  --innodb-log-file-size=16M
  --innodb-buffer-pool-size=64M
  --skip-log-bin
)
if ((IS_ROOT)); then
  MY_SERVER_OPTS+=(--user=root)
else
  MY_ADMIN_USER=$(id -un)
fi

my_admin() { # mariadb client as the admin user over the socket
  mariadb --no-defaults --socket="$MY_SOCK" -u"$MY_ADMIN_USER" "$@"
}

start_mariadb() {
  local install_log=$MY_DIR/install-db.log
  local -a install_opts=(--auth-root-authentication-method=socket --skip-test-db)
  ((IS_ROOT)) || install_opts+=(--auth-root-socket-user="$MY_ADMIN_USER")
  # --no-defaults must come first.
  if ! in_work mariadb-install-db --no-defaults "${install_opts[@]}" "${MY_SERVER_OPTS[@]}" \
    >"$install_log" 2>&1 </dev/null; then
    show_log "$install_log" mariadb-install-db
    die "mariadb-install-db failed"
  fi

  local port=${RETORT_MYSQL_PORT:-53306} up=0 i
  for _ in 1 2 3 4 5; do
    port=$(next_free_port "$port")
    : >"$MY_LOG"
    rm -f "$MY_PIDFILE"
    (cd "$WORK" && exec mariadbd --no-defaults "${MY_SERVER_OPTS[@]}" \
      --port="$port" --bind-address=127.0.0.1 --socket="$MY_SOCK" \
      --pid-file="$MY_PIDFILE" --log-error="$MY_LOG" \
      --skip-name-resolve --max-connections=500 \
      </dev/null >>"$MY_LOG" 2>&1) &
    MY_PID=$!
    for ((i = 0; i < 600; i++)); do # 60 s
      if ! kill -0 "$MY_PID" 2>/dev/null; then
        break
      fi
      if [[ -S $MY_SOCK ]] && my_admin -N -e 'SELECT 1' >/dev/null 2>&1 </dev/null; then
        up=1
        break
      fi
      sleep 0.1
    done
    ((up)) && break
    if ! kill -0 "$MY_PID" 2>/dev/null && grep -qiE "can't start server.*bind|address already in use" "$MY_LOG"; then
      wait "$MY_PID" 2>/dev/null || true
      MY_PID=
      log "MariaDB port $port is taken; trying another"
      port=$((port + 1))
      continue
    fi
    break
  done
  if ((!up)); then
    show_log "$MY_LOG" "MariaDB log"
    if [[ -n $MY_PID ]] && kill -0 "$MY_PID" 2>/dev/null; then
      die "MariaDB did not accept connections within 60 s"
    fi
    die "MariaDB failed to start"
  fi

  local sql_log=$MY_DIR/setup.log u
  local sql="DROP USER IF EXISTS ''@'localhost';"
  for u in "'$DB_USER'@'%'" "'$DB_USER'@'localhost'" "'$DB_USER'@'127.0.0.1'"; do
    sql+="CREATE USER $u IDENTIFIED BY '$DB_PASS';"
    sql+="GRANT ALL PRIVILEGES ON *.* TO $u WITH GRANT OPTION;"
  done
  sql+="CREATE DATABASE \`$DB_NAME\`;FLUSH PRIVILEGES;"
  if ! my_admin -e "$sql" >"$sql_log" 2>&1 </dev/null; then
    show_log "$sql_log" "mariadb setup"
    die "could not create the MariaDB user/database"
  fi
  MY_PORT=$port
}

# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------

log "starting PostgreSQL ($PG_BINDIR) and MariaDB in $WORK"
start_postgres
log "PostgreSQL $("$PG_BINDIR/postgres" --version | awk '{print $3}') up on 127.0.0.1:$PG_PORT"
start_mariadb
log "MariaDB $(mariadbd --version | awk '{print $3}') up on 127.0.0.1:$MY_PORT"

export RETORT_TEST_POSTGRES_URL="postgres://$DB_USER:$DB_PASS@127.0.0.1:$PG_PORT/$DB_NAME"
export RETORT_TEST_MYSQL_URL="mysql://$DB_USER:$DB_PASS@127.0.0.1:$MY_PORT/$DB_NAME"
if [[ -n ${CI:-} && ${CI:-} != false && ${CI:-} != 0 ]]; then
  export RETORT_TEST_REQUIRE_ALL=1
fi
log "RETORT_TEST_POSTGRES_URL=$RETORT_TEST_POSTGRES_URL"
log "RETORT_TEST_MYSQL_URL=$RETORT_TEST_MYSQL_URL"
[[ -n ${RETORT_TEST_REQUIRE_ALL:-} ]] && log "RETORT_TEST_REQUIRE_ALL=$RETORT_TEST_REQUIRE_ALL"
log "databases ready in $((SECONDS - START_TIME)) s; running: $*"

# Run CMD in the foreground (keeps stdin and Ctrl-C behaviour); the EXIT trap
# stops the servers and propagates CMD's status.
set +e
"$@"
status=$?
set -e
log "command exited with status $status; stopping databases"
exit "$status"
