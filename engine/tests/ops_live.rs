//! Operations on real databases: every reversible operation is applied and then
//! reversed, and the catalog — read with this file's own queries on `sqlite_master` and
//! pragmas, `pg_catalog` and `information_schema`, never through retort — must be back
//! to what it was, rows included.
//!
//! SQLite always runs (a temporary file). PostgreSQL and MySQL/MariaDB run when
//! `RETORT_TEST_POSTGRES_URL` / `RETORT_TEST_MYSQL_URL` are set (see
//! `scripts/with-databases.sh`); each test creates and drops its own database. With
//! `RETORT_TEST_REQUIRE_ALL=1` a missing URL is a failure.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use retort_engine::backend::{render, render_live, sqlite_foreign_key_violations, RenderContext};
use retort_engine::db::Connection;
use retort_engine::dialect::Dialect;
use retort_engine::ops::{apply_to_schema, parse_operations, reverse, Operation};
use retort_engine::schema::{parse_schema_text, NamingConvention, Schema};
use retort_engine::yaml::Diagnostics;

// ---- databases ------------------------------------------------------------------------

/// A fresh database for one test; dropped by [`Db::finish`].
struct Db {
    conn: Connection,
    dialect: Dialect,
    /// (admin URL, database name) for PostgreSQL/MySQL, to drop it afterwards.
    server: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn unique_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "retort_t_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

/// `url` with its database (the path) replaced by `db`.
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    format!("{}/{db}{query}", &base[..path_start])
}

fn env_url(var: &str, backend: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            if std::env::var("RETORT_TEST_REQUIRE_ALL").as_deref() == Ok("1") {
                panic!("{var} is unset but RETORT_TEST_REQUIRE_ALL=1: {backend} must be tested");
            }
            eprintln!("skipping {backend}: {var} is unset");
            None
        }
    }
}

impl Db {
    async fn open(dialect: Dialect) -> Option<Db> {
        match dialect {
            Dialect::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("t.db").display());
                let conn = Connection::connect(&url).await.expect("sqlite connects");
                Some(Db {
                    conn,
                    dialect,
                    server: None,
                    _dir: Some(dir),
                })
            }
            Dialect::Postgres | Dialect::MySql => {
                let (var, backend) = if dialect == Dialect::Postgres {
                    ("RETORT_TEST_POSTGRES_URL", "postgres")
                } else {
                    ("RETORT_TEST_MYSQL_URL", "mysql")
                };
                let admin = env_url(var, backend)?;
                let name = unique_name();
                let mut a = Connection::connect(&admin).await.expect("admin connects");
                a.execute(&format!(
                    "CREATE DATABASE {}",
                    dialect.backend().quote(&name)
                ))
                .await
                .expect("create database");
                a.close().await;
                let conn = Connection::connect(&with_database(&admin, &name))
                    .await
                    .expect("connects to the new database");
                Some(Db {
                    conn,
                    dialect,
                    server: Some((admin, name)),
                    _dir: None,
                })
            }
        }
    }

    async fn finish(self) {
        self.conn.close().await;
        if let Some((admin, name)) = self.server {
            if let Ok(mut a) = Connection::connect(&admin).await {
                let force = if self.dialect == Dialect::Postgres {
                    " WITH (FORCE)"
                } else {
                    ""
                };
                let _ = a
                    .execute(&format!(
                        "DROP DATABASE IF EXISTS {}{force}",
                        self.dialect.backend().quote(&name)
                    ))
                    .await;
                a.close().await;
            }
        }
    }

    async fn exec(&mut self, sql: &str) {
        if let Err(e) = self.conn.execute(sql).await {
            panic!("{e}");
        }
    }

    async fn rows(&mut self, sql: &str) -> Vec<Vec<Option<String>>> {
        match self.conn.query(sql).await {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        }
    }

    /// Renders and runs one operation as a migration runner must: on SQLite with
    /// foreign keys off around the transaction, rendering inside it (so that a rebuild
    /// reads the table as it is) and a foreign-key check before commit. `live`: render
    /// with render_live, else with render. Returns the statements run.
    async fn migrate(
        &mut self,
        op: &Operation,
        ctx: &RenderContext,
        live: bool,
        transactional: bool,
    ) -> Result<Vec<String>, Failure> {
        let d = self.dialect;
        let in_tx = d == Dialect::Sqlite || (d == Dialect::Postgres && transactional);
        if d == Dialect::Sqlite {
            self.exec("PRAGMA foreign_keys=OFF").await;
        }
        if in_tx {
            self.exec("BEGIN").await;
        }
        let result = self.render_and_run(op, ctx, live).await;
        let result = match result {
            Ok(stmts) if d == Dialect::Sqlite => {
                match sqlite_foreign_key_violations(&mut self.conn).await {
                    Ok(v) if v.is_empty() => Ok(stmts),
                    Ok(v) => Err(Failure::Run(v.join("; "), stmts)),
                    Err(e) => Err(Failure::Run(e.to_string(), stmts)),
                }
            }
            other => other,
        };
        if in_tx {
            let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
            self.exec(end).await;
        }
        if d == Dialect::Sqlite {
            self.exec("PRAGMA foreign_keys=ON").await;
        }
        result
    }

    async fn render_and_run(
        &mut self,
        op: &Operation,
        ctx: &RenderContext,
        live: bool,
    ) -> Result<Vec<String>, Failure> {
        let stmts = if live {
            render_live(op, &mut self.conn, ctx).await
        } else {
            render(op, self.dialect, ctx)
        }
        .map_err(|e| Failure::Render(e.to_string()))?;
        for s in &stmts {
            if let Err(e) = self.conn.execute(s).await {
                return Err(Failure::Run(e.to_string(), stmts.clone()));
            }
        }
        Ok(stmts)
    }

    /// The catalog (and the rows) as text lines, from the backend's own catalog.
    async fn snapshot(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        let join = |r: &Vec<Option<String>>| {
            r.iter()
                .map(|c| c.clone().unwrap_or_else(|| "∅".into()))
                .collect::<Vec<_>>()
                .join(" | ")
        };
        match self.dialect {
            Dialect::Sqlite => {
                let objects = self
                    .rows("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY type, name")
                    .await;
                let mut tables = Vec::new();
                for r in &objects {
                    let sql = r.get(3).cloned().flatten().map(|s| normalize(&s));
                    out.push(format!(
                        "object {} {} on {} : {}",
                        cell(r, 0),
                        cell(r, 1),
                        cell(r, 2),
                        sql.unwrap_or_default()
                    ));
                    if cell(r, 0) == "table" {
                        tables.push(cell(r, 1));
                    }
                }
                for t in tables {
                    let l = Dialect::Sqlite.backend().literal(&t);
                    for r in self
                        .rows(&format!("SELECT * FROM pragma_table_xinfo({l})"))
                        .await
                    {
                        out.push(format!("column {t}: {}", join(&r)));
                    }
                    for r in self.rows(&format!("SELECT name, \"unique\", origin, partial FROM pragma_index_list({l}) ORDER BY name")).await {
                        let ix = cell(&r, 0);
                        let cols = self
                            .rows(&format!("SELECT name, \"desc\", coll FROM pragma_index_xinfo({}) WHERE key = 1 ORDER BY seqno", Dialect::Sqlite.backend().literal(&ix)))
                            .await;
                        out.push(format!("index {t}: {} cols {:?}", join(&r), cols.iter().map(join).collect::<Vec<_>>()));
                    }
                    for r in self
                        .rows(&format!(
                            "SELECT * FROM pragma_foreign_key_list({l}) ORDER BY id, seq"
                        ))
                        .await
                    {
                        out.push(format!("fk {t}: {}", join(&r)));
                    }
                    for r in self
                        .rows(&format!(
                            "SELECT * FROM {} ORDER BY 1",
                            Dialect::Sqlite.backend().quote(&t)
                        ))
                        .await
                    {
                        out.push(format!("row {t}: {}", join(&r)));
                    }
                }
            }
            Dialect::Postgres => {
                let tables = self
                    .rows("SELECT c.relname, coalesce(obj_description(c.oid, 'pg_class'), '∅') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1")
                    .await;
                for r in &tables {
                    out.push(format!("table {}", join(r)));
                }
                for r in self
                    .rows("SELECT c.relname, row_number() OVER (PARTITION BY c.relname ORDER BY a.attnum)::text, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull::text, coalesce(pg_get_expr(d.adbin, d.adrelid), '∅'), a.attidentity::text, coalesce(col_description(c.oid, a.attnum), '∅') FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1, 2")
                    .await
                {
                    out.push(format!("column {}", join(&r)));
                }
                for r in self
                    .rows("SELECT conrelid::regclass::text, conname, contype::text, pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2")
                    .await
                {
                    out.push(format!("constraint {}", join(&r)));
                }
                for r in self.rows("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2").await {
                    out.push(format!("index {}", join(&r)));
                }
                for r in self
                    .rows("SELECT t.typname, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'public' GROUP BY 1 ORDER BY 1")
                    .await
                {
                    out.push(format!("enum {}", join(&r)));
                }
                for r in &tables {
                    let t = cell(r, 0);
                    for row in self
                        .rows(&format!(
                            "SELECT x::text FROM {} x ORDER BY 1",
                            Dialect::Postgres.backend().quote(&t)
                        ))
                        .await
                    {
                        out.push(format!("row {t}: {}", join(&row)));
                    }
                }
            }
            Dialect::MySql => {
                let tables = self
                    .rows("SELECT TABLE_NAME, TABLE_COMMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1")
                    .await;
                for r in &tables {
                    out.push(format!("table {}", join(r)));
                }
                let queries = [
                    "SELECT 'column', TABLE_NAME, ORDINAL_POSITION, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, COLUMN_COMMENT FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION",
                    "SELECT 'index', TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, NON_UNIQUE FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
                    "SELECT 'constraint', TABLE_NAME, CONSTRAINT_NAME, CONSTRAINT_TYPE FROM information_schema.TABLE_CONSTRAINTS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, CONSTRAINT_NAME, CONSTRAINT_TYPE",
                    "SELECT 'fk', TABLE_NAME, CONSTRAINT_NAME, UPDATE_RULE, DELETE_RULE, REFERENCED_TABLE_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() ORDER BY TABLE_NAME, CONSTRAINT_NAME",
                    "SELECT 'fkcol', TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME IS NOT NULL ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION",
                    "SELECT 'check', CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() ORDER BY CONSTRAINT_NAME",
                ];
                for q in queries {
                    for r in self.rows(q).await {
                        out.push(join(&r));
                    }
                }
                for r in &tables {
                    let t = cell(r, 0);
                    for row in self
                        .rows(&format!(
                            "SELECT * FROM {} ORDER BY 1",
                            Dialect::MySql.backend().quote(&t)
                        ))
                        .await
                    {
                        out.push(format!("row {t}: {}", join(&row)));
                    }
                }
            }
        }
        out
    }
}

fn cell(r: &[Option<String>], i: usize) -> String {
    r.get(i).cloned().flatten().unwrap_or_default()
}

/// Whitespace-insensitive SQL text (SQLite edits stored text in place).
fn normalize(sql: &str) -> String {
    sql.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace("( ", "(")
        .replace(" )", ")")
}

fn diff(a: &[String], b: &[String]) -> String {
    let mut out = String::new();
    for l in a {
        if !b.contains(l) {
            out.push_str(&format!("\n  - {l}"));
        }
    }
    for l in b {
        if !a.contains(l) {
            out.push_str(&format!("\n  + {l}"));
        }
    }
    if out.is_empty() {
        out.push_str("\n  (same lines, different order)");
    }
    out
}

/// Why an operation failed.
#[derive(Debug)]
enum Failure {
    Render(String),
    Run(String, Vec<String>),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Render(e) => write!(f, "render failed: {e}"),
            Failure::Run(e, stmts) => write!(f, "{e}\n  statements: {stmts:#?}"),
        }
    }
}

// ---- the schema and the operations ----------------------------------------------------

fn nc() -> NamingConvention {
    NamingConvention::default()
}

/// The base schema, with check expressions quoted for `d`.
fn base_schema(d: Dialect) -> Schema {
    let text = format!(
        r#"
enums:
  mood: [happy, "it's fine"]
tables:
  user:
    comment: Users
    columns:
      id: {{type: integer, primary_key: true, autoincrement: true}}
      email: {{type: varchar(255), nullable: false}}
      mood: {{type: enum(mood), server_default: "'happy'"}}
      reply-to: {{type: varchar(50)}}
    indexes:
      - {{name: ix_user_email, columns: [email]}}
  order:
    columns:
      id: {{type: bigint, primary_key: true}}
      user_id: {{type: integer, nullable: false, foreign_key: {{references: user.id, on_delete: cascade}}}}
      MixedCase: {{type: "numeric(10,2)", nullable: false, server_default: "0"}}
      select: {{type: text}}
      has space: {{type: varchar(20)}}
    unique:
      - {{name: uq_order_has_space, columns: [has space]}}
    checks:
      - {{name: ck_order_positive, expr: {ck}}}
  group:
    columns:
      a: {{type: integer, nullable: false}}
      b: {{type: varchar(10), nullable: false}}
    indexes:
      - {{name: ix_group_a, columns: [a]}}
"#,
        ck = retort_engine::yaml::quoted(&format!("{} >= 0", d.backend().quote("MixedCase")))
    );
    parse_schema_text(Path::new("base.yaml"), &text, &nc()).unwrap_or_else(|e| panic!("{e}"))
}

fn ops(text: &str) -> Vec<Operation> {
    let node = retort_engine::yaml::parse(text).expect("yaml");
    let mut d = Diagnostics::default();
    let ops = parse_operations(Path::new("ops.yaml"), &node, &nc(), &mut d);
    assert!(d.is_empty(), "{d}");
    ops
}

/// Creates the base schema with retort's own create_table, and some rows.
async fn setup(db: &mut Db) -> RenderContext {
    let d = db.dialect;
    let schema = base_schema(d);
    let mut ctx = RenderContext::new(Schema {
        enums: Vec::new(),
        tables: Vec::new(),
        ..Default::default()
    });
    let mut setup_ops = vec![Operation::CreateEnum(schema.enums[0].clone())];
    setup_ops.extend(schema.tables.iter().cloned().map(Operation::CreateTable));
    setup_ops.extend(ops(r#"
- bulk_insert:
    table: user
    rows:
      - {id: 1, email: "a@example.com", mood: happy, reply-to: "it's"}
      - {id: 2, email: "b@example.com", mood: "it's fine", reply-to: null}
      - {id: 3, email: "c\"quoted\"@example.com"}
- bulk_insert:
    table: order
    rows:
      - {id: 10, user_id: 1, MixedCase: 1.50, select: "x", has space: "a"}
      - {id: 11, user_id: 1, MixedCase: 0, select: "new\nline", has space: "b"}
      - {id: 12, user_id: 3, MixedCase: 99.99, select: "z", has space: null}
- bulk_insert:
    table: group
    rows:
      - {a: 1, b: "x"}
      - {a: 2, b: "y"}
"#));
    for op in &setup_ops {
        db.migrate(op, &ctx, false, true)
            .await
            .unwrap_or_else(|e| panic!("setup {}: {e}", op.describe()));
        apply_to_schema(op, &mut ctx.schema).unwrap_or_else(|e| panic!("{e}"));
    }
    if d == Dialect::Postgres {
        // Identity columns: keep the sequence ahead of the explicit ids.
        db.exec("SELECT setval(pg_get_serial_sequence('\"user\"', 'id'), 100)")
            .await;
    }
    ctx
}

struct Case {
    ops: Vec<Operation>,
    /// PostgreSQL: run outside a transaction (CREATE INDEX CONCURRENTLY).
    transactional: bool,
    /// Expected to fail to render on this backend.
    unsupported_on: Vec<Dialect>,
    /// The rows must come back too (not for a dropped column's values).
    compare_rows: bool,
}

/// Every reversible operation, with odd names throughout.
fn cases(d: Dialect) -> Vec<Case> {
    let q = |s: &str| retort_engine::yaml::quoted(s);
    let case = |text: &str| Case {
        ops: ops(text),
        transactional: true,
        unsupported_on: Vec::new(),
        compare_rows: true,
    };
    let mut out = vec![
        case(&format!(
            r#"
- create_table:
    name: select
    comment: "Odd: 'names'"
    columns:
      MixedCase: {{type: integer, primary_key: true, autoincrement: true}}
      reply-to: {{type: varchar(20), nullable: false, server_default: "'x'", comment: "it's a comment"}}
      has space: {{type: enum(mood)}}
      order: {{type: integer, foreign_key: {{references: user.id, on_delete: set null}}}}
      group: {{type: varchar(30), unique: true}}
    indexes:
      - {{name: ix select odd, columns: [reply-to, has space]}}
    checks:
      - {{name: ck select, expr: {ck}}}
"#,
            ck = retort_engine::yaml::quoted(&format!("{} <> ''", d.backend().quote("reply-to")))
        )),
        case("- rename_table: {name: user, new_name: has space}"),
        case("- rename_table: {name: order, new_name: MixedCase}"),
        case("- add_column: {table: user, name: select, type: varchar(30), server_default: \"'a''b'\", comment: \"c: d\"}"),
        case("- add_column: {table: order, name: group, type: integer, foreign_key: {references: user.id, on_delete: set null}}"),
        case("- add_column: {table: user, name: MixedCase, type: integer, nullable: false, server_default: '5'}"),
        case("- add_column: {table: user, name: seen, type: timestamp, server_default: CURRENT_TIMESTAMP}"),
        case("- add_column: {table: group, name: user, type: enum(mood), nullable: false, server_default: \"'it''s fine'\"}"),
        Case {
            compare_rows: false,
            ..case("- drop_column: {table: user, name: reply-to, existing_type: varchar(50), existing_nullable: true}")
        },
        case("- alter_column: {table: user, name: email, type: varchar(300), existing_type: varchar(255), existing_nullable: false}"),
        case("- alter_column: {table: order, name: MixedCase, nullable: true, existing_nullable: false, existing_type: \"numeric(10,2)\", existing_server_default: '0'}"),
        case("- alter_column: {table: user, name: mood, server_default: \"'it''s fine'\", existing_server_default: \"'happy'\", existing_type: enum(mood)}"),
        case("- alter_column: {table: user, name: mood, server_default: null, existing_server_default: \"'happy'\", existing_type: enum(mood)}"),
        case("- alter_column: {table: user, name: reply-to, new_name: select, comment: \"odd: 'c'\", existing_comment: null, existing_type: varchar(50)}"),
        case("- alter_column: {table: order, name: select, new_name: user, type: varchar(100), existing_type: text}"),
        case("- alter_column: {table: order, name: has space, new_name: group, existing_type: varchar(20)}"),
        case("- alter_column: {table: user, name: email, comment: the e-mail, existing_comment: null, existing_type: varchar(255), existing_nullable: false}"),
        case("- create_index: {name: ix odd, table: order, columns: [has space, MixedCase]}"),
        case("- create_index: {name: UQ MixedCase, table: group, columns: [b, a], unique: true}"),
        case("- create_unique_constraint: {name: uq select, table: order, columns: [user_id, MixedCase]}"),
        case("- create_foreign_key: {name: fk group, table: group, columns: [a], referred_table: user, referred_columns: [id], on_delete: cascade, on_update: restrict}"),
        case(&format!("- create_check_constraint: {{name: ck reply-to, table: user, expr: {}}}", retort_engine::yaml::quoted(&format!("{} <> ''", d.backend().quote("reply-to"))))),
        case("- create_primary_key: {name: pk_group, table: group, columns: [a, b]}"),
        case("- create_enum: {name: status, values: [a, \"b'c\", \"d,e\"]}"),
        case("- create_table_comment: {table: order, comment: \"Orders: all of them\"}"),
        case("- create_table_comment: {table: user, comment: \"it's new\", existing_comment: Users}"),
    ];
    let mut partial = case(&format!(
        "- create_index: {{name: uq partial, table: user, columns: [email], unique: true, where: {}}}",
        q(&format!("{} = 'happy'", d.backend().quote("mood")))
    ));
    partial.unsupported_on = vec![Dialect::MySql];
    out.push(partial);
    let mut conc = case("- create_index: {name: ix concurrently, table: user, columns: [reply-to, mood], concurrently: true}");
    conc.transactional = false;
    out.push(conc);
    out
}

/// Applies each case's operations and then their reverses; the catalog must end where
/// it began. `live`: render with render_live and a context that knows only the enums
/// (so everything else is read from the database); else with render and the tracked
/// schema.
async fn every_operation_reverses(dialect: Dialect, live: bool) {
    let Some(mut db) = Db::open(dialect).await else {
        return;
    };
    let base_ctx = setup(&mut db).await;
    let mut failures = Vec::new();
    for (i, case) in cases(dialect).into_iter().enumerate() {
        let label = format!(
            "case {} ({})",
            i + 1,
            case.ops
                .iter()
                .map(|o| o.describe())
                .collect::<Vec<_>>()
                .join(", ")
        );
        let before = db.snapshot().await;
        let mut ctx = base_ctx.clone();
        let rendering = |ctx: &RenderContext| {
            if live {
                RenderContext::new(Schema {
                    enums: ctx.schema.enums.clone(),
                    tables: Vec::new(),
                    ..Default::default()
                })
            } else {
                ctx.clone()
            }
        };
        let mut changed = false;
        let mut ok = true;
        for op in &case.ops {
            let rctx = rendering(&ctx);
            match db.migrate(op, &rctx, live, case.transactional).await {
                Ok(stmts) => {
                    if case.unsupported_on.contains(&dialect) {
                        failures.push(format!(
                            "{label}: expected an error on {dialect}, got {stmts:?}"
                        ));
                    }
                    changed |= !stmts.is_empty();
                }
                Err(Failure::Render(e)) if case.unsupported_on.contains(&dialect) => {
                    assert!(e.contains(dialect.name()), "{e}");
                    ok = false;
                    break;
                }
                Err(e) => {
                    failures.push(format!("{label}: {e}"));
                    ok = false;
                    break;
                }
            }
            ctx.apply(op)
                .unwrap_or_else(|e| panic!("{label}: apply: {e}"));
        }
        if !ok {
            continue;
        }
        let during = db.snapshot().await;
        if changed && during == before {
            failures.push(format!(
                "{label}: the operation changed nothing in the catalog"
            ));
        }
        for op in case.ops.iter().rev() {
            let rev = reverse(op).unwrap_or_else(|e| panic!("{label}: {e}"));
            let rctx = rendering(&ctx);
            if let Err(e) = db.migrate(&rev, &rctx, live, true).await {
                failures.push(format!("{label}: reverse: {e}"));
                break;
            }
            ctx.apply(&rev)
                .unwrap_or_else(|e| panic!("{label}: apply reverse: {e}"));
        }
        let mut after = db.snapshot().await;
        let mut before = before;
        if !case.compare_rows {
            before.retain(|l| !l.starts_with("row "));
            after.retain(|l| !l.starts_with("row "));
        }
        if after != before {
            failures.push(format!(
                "{label}: the catalog differs after the reverse:{}",
                diff(&before, &after)
            ));
            // Keep going from a known state: start over in a fresh database.
            db.finish().await;
            let Some(fresh) = Db::open(dialect).await else {
                return;
            };
            db = fresh;
            setup(&mut db).await;
        }
    }
    db.finish().await;
    assert!(
        failures.is_empty(),
        "{} failure(s) on {dialect}:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[tokio::test]
async fn sqlite_every_operation_reverses() {
    every_operation_reverses(Dialect::Sqlite, false).await;
}

#[tokio::test]
async fn sqlite_every_operation_reverses_rendered_live() {
    every_operation_reverses(Dialect::Sqlite, true).await;
}

#[tokio::test]
async fn postgres_every_operation_reverses() {
    every_operation_reverses(Dialect::Postgres, false).await;
}

#[tokio::test]
async fn mysql_every_operation_reverses() {
    every_operation_reverses(Dialect::MySql, false).await;
}

#[tokio::test]
async fn mysql_every_operation_reverses_rendered_live() {
    every_operation_reverses(Dialect::MySql, true).await;
}

// ---- operations that are not reversible ----------------------------------------------

/// add_enum_value keeps the rows and makes the value usable; bulk_insert and execute
/// store odd values exactly.
async fn enum_values_inserts_and_execute(dialect: Dialect) {
    let Some(mut db) = Db::open(dialect).await else {
        return;
    };
    let mut ctx = setup(&mut db).await;
    let q = |s: &str| dialect.backend().quote(s);
    for op in ops(r#"
- add_enum_value: {name: mood, value: "so-so", before: "it's fine"}
- add_enum_value: {name: mood, value: "sad, very"}
"#)
    {
        db.migrate(&op, &ctx, true, true)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        ctx.apply(&op).expect("apply");
    }
    let rows = db
        .rows(&format!(
            "SELECT {} FROM {} ORDER BY {}",
            q("mood"),
            q("user"),
            q("id")
        ))
        .await;
    assert_eq!(
        rows,
        vec![
            vec![Some("happy".into())],
            vec![Some("it's fine".into())],
            vec![Some("happy".into())]
        ],
        "rows keep their values"
    );
    // The new values are accepted; an unknown one is refused.
    db.exec(&format!(
        "INSERT INTO {} ({}, {}, {}) VALUES (7, 'x@y', 'so-so'), (8, 'z@y', 'sad, very')",
        q("user"),
        q("id"),
        q("email"),
        q("mood")
    ))
    .await;
    let bad = db
        .conn
        .execute(&format!(
            "INSERT INTO {} ({}, {}, {}) VALUES (9, 'q', 'nope')",
            q("user"),
            q("id"),
            q("email"),
            q("mood")
        ))
        .await;
    assert!(
        bad.is_err(),
        "an unknown enum value must be refused on {dialect}"
    );
    if dialect == Dialect::Postgres {
        let order = db
            .rows("SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typname = 'mood'")
            .await;
        assert_eq!(cell(&order[0], 0), "happy,so-so,it's fine,sad, very");
    }

    let insert = ops(r#"
- bulk_insert:
    table: group
    rows:
      - {a: 10, b: "it's"}
      - {a: 11, b: "back\\slash"}
      - {a: 12, b: "line\nbreak"}
      - {a: 13, b: "\"dq\""}
- execute: {sql: "DELETE FROM group", dialect: sqlite}
"#);
    for op in &insert[..1] {
        db.migrate(op, &ctx, false, true)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    // A dialect-specific execute runs only on its backend.
    let stmts = render(&insert[1], dialect, &ctx).expect("renders");
    assert_eq!(stmts.is_empty(), dialect != Dialect::Sqlite);
    let rows = db
        .rows(&format!(
            "SELECT {} FROM {} WHERE {} >= 10 ORDER BY {}",
            q("b"),
            q("group"),
            q("a"),
            q("a")
        ))
        .await;
    let got: Vec<String> = rows.iter().map(|r| cell(r, 0)).collect();
    assert_eq!(got, vec!["it's", "back\\slash", "line\nbreak", "\"dq\""]);
    db.finish().await;
}

#[tokio::test]
async fn sqlite_enum_values_inserts_and_execute() {
    enum_values_inserts_and_execute(Dialect::Sqlite).await;
}

#[tokio::test]
async fn postgres_enum_values_inserts_and_execute() {
    enum_values_inserts_and_execute(Dialect::Postgres).await;
}

#[tokio::test]
async fn mysql_enum_values_inserts_and_execute() {
    enum_values_inserts_and_execute(Dialect::MySql).await;
}

// ---- the SQLite table rebuild ----------------------------------------------------------

async fn sqlite_with_parent_and_children(rows: usize) -> Db {
    let mut db = Db::open(Dialect::Sqlite).await.expect("sqlite");
    let schema = parse_schema_text(
        Path::new("s.yaml"),
        r#"
tables:
  parent:
    columns:
      id: {type: integer, primary_key: true, autoincrement: true}
      name: {type: varchar(50), nullable: false}
      code: {type: varchar(10)}
    indexes:
      - {name: ix_parent_name, columns: [name]}
  child:
    columns:
      id: {type: integer, primary_key: true}
      parent_id: {type: integer, nullable: false, foreign_key: {references: parent.id, on_delete: cascade}}
"#,
        &nc(),
    )
    .expect("schema");
    for t in &schema.tables {
        db.migrate(
            &Operation::CreateTable(t.clone()),
            &RenderContext::default(),
            false,
            true,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    }
    db.exec(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows}) INSERT INTO parent (id, name, code) SELECT i, 'p' || i, NULL FROM n"
    ))
    .await;
    db.exec(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows}) INSERT INTO child (id, parent_id) SELECT i, i FROM n"
    ))
    .await;
    db
}

async fn count(db: &mut Db, sql: &str) -> i64 {
    cell(&db.rows(sql).await[0], 0).parse().expect("a number")
}

#[tokio::test]
async fn sqlite_rebuild_keeps_rows_and_incoming_foreign_keys() {
    let mut db = sqlite_with_parent_and_children(10_000).await;
    let ctx = RenderContext::default();
    let alter = ops("- alter_column: {table: parent, name: name, type: varchar(200), nullable: true, server_default: \"'anon'\"}");
    let stmts = db
        .migrate(&alter[0], &ctx, true, true)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        stmts
            .iter()
            .any(|s| s.starts_with("CREATE TABLE \"_retort_tmp_parent\"")),
        "{stmts:#?}"
    );

    assert_eq!(count(&mut db, "SELECT count(*) FROM parent").await, 10_000);
    assert_eq!(
        count(&mut db, "SELECT count(*) FROM child").await,
        10_000,
        "no cascade deletes"
    );
    assert_eq!(
        count(&mut db, "SELECT sum(length(name)) FROM parent").await,
        (1..=10_000)
            .map(|i: i64| 1 + i.to_string().len() as i64)
            .sum::<i64>()
    );
    assert!(db.rows("PRAGMA foreign_key_check").await.is_empty());
    let sql = cell(
        &db.rows("SELECT sql FROM sqlite_master WHERE name = 'parent'")
            .await[0],
        0,
    );
    assert!(
        sql.contains("\"name\" VARCHAR(200) DEFAULT 'anon'"),
        "{sql}"
    );
    assert_eq!(
        db.rows("SELECT name FROM sqlite_master WHERE name = 'ix_parent_name'")
            .await
            .len(),
        1,
        "indexes are recreated"
    );
    let child_sql = cell(
        &db.rows("SELECT sql FROM sqlite_master WHERE name = 'child'")
            .await[0],
        0,
    );
    assert!(child_sql.contains("REFERENCES \"parent\""), "{child_sql}");

    // The incoming key still works (foreign keys are on again).
    let orphan = db
        .conn
        .execute("INSERT INTO child (id, parent_id) VALUES (20000, 999999)")
        .await;
    assert!(orphan.is_err(), "an orphan must be refused");
    db.exec("DELETE FROM parent WHERE id = 1").await;
    assert_eq!(
        count(&mut db, "SELECT count(*) FROM child").await,
        9_999,
        "ON DELETE CASCADE survives"
    );

    // Rebuilding the child (outgoing key) keeps its key too.
    let alter_child = ops("- alter_column: {table: child, name: parent_id, nullable: true}");
    db.migrate(&alter_child[0], &ctx, true, true)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(count(&mut db, "SELECT count(*) FROM child").await, 9_999);
    assert!(db
        .conn
        .execute("INSERT INTO child (id, parent_id) VALUES (20001, 999999)")
        .await
        .is_err());
    assert!(db.rows("PRAGMA foreign_key_check").await.is_empty());
    db.finish().await;
}

#[tokio::test]
async fn sqlite_rebuild_is_refused_with_foreign_keys_on() {
    let mut db = sqlite_with_parent_and_children(10).await;
    db.exec("PRAGMA foreign_keys=ON").await;
    let alter = ops("- alter_column: {table: parent, name: name, nullable: true}");
    let err = render_live(&alter[0], &mut db.conn, &RenderContext::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("PRAGMA foreign_keys=OFF") && err.contains("sqlite"),
        "{err}"
    );
    // Not rebuilding (a rename) is fine with foreign keys on.
    let rename = ops("- alter_column: {table: parent, name: code, new_name: kode}");
    assert!(
        render_live(&rename[0], &mut db.conn, &RenderContext::default())
            .await
            .is_ok()
    );
    db.finish().await;
}

#[tokio::test]
async fn sqlite_rebuild_that_breaks_foreign_keys_fails() {
    let mut db = sqlite_with_parent_and_children(10).await;
    db.exec("INSERT INTO parent (id, name) VALUES (100, 'lonely')")
        .await;
    db.exec("CREATE TABLE other (id INTEGER PRIMARY KEY, ref INTEGER)")
        .await;
    db.exec("INSERT INTO other VALUES (1, 5), (2, 12345)").await;
    let fk = ops("- create_foreign_key: {name: fk_other, table: other, columns: [ref], referred_table: parent, referred_columns: [id]}");
    let err = db
        .migrate(&fk[0], &RenderContext::default(), true, true)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("foreign keys violated after rebuilding table other"),
        "{err}"
    );
    // Rolled back: the table is as it was.
    assert_eq!(count(&mut db, "SELECT count(*) FROM other").await, 2);
    assert!(db.rows("PRAGMA foreign_key_list('other')").await.is_empty());
    db.finish().await;
}

#[tokio::test]
async fn sqlite_rebuild_keeps_views_and_triggers() {
    let mut db = sqlite_with_parent_and_children(5).await;
    db.exec("CREATE VIEW parent_names AS SELECT name FROM parent")
        .await;
    db.exec("CREATE VIEW v2 AS SELECT count(*) AS n FROM parent_names")
        .await;
    db.exec("CREATE TABLE audit (msg TEXT)").await;
    db.exec("CREATE TRIGGER parent_ins AFTER INSERT ON parent BEGIN INSERT INTO audit VALUES ('new ' || NEW.name); END").await;
    db.exec(
        "CREATE TRIGGER audit_ins AFTER INSERT ON audit BEGIN SELECT count(*) FROM parent; END",
    )
    .await;
    let before: Vec<String> = db
        .rows("SELECT type, name, sql FROM sqlite_master WHERE type IN ('view', 'trigger') ORDER BY name")
        .await
        .iter()
        .map(|r| format!("{} {} {}", cell(r, 0), cell(r, 1), cell(r, 2)))
        .collect();
    let alter = ops("- alter_column: {table: parent, name: code, type: varchar(20)}");
    db.migrate(&alter[0], &RenderContext::default(), true, true)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let after: Vec<String> = db
        .rows("SELECT type, name, sql FROM sqlite_master WHERE type IN ('view', 'trigger') ORDER BY name")
        .await
        .iter()
        .map(|r| format!("{} {} {}", cell(r, 0), cell(r, 1), cell(r, 2)))
        .collect();
    assert_eq!(before, after);
    db.exec("INSERT INTO parent (name) VALUES ('fresh')").await;
    assert_eq!(
        count(
            &mut db,
            "SELECT count(*) FROM audit WHERE msg = 'new fresh'"
        )
        .await,
        1
    );
    assert_eq!(count(&mut db, "SELECT n FROM v2").await, 6);
    db.finish().await;
}

#[tokio::test]
async fn sqlite_tables_with_unsupported_features_are_refused_clearly() {
    let mut db = Db::open(Dialect::Sqlite).await.expect("sqlite");
    db.exec("CREATE TABLE t (a TEXT, b INTEGER) STRICT").await;
    let alter = ops("- alter_column: {table: t, name: b, nullable: false}");
    let err = render_live(&alter[0], &mut db.conn, &RenderContext::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("STRICT") && err.contains("alter_column `t`.`b`") && err.contains("sqlite"),
        "{err}"
    );
    db.finish().await;
}

#[tokio::test]
async fn url_database_replacement() {
    assert_eq!(
        with_database("postgres://u:p@h:1/db?x=1", "n"),
        "postgres://u:p@h:1/n?x=1"
    );
    assert_eq!(with_database("mysql://u:p@h:1", "n"), "mysql://u:p@h:1/n");
}
