#!/usr/bin/env bash
# Fetches the real-schema corpus: vendor DDL shipped in Debian packages, downloaded with
# `apt-get download` (no other network), extracted with `dpkg-deb -x`, and laid out as
#
#   $CACHE/corpus/<schema>/<backend>/schema.sql            the vendor's install DDL
#   $CACHE/corpus/<schema>/<backend>/upgrade/base.sql      (upgrade paths) the starting schema
#   $CACHE/corpus/<schema>/<backend>/upgrade/NN-<name>.sql (upgrade paths) the vendor's
#                                                          own upgrade scripts, in order
#
# <backend> is sqlite, postgres or mysql. CACHE is $RETORT_CORPUS_CACHE, else
# target/corpus-cache under the repository. Nothing is committed; rerunning reuses the
# downloaded .deb files. Runs `apt-get update` first when a package is unknown to apt.
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

rm -rf "$root" "$corpus"
mkdir -p "$root" "$corpus"
for d in "$debs"/*.deb; do
  dpkg-deb -x "$d" "$root"
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

# PowerDNS generic SQL backends (pdns-backend-*)
put usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql pdns/sqlite/schema.sql
put usr/share/pdns-backend-pgsql/schema/schema.pgsql.sql pdns/postgres/schema.sql
put usr/share/pdns-backend-mysql/schema/schema.mysql.sql pdns/mysql/schema.sql
# upgrade path: the vendor's optional foreign keys on top of the install schema
put usr/share/pdns-backend-mysql/schema/schema.mysql.sql pdns/mysql/upgrade/base.sql
put usr/share/pdns-backend-mysql/schema/enable-foreign-keys.mysql.sql pdns/mysql/upgrade/01-enable-foreign-keys.sql

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
