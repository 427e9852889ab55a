//! Issue 11 on PostgreSQL, one focused test per defect: the smallest DDL that shows it,
//! loaded by hand into a fresh database, then `reflect` → `validate` ok → `check` finds
//! 0 operations, and (where the detail must survive a rebuild) autogenerate on an empty
//! database → `upgrade` → the catalog shows the detail kept → `downgrade base` leaves
//! nothing. Runs when `RETORT_TEST_POSTGRES_URL` is set (skips otherwise).

mod common;

use std::path::Path;

use common::*;

/// A fresh PostgreSQL database for `test`, or None (with a message) when there is none.
async fn postgres(test: &str, dir: &Path) -> Option<Backend> {
    let mut found = None;
    for b in backends(test, dir).await {
        if b.name == "postgres" {
            found = Some(b);
        } else {
            b.drop().await;
        }
    }
    if found.is_none() {
        eprintln!("skipping {test}: RETORT_TEST_POSTGRES_URL is unset");
    }
    found
}

fn project(dir: &Path) {
    std::fs::create_dir_all(dir.join("versions")).expect("mkdir versions");
    write(
        &dir.join("retort.yaml"),
        "schema: schema.yaml\nversions: versions\n",
    );
}

/// Runs each `;`-terminated statement of `ddl`.
async fn load(db: &Backend, ddl: &str) {
    let mut conn = retort_engine::db::Connection::connect(&db.url)
        .await
        .expect("connect");
    for stmt in ddl.split(";\n").map(str::trim).filter(|s| !s.is_empty()) {
        conn.execute(stmt)
            .await
            .unwrap_or_else(|e| panic!("{stmt}: {e}"));
    }
    conn.close().await;
}

/// Columns (with defaults, identity, generation, collation), indexes, constraints and
/// sequences (with their options and owner) of the current schema, without retort's own.
const CATALOG: &[&str] = &[
    "SELECT 'column', table_name, column_name, data_type, character_maximum_length::text, numeric_precision::text, numeric_scale::text, datetime_precision::text, is_nullable, column_default, collation_name, is_identity, identity_generation, is_generated, generation_expression FROM information_schema.columns WHERE table_schema = current_schema()",
    "SELECT 'index', tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()",
    "SELECT 'constraint', c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = current_schema() AND c.conrelid <> 0",
    "SELECT 'sequence', c.relname, s.seqstart::text, s.seqincrement::text, s.seqmin::text, s.seqcache::text, s.seqcycle::text, (SELECT d.deptype::text FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i') LIMIT 1) FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema()",
];

async fn catalog(db: &Backend) -> Vec<String> {
    let mut lines = Vec::new();
    for q in CATALOG {
        for row in db.query(q).await {
            let line = row
                .into_iter()
                .map(|c| c.unwrap_or_else(|| "∅".into()))
                .collect::<Vec<_>>()
                .join(" | ");
            if !line.contains("retort_") {
                lines.push(line);
            }
        }
    }
    lines.sort();
    lines
}

/// `ddl` loaded, then reflect (whose output must contain each of `reflected`) →
/// validate → check (0 operations) → the fixpoint on an empty database, whose catalog
/// must equal the hand-built one, except for lines containing one of `differs` (each a
/// difference the model deliberately does not keep) → downgrade base. Returns the
/// reflected schema.yaml.
async fn round_trip(test: &str, ddl: &str, reflected: &[&str], differs: &[&str]) -> Option<String> {
    let tmp = temp_project();
    let dir = tmp.path();
    project(dir);
    let vendor = postgres(test, dir).await?;
    let empty = postgres(&format!("{test}_e"), dir).await?;
    load(&vendor, ddl).await;
    let yaml = vendor.ok(dir, &["-q", "reflect"]).stdout;
    for want in reflected {
        assert!(yaml.contains(want), "reflect lacks {want:?}:\n{yaml}");
    }
    write(&dir.join("schema.yaml"), &yaml);
    vendor.ok(dir, &["validate"]);
    let check = vendor.ok(dir, &["check"]);
    assert!(
        check.all().contains("No changes"),
        "check on the hand-built database:\n{}",
        check.all()
    );

    empty.ok(dir, &["-q", "revision", "--autogenerate", "-m", "fixpoint"]);
    empty.ok(dir, &["-q", "upgrade", "head"]);
    empty.ok(dir, &["check"]);
    let keep = |lines: Vec<String>| -> Vec<String> {
        lines
            .into_iter()
            .filter(|l| !differs.iter().any(|d| l.contains(d)))
            .collect()
    };
    let (want, got) = (keep(catalog(&vendor).await), keep(catalog(&empty).await));
    assert_eq!(want, got, "the retort-built catalog differs\n{yaml}");
    empty.ok(dir, &["-q", "downgrade", "base"]);
    let left = catalog(&empty).await;
    assert!(left.is_empty(), "downgrade base left {left:?}");
    vendor.drop().await;
    empty.drop().await;
    Some(yaml)
}

// Issue 11 item 9: `DEFAULT nextval('users_seq')` on a sequence the column owns stays
// that sequence (not an identity with another name); dropping the table drops it.
#[tokio::test]
async fn an_owned_sequence_stays_the_columns_sequence() {
    round_trip(
        "pgfid_serial",
        "CREATE SEQUENCE users_seq;
         CREATE TABLE users (id integer NOT NULL DEFAULT nextval('users_seq'::regclass) PRIMARY KEY, hits bigserial);
         ALTER SEQUENCE users_seq OWNED BY users.id;",
        &[
            "id: {type: integer, primary_key: true, sequence: users_seq}",
            "hits: {type: bigint, nullable: false, sequence: users_hits_seq}",
        ],
        // The model keeps a serial sequence's name, not its integer type (PostgreSQL's
        // plain CREATE SEQUENCE is a bigint one; retort makes it as `serial` does).
        &["sequence | users_seq"],
    )
    .await;
}

// Issue 11 item 9: a sequence no column owns (Roundcube's) is a standalone sequence
// with its options, and the column keeps its `nextval` default as written.
#[tokio::test]
async fn a_standalone_sequence_and_its_default_are_kept() {
    let Some(yaml) = round_trip(
        "pgfid_standalone",
        "CREATE SEQUENCE collected_addresses_seq START 100 INCREMENT 5 CACHE 10 CYCLE;
         CREATE TABLE collected_addresses (address_id integer DEFAULT nextval(('collected_addresses_seq'::text)::regclass) NOT NULL PRIMARY KEY);",
        &[
            "sequences:\n  collected_addresses_seq: {start: 100, increment: 5, cache: 10, cycle: true}",
            "server_default: \"nextval(('collected_addresses_seq'::text)::regclass)\"",
        ],
        &[],
    )
    .await
    else {
        return;
    };
    assert!(!yaml.contains("autoincrement: true"), "{yaml}");
}

// Standalone sequences are PostgreSQL's: validate refuses them elsewhere, saying so.
#[test]
fn sequences_are_refused_where_the_backend_has_none() {
    let tmp = temp_project();
    let dir = tmp.path();
    project(dir);
    write(
        &dir.join("schema.yaml"),
        "sequences:\n  invoice_numbers: {start: 1000}\ntables: {}\n",
    );
    let url = format!("sqlite://{}", dir.join("x.db").display());
    let r = retort(dir, &["validate", "--url", &url]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.all().contains("schema.yaml:2:3")
            && r.all().contains("SQLite has no standalone sequences"),
        "{}",
        r.all()
    );
    write(
        &dir.join("versions/0001_seq.yaml"),
        "revision: aaaaaaaaaaa1\ndown_revision: null\nmessage: seq\nupgrade:\n  - create_sequence: {name: invoice_numbers}\ndowngrade:\n  - drop_sequence: {name: invoice_numbers}\n",
    );
    write(&dir.join("schema.yaml"), "tables: {}\n");
    let r = retort(dir, &["upgrade", "head", "--url", &url]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.all()
            .contains("`name` of `create_sequence` `invoice_numbers`")
            && r.all().contains("has no standalone sequences"),
        "{}",
        r.all()
    );
}

// Issue 11 item 10: identity GENERATED ALWAYS reflects as `identity: always`.
#[tokio::test]
async fn identity_always_is_kept() {
    round_trip(
        "pgfid_always",
        "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text);",
        &["id: {type: bigint, primary_key: true, autoincrement: true, identity: always}"],
        &[],
    )
    .await;
}

/// The `is_identity` and `column_default` of `t.id`.
async fn id_column(db: &Backend) -> (String, Option<String>) {
    let rows = db
        .query("SELECT is_identity, column_default FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 't' AND column_name = 'id'")
        .await;
    let row = rows.into_iter().next().expect("column t.id");
    (row[0].clone().unwrap_or_default(), row[1].clone())
}

async fn sequence_count(db: &Backend) -> usize {
    db.query("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'S'")
        .await
        .len()
}

// Issue 11 item 9: removing (and, on the way back, adding) an identity or a serial's
// sequence is an operation, not a note.
#[tokio::test]
async fn removing_autoincrement_is_detected_and_applied() {
    for (name, ddl) in [
        (
            "identity",
            "CREATE TABLE t (id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, v text)",
        ),
        ("serial", "CREATE TABLE t (id serial PRIMARY KEY, v text)"),
    ] {
        let tmp = temp_project();
        let dir = tmp.path();
        project(dir);
        let Some(db) = postgres(&format!("pgfid_noauto_{name}"), dir).await else {
            return;
        };
        load(&db, ddl).await;
        db.query("INSERT INTO t (v) VALUES ('a'), ('b')").await;
        write(
            &dir.join("schema.yaml"),
            "tables:\n  t:\n    columns:\n      id: {type: integer, primary_key: true, autoincrement: false}\n      v: text\n",
        );
        let check = db.run(dir, &["check"]);
        assert_eq!(check.code, 1, "{name}: {}", check.all());
        assert!(
            check.stdout.contains("1 operation(s) would be generated")
                && check.stdout.contains("alter_column `t`.`id`"),
            "{name}: {}",
            check.all()
        );
        db.ok(dir, &["-q", "revision", "--autogenerate", "-m", "plain"]);
        let revision = std::fs::read_dir(dir.join("versions"))
            .expect("versions")
            .filter_map(|e| e.ok())
            .map(|e| std::fs::read_to_string(e.path()).expect("revision"))
            .next()
            .expect("a revision");
        assert!(
            revision.contains("autoincrement: false"),
            "{name}: {revision}"
        );
        db.ok(dir, &["-q", "upgrade", "head"]);
        db.ok(dir, &["check"]);
        assert_eq!(id_column(&db).await, ("NO".to_string(), None), "{name}");
        assert_eq!(sequence_count(&db).await, 0, "{name}: the sequence stays");
        // The downgrade makes it autoincrement again, after the values it holds.
        db.ok(dir, &["-q", "downgrade", "base"]);
        assert_eq!(id_column(&db).await.0, "YES", "{name}");
        db.query("INSERT INTO t (v) VALUES ('c')").await;
        let ids = db.query("SELECT id::text FROM t ORDER BY id").await;
        assert_eq!(ids.len(), 3, "{name}");
        assert_eq!(ids[2][0].as_deref(), Some("3"), "{name}");
        db.drop().await;
    }
}

// Issue 11 item 2: constraint names are per table on PostgreSQL (pdns has
// `c_lowercase_name` on two tables); index-backed names stay per schema.
#[tokio::test]
async fn check_and_foreign_key_names_are_per_table() {
    round_trip(
        "pgfid_names",
        "CREATE TABLE a (id integer PRIMARY KEY, name text, CONSTRAINT c_lowercase_name CHECK (name = lower(name)));
         CREATE TABLE b (id integer PRIMARY KEY, a_id integer, name text, CONSTRAINT c_lowercase_name CHECK (name = lower(name)), CONSTRAINT fk_a FOREIGN KEY (a_id) REFERENCES a (id));
         CREATE TABLE c (id integer PRIMARY KEY, a_id integer, CONSTRAINT fk_a FOREIGN KEY (a_id) REFERENCES a (id));",
        &["c_lowercase_name"],
        &[],
    )
    .await;
    let tmp = temp_project();
    let dir = tmp.path();
    project(dir);
    let Some(db) = postgres("pgfid_names_ix", dir).await else {
        return;
    };
    write(
        &dir.join("schema.yaml"),
        "tables:\n  a:\n    columns: {x: integer}\n    indexes: [{name: ix_x, columns: [x]}]\n  b:\n    columns: {x: integer}\n    indexes: [{name: ix_x, columns: [x]}]\n",
    );
    let r = db.run(dir, &["validate"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.all().contains("ix_x"), "{}", r.all());
    db.drop().await;
}

// Issue 11 item 4: the types PostgreSQL reports reflect in a form validate accepts and
// that compares equal.
#[tokio::test]
async fn precise_time_array_and_bit_types_reflect_and_compare() {
    round_trip(
        "pgfid_types",
        "CREATE TABLE t (id integer PRIMARY KEY, a timestamp(0) without time zone, b timestamptz(3), c time(0), d time with time zone, e varchar(20)[], f numeric(10,2)[], g bit varying(5), h interval, i time(3) with time zone, j integer[][]);",
        &[
            "a: {type: timestamp(0)}",
            "b: {type: timestamptz(3)}",
            "c: {type: time(0)}",
            "i: {type: timetz(3)}",
        ],
        &[],
    )
    .await;
}

// Issue 11 item 10: operator class, DESC, method (GIN, GiST, BRIN, hash), INCLUDE,
// expression and partial indexes are reflected, rendered and compared.
#[tokio::test]
async fn index_details_are_kept() {
    let Some(yaml) = round_trip(
        "pgfid_indexes",
        "CREATE TABLE t (id integer PRIMARY KEY, email varchar(100), tags text[], at timestamptz, box_ box, n integer);
         CREATE INDEX t_pattern ON t (email varchar_pattern_ops);
         CREATE INDEX t_desc ON t (at DESC, id);
         CREATE INDEX t_gin ON t USING gin (tags);
         CREATE INDEX t_gist ON t USING gist (box_);
         CREATE INDEX t_brin ON t USING brin (at);
         CREATE INDEX t_hash ON t USING hash (email);
         CREATE INDEX t_include ON t (n) INCLUDE (email);
         CREATE UNIQUE INDEX t_lower ON t (lower(email));
         CREATE INDEX t_partial ON t (n) WHERE n > 10;",
        &[
            "opclasses: {email: varchar_pattern_ops}",
            "descending: [at]",
            "using: gin",
            "using: gist",
            "using: brin",
            "using: hash",
            "include: [email]",
            "lower(",
            "where: \"(n > 10)\"",
        ],
        &[],
    )
    .await
    else {
        return;
    };
    // A changed detail is a change: the index is dropped and created again.
    let tmp = temp_project();
    let dir = tmp.path();
    project(dir);
    let Some(db) = postgres("pgfid_indexes_changed", dir).await else {
        return;
    };
    load(
        &db,
        "CREATE TABLE t (id integer PRIMARY KEY, email varchar(100), tags text[], at timestamptz, box_ box, n integer);
         CREATE INDEX t_pattern ON t (email);",
    )
    .await;
    let only_pattern: String = yaml
        .lines()
        .filter(|l| !l.contains("- {name: t_") || l.contains("t_pattern"))
        .map(|l| format!("{l}\n"))
        .collect();
    write(&dir.join("schema.yaml"), &only_pattern);
    let r = db.run(dir, &["check"]);
    assert_eq!(r.code, 1, "{only_pattern}\n{}", r.all());
    assert!(r.stdout.contains("create_index `t_pattern`"), "{}", r.all());
    db.drop().await;
}

// Issue 11 item 10: deferrable foreign keys, stored generated columns and column
// collations survive reflect and a rebuild.
#[tokio::test]
async fn deferrable_keys_generated_columns_and_collations_are_kept() {
    round_trip(
        "pgfid_details",
        "CREATE TABLE p (id integer PRIMARY KEY);
         CREATE TABLE c (id integer PRIMARY KEY, p_id integer, name text COLLATE \"C\", twice integer GENERATED ALWAYS AS (id * 2) STORED, CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p (id) DEFERRABLE INITIALLY DEFERRED);",
        &[
            "deferrable: true, initially: deferred",
            "collation: C",
            "generated: {expr: \"(id * 2)\", stored: true}",
        ],
        &[],
    )
    .await;
}

// What only one backend has is refused by the others, at `validate` and before running,
// never dropped silently: MySQL table options, column charsets and FULLTEXT indexes on
// PostgreSQL; deferrable foreign keys on MySQL/MariaDB.
#[test]
fn details_of_another_backend_are_refused_not_dropped() {
    let tmp = temp_project();
    let dir = tmp.path();
    project(dir);
    let schema = "tables:\n  t:\n    engine: MyISAM\n    columns:\n      id: {type: integer, primary_key: true}\n      c: {type: text, charset: latin1}\n      u: {type: integer}\n    indexes:\n      - {name: ft, columns: [c], kind: fulltext}\n    foreign_keys:\n      - {columns: [u], references: {table: t, columns: [id]}, deferrable: true}\n";
    write(&dir.join("schema.yaml"), schema);
    let pg = "postgresql://nobody@127.0.0.1:1/nothing";
    let r = retort(dir, &["validate", "--url", pg]);
    assert_eq!(r.code, 1, "{}", r.all());
    for needle in [
        "`engine` is a MySQL/MariaDB table option",
        "column `c`: `charset` is a MySQL/MariaDB column option",
        "index `ft`: `kind` is a MySQL/MariaDB index kind",
    ] {
        assert!(r.all().contains(needle), "{needle}: {}", r.all());
    }
    let my = "mysql://nobody@127.0.0.1:1/nothing";
    let r = retort(dir, &["validate", "--url", my]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.all()
            .contains("is deferrable, and MySQL/MariaDB check foreign keys at once"),
        "{}",
        r.all()
    );
    // The same in a revision: `--sql` refuses to render it.
    write(&dir.join("schema.yaml"), "tables: {}\n");
    write(
        &dir.join("versions/0001_t.yaml"),
        &format!(
            "revision: aaaaaaaaaaa1\ndown_revision: null\nmessage: t\nupgrade:\n  - create_table:\n      name: t\n{}\ndowngrade:\n  - drop_table: {{name: t}}\n",
            schema
                .lines()
                .skip(2)
                .map(|l| format!("  {l}"))
                .collect::<Vec<_>>()
                .join("\n")
        ),
    );
    for (url, needle) in [
        (pg, "`engine` is a MySQL/MariaDB table option"),
        (
            my,
            "is deferrable, and MySQL/MariaDB check foreign keys at once",
        ),
    ] {
        let r = retort(dir, &["upgrade", "head", "--sql", "--url", url]);
        assert_eq!(r.code, 1, "{}", r.all());
        assert!(r.all().contains(needle), "{needle}: {}", r.all());
    }
}
