#!/usr/bin/env python3
"""Prints the real-schema corpus table (schema x backend x step x result) from retort's
corpus test, and beside it the same rows measured with Alembic.

Alembic columns (per schema and backend, vendor DDL loaded with the backend's client):
  alembic-check    len(compare_metadata(ctx(vendor DB), MetaData.reflect(vendor DB))):
                   does Alembic's autogenerate, given the vendor database reflected by
                   SQLAlchemy, find nothing to do? (retort's `check` step)
  alembic-fixpoint metadata.create_all() on an empty database, then
                   len(compare_metadata(ctx(that DB), metadata)): does what SQLAlchemy
                   rebuilds from the reflection compare clean? (the first half of
                   retort's `fixpoint`; no catalog comparison)
Both count what compare_metadata reports, which by default ignores server defaults,
comments, collations and other details retort's catalog comparison does include.

Usage: scripts/corpus-report.sh (sets up the venv under target/ and runs this)
Needs RETORT_TEST_POSTGRES_URL / RETORT_TEST_MYSQL_URL for those backends.
"""

import os
import subprocess
import sys
import tempfile
import uuid
import warnings
from pathlib import Path
from urllib.parse import urlparse

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

REPO = Path(__file__).resolve().parent.parent
# SQLAlchemy warns on MySQL display widths (int(11)) it drops; the counts say enough.
warnings.filterwarnings("ignore", category=sa.exc.SAWarning)


def fresh_db(backend, tmp):
    """Creates an empty database; returns (retort-style URL, SQLAlchemy URL, drop())."""
    name = f"rt_report_{uuid.uuid4().hex[:10]}"
    if backend == "sqlite":
        path = Path(tmp) / f"{name}.db"
        return f"sqlite://{path}", f"sqlite:///{path}", lambda: None
    var = {"postgres": "RETORT_TEST_POSTGRES_URL", "mysql": "RETORT_TEST_MYSQL_URL"}[backend]
    server = os.environ.get(var)
    if not server:
        return None
    driver = {"postgres": "postgresql+psycopg2", "mysql": "mysql+pymysql"}[backend]
    admin = sa.create_engine(driver + server[server.index("://"):], isolation_level="AUTOCOMMIT")
    q = '"' if backend == "postgres" else "`"
    with admin.connect() as c:
        c.execute(sa.text(f"CREATE DATABASE {q}{name}{q}"))
    base = server.rsplit("/", 1)[0]

    def drop():
        force = " WITH (FORCE)" if backend == "postgres" else ""
        with admin.connect() as c:
            c.execute(sa.text(f"DROP DATABASE IF EXISTS {q}{name}{q}{force}"))
        admin.dispose()

    url = f"{base}/{name}"
    return url, driver + url[url.index("://"):], drop


def load(backend, url, sql_file):
    """Loads vendor DDL with the backend's own client; returns an error text or None."""
    with open(sql_file, "rb") as f:
        if backend == "sqlite":
            cmd = ["sqlite3", "-bail", url[len("sqlite://"):]]
        elif backend == "postgres":
            cmd = ["psql", "-q", "-X", "-v", "ON_ERROR_STOP=1", url]
        else:
            u = urlparse(url)
            cmd = ["mariadb", "--protocol=tcp", "-h", u.hostname, "-P", str(u.port or 3306),
                   "-u", u.username, f"-p{u.password or ''}", u.path.lstrip("/")]
        r = subprocess.run(cmd, stdin=f, capture_output=True)
    if r.returncode != 0:
        err = r.stderr.decode(errors="replace")
        lines = [l for l in err.splitlines() if "ERROR" in l or "Error" in l] or err.splitlines()
        return (lines[0] if lines else "load failed")[:120]
    return None


def diff_count(engine, metadata):
    with engine.connect() as conn:
        return len(compare_metadata(MigrationContext.configure(conn), metadata))


def alembic_row(schema, backend, sql_file, tmp):
    """(alembic-check, alembic-fixpoint) results for one vendor schema."""
    vendor = fresh_db(backend, tmp)
    if vendor is None:
        return None
    empty = fresh_db(backend, tmp)
    try:
        err = load(backend, vendor[0], sql_file)
        if err:
            return f"load failed: {err}", "-"
        ve = sa.create_engine(vendor[1])
        md = sa.MetaData()
        try:
            md.reflect(ve)
            check = f"{diff_count(ve, md)} diffs"
        except Exception as e:  # noqa: BLE001 - report what Alembic/SQLAlchemy said
            return f"error: {type(e).__name__}: {str(e).splitlines()[0][:100]}", "-"
        finally:
            ve.dispose()
        ee = sa.create_engine(empty[1])
        try:
            md.create_all(ee)
            fix = f"{diff_count(ee, md)} diffs"
        except Exception as e:  # noqa: BLE001
            fix = f"error: {type(e).__name__}: {str(e).splitlines()[0][:100]}"
        finally:
            ee.dispose()
        return check, fix
    finally:
        vendor[2]()
        empty[2]()


def retort_table():
    """Runs the corpus test and returns its rows: (schema, backend, step) -> line."""
    with tempfile.NamedTemporaryFile("r", suffix=".txt") as out:
        env = dict(os.environ, RETORT_CORPUS="1", RETORT_CORPUS_TABLE=out.name)
        subprocess.run(["cargo", "test", "-q", "--test", "corpus"], cwd=REPO, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rows = {}
        for line in Path(out.name).read_text().splitlines():
            parts = line.split(" ", 4)
            if len(parts) >= 4:
                rows[tuple(parts[:3])] = (parts[3], parts[4] if len(parts) > 4 else "")
        return rows


def main():
    cache = Path(os.environ.get("RETORT_CORPUS_CACHE", REPO / "target/corpus-cache"))
    corpus = cache / "corpus"
    rows = retort_table()
    if not rows:
        sys.exit("corpus-report: the corpus test wrote no table (run RETORT_CORPUS=1 cargo test --test corpus)")
    steps = ["load", "reflect", "validate", "check", "fixpoint", "upgrade", "upgrade-deb11"]
    print(f"{'schema':<11}{'backend':<10}" + "".join(f"{s:<14}" for s in steps)
          + f"{'alembic-check':<16}alembic-fixpoint")
    reasons = []
    with tempfile.TemporaryDirectory() as tmp:
        for schema_dir in sorted(p for p in corpus.iterdir() if p.is_dir()):
            schema = schema_dir.name
            for backend in ["sqlite", "postgres", "mysql"]:
                sql = schema_dir / backend / "schema.sql"
                if not sql.is_file():
                    continue
                cells = []
                for step in steps:
                    status, why = rows.get((schema, backend, step), ("-", ""))
                    cells.append(status)
                    if status in ("fail", "limit"):
                        reasons.append(f"{schema} {backend} {step}: {why}")
                al = alembic_row(schema, backend, sql, tmp) or ("(no server)", "(no server)")
                print(f"{schema:<11}{backend:<10}" + "".join(f"{c:<14}" for c in cells)
                      + f"{al[0]:<16}{al[1]}")
    print("\nfirst difference of each failing retort row (limit: only objects retort does not model, each warned about by check):")
    for r in reasons:
        print(f"  {r}")


if __name__ == "__main__":
    main()
