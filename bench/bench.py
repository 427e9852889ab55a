#!/usr/bin/env python3
"""Benchmark retort against Alembic and against each database's own client.

Run it through bench/run.sh, which installs what this needs (the clients, a virtualenv
with Alembic and SQLAlchemy, a release build of retort, the database servers) and sets
RETORT_BENCH_BIN and RETORT_BENCH_VENV.

Benchmarks (--only; sizes in brackets are the defaults, --quick shrinks them):

  upgrade    `upgrade head` over a chain of revisions [250, 1000, 4000], each creating a
             table with an index and a foreign key to the previous table: retort vs
             Alembic (the same operations as Alembic revision files) vs the client
             (sqlite3, psql, mariadb) running retort's own `upgrade head --sql` script
  downgrade  `downgrade base` over the same chains, vs Alembic and the client
  wide       one revision creating many tables [5000] vs its `--sql` through the client
  graph      `history`, `heads` and a no-op `upgrade head` over [1000, 5000] revisions,
             vs Alembic
  check      `check` with no differences on [200, 1000, 10000] tables (columns, an index
             and a foreign key each) vs Alembic's reflection + compare_metadata
  fleet      `upgrade head --all-targets` over [200] SQLite targets (retort.yaml
             `targets:`) of 20 revisions each, `--jobs 8` vs `--jobs 1` (SQLite only)

Every figure is the median of --runs whole-process runs after --warmup discarded
rounds; within a round the contenders run one after the other (the order rotating from
round to round), each on a fresh database made outside the timed part. Peak memory is
each process's max RSS as GNU time reports it. The script reports targets; it never
asserts them.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import unquote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "target" / "bench"

BENCHES = ["upgrade", "downgrade", "wide", "graph", "check", "fleet"]
BACKENDS = ["sqlite", "postgres", "mysql"]
FULL_SIZES = {
    "upgrade": [250, 1000, 4000],
    "downgrade": [250, 1000, 4000],
    "wide": [5000],
    "graph": [1000, 5000],
    "check": [200, 1000, 10000],
    "fleet": [200],
}
QUICK_SIZES = {
    "upgrade": [5, 20],
    "downgrade": [5, 20],
    "wide": [20],
    "graph": [10, 40],
    "check": [5, 20],
    "fleet": [4],
}
# Revisions in each fleet target's chain (issue 15), and the parallel run's --jobs.
FLEET_REVISIONS = 20
FLEET_JOBS = 8
BACKEND_TITLES = {"sqlite": "SQLite", "postgres": "PostgreSQL", "mysql": "MariaDB", "-": "—"}
CLIENTS = {"sqlite": "sqlite3", "postgres": "psql", "mysql": "mariadb"}
# The version and run-log tables retort keeps; Alembic's comparison leaves them out.
RETORT_TABLES = ("retort_version", "retort_log")
PROFILE_REVISIONS = 1000
# GNU time (Debian's `time` package), for each run's own peak memory.
TIME_BIN = "/usr/bin/time"


class BenchError(Exception):
    """A command the benchmark depends on failed; the message names it."""


# --------------------------------------------------------------------------------------
# Running and measuring processes
# --------------------------------------------------------------------------------------


@dataclass
class Job:
    """One whole-process run: the command, where, and the file fed to its stdin."""

    cmd: list[str]
    cwd: Path
    stdin: Path | None = None
    env: dict[str, str] | None = None


@dataclass
class Sample:
    """What one run cost: wall seconds, user and system CPU seconds, peak memory (KiB)."""

    seconds: float
    user: float
    sys: float
    rss_kib: int


def describe(job: Job) -> str:
    text = " ".join(job.cmd)
    if job.stdin:
        text += f" < {job.stdin}"
    return f"`{text}` (in {job.cwd})"


def measure(job: Job) -> Sample:
    """Runs the job, timing the whole process; raises BenchError when it fails.

    The process runs under GNU time, whose `%M` is the job's own peak RSS: Linux keeps a
    process's pre-exec high-water mark, so a child spawned straight from this (large)
    Python process would report at least Python's RSS. The CPU times come from wait4 and
    include GNU time's own, which is negligible."""
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r") as rss:
        stdin = open(job.stdin, "rb") if job.stdin else subprocess.DEVNULL
        cmd = [TIME_BIN, "-f", "%M", "-o", rss.name, *job.cmd]
        try:
            start = time.perf_counter()
            proc = subprocess.Popen(cmd, cwd=job.cwd, stdin=stdin, stdout=subprocess.DEVNULL, stderr=err, env=job.env)
            _, status, usage = os.wait4(proc.pid, 0)
            seconds = time.perf_counter() - start
            proc.returncode = os.waitstatus_to_exitcode(status)
        except OSError as e:
            raise BenchError(f"could not run {describe(job)}: {e}") from e
        finally:
            if job.stdin:
                stdin.close()
        if proc.returncode != 0:
            err.seek(0)
            tail = err.read().decode(errors="replace").strip().splitlines()[-15:]
            raise BenchError(
                f"{describe(job)} exited with {proc.returncode}:\n    " + "\n    ".join(tail)
            )
        lines = [line for line in rss.read().splitlines() if line.strip()]
        try:
            rss_kib = int(lines[-1])
        except (IndexError, ValueError) as e:
            raise BenchError(f"{TIME_BIN} -f %M gave no peak memory for {describe(job)}: {lines!r}") from e
    return Sample(seconds, usage.ru_utime, usage.ru_stime, rss_kib)


def run_quiet(cmd: list[str], cwd: Path | None = None, env=None, stdin: Path | None = None) -> str:
    """Runs an untimed setup command and returns its stdout; raises BenchError on failure."""
    stdin_file = open(stdin, "rb") if stdin else subprocess.DEVNULL
    try:
        res = subprocess.run(cmd, cwd=cwd, env=env, stdin=stdin_file, capture_output=True)
    except OSError as e:
        raise BenchError(f"could not run `{' '.join(cmd)}`: {e}") from e
    finally:
        if stdin:
            stdin_file.close()
    if res.returncode != 0:
        tail = res.stderr.decode(errors="replace").strip().splitlines()[-15:]
        where = f" < {stdin}" if stdin else ""
        raise BenchError(
            f"setup command `{' '.join(cmd)}{where}` exited with {res.returncode}:\n    "
            + "\n    ".join(tail)
        )
    return res.stdout.decode(errors="replace")


@dataclass
class Contender:
    """One side of a comparison: `prepare` does the untimed setup and returns the job to
    time and a cleanup to run after it."""

    label: str
    prepare: Callable[[], tuple[Job, Callable[[], None]]]


def interleave(contenders: list[Contender], runs: int, warmup: int) -> dict[str, list[Sample]]:
    """warmup + runs rounds; in each, every contender once, the order rotating."""
    samples: dict[str, list[Sample]] = {c.label: [] for c in contenders}
    for rnd in range(warmup + runs):
        shift = rnd % len(contenders)
        for c in contenders[shift:] + contenders[:shift]:
            job, cleanup = c.prepare()
            try:
                sample = measure(job)
            finally:
                cleanup()
            if rnd >= warmup:
                samples[c.label].append(sample)
    return samples


# --------------------------------------------------------------------------------------
# Databases
# --------------------------------------------------------------------------------------


@dataclass
class Database:
    """One fresh, empty database and the ways each tool reaches it."""

    name: str
    retort_url: str
    sa_url: str
    client: list[str]


class Backend:
    """Creates and drops databases on one backend."""

    name = ""

    def __init__(self) -> None:
        self.counter = 0
        self.live: dict[str, Database] = {}

    def next_name(self, tag: str) -> str:
        self.counter += 1
        return f"retort_bench_{os.getpid()}_{tag}_{self.counter}"

    def create(self, tag: str) -> Database:
        raise NotImplementedError

    def drop(self, db: Database) -> None:
        raise NotImplementedError

    def drop_all(self) -> None:
        for db in list(self.live.values()):
            try:
                self.drop(db)
            except BenchError as e:
                print(f"bench: warning: {e}", file=sys.stderr)

    def server_version(self) -> str:
        raise NotImplementedError


class SqliteBackend(Backend):
    name = "sqlite"

    def __init__(self) -> None:
        super().__init__()
        self.dir = WORK / "db"
        self.dir.mkdir(parents=True, exist_ok=True)

    def create(self, tag: str) -> Database:
        path = self.dir / f"{self.next_name(tag)}.db"
        self.remove_files(path)
        db = Database(path.name, f"sqlite://{path}", f"sqlite:///{path}", ["sqlite3", "-bail", str(path)])
        self.live[db.name] = db
        return db

    @staticmethod
    def remove_files(path: Path) -> None:
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    def drop(self, db: Database) -> None:
        self.remove_files(self.dir / db.name)
        self.live.pop(db.name, None)

    def server_version(self) -> str:
        return f"retort's bundled SQLite {bundled_sqlite_version()}"


def bundled_sqlite_version() -> str:
    """The SQLite library built into retort: the version in the header of the
    `libsqlite3-sys` crate that Cargo.lock pins (sqlx's `sqlite-bundled`)."""
    lock = (ROOT / "Cargo.lock").read_text()
    m = re.search(r'name = "libsqlite3-sys"\nversion = "([^"]+)"', lock)
    if not m:
        return "(version unknown: libsqlite3-sys not in Cargo.lock)"
    crate = m.group(1)
    home = Path(os.environ.get("CARGO_HOME", Path.home() / ".cargo"))
    for header in sorted(home.glob(f"registry/src/*/libsqlite3-sys-{crate}/sqlite3/sqlite3.h")):
        v = re.search(r'#define SQLITE_VERSION\s+"([^"]+)"', header.read_text(errors="replace"))
        if v:
            return f"{v.group(1)} (libsqlite3-sys {crate})"
    return f"from libsqlite3-sys {crate}"


class ServerBackend(Backend):
    """PostgreSQL or MariaDB, reached through the URL in the test environment variable."""

    def __init__(self, name: str, url: str) -> None:
        super().__init__()
        self.name = name
        self.url = url
        parts = urlsplit(url)
        if not parts.hostname:
            raise BenchError(f"cannot read a host from the {name} URL {mask(url)}")
        self.parts = parts

    def with_db(self, name: str) -> str:
        p = self.parts
        return urlunsplit((p.scheme, p.netloc, "/" + name, p.query, ""))

    def admin(self, sql: str) -> str:
        raise NotImplementedError

    def create(self, tag: str) -> Database:
        name = self.next_name(tag)
        self.admin(f"CREATE DATABASE {name}")
        db = self.database(name)
        self.live[name] = db
        return db

    def database(self, name: str) -> Database:
        raise NotImplementedError


class PostgresBackend(ServerBackend):
    def __init__(self, url: str) -> None:
        super().__init__("postgres", url)

    def psql(self, url: str) -> list[str]:
        return ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url.replace("postgres://", "postgresql://", 1)]

    def admin(self, sql: str) -> str:
        return run_quiet(self.psql(self.url) + ["-tA", "-c", sql])

    def database(self, name: str) -> Database:
        url = self.with_db(name)
        sa = "postgresql+psycopg2://" + url.split("://", 1)[1]
        return Database(name, url, sa, self.psql(url))

    def drop(self, db: Database) -> None:
        self.admin(f"DROP DATABASE IF EXISTS {db.name} WITH (FORCE)")
        self.live.pop(db.name, None)

    def server_version(self) -> str:
        return "PostgreSQL " + self.admin("SHOW server_version").strip()


class MysqlBackend(ServerBackend):
    def __init__(self, url: str) -> None:
        super().__init__("mysql", url)

    def mariadb(self, dbname: str | None) -> list[str]:
        p = self.parts
        cmd = ["mariadb", "--no-defaults", "--protocol=TCP", "-h", p.hostname or "127.0.0.1"]
        if p.port:
            cmd += ["-P", str(p.port)]
        if p.username:
            cmd += ["-u", unquote(p.username)]
        if p.password:
            cmd += [f"--password={unquote(p.password)}"]
        return cmd + ([dbname] if dbname else [])

    def admin(self, sql: str) -> str:
        return run_quiet(self.mariadb(None) + ["-N", "-B", "-e", sql])

    def database(self, name: str) -> Database:
        url = self.with_db(name)
        sa = "mysql+pymysql://" + url.split("://", 1)[1]
        return Database(name, url, sa, self.mariadb(name))

    def drop(self, db: Database) -> None:
        self.admin(f"DROP DATABASE IF EXISTS {db.name}")
        self.live.pop(db.name, None)

    def server_version(self) -> str:
        return "MariaDB " + self.admin("SELECT VERSION()").strip()


def mask(url: str) -> str:
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


# --------------------------------------------------------------------------------------
# Fixtures: the same revisions for retort and Alembic
# --------------------------------------------------------------------------------------


def rev_id(i: int) -> str:
    return f"{i + 1:012x}"


ALEMBIC_ENV = '''"""Alembic environment for the benchmark: the URL comes from BENCH_SA_URL."""
import os

from alembic import context
from sqlalchemy import create_engine, event, pool

url = os.environ["BENCH_SA_URL"]
if context.is_offline_mode():
    context.configure(url=url)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = create_engine(url, poolclass=pool.NullPool)
    if engine.dialect.name == "sqlite":
        # SQLAlchemy's documented recipe for transactional DDL with pysqlite, which
        # otherwise commits each DDL statement on its own.
        @event.listens_for(engine, "connect")
        def no_implicit_transactions(dbapi_connection, connection_record):
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def explicit_begin(conn):
            conn.exec_driver_sql("BEGIN")

    with engine.connect() as connection:
        # One transaction for the whole run where the backend allows, as retort does.
        transactional = engine.dialect.name in ("sqlite", "postgresql")
        context.configure(connection=connection, transactional_ddl=transactional)
        with context.begin_transaction():
            context.run_migrations()
'''

ALEMBIC_CHECK = '''"""Alembic's side of `check`: reflect the database, compare_metadata, exit 1 on any diff."""
import os
import sys

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, pool

from bench_metadata import metadata

SKIP = {skip!r}


def include_name(name, type_, parent_names):
    return not (type_ == "table" and name in SKIP)


engine = create_engine(os.environ["BENCH_SA_URL"], poolclass=pool.NullPool)
with engine.connect() as connection:
    context = MigrationContext.configure(
        connection, opts={{"include_name": include_name, "compare_type": True}}
    )
    diffs = compare_metadata(context, metadata)


def relevant(diff):
    # SQLite reads an INTEGER PRIMARY KEY declared without NOT NULL (as retort writes
    # it) back as nullable, where the model says not null: not a difference here.
    first = diff[0] if isinstance(diff, list) else diff
    return not (
        engine.dialect.name == "sqlite" and first[0] == "modify_nullable" and first[3] == "id"
    )


diffs = [d for d in diffs if relevant(d)]
if diffs:
    print(f"{{len(diffs)}} differences, e.g. {{diffs[:5]}}", file=sys.stderr)
    sys.exit(1)
'''


def write_retort_project(dir_: Path, schema_yaml: str = "tables: {}\n") -> None:
    (dir_ / "versions").mkdir(parents=True)
    (dir_ / "retort.yaml").write_text(
        "database_url: sqlite://bench.db\nschema: schema.yaml\nversions: versions\n"
    )
    (dir_ / "schema.yaml").write_text(schema_yaml)


def write_alembic_project(dir_: Path) -> None:
    (dir_ / "versions").mkdir(parents=True)
    (dir_ / "alembic.ini").write_text("[alembic]\nscript_location = .\n")
    (dir_ / "env.py").write_text(ALEMBIC_ENV)
    (dir_ / "script.py.mako").write_text("")


def chain_retort_revision(i: int) -> str:
    down = rev_id(i - 1) if i > 0 else "null"
    parent = ""
    if i > 0:
        parent = (
            "\n        parent_id: {type: integer}"
            f"\n      foreign_keys: [{{name: fk_t{i}_parent, columns: [parent_id], "
            f"references: {{table: t{i - 1}, columns: [id]}}}}]"
        )
    return f"""revision: {rev_id(i)}
down_revision: {down}
message: table {i}
upgrade:
  - create_table:
      name: t{i}
      columns:
        id: {{type: integer, primary_key: true}}
        name: {{type: varchar(100), nullable: false}}{parent}
  - create_index: {{name: ix_t{i}_name, table: t{i}, columns: [name]}}
downgrade:
  - drop_index: {{name: ix_t{i}_name, table: t{i}}}
  - drop_table: {{name: t{i}}}
"""


def chain_alembic_revision(i: int) -> str:
    down = f"'{rev_id(i - 1)}'" if i > 0 else "None"
    parent = ""
    if i > 0:
        parent = (
            f"\n        sa.Column('parent_id', sa.Integer, "
            f"sa.ForeignKey('t{i - 1}.id', name='fk_t{i}_parent')),"
        )
    return f'''"""table {i}"""
from alembic import op
import sqlalchemy as sa

revision = '{rev_id(i)}'
down_revision = {down}
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        't{i}',
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=False),
        sa.Column('name', sa.String(100), nullable=False),{parent}
    )
    op.create_index('ix_t{i}_name', 't{i}', ['name'])


def downgrade():
    op.drop_index('ix_t{i}_name', 't{i}')
    op.drop_table('t{i}')
'''


def wide_table_yaml(i: int, indent: str) -> str:
    """One table of the `wide` and `check` fixtures in schema.yaml form (with `name`
    omitted): four columns, an index and a foreign key (t0's to itself)."""
    ref = f"t{i - 1}" if i > 0 else "t0"
    return (
        f"{indent}columns:\n"
        f"{indent}  id: {{type: integer, primary_key: true}}\n"
        f"{indent}  name: {{type: varchar(100), nullable: false}}\n"
        f"{indent}  note: {{type: text}}\n"
        f"{indent}  parent_id: {{type: integer}}\n"
        f"{indent}indexes: [{{name: ix_t{i}_name, columns: [name]}}]\n"
        f"{indent}foreign_keys: [{{name: fk_t{i}_parent, columns: [parent_id], "
        f"references: {{table: {ref}, columns: [id]}}}}]\n"
    )


def wide_revision(n: int) -> str:
    ups = "".join(f"  - create_table:\n      name: t{i}\n" + wide_table_yaml(i, "      ") for i in range(n))
    downs = "".join(f"  - drop_table: {{name: t{i}}}\n" for i in reversed(range(n)))
    return (
        f"revision: {rev_id(0)}\ndown_revision: null\nmessage: {n} tables\n"
        f"upgrade:\n{ups}downgrade:\n{downs}"
    )


def wide_schema(n: int) -> str:
    return "tables:\n" + "".join(f"  t{i}:\n" + wide_table_yaml(i, "    ") for i in range(n))


def wide_metadata_module(n: int) -> str:
    lines = [
        "from sqlalchemy import Column, ForeignKey, Index, Integer, MetaData, String, Table, Text",
        "",
        "metadata = MetaData()",
        "",
    ]
    for i in range(n):
        ref = f"t{i - 1}" if i > 0 else "t0"
        lines.append(
            f"Table('t{i}', metadata, Column('id', Integer, primary_key=True, autoincrement=False), "
            f"Column('name', String(100), nullable=False), Column('note', Text), "
            f"Column('parent_id', Integer, ForeignKey('{ref}.id', name='fk_t{i}_parent')), "
            f"Index('ix_t{i}_name', 'name'))"
        )
    return "\n".join(lines) + "\n"


class Fixtures:
    """Generates fixture projects under target/bench/fixtures, once per run of the script."""

    def __init__(self) -> None:
        self.dir = WORK / "fixtures"
        if self.dir.exists():
            shutil.rmtree(self.dir)
        self.dir.mkdir(parents=True)
        self.made: set[str] = set()

    def chain(self, n: int) -> Path:
        """retort/ and alembic/ projects with the same chain of n revisions."""
        d = self.dir / f"chain-{n}"
        if d.name not in self.made:
            write_retort_project(d / "retort")
            write_alembic_project(d / "alembic")
            for i in range(n):
                (d / "retort" / "versions" / f"{rev_id(i)}_table_{i}.yaml").write_text(chain_retort_revision(i))
                (d / "alembic" / "versions" / f"{rev_id(i)}_table_{i}.py").write_text(chain_alembic_revision(i))
            self.made.add(d.name)
        return d

    def fleet(self, n: int) -> Path:
        """A retort project with FLEET_REVISIONS chain revisions and n SQLite targets
        (files under dbs/, which each run starts without)."""
        d = self.dir / f"fleet-{n}"
        if d.name not in self.made:
            (d / "versions").mkdir(parents=True)
            (d / "dbs").mkdir()
            targets = "".join(f"  t{i:04d}: \"sqlite://dbs/t{i:04d}.db\"\n" for i in range(n))
            (d / "retort.yaml").write_text(f"schema: schema.yaml\nversions: versions\ntargets:\n{targets}")
            (d / "schema.yaml").write_text("tables: {}\n")
            for i in range(FLEET_REVISIONS):
                (d / "versions" / f"{rev_id(i)}_table_{i}.yaml").write_text(chain_retort_revision(i))
            self.made.add(d.name)
        return d

    def wide(self, n: int) -> Path:
        """A retort project whose schema.yaml declares n tables and whose one revision
        creates them, and alembic/ with the same tables as SQLAlchemy metadata."""
        d = self.dir / f"wide-{n}"
        if d.name not in self.made:
            write_retort_project(d / "retort", wide_schema(n))
            (d / "retort" / "versions" / f"{rev_id(0)}_tables.yaml").write_text(wide_revision(n))
            (d / "alembic").mkdir()
            (d / "alembic" / "bench_metadata.py").write_text(wide_metadata_module(n))
            (d / "alembic" / "check_alembic.py").write_text(ALEMBIC_CHECK.format(skip=RETORT_TABLES))
            self.made.add(d.name)
        return d


# --------------------------------------------------------------------------------------
# The benchmarks
# --------------------------------------------------------------------------------------


@dataclass
class Stat:
    """The median of one contender's runs, and its peak memory over them."""

    median: float
    cpu_median: float
    rss_max_kib: int
    runs: int


@dataclass
class Row:
    """One line of the results table."""

    bench: str
    operation: str
    backend: str
    size: int
    unit: str
    stats: dict[str, Stat] = field(default_factory=dict)
    error: str | None = None
    # What the "client" column holds when it is not the database's client.
    client_label: str | None = None


def summarise(samples: dict[str, list[Sample]]) -> dict[str, Stat]:
    return {
        label: Stat(
            statistics.median(s.seconds for s in ss),
            statistics.median(s.user + s.sys for s in ss),
            max(s.rss_kib for s in ss),
            len(ss),
        )
        for label, ss in samples.items()
        if ss
    }


class Bench:
    """Runs the chosen benchmarks and collects their rows."""

    def __init__(self, args, backends: dict[str, Backend], fixtures: Fixtures) -> None:
        self.args = args
        self.backends = backends
        self.fx = fixtures
        self.retort = os.environ.get("RETORT_BENCH_BIN") or str(ROOT / "target" / "release" / "retort")
        venv = Path(os.environ.get("RETORT_BENCH_VENV") or ROOT / "target" / "bench-venv")
        self.alembic = str(venv / "bin" / "alembic")
        self.python = str(venv / "bin" / "python")
        self.rows: list[Row] = []
        self.env = {k: v for k, v in os.environ.items() if k not in ("RETORT_CONFIG", "DATABASE_URL")}

    # -- jobs ---------------------------------------------------------------------

    def retort_job(self, project: Path, url: str, *args: str) -> Job:
        return Job([self.retort, "-q", "-c", str(project / "retort.yaml"), "--url", url, *args], project, env=self.env)

    def alembic_job(self, project: Path, db: Database | None, *args: str) -> Job:
        env = dict(self.env, BENCH_SA_URL=db.sa_url if db else "sqlite://")
        return Job([self.alembic, "-c", str(project / "alembic.ini"), *args], project, env=env)

    def client_job(self, db: Database, script: Path) -> Job:
        return Job(db.client, script.parent, stdin=script, env=self.env)

    def sql_script(self, project: Path, backend: Backend, name: str, *args: str) -> Path:
        """retort's offline script for `args`, written once per backend."""
        path = project / f"{name}-{backend.name}.sql"
        if not path.exists():
            url = {"sqlite": "sqlite://offline.db", "postgres": "postgres://offline/db", "mysql": "mysql://offline/db"}
            job = self.retort_job(project, url[backend.name], *args, "--sql")
            path.write_text(run_quiet(job.cmd, cwd=project, env=self.env))
        return path

    def fresh(
        self,
        backend: Backend,
        tag: str,
        setup: Callable[[Database], Job] | None,
        make: Callable[[Database], Job],
    ) -> Callable[[], tuple[Job, Callable[[], None]]]:
        """A prepare step: a new database, an optional untimed setup job, then the job."""

        def prepare():
            db = backend.create(tag)
            try:
                if setup is not None:
                    measure(setup(db))
                return make(db), lambda: backend.drop(db)
            except BaseException:
                backend.drop(db)
                raise

        return prepare

    # -- bookkeeping --------------------------------------------------------------

    def record_with(self, n: int, row: Row, contenders: list[Contender]) -> None:
        self.record(row, self.with_alembic(row.bench, n, contenders))

    def record(self, row: Row, contenders: list[Contender]) -> None:
        title = f"{row.operation} · {BACKEND_TITLES[row.backend]} · {row.size} {row.unit}"
        print(f"bench: {title} ...", file=sys.stderr, flush=True)
        try:
            row.stats = summarise(interleave(contenders, self.args.runs, self.args.warmup))
            figures = ", ".join(f"{k} {v.median:.3f} s" for k, v in row.stats.items())
            print(f"bench:   {figures}", file=sys.stderr, flush=True)
        except BenchError as e:
            row.error = str(e)
            print(f"bench:   FAILED: {e}", file=sys.stderr, flush=True)
        self.rows.append(row)

    def cap(self, bench: str, who: str, n: int) -> bool:
        """Whether `who` (a backend or alembic) runs at size n of `bench` (see --cap)."""
        caps = self.args.caps
        return n <= caps.get(f"{bench}.{who}", caps.get(who, n))

    def backends_for(self, bench: str, n: int) -> list[Backend]:
        """The backends whose rows of `bench` run at size n."""
        return [b for name, b in self.backends.items() if self.cap(bench, name, n)]

    def with_alembic(self, bench: str, n: int, contenders: list[Contender]) -> list[Contender]:
        """`contenders` without Alembic's above its --cap."""
        if self.cap(bench, "alembic", n):
            return contenders
        return [c for c in contenders if c.label != "alembic"]

    # -- benchmarks ---------------------------------------------------------------

    def upgrade(self, n: int) -> None:
        d = self.fx.chain(n)
        r, a = d / "retort", d / "alembic"
        for backend in self.backends_for("upgrade", n):
            up = self.sql_script(r, backend, "up", "upgrade", "head")
            contenders = [
                Contender("retort", self.fresh(backend, "up", None, lambda db: self.retort_job(r, db.retort_url, "upgrade", "head"))),
                Contender("alembic", self.fresh(backend, "up", None, lambda db: self.alembic_job(a, db, "upgrade", "head"))),
                Contender("client", self.fresh(backend, "up", None, lambda db: self.client_job(db, up))),
            ]
            self.record_with(n, Row("upgrade", "upgrade head", backend.name, n, "revisions"), contenders)

    def downgrade(self, n: int) -> None:
        d = self.fx.chain(n)
        r, a = d / "retort", d / "alembic"
        for backend in self.backends_for("downgrade", n):
            up = self.sql_script(r, backend, "up", "upgrade", "head")
            down = self.sql_script(r, backend, "down", "downgrade", "head:base")
            contenders = [
                Contender("retort", self.fresh(
                    backend, "down",
                    lambda db: self.retort_job(r, db.retort_url, "upgrade", "head"),
                    lambda db: self.retort_job(r, db.retort_url, "downgrade", "base"))),
                Contender("alembic", self.fresh(
                    backend, "down",
                    lambda db: self.alembic_job(a, db, "upgrade", "head"),
                    lambda db: self.alembic_job(a, db, "downgrade", "base"))),
                Contender("client", self.fresh(
                    backend, "down",
                    lambda db: self.client_job(db, up),
                    lambda db: self.client_job(db, down))),
            ]
            self.record_with(n, Row("downgrade", "downgrade base", backend.name, n, "revisions"), contenders)

    def wide(self, n: int) -> None:
        r = self.fx.wide(n) / "retort"
        for backend in self.backends_for("wide", n):
            up = self.sql_script(r, backend, "up", "upgrade", "head")
            contenders = [
                Contender("retort", self.fresh(backend, "wide", None, lambda db: self.retort_job(r, db.retort_url, "upgrade", "head"))),
                Contender("client", self.fresh(backend, "wide", None, lambda db: self.client_job(db, up))),
            ]
            self.record_with(n, Row("wide", "one revision, upgrade head", backend.name, n, "tables"), contenders)

    def graph(self, n: int) -> None:
        d = self.fx.chain(n)
        r, a = d / "retort", d / "alembic"
        offline = "sqlite://offline.db"
        for op in ("history", "heads"):
            contenders = [
                Contender("retort", lambda op=op: (self.retort_job(r, offline, op), lambda: None)),
                Contender("alembic", lambda op=op: (self.alembic_job(a, None, op), lambda: None)),
            ]
            self.record_with(n, Row("graph", op, "-", n, "revisions"), contenders)
        for backend in self.backends_for("graph", n):
            db = backend.create("noop")
            try:
                # At head as an application's database is: its tables exist (SQLite
                # reads their definitions at every connection) and its run log is full.
                run_quiet(self.retort_job(r, db.retort_url, "upgrade", "head").cmd, cwd=r, env=self.env)
                job = self.alembic_job(a, db, "stamp", "head")
                run_quiet(job.cmd, cwd=a, env=job.env)
                contenders = [
                    Contender("retort", lambda: (self.retort_job(r, db.retort_url, "upgrade", "head"), lambda: None)),
                    Contender("alembic", lambda: (self.alembic_job(a, db, "upgrade", "head"), lambda: None)),
                ]
                self.record_with(n, Row("graph", "no-op upgrade head", backend.name, n, "revisions"), contenders)
            except BenchError as e:
                self.rows.append(Row("graph", "no-op upgrade head", backend.name, n, "revisions", error=str(e)))
            finally:
                backend.drop(db)

    def check(self, n: int) -> None:
        d = self.fx.wide(n)
        r, a = d / "retort", d / "alembic"
        for backend in self.backends_for("check", n):
            db = backend.create("check")
            try:
                run_quiet(self.retort_job(r, db.retort_url, "upgrade", "head").cmd, cwd=r, env=self.env)
                env = dict(self.env, BENCH_SA_URL=db.sa_url)
                contenders = [
                    Contender("retort", lambda: (self.retort_job(r, db.retort_url, "check"), lambda: None)),
                    Contender("alembic", lambda: (Job([self.python, "check_alembic.py"], a, env=env), lambda: None)),
                ]
                self.record_with(n, Row("check", "check (no differences)", backend.name, n, "tables"), contenders)
            except BenchError as e:
                self.rows.append(Row("check", "check (no differences)", backend.name, n, "tables", error=str(e)))
            finally:
                backend.drop(db)

    def fleet(self, n: int) -> None:
        """`upgrade head --all-targets` over n SQLite targets, --jobs FLEET_JOBS ("retort")
        against --jobs 1 (in the "client" column), each run from no database files."""
        if "sqlite" not in self.backends:
            return
        d = self.fx.fleet(n)

        def prepare(jobs: int):
            def go():
                for f in (d / "dbs").iterdir():
                    f.unlink()
                cmd = [self.retort, "-q", "-c", str(d / "retort.yaml"), "upgrade", "head",
                       "--all-targets", "--jobs", str(jobs)]
                return Job(cmd, d, env=self.env), lambda: None
            return go

        contenders = [Contender("retort", prepare(FLEET_JOBS)), Contender("client", prepare(1))]
        row = Row("fleet", f"fleet: upgrade head --all-targets --jobs {FLEET_JOBS}, {FLEET_REVISIONS} revisions each",
                  "sqlite", n, "targets", client_label="--jobs 1")
        self.record(row, contenders)

    def profile(self) -> str:
        """Where the time goes in `upgrade head` over PROFILE_REVISIONS revisions on
        SQLite: one plain run's wall/user/system split, then a perf profile of a second
        run, its self time grouped by component and its top functions."""
        if not shutil.which("perf"):
            return "perf is not installed (apt-get install linux-perf); no profile taken.\n"
        r = self.fx.chain(PROFILE_REVISIONS) / "retort"
        backend = self.backends.get("sqlite") or SqliteBackend()
        data = WORK / "perf.data"
        dbs = [backend.create("profile"), backend.create("profile")]
        try:
            plain = measure(self.retort_job(r, dbs[0].retort_url, "upgrade", "head"))
            job = self.retort_job(r, dbs[1].retort_url, "upgrade", "head")
            # DWARF unwinding works from the .eh_frame tables of a release build.
            run_quiet(["perf", "record", "-q", "-F", "1000", "--call-graph", "dwarf,16384", "-o", str(data),
                       "--", *job.cmd], cwd=r, env=self.env)
            report = ["perf", "report", "-i", str(data), "--stdio", "-g", "none"]
            text = run_quiet(report + ["--no-children", "--sort", "dso,symbol", "--percent-limit", "0"])
            inclusive = run_quiet(report + ["--children", "--sort", "symbol", "--percent-limit", "2"])
        except BenchError as e:
            return f"The profile could not be taken: {e}\n"
        finally:
            for db in dbs:
                backend.drop(db)
        entries = parse_perf_report(text)
        if not entries:
            return "perf recorded no samples.\n"
        groups: dict[str, float] = {}
        for pct, dso, sym in entries:
            groups[component(dso, sym)] = groups.get(component(dso, sym), 0.0) + pct
        out = [
            f"`retort upgrade head` over {PROFILE_REVISIONS:,} revisions on SQLite, one run without "
            f"a profiler: {plain.seconds:.3f} s wall, {plain.user:.3f} s user CPU, {plain.sys:.3f} s "
            f"system CPU, {plain.rss_kib / 1024:.1f} MiB max RSS (wall minus CPU is waiting: "
            "for the disk, or for a CPU on a busy machine).\n\n"
            "A second run under `perf record -F 1000 --call-graph dwarf` (CPU samples only), "
            "self time by component:\n\n"
            "| component | share of CPU samples |\n|---|---:|\n",
        ]
        for name, pct in sorted(groups.items(), key=lambda kv: -kv[1]):
            out.append(f"| {name} | {pct:.1f} % |\n")
        out.append("\nThe functions with the most self time:\n\n| share | where | function |\n|---:|---|---|\n")
        for pct, dso, sym in entries[:15]:
            short = sym if len(sym) <= 110 else sym[:107] + "..."
            out.append(f"| {pct:.1f} % | {dso} | `{short.replace('|', '∣')}` |\n")
        calls = [row for row in parse_perf_children(inclusive) if OWN_CODE.search(row[1])][:15]
        if calls:
            out.append("\nInclusive time (the function and everything it calls) of retort's own functions "
                       "and SQLite's entry points:\n\n| inclusive | function |\n|---:|---|\n")
            for pct, sym in calls:
                short = sym if len(sym) <= 110 else sym[:107] + "..."
                out.append(f"| {pct:.1f} % | `{short.replace('|', '∣')}` |\n")
        return "".join(out)


def parse_perf_report(text: str) -> list[tuple[float, str, str]]:
    """(percent, dso, symbol) rows of `perf report --stdio --sort dso,symbol`, largest first."""
    rows = []
    for line in text.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+\[(.)\]\s+(.*)$", line)
        if m:
            # perf pads the symbol column and may add more after it: keep the first cell.
            rows.append((float(m.group(1)), m.group(2), re.split(r"\s{2,}", m.group(4).strip())[0]))
    rows.sort(key=lambda r: -r[0])
    return rows


# Functions worth naming in the inclusive view: retort's own, and SQLite's entry points.
OWN_CODE = re.compile(
    r"^(<?retort_engine::|retort::|core::ptr::drop_in_place<retort_engine::|sqlite3_(step|exec|prepare_v3)$)"
)


def parse_perf_children(text: str) -> list[tuple[float, str]]:
    """(inclusive percent, symbol) rows of `perf report --children --sort symbol`."""
    rows = []
    for line in text.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+([\d.]+)%\s+\[(.)\]\s+(.*)$", line)
        if m:
            rows.append((float(m.group(1)), re.split(r"\s{2,}", m.group(4).strip())[0]))
    rows.sort(key=lambda r: -r[0])
    return rows


def component(dso: str, sym: str) -> str:
    """The part of the program a sampled function belongs to, for the profile summary."""
    if "kernel" in dso or dso.startswith("["):
        return "kernel (system calls, file I/O, page faults)"
    if dso.startswith("libc") or dso.startswith("ld-linux"):
        return "libc (malloc/free, memcpy, ...)"
    if dso != "retort" and not dso.startswith("retort"):
        return f"other library ({dso})"
    if "::" not in sym and not sym.startswith("_ZN") and not sym.startswith("<"):
        return "bundled SQLite library (C code)"
    for needle, name in (
        ("yaml_rust2", "YAML parsing (yaml-rust2)"),
        ("serde_yaml", "YAML parsing (serde_yaml)"),
        ("sqlx", "sqlx driver"),
        ("tokio", "tokio runtime"),
        ("tera", "tera templates"),
        ("regex", "regex"),
        ("clap", "command-line parsing"),
    ):
        if needle in sym:
            return name
    m = re.search(r"retort_engine::(\w+)", sym)
    if m:
        return f"retort engine: {m.group(1)}"
    return "other Rust code (std, collections, hashing, formatting, ...)"


# --------------------------------------------------------------------------------------
# Targets and the report
# --------------------------------------------------------------------------------------


@dataclass
class Target:
    """One target from the issue, read off the rows: `value` returns the measured figure
    (or None when that size or backend was not run)."""

    text: str
    limit: float
    unit: str
    value: Callable[[list[Row]], float | None]


def find(rows: list[Row], bench: str, operation: str, backend: str, size: int) -> Row | None:
    for row in rows:
        if (row.bench, row.operation, row.backend, row.size) == (bench, operation, backend, size) and not row.error:
            return row
    return None


def ratio(rows, bench, op, backend, size, other):
    row = find(rows, bench, op, backend, size)
    if row and "retort" in row.stats and other in row.stats:
        return row.stats["retort"].median / row.stats[other].median
    return None


def seconds(rows, bench, op, backend, size):
    row = find(rows, bench, op, backend, size)
    return row.stats["retort"].median if row and "retort" in row.stats else None


def mib(rows, bench, op, backend, size):
    row = find(rows, bench, op, backend, size)
    return row.stats["retort"].rss_max_kib / 1024 if row and "retort" in row.stats else None


def growth(rows, bench, op, backend, small, large):
    a, b = seconds(rows, bench, op, backend, small), seconds(rows, bench, op, backend, large)
    return b / a if a and b else None


def targets(backends: list[str]) -> list[Target]:
    out = []
    for b in backends:
        t, c = BACKEND_TITLES[b], CLIENTS[b]
        limit = 1.3 if b == "sqlite" else 1.5
        out.append(Target(f"upgrade head, 1,000 revisions, {t}: retort ÷ {c}", limit, "×",
                          lambda rows, b=b: ratio(rows, "upgrade", "upgrade head", b, 1000, "client")))
    for b in backends:
        out.append(Target(f"upgrade head, {BACKEND_TITLES[b]}: 4,000 revisions ÷ 1,000 revisions", 4.5, "×",
                          lambda rows, b=b: growth(rows, "upgrade", "upgrade head", b, 1000, 4000)))
    for b in backends:
        out.append(Target(f"one revision creating 5,000 tables, {BACKEND_TITLES[b]}: retort ÷ its --sql through {CLIENTS[b]}",
                          1.5, "×", lambda rows, b=b: ratio(rows, "wide", "one revision, upgrade head", b, 5000, "client")))
    out.append(Target("history over 5,000 revisions", 0.10, "s",
                      lambda rows: seconds(rows, "graph", "history", "-", 5000)))
    for b in backends:
        out.append(Target(f"no-op upgrade head at 1,000 revisions, {BACKEND_TITLES[b]}", 0.03, "s",
                          lambda rows, b=b: seconds(rows, "graph", "no-op upgrade head", b, 1000)))
    for b in backends:
        t = BACKEND_TITLES[b]
        out.append(Target(f"check, 200 tables, {t}", 0.25, "s",
                          lambda rows, b=b: seconds(rows, "check", "check (no differences)", b, 200)))
        out.append(Target(f"check, 10,000 tables, {t}", 8.0, "s",
                          lambda rows, b=b: seconds(rows, "check", "check (no differences)", b, 10000)))
        out.append(Target(f"check, 200 tables, {t}: retort peak memory", 40.0, "MiB",
                          lambda rows, b=b: mib(rows, "check", "check (no differences)", b, 200)))
    return out


def fmt_s(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x * 1000:.1f} ms" if x < 1 else f"{x:.2f} s"


def fmt_ratio(a: Stat | None, b: Stat | None) -> str:
    return f"{a.median / b.median:.2f}×" if a and b and b.median > 0 else "—"


def results_table(rows: list[Row]) -> str:
    head = (
        "| benchmark | backend | size | retort | Alembic | client | retort ÷ Alembic "
        "| retort ÷ client | retort CPU | retort max RSS |\n|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n"
    )
    lines = []
    for row in rows:
        size = f"{row.size:,} {row.unit}"
        if row.error:
            first = row.error.splitlines()[0].replace("|", "\\|")
            lines.append(f"| {row.operation} | {BACKEND_TITLES[row.backend]} | {size} | failed: {first} | | | | | | |")
            continue
        r, a, c = (row.stats.get(k) for k in ("retort", "alembic", "client"))
        rss = f"{r.rss_max_kib / 1024:.1f} MiB" if r else "—"
        client = f"{fmt_s(c.median)} ({row.client_label or CLIENTS[row.backend]})" if c else "—"
        lines.append(
            f"| {row.operation} | {BACKEND_TITLES[row.backend]} | {size} | {fmt_s(r and r.median)} "
            f"| {fmt_s(a and a.median)} | {client} | {fmt_ratio(r, a)} | {fmt_ratio(r, c)} "
            f"| {fmt_s(r and r.cpu_median)} | {rss} |"
        )
    return head + "\n".join(lines) + "\n"


def growth_table(rows: list[Row]) -> str:
    groups: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        if not row.error and "retort" in row.stats:
            groups.setdefault((row.operation, row.backend), []).append(row)
    lines = []
    for (op, backend), rs in groups.items():
        rs.sort(key=lambda r: r.size)
        for small, large in zip(rs, rs[1:]):
            s, l = small.stats["retort"], large.stats["retort"]
            cs, cl = small.stats.get("client"), large.stats.get("client")
            client = over = "—"
            if cs and cl:
                client = f"{cl.median / cs.median:.2f}×"
                if l.median <= cl.median:
                    over = f"none at {large.size:,}"
                elif s.median > cs.median:
                    over = f"{(l.median - cl.median) / (s.median - cs.median):.2f}×"
            lines.append(
                f"| {op} | {BACKEND_TITLES[backend]} | {small.size:,} → {large.size:,} "
                f"({large.size / small.size:.1f}×) | {l.median / s.median:.2f}× "
                f"| {l.cpu_median / s.cpu_median:.2f}× | {l.rss_max_kib / s.rss_max_kib:.2f}× "
                f"| {client} | {over} |"
            )
    if not lines:
        return "(only one size was run, so there is no growth to show)\n"
    return (
        "| benchmark | backend | sizes (work) | retort time growth | retort CPU growth "
        "| retort max RSS growth | client time growth | growth of retort's time over the client's |\n"
        "|---|---|---|---:|---:|---:|---:|---:|\n" + "\n".join(lines) + "\n"
    )


def targets_table(rows: list[Row], backends: list[str]) -> str:
    lines = []
    for t in targets(backends):
        v = t.value(rows)
        if v is None:
            measured, met = "not run at this size", "—"
        else:
            measured = f"{v:.3f} {t.unit}" if t.unit == "s" else f"{v:.2f}{t.unit}" if t.unit == "×" else f"{v:.1f} {t.unit}"
            met = "yes" if v <= t.limit else "**no**"
        limit = f"≤ {t.limit:g}{t.unit}" if t.unit == "×" else f"≤ {t.limit:g} {t.unit}"
        lines.append(f"| {t.text} | {limit} | {measured} | {met} |")
    return "| target | limit | measured (retort) | met |\n|---|---|---:|---|\n" + "\n".join(lines) + "\n"


def first_line(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "unknown"


def machine_and_versions(bench: Bench, backends: dict[str, Backend]) -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = next(l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal"))
        mem_gib = int(mem.split()[1]) / 1024 / 1024
    except (OSError, StopIteration, ValueError):
        mem_gib = 0.0
    commit = first_line(["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"])
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    py = bench.python
    pkg = lambda mod: first_line([py, "-c", f"import {mod}; print({mod}.__version__)"])  # noqa: E731
    lines = [
        f"- Machine: {cpu}, {os.cpu_count()} CPUs, {mem_gib:.1f} GiB RAM; {platform.system()} "
        f"{platform.release()}; load average at start {bench.args.load_start}, at end {os.getloadavg()[0]:.2f} "
        "(1 min; the machine may be shared)",
        f"- retort: {first_line([bench.retort, '--version'])}, commit {commit}{' (with local changes)' if dirty else ''}, "
        f"{'release' if '/release/' in bench.retort else 'non-release'} build ({bench.retort}); "
        f"{first_line(['rustc', '--version'])}",
        f"- Alembic {pkg('alembic')}, SQLAlchemy {pkg('sqlalchemy')}, psycopg2 {pkg('psycopg2').split()[0]}, "
        f"PyMySQL {pkg('pymysql')}, {first_line([py, '--version'])}",
    ]
    data = os.environ.get("RETORT_BENCH_SERVER_DATA")
    if data and ("postgres" in backends or "mysql" in backends):
        lines.append(f"- PostgreSQL and MariaDB data: {data}")
    for b in backends.values():
        try:
            server = b.server_version()
        except BenchError:
            server = "unknown server version"
        client = {"sqlite": ["sqlite3", "--version"], "postgres": ["psql", "--version"], "mysql": ["mariadb", "--version"]}[b.name]
        lines.append(f"- {BACKEND_TITLES[b.name]}: {server}; client: {first_line(client)}")
    return "\n".join(lines) + "\n"


METHOD = """\
- Every figure is the median of {runs} whole-process runs (wall clock from spawning the
  process to reaping it) after {warmup} discarded warm-up round(s). In each round every
  contender runs once, one after the other, the order rotating from round to round.
- Upgrades and downgrades run on a fresh database each time (a new file on SQLite,
  `CREATE DATABASE` on PostgreSQL and MariaDB); creating it, and for `downgrade base`
  bringing it to head with the same tool, happens outside the timed part.
- Chains: revision *i* creates table `t<i>` (integer primary key, `varchar(100)` name,
  and from the second on an integer column with a foreign key to `t<i-1>`) and an index.
  Alembic runs the same operations from Python revision files (`autoincrement=False`, so
  that both emit the same DDL), with `transactional_ddl` on where the backend has
  transactional DDL (SQLite, PostgreSQL), as retort does; on SQLite with SQLAlchemy's
  recipe for pysqlite (an explicit `BEGIN`), without which each DDL statement commits.
- "client" is the database's own client (`sqlite3 -bail`, `psql -X -v ON_ERROR_STOP=1`,
  `mariadb`) reading retort's own offline script (`upgrade head --sql`,
  `downgrade head:base --sql`) on stdin: the same DDL and version-table statements
  (retort's online run also writes its run log, which the offline script leaves out), in
  one transaction on SQLite and PostgreSQL; MariaDB commits each DDL statement.
- `wide` and `check` tables: four columns (integer primary key, `varchar(100)`, `text`,
  integer), an index and a foreign key each (to the previous table; the first table's to
  itself). `check` compares a database brought to head by retort with the same tables
  declared in `schema.yaml` (retort) and as SQLAlchemy metadata (Alembic's
  `compare_metadata` after reflection, leaving out retort's own tables); both must find
  no differences, or the row shows the failure.
- `fleet` (issue 15): one project whose `retort.yaml` declares SQLite targets
  (`targets:`, one file each), all brought from no database to head by
  `upgrade head --all-targets`; the row's "retort" figure is `--jobs {fleet_jobs}` and its
  "client" column `--jobs 1`, so the ratio is the parallel run's share of the serial one.
- `history` and `heads` read the revision files only; the no-op `upgrade head` runs
  against a database retort brought to head (its tables and run log as an application's
  database has them), in which Alembic's version table is stamped at head.
- On SQLite, Alembic's `compare_metadata` reports the `INTEGER PRIMARY KEY` columns
  (declared without `NOT NULL`, as retort writes them, which SQLite reads back as
  nullable) as nullability changes; the `check` script leaves those out.
- Max RSS is the peak resident memory of the process (GNU time's `%M`), the largest
  over the measured runs; every process runs under `/usr/bin/time`, whose own start-up
  (well under a millisecond) is in every timing alike. Growth factors compare retort's medians between sizes: linear work
  grows about 4× per 4× size. Where the database's own work grows faster than that
  (SQLite re-reads its schema after every `CREATE`), the client's growth shows it, and
  the last column shows how retort's time beyond the client's grows: retort's own share.
- Ratios are retort's time divided by the other's: below 1 retort is faster.
- "retort CPU" is the median user + system CPU time of retort's runs. On a busy machine
  wall times wander with the other load (see the load average above); CPU time much
  less, so its growth factors are the steadier guide. The clients' CPU time leaves out
  the server's work, so only retort's is shown.
"""


def command_line(argv: list[str]) -> list[str]:
    """The options as given, less --note's text (it is printed on its own)."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--note":
            skip = True
        elif not arg.startswith("--note="):
            out.append(arg)
    return out


def report(bench: Bench, backends: dict[str, Backend], sizes: dict[str, list[int]], partial: list[str], profile: str | None) -> str:
    args = bench.args
    parts = ["# Benchmarks\n\n"]
    parts.append(
        f"Produced by `bench/run.sh {shlex.join(command_line(args.argv))}`".rstrip() + f" on {time.strftime('%Y-%m-%d %H:%M %Z')}; "
        "see the README's Performance section for how to run it.\n\n"
    )
    if args.note:
        parts.append(f"**{args.note}**\n\n")
    if partial:
        parts.append("**Partial run** (not the full benchmark): " + "; ".join(partial) + ".\n\n")
    parts.append("## Results\n\n" + results_table(bench.rows) + "\n")
    parts.append("## Targets\n\nReported, never asserted.\n\n" + targets_table(bench.rows, list(backends)) + "\n")
    parts.append("## Growth between sizes\n\n" + growth_table(bench.rows) + "\n")
    failures = [r for r in bench.rows if r.error]
    if failures:
        parts.append("## Failures\n\n" + "".join(
            f"- {r.operation}, {BACKEND_TITLES[r.backend]}, {r.size:,} {r.unit}:\n\n```\n{r.error}\n```\n\n" for r in failures))
    if profile:
        parts.append("## Where the time goes\n\n" + profile + "\n")
    parts.append("## Machine and versions\n\n" + machine_and_versions(bench, backends) + "\n")
    sizes_text = "; ".join(f"{k} {', '.join(f'{n:,}' for n in v)}" for k, v in sizes.items() if k in args.only)
    parts.append(
        "## Method\n\n"
        + f"- Sizes run: {sizes_text}. Backends: {', '.join(BACKEND_TITLES[b] for b in backends)}.\n"
        + METHOD.format(runs=args.runs, warmup=args.warmup, fleet_jobs=FLEET_JOBS)
    )
    return "".join(parts)


# --------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------


def parse_args(argv: list[str]):
    ap = argparse.ArgumentParser(
        prog="bench/run.sh", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="tiny sizes, 1 run after 1 warm-up: a smoke test of the script")
    ap.add_argument("--only", default=",".join(BENCHES), help=f"comma-separated benchmarks from {', '.join(BENCHES)}")
    ap.add_argument("--runs", type=int, help="measured runs per figure (default 5; 1 with --quick)")
    ap.add_argument("--warmup", type=int, default=1, help="discarded warm-up rounds (default 1)")
    ap.add_argument("--backends", default=",".join(BACKENDS), help="comma-separated, from sqlite, postgres, mysql")
    ap.add_argument("--size", action="append", default=[], metavar="NAME=N[,N...]",
                    help="override a benchmark's sizes, e.g. --size upgrade=250 --size check=200,1000")
    ap.add_argument("--cap", action="append", default=[], metavar="[BENCH.]WHO=N",
                    help="skip a backend's rows (sqlite, postgres, mysql) or Alembic's runs (alembic) above size N,"
                         " in every benchmark or in one, e.g. --cap mysql=1000 --cap downgrade.alembic=250;"
                         " the report says what was left out")
    ap.add_argument("--profile", action="store_true",
                    help=f"also profile `upgrade head` over {PROFILE_REVISIONS} revisions on SQLite with perf")
    ap.add_argument("--output", type=Path, help="where to write the report (default BENCHMARKS.md; target/bench/quick.md with --quick)")
    ap.add_argument("--note", help="a line to put at the top of the report, e.g. why it is provisional")
    ap.add_argument("--check-args", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    args.argv = argv
    args.load_start = f"{os.getloadavg()[0]:.2f}"

    def fail(msg: str):
        ap.print_usage(sys.stderr)
        print(f"bench/run.sh: error: {msg}", file=sys.stderr)
        sys.exit(2)

    args.only = [x.strip() for x in args.only.split(",") if x.strip()]
    for name in args.only:
        if name not in BENCHES:
            fail(f"unknown benchmark {name!r} in --only; choose from {', '.join(BENCHES)}")
    args.backend_list = [x.strip() for x in args.backends.split(",") if x.strip()]
    for name in args.backend_list:
        if name not in BACKENDS:
            fail(f"unknown backend {name!r} in --backends; choose from {', '.join(BACKENDS)}")
    if not args.backend_list:
        fail("--backends names no backend")
    if args.runs is None:
        args.runs = 1 if args.quick else 5
    if args.runs < 1 or args.warmup < 0:
        fail("--runs must be at least 1 and --warmup at least 0")
    args.sizes = {k: list(v) for k, v in (QUICK_SIZES if args.quick else FULL_SIZES).items()}
    for spec in args.size:
        name, _, values = spec.partition("=")
        if name not in BENCHES:
            fail(f"unknown benchmark {name!r} in --size {spec}; choose from {', '.join(BENCHES)}")
        try:
            sizes = [int(v) for v in values.split(",")]
        except ValueError:
            fail(f"--size {spec}: give whole numbers, e.g. --size {name}=250,1000")
        if not sizes or min(sizes) < 1:
            fail(f"--size {spec}: sizes must be at least 1")
        args.sizes[name] = sizes
    args.caps = {}
    for spec in args.cap:
        name, _, value = spec.partition("=")
        bench, _, who = name.rpartition(".")
        if who not in BACKENDS + ["alembic"] or (bench and bench not in BENCHES):
            fail(f"unknown name {name!r} in --cap {spec}; write [BENCH.]WHO with WHO one of "
                 f"{', '.join(BACKENDS)}, alembic and BENCH one of {', '.join(BENCHES)}")
        try:
            args.caps[name] = int(value)
        except ValueError:
            fail(f"--cap {spec}: give a whole number, e.g. --cap {name}=1000")
    if args.output is None:
        args.output = WORK / "quick.md" if args.quick else ROOT / "BENCHMARKS.md"
    return args


def make_backends(names: list[str]) -> dict[str, Backend]:
    backends: dict[str, Backend] = {}
    for name in names:
        if name == "sqlite":
            backends[name] = SqliteBackend()
            continue
        var = "RETORT_TEST_POSTGRES_URL" if name == "postgres" else "RETORT_TEST_MYSQL_URL"
        url = os.environ.get(var)
        if not url:
            raise BenchError(f"{var} is not set; run through bench/run.sh, which starts the servers, or set it")
        backends[name] = PostgresBackend(url) if name == "postgres" else MysqlBackend(url)
    return backends


def partial_notes(args) -> list[str]:
    notes = []
    if args.quick:
        notes.append("--quick sizes")
    if args.runs < 5:
        notes.append(f"{args.runs} measured run(s) per figure")
    if set(args.only) != set(BENCHES):
        notes.append("benchmarks " + ", ".join(args.only))
    if set(args.backend_list) != set(BACKENDS):
        notes.append("backends " + ", ".join(BACKEND_TITLES[b] for b in args.backend_list))
    changed = [f"{k} {', '.join(f'{n:,}' for n in args.sizes[k])}" for k in args.only if args.sizes[k] != FULL_SIZES[k]]
    if changed and not args.quick:
        notes.append("sizes " + "; ".join(changed))
    for name, n in args.caps.items():
        bench, _, who = name.rpartition(".")
        title = "Alembic" if who == "alembic" else BACKEND_TITLES[who]
        where = f" in {bench}" if bench else ""
        notes.append(f"{title} not run above size {n:,}{where}")
    return notes


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.check_args:
        return 0
    try:
        backends = make_backends(args.backend_list)
    except BenchError as e:
        print(f"bench: error: {e}", file=sys.stderr)
        return 1
    fixtures = Fixtures()
    bench = Bench(args, backends, fixtures)
    if not Path(TIME_BIN).exists():
        print(f"bench: error: no {TIME_BIN}; apt-get install time (bench/run.sh does)", file=sys.stderr)
        return 1
    if not Path(bench.retort).exists():
        print(f"bench: error: no retort binary at {bench.retort}; run bench/run.sh (it builds one)", file=sys.stderr)
        return 1
    profile = None
    try:
        for name in BENCHES:
            if name in args.only:
                for n in args.sizes[name]:
                    getattr(bench, name)(n)
        if args.profile:
            print(f"bench: profiling upgrade head over {PROFILE_REVISIONS} revisions on SQLite ...", file=sys.stderr)
            profile = bench.profile()
    except KeyboardInterrupt:
        print("bench: interrupted; dropping the benchmark databases", file=sys.stderr)
        return 130
    finally:
        for b in backends.values():
            b.drop_all()
    text = report(bench, backends, args.sizes, partial_notes(args), profile)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(text)
    print(f"bench: wrote {args.output}", file=sys.stderr)
    return 1 if any(r.error for r in bench.rows) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
