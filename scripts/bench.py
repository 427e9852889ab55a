#!/usr/bin/env python3
"""Benchmark retort against Alembic and raw SQL on SQLite, and print the ratios.

    python3 scripts/bench.py [--revisions N] [--runs K]

Builds retort in release mode, installs Alembic into target/bench-venv (from PyPI),
generates the same N revisions for both tools (each creates a table with an index and
a foreign key to the previous one), and times on fresh databases:

  * upgrade head  — retort vs Alembic vs the equivalent SQL piped into sqlite3
  * history       — retort vs Alembic, over the same revisions
  * downgrade base — retort vs Alembic

Each figure is the median of K runs. It measures; it asserts nothing.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / "target" / "bench-venv"


def run(cmd, cwd=None, stdin=None):
    subprocess.run(cmd, cwd=cwd, stdin=stdin, check=True, stdout=subprocess.DEVNULL)


def timed(cmd, cwd, runs, before=None, stdin_file=None):
    times = []
    for _ in range(runs):
        if before:
            before()
        start = time.perf_counter()
        if stdin_file:
            with open(stdin_file) as f:
                run(cmd, cwd=cwd, stdin=f)
        else:
            run(cmd, cwd=cwd)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def ensure_tools():
    run(["cargo", "build", "--release", "--quiet"], cwd=ROOT)
    alembic = VENV / "bin" / "alembic"
    if not alembic.exists():
        run([sys.executable, "-m", "venv", str(VENV)])
        run([str(VENV / "bin" / "pip"), "install", "--quiet", "alembic", "sqlalchemy"])
    return ROOT / "target" / "release" / "retort", alembic


def table_sql(i):
    parent = f", parent_id INTEGER REFERENCES t{i - 1} (id)" if i > 0 else ""
    return (
        f"CREATE TABLE t{i} (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(100) NOT NULL{parent});\n"
        f"CREATE INDEX ix_t{i}_name ON t{i} (name);\n"
    )


def make_retort(dir_, n):
    (dir_ / "versions").mkdir(parents=True)
    (dir_ / "retort.yaml").write_text("database_url: sqlite://bench.db\n")
    (dir_ / "schema.yaml").write_text("tables: {}\n")
    for i in range(n):
        down = f"r{i - 1:011d}" if i > 0 else "null"
        fk = (
            f"\n      foreign_keys: [{{name: fk_t{i}_parent, columns: [parent_id], references: {{table: t{i - 1}, columns: [id]}}}}]"
            if i > 0
            else ""
        )
        parent_col = "\n        parent_id: {type: integer}" if i > 0 else ""
        (dir_ / "versions" / f"r{i:011d}.yaml").write_text(
            f"""revision: r{i:011d}
down_revision: {down}
message: table {i}
upgrade:
  - create_table:
      name: t{i}
      columns:
        id: {{type: integer, primary_key: true}}
        name: {{type: varchar(100), nullable: false}}{parent_col}{fk}
  - create_index: {{name: ix_t{i}_name, table: t{i}, columns: [name]}}
downgrade:
  - drop_index: {{name: ix_t{i}_name, table: t{i}}}
  - drop_table: {{name: t{i}}}
"""
        )


def make_alembic(dir_, n):
    (dir_ / "versions").mkdir(parents=True)
    (dir_ / "alembic.ini").write_text(
        "[alembic]\nscript_location = .\nsqlalchemy.url = sqlite:///bench.db\n"
    )
    (dir_ / "env.py").write_text(
        """from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config
if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"))
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = engine_from_config(config.get_section(config.config_ini_section), prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, transactional_ddl=True)
        with context.begin_transaction():
            context.run_migrations()
"""
    )
    (dir_ / "script.py.mako").write_text("")
    for i in range(n):
        down = f"'r{i - 1:011d}'" if i > 0 else "None"
        parent = (
            f"\n        sa.Column('parent_id', sa.Integer, sa.ForeignKey('t{i - 1}.id', name='fk_t{i}_parent')),"
            if i > 0
            else ""
        )
        (dir_ / "versions" / f"r{i:011d}.py").write_text(
            f'''"""table {i}"""
from alembic import op
import sqlalchemy as sa

revision = 'r{i:011d}'
down_revision = {down}
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        't{i}',
        sa.Column('id', sa.Integer, primary_key=True),
        sa.Column('name', sa.String(100), nullable=False),{parent}
    )
    op.create_index('ix_t{i}_name', 't{i}', ['name'])


def downgrade():
    op.drop_index('ix_t{i}_name', 't{i}')
    op.drop_table('t{i}')
'''
        )


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--revisions", type=int, default=200)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    retort, alembic = ensure_tools()
    work = Path(tempfile.mkdtemp(prefix="retort-bench-"))
    try:
        r_dir, a_dir, s_dir = work / "retort", work / "alembic", work / "sql"
        make_retort(r_dir, args.revisions)
        make_alembic(a_dir, args.revisions)
        s_dir.mkdir()
        script = s_dir / "all.sql"
        script.write_text("BEGIN;\n" + "".join(table_sql(i) for i in range(args.revisions)) + "COMMIT;\n")

        def fresh(d):
            return lambda: (d / "bench.db").unlink(missing_ok=True)

        results = {}
        results["upgrade retort"] = timed([str(retort), "-q", "upgrade", "head"], r_dir, args.runs, fresh(r_dir))
        results["upgrade alembic"] = timed([str(alembic), "-c", "alembic.ini", "upgrade", "head"], a_dir, args.runs, fresh(a_dir))
        results["upgrade raw sql"] = timed(["sqlite3", "bench.db"], s_dir, args.runs, fresh(s_dir), stdin_file=script)
        results["history retort"] = timed([str(retort), "history"], r_dir, args.runs)
        results["history alembic"] = timed([str(alembic), "-c", "alembic.ini", "history"], a_dir, args.runs)

        def upgraded(d, cmd):
            def prepare():
                (d / "bench.db").unlink(missing_ok=True)
                run(cmd, cwd=d)
            return prepare

        results["downgrade retort"] = timed(
            [str(retort), "-q", "downgrade", "base"], r_dir, args.runs, upgraded(r_dir, [str(retort), "-q", "upgrade", "head"])
        )
        results["downgrade alembic"] = timed(
            [str(alembic), "-c", "alembic.ini", "downgrade", "base"], a_dir, args.runs,
            upgraded(a_dir, [str(alembic), "-c", "alembic.ini", "upgrade", "head"]),
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)

    n = args.revisions
    print(f"{n} revisions, SQLite, median of {args.runs} runs\n")
    for k, v in results.items():
        print(f"  {k:<20} {v * 1000:9.1f} ms")
    print()
    for what in ["upgrade", "history", "downgrade"]:
        r, a = results[f"{what} retort"], results[f"{what} alembic"]
        print(f"  {what:<10} alembic / retort = {a / r:6.1f}x")
    print(f"  upgrade    retort / raw sql  = {results['upgrade retort'] / results['upgrade raw sql']:6.1f}x")


if __name__ == "__main__":
    main()
