#!/usr/bin/env bash
# Prints the real-schema corpus table (schema x backend x step x result) with Alembic's
# compare_metadata beside it. Sets up a venv with alembic, sqlalchemy, psycopg2-binary
# and pymysql under target/corpus-venv on first use; fetches the corpus if missing.
# Source /work/db-env.sh (or set RETORT_TEST_POSTGRES_URL / RETORT_TEST_MYSQL_URL) first.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
venv="$repo/target/corpus-venv"
if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import alembic, sqlalchemy, psycopg2, pymysql' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q alembic sqlalchemy psycopg2-binary pymysql
fi
cache="${RETORT_CORPUS_CACHE:-$repo/target/corpus-cache}"
[[ -f "$cache/corpus/roundcube/sqlite/schema.sql" ]] || "$repo/scripts/fetch-corpus.sh" >/dev/null
exec "$venv/bin/python" "$repo/scripts/corpus-report.py" "$@"
