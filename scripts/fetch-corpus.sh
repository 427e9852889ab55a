#!/usr/bin/env bash
# Fetches the real-schema corpus: vendor DDL shipped in Debian packages, downloaded with
# `apt-get download` (no other network), extracted with `dpkg-deb -x`, and laid out as
#
#   $CACHE/corpus/<schema>/<backend>/schema.sql            the vendor's install DDL
#   $CACHE/corpus/<schema>/<backend>/upgrade/base.sql      (upgrade paths) the starting schema
#   $CACHE/corpus/<schema>/<backend>/upgrade/NN-<name>.sql (upgrade paths) the vendor's
#                                                          own upgrade scripts, in order
#   $CACHE/corpus/<schema>/<backend>/upgrade-deb11/…       the same for a Debian 11
#                                                          (bullseye) → 12 (bookworm) upgrade
#
# <backend> is sqlite, postgres or mysql. CACHE is $RETORT_CORPUS_CACHE, else
# target/corpus-cache under the repository. Nothing is committed; rerunning reuses the
# downloaded .deb files. Runs `apt-get update` first when a package is unknown to apt.
#
# The bookworm packages come from the system's apt sources. The bullseye ones (the older
# side of the upgrade paths) come from a private apt setup under $CACHE/apt-deb11 (its own
# sources list, package lists and cache; the system's apt configuration and lists are not
# touched), from $RETORT_CORPUS_DEB11_MIRROR (default http://deb.debian.org/debian; once
# bullseye leaves the mirrors, http://archive.debian.org/debian), into $CACHE/debs-deb11,
# and are extracted apart from the bookworm files, into $CACHE/extracted-deb11.
#
# Usage: scripts/fetch-corpus.sh        (prints the corpus directory on the last line)
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
cache="${RETORT_CORPUS_CACHE:-$repo/target/corpus-cache}"
debs="$cache/debs"
root="$cache/extracted"
corpus="$cache/corpus"

packages=(
  roundcube-core
  pdns-backend-mysql pdns-backend-pgsql pdns-backend-sqlite3
  freeradius-config
  kamailio-mysql-modules kamailio-postgres-modules kamailio-sqlite-modules
  zabbix-server-mysql zabbix-server-pgsql zabbix-proxy-sqlite3
)

for tool in apt-get dpkg-deb; do
  command -v "$tool" >/dev/null || { echo "fetch-corpus: $tool is missing (this needs a Debian-based system)" >&2; exit 1; }
done

mkdir -p "$debs"
missing=()
for p in "${packages[@]}"; do
  compgen -G "$debs/${p}_*.deb" >/dev/null || missing+=("$p")
done
if ((${#missing[@]})); then
  if ! apt-cache show "${missing[@]}" >/dev/null 2>&1; then
    echo "fetch-corpus: apt does not know every package; running apt-get update" >&2
    apt-get update -qq >&2 || { echo "fetch-corpus: apt-get update failed (run as root?)" >&2; exit 1; }
  fi
  (cd "$debs" && apt-get download -q "${missing[@]}" >&2) || {
    echo "fetch-corpus: apt-get download ${missing[*]} failed" >&2
    exit 1
  }
fi

# The Debian 11 (bullseye) packages of the upgrade paths' older side.
debs11="$cache/debs-deb11"
root11="$cache/extracted-deb11"
packages11=(roundcube-core pdns-backend-mysql pdns-backend-pgsql pdns-backend-sqlite3)
mkdir -p "$debs11"
missing=()
for p in "${packages11[@]}"; do
  compgen -G "$debs11/${p}_*.deb" >/dev/null || missing+=("$p")
done
if ((${#missing[@]})); then
  apt11="$cache/apt-deb11"
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  [[ -f "$keyring" ]] || { echo "fetch-corpus: $keyring is missing (install debian-archive-keyring)" >&2; exit 1; }
  mkdir -p "$apt11/lists/partial" "$apt11/cache/archives/partial" "$apt11/preferences.d"
  echo "deb [signed-by=$keyring] ${RETORT_CORPUS_DEB11_MIRROR:-http://deb.debian.org/debian} bullseye main" >"$apt11/sources.list"
  apt11_opts=(
    -o "Dir::Etc::sourcelist=$apt11/sources.list" -o Dir::Etc::sourceparts=-
    -o Dir::Etc::preferences=/dev/null -o "Dir::Etc::preferencesparts=$apt11/preferences.d"
    -o "Dir::State::Lists=$apt11/lists" -o "Dir::Cache=$apt11/cache"
    -o Acquire::Languages=none -o "APT::Sandbox::User=$(id -un)"
  )
  echo "fetch-corpus: fetching the bullseye packages ${missing[*]} (private apt lists in $apt11)" >&2
  apt-get "${apt11_opts[@]}" -qq update >&2 || { echo "fetch-corpus: apt-get update of the private bullseye lists failed" >&2; exit 1; }
  (cd "$debs11" && apt-get "${apt11_opts[@]}" download -q "${missing[@]}" >&2) || {
    echo "fetch-corpus: apt-get download (bullseye) ${missing[*]} failed" >&2
    exit 1
  }
fi

rm -rf "$root" "$root11" "$corpus"
mkdir -p "$root" "$root11" "$corpus"
for d in "$debs"/*.deb; do
  dpkg-deb -x "$d" "$root"
done
for d in "$debs11"/*.deb; do
  dpkg-deb -x "$d" "$root11"
done

# put SRC DEST: copies one vendor file (gunzipping .gz) into the corpus.
put() {
  local src="$root/$1" dest="$corpus/$2"
  [[ -f "$src" ]] || { echo "fetch-corpus: $1 is not in the extracted packages" >&2; exit 1; }
  mkdir -p "$(dirname "$dest")"
  case "$src" in
    *.gz) gzip -dc "$src" >"$dest" ;;
    *) cp "$src" "$dest" ;;
  esac
}

# Roundcube webmail (roundcube-core): SQL/<dialect>.initial.sql
put usr/share/roundcube/SQL/sqlite.initial.sql roundcube/sqlite/schema.sql
put usr/share/roundcube/SQL/postgres.initial.sql roundcube/postgres/schema.sql
put usr/share/roundcube/SQL/mysql.initial.sql roundcube/mysql/schema.sql

# Roundcube upgrade paths, Debian 11 → 12: bullseye's install schema (1.4, schema version
# 2019092900; dbconfig-common's install/<db> file is the same file), then the upgrade
# files Debian's dbconfig-common applies when roundcube-core is upgraded from bullseye's
# version: bookworm's upgrade/<db>/<package version> with a version above bullseye's, in
# dpkg version order. Each is the concatenation of upstream's SQL/<dialect>/YYYYMMDDNN.sql
# scripts dated after 2019092900 (rcmail_utils::db_update runs those same files, with no
# PHP-only step) plus an `UPDATE system` of the recorded schema version (data only).
put_deb11() {
  local src="$root11/$1" dest="$corpus/$2"
  [[ -f "$src" ]] || { echo "fetch-corpus: $1 is not in the extracted bullseye packages" >&2; exit 1; }
  mkdir -p "$(dirname "$dest")"
  cp "$src" "$dest"
}
rc11="$(dpkg-deb -f "$(compgen -G "$debs11/roundcube-core_*.deb" | head -n1)" Version)"
for pair in mysql:mysql pgsql:postgres sqlite3:sqlite; do
  db="${pair%%:*}" backend="${pair#*:}"
  put_deb11 "usr/share/roundcube/SQL/$backend.initial.sql" "roundcube/$backend/upgrade-deb11/base.sql"
  versions=()
  for f in "$root/usr/share/dbconfig-common/data/roundcube/upgrade/$db"/*; do
    v="$(basename "$f")"
    dpkg --compare-versions "$v" gt "$rc11" && versions+=("$v")
  done
  ((${#versions[@]})) || { echo "fetch-corpus: no roundcube $db upgrade file above $rc11" >&2; exit 1; }
  # insertion sort in dpkg version order
  sorted=()
  for v in "${versions[@]}"; do
    i=${#sorted[@]}
    while ((i > 0)) && dpkg --compare-versions "${sorted[i - 1]}" gt "$v"; do
      sorted[i]="${sorted[i - 1]}"
      i=$((i - 1))
    done
    sorted[i]="$v"
  done
  n=0
  for v in "${sorted[@]}"; do
    n=$((n + 1))
    put "usr/share/dbconfig-common/data/roundcube/upgrade/$db/$v" \
      "roundcube/$backend/upgrade-deb11/$(printf %02d "$n")-$v.sql"
  done
done

# PowerDNS generic SQL backends (pdns-backend-*)
put usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql pdns/sqlite/schema.sql
put usr/share/pdns-backend-pgsql/schema/schema.pgsql.sql pdns/postgres/schema.sql
put usr/share/pdns-backend-mysql/schema/schema.mysql.sql pdns/mysql/schema.sql
# upgrade path: the vendor's optional foreign keys on top of the install schema
put usr/share/pdns-backend-mysql/schema/schema.mysql.sql pdns/mysql/upgrade/base.sql
put usr/share/pdns-backend-mysql/schema/enable-foreign-keys.mysql.sql pdns/mysql/upgrade/01-enable-foreign-keys.sql
# upgrade paths, Debian 11 → 12: bullseye's 4.4 install schema, then bookworm's own
# 4.3→4.7 upgrade script (4.4's schema is 4.3's: bullseye ships no 4.3→4.4 script, and
# its install schema differs from bookworm's exactly by what that script changes; for
# SQLite, 4.4's schema already has the 4.3.0→4.3.1 index changes, so 4.3.1→4.7.0 applies)
put_deb11 usr/share/pdns-backend-mysql/schema/schema.mysql.sql pdns/mysql/upgrade-deb11/base.sql
put usr/share/pdns-backend-mysql/schema/4.3.0_to_4.7.0_schema.mysql.sql pdns/mysql/upgrade-deb11/01-4.3.0_to_4.7.0.sql
put_deb11 usr/share/pdns-backend-pgsql/schema/schema.pgsql.sql pdns/postgres/upgrade-deb11/base.sql
put usr/share/pdns-backend-pgsql/schema/4.3.0_to_4.7.0_schema.pgsql.sql pdns/postgres/upgrade-deb11/01-4.3.0_to_4.7.0.sql
put_deb11 usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql pdns/sqlite/upgrade-deb11/base.sql
put usr/share/pdns-backend-sqlite3/schema/4.3.1_to_4.7.0_schema.sqlite3.sql pdns/sqlite/upgrade-deb11/01-4.3.1_to_4.7.0.sql

# FreeRADIUS rlm_sql main schema (freeradius-config)
fr=etc/freeradius/3.0/mods-config/sql/main
put $fr/sqlite/schema.sql freeradius/sqlite/schema.sql
put $fr/postgresql/schema.sql freeradius/postgres/schema.sql
put $fr/mysql/schema.sql freeradius/mysql/schema.sql
# upgrade paths: the vendor's radacct post-processing schema on top of the main schema
put $fr/sqlite/schema.sql freeradius/sqlite/upgrade/base.sql
put $fr/sqlite/process-radacct-schema.sql freeradius/sqlite/upgrade/01-process-radacct.sql
put $fr/postgresql/schema.sql freeradius/postgres/upgrade/base.sql
put $fr/postgresql/process-radacct.sql freeradius/postgres/upgrade/01-process-radacct.sql
# the vendor's PostgreSQL file opens with `#` comment lines, which psql rejects: drop them
sed -i '/^#/d' "$corpus/freeradius/postgres/upgrade/01-process-radacct.sql"
put $fr/mysql/schema.sql freeradius/mysql/upgrade/base.sql
put $fr/mysql/process-radacct.sql freeradius/mysql/upgrade/01-process-radacct.sql

# Kamailio SIP server (kamailio-*-modules): standard-create.sql first (it creates the
# `version` table the others insert into), then every module's tables except the IMS
# ones (ims_dialog recreates dialog's tables: they are alternatives, not one schema).
kamailio() {
  local dir="$root/usr/share/kamailio/$1" dest="$corpus/kamailio/$2/schema.sql"
  [[ -f "$dir/standard-create.sql" ]] || { echo "fetch-corpus: $dir/standard-create.sql is missing" >&2; exit 1; }
  mkdir -p "$(dirname "$dest")"
  {
    cat "$dir/standard-create.sql"
    for f in "$dir"/*-create.sql; do
      case "$f" in */standard-create.sql | */ims_*) ;; *) cat "$f" ;; esac
    done
  } >"$dest"
}
kamailio db_sqlite sqlite
kamailio postgres postgres
kamailio mysql mysql

# Zabbix (zabbix-server-mysql, zabbix-server-pgsql, zabbix-proxy-sqlite3): schema.sql.gz
put usr/share/zabbix-proxy-sqlite3/schema.sql.gz zabbix/sqlite/schema.sql
put usr/share/zabbix-server-pgsql/schema.sql.gz zabbix/postgres/schema.sql
put usr/share/zabbix-server-mysql/schema.sql.gz zabbix/mysql/schema.sql

echo "$corpus"
