//! Reflection against real databases: hand-written DDL per backend, reflected, and the
//! resulting schema model asserted field by field.
//!
//! SQLite always runs (a temporary file). PostgreSQL and MySQL/MariaDB run when
//! `RETORT_TEST_POSTGRES_URL` / `RETORT_TEST_MYSQL_URL` are set (see
//! `scripts/with-databases.sh`); each test creates and drops its own database. With
//! `RETORT_TEST_REQUIRE_ALL=1` a missing URL is a failure.

use retort_engine::dialect::Dialect;
use retort_engine::reflect::{reflect_schema, reflect_schema_with_stats, ReflectOptions};
use retort_engine::schema::{
    CheckConstraint, Column, ColumnType, EnumType, FkAction, ForeignKey, Index, PrimaryKey, Schema,
    Table, UniqueConstraint,
};

// ---- databases ------------------------------------------------------------------------

mod common;

use common::fresh;

// ---- expected values ------------------------------------------------------------------

fn col(name: &str, ty: ColumnType, nullable: bool) -> Column {
    Column {
        name: name.into(),
        ty,
        nullable,
        ..Column::default()
    }
}

trait ColumnExt {
    fn dflt(self, d: &str) -> Column;
    fn auto(self) -> Column;
    fn comment(self, c: &str) -> Column;
}

impl ColumnExt for Column {
    fn dflt(mut self, d: &str) -> Column {
        self.server_default = Some(d.into());
        self
    }
    fn auto(mut self) -> Column {
        self.autoincrement = true;
        self
    }
    fn comment(mut self, c: &str) -> Column {
        self.comment = Some(c.into());
        self
    }
}

fn names(cols: &[&str]) -> Vec<String> {
    cols.iter().map(|c| c.to_string()).collect()
}

fn pk(name: Option<&str>, cols: &[&str]) -> Option<PrimaryKey> {
    Some(PrimaryKey {
        name: name.map(str::to_string),
        columns: names(cols),
    })
}

fn ix(name: &str, cols: &[&str], unique: bool, where_clause: Option<&str>) -> Index {
    Index {
        name: name.into(),
        columns: names(cols),
        unique,
        where_clause: where_clause.map(str::to_string),
        ..Default::default()
    }
}

fn uq(name: &str, cols: &[&str]) -> UniqueConstraint {
    UniqueConstraint {
        name: name.into(),
        columns: names(cols),
    }
}

fn fk(
    name: &str,
    cols: &[&str],
    table: &str,
    referred: &[&str],
    on_delete: Option<FkAction>,
    on_update: Option<FkAction>,
) -> ForeignKey {
    ForeignKey {
        name: name.into(),
        columns: names(cols),
        referred_table: table.into(),
        referred_columns: names(referred),
        on_delete,
        on_update,
        ..Default::default()
    }
}

fn ck(name: &str, expr: &str) -> CheckConstraint {
    CheckConstraint {
        name: name.into(),
        expr: expr.into(),
    }
}

fn numeric(p: u32, s: u32) -> ColumnType {
    ColumnType::Numeric {
        precision: Some(p),
        scale: Some(s),
    }
}

fn custom(s: &str) -> ColumnType {
    ColumnType::Custom(s.into())
}

/// Compares table by table and field by field, so that a failure names what differs.
fn assert_schema(dialect: Dialect, got: &Schema, expected: &Schema) {
    let got_names: Vec<&str> = got.tables.iter().map(|t| t.name.as_str()).collect();
    let want_names: Vec<&str> = expected.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(got_names, want_names, "{dialect}: table names");
    for (g, w) in got.tables.iter().zip(&expected.tables) {
        let t = &w.name;
        let got_cols: Vec<&str> = g.columns.iter().map(|c| c.name.as_str()).collect();
        let want_cols: Vec<&str> = w.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(got_cols, want_cols, "{dialect}: columns of {t}");
        for (gc, wc) in g.columns.iter().zip(&w.columns) {
            assert_eq!(gc, wc, "{dialect}: column {t}.{}", wc.name);
        }
        assert_eq!(
            g.primary_key, w.primary_key,
            "{dialect}: primary key of {t}"
        );
        assert_eq!(g.indexes, w.indexes, "{dialect}: indexes of {t}");
        assert_eq!(g.unique, w.unique, "{dialect}: unique constraints of {t}");
        assert_eq!(
            g.foreign_keys, w.foreign_keys,
            "{dialect}: foreign keys of {t}"
        );
        assert_eq!(g.checks, w.checks, "{dialect}: checks of {t}");
        assert_eq!(g.comment, w.comment, "{dialect}: comment of {t}");
        assert_eq!(g, w, "{dialect}: table {t}");
    }
    assert_eq!(got.enums, expected.enums, "{dialect}: enums");
    assert_eq!(got, expected, "{dialect}: schema");
}

// ---- SQLite ---------------------------------------------------------------------------

const SQLITE_DDL: &[&str] = &[
    r#"CREATE TABLE "user" (
        "id" INTEGER PRIMARY KEY,
        "email" VARCHAR(255) NOT NULL,
        "status" VARCHAR DEFAULT 'pending' CHECK ("status" IN ('pending', 'running', 'it''s')),
        "created_at" TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
        "active" BOOLEAN NOT NULL DEFAULT 1,
        "score" NUMERIC(10,2) DEFAULT 0,
        "kind" TEXT CONSTRAINT "ck_kind_named" CHECK ("kind" IN ('a', 'b')),
        CONSTRAINT "uq_user_email" UNIQUE ("email"),
        CONSTRAINT "ck_user_score" CHECK (score >= 0)
    )"#,
    r#"CREATE TABLE "types" (
        "a_smallint" SMALLINT, "a_integer" INTEGER, "a_bigint" BIGINT, "a_boolean" BOOLEAN,
        "a_real" REAL, "a_double" DOUBLE, "a_numeric" NUMERIC(12, 4), "a_numeric_plain" NUMERIC,
        "a_varchar" VARCHAR(20), "a_varchar_plain" VARCHAR, "a_char" CHAR(2), "a_text" TEXT,
        "a_blob" BLOB, "a_date" DATE, "a_time" TIME, "a_timestamp" TIMESTAMP,
        "a_timestamptz" TIMESTAMPTZ, "a_json" JSON, "a_uuid" CHAR(36), "a_custom" MEDIUMTEXT,
        "a_int" INT, "a_untyped"
    )"#,
    r#"CREATE TABLE "order" (
        "user_id" INTEGER NOT NULL,
        "seq" BIGINT NOT NULL,
        "reply-to" VARCHAR(100),
        "MixedCase" INTEGER,
        "note" TEXT DEFAULT 'it''s',
        CONSTRAINT "pk_order" PRIMARY KEY ("user_id", "seq"),
        CONSTRAINT "fk_order_user" FOREIGN KEY ("user_id") REFERENCES "user" ("id")
            ON DELETE CASCADE ON UPDATE SET NULL,
        UNIQUE ("reply-to", "MixedCase"),
        CHECK ("seq" > 0)
    )"#,
    r#"CREATE TABLE "line" (
        "id" INTEGER PRIMARY KEY AUTOINCREMENT,
        "order_user" INTEGER NOT NULL,
        "order_seq" BIGINT NOT NULL,
        "owner" INTEGER REFERENCES "user" ON DELETE SET DEFAULT,
        "qty" INTEGER NOT NULL DEFAULT 1,
        "buyer" INTEGER REFERENCES USER ("ID"),
        CONSTRAINT "fk_line_order" FOREIGN KEY ("order_user", "order_seq")
            REFERENCES "order" ("user_id", "seq") ON DELETE RESTRICT
    )"#,
    r#"CREATE TABLE "tag" ("code" VARCHAR(10) PRIMARY KEY, "big" BIGINT UNIQUE, "label" TEXT)"#,
    r#"CREATE INDEX "ix_line_order" ON "line" ("order_seq", "order_user")"#,
    r#"CREATE UNIQUE INDEX "ux_line_qty" ON "line" ("qty")"#,
    r#"CREATE INDEX "ix_line_big" ON "line" ("qty") WHERE qty > 10"#,
    r#"CREATE INDEX "ix_order_mixed" ON "order" ("MixedCase")"#,
    r#"CREATE INDEX "ix_user_lower" ON "user" (lower("email"), "id" DESC)"#,
    r#"CREATE TABLE "retort_version" ("version_num" VARCHAR(255) NOT NULL PRIMARY KEY)"#,
];

fn sqlite_expected() -> Schema {
    use ColumnType as T;
    Schema {
        enums: vec![],
        tables: vec![
            Table {
                name: "line".into(),
                columns: vec![
                    col("id", T::Integer, false).auto(),
                    col("order_user", T::Integer, false),
                    col("order_seq", T::BigInt, false),
                    col("owner", T::Integer, true),
                    col("qty", T::Integer, false).dflt("1"),
                    col("buyer", T::Integer, true),
                ],
                primary_key: pk(None, &["id"]),
                indexes: vec![
                    ix("ix_line_big", &["qty"], false, Some("qty > 10")),
                    ix("ix_line_order", &["order_seq", "order_user"], false, None),
                    ix("ux_line_qty", &["qty"], true, None),
                ],
                foreign_keys: vec![
                    // Written in another case: reported as the tables and columns are named.
                    fk("", &["buyer"], "user", &["id"], None, None),
                    // Column-level and unnamed: an empty name; referred columns implicit.
                    fk(
                        "",
                        &["owner"],
                        "user",
                        &["id"],
                        Some(FkAction::SetDefault),
                        None,
                    ),
                    fk(
                        "fk_line_order",
                        &["order_user", "order_seq"],
                        "order",
                        &["user_id", "seq"],
                        Some(FkAction::Restrict),
                        None,
                    ),
                ],
                ..Table::default()
            },
            Table {
                name: "order".into(),
                columns: vec![
                    col("user_id", T::Integer, false),
                    col("seq", T::BigInt, false),
                    col("reply-to", T::Varchar(Some(100)), true),
                    col("MixedCase", T::Integer, true),
                    col("note", T::Text, true).dflt("'it''s'"),
                ],
                primary_key: pk(Some("pk_order"), &["user_id", "seq"]),
                indexes: vec![ix("ix_order_mixed", &["MixedCase"], false, None)],
                unique: vec![uq("", &["reply-to", "MixedCase"])],
                foreign_keys: vec![fk(
                    "fk_order_user",
                    &["user_id"],
                    "user",
                    &["id"],
                    Some(FkAction::Cascade),
                    Some(FkAction::SetNull),
                )],
                checks: vec![ck("", "\"seq\" > 0")],
                ..Table::default()
            },
            Table {
                name: "tag".into(),
                columns: vec![
                    col("code", T::Varchar(Some(10)), true),
                    col("big", T::BigInt, true),
                    col("label", T::Text, true),
                ],
                primary_key: pk(None, &["code"]),
                unique: vec![uq("", &["big"])],
                ..Table::default()
            },
            Table {
                name: "types".into(),
                columns: vec![
                    col("a_smallint", T::SmallInt, true),
                    col("a_integer", T::Integer, true),
                    col("a_bigint", T::BigInt, true),
                    col("a_boolean", T::Boolean, true),
                    col("a_real", T::Real, true),
                    col("a_double", T::Double, true),
                    col("a_numeric", numeric(12, 4), true),
                    col(
                        "a_numeric_plain",
                        T::Numeric {
                            precision: None,
                            scale: None,
                        },
                        true,
                    ),
                    col("a_varchar", T::Varchar(Some(20)), true),
                    col("a_varchar_plain", T::Varchar(None), true),
                    col("a_char", T::Char(Some(2)), true),
                    col("a_text", T::Text, true),
                    col("a_blob", T::Blob, true),
                    col("a_date", T::Date, true),
                    col("a_time", T::Time, true),
                    col("a_timestamp", T::Timestamp, true),
                    col("a_timestamptz", T::TimestampTz, true),
                    col("a_json", T::Json, true),
                    col("a_uuid", T::Char(Some(36)), true),
                    col("a_custom", custom("mediumtext"), true),
                    col("a_int", custom("int"), true),
                    col("a_untyped", custom(""), true),
                ],
                ..Table::default()
            },
            Table {
                name: "user".into(),
                columns: vec![
                    col("id", T::Integer, false).auto(),
                    col("email", T::Varchar(Some(255)), false),
                    col("status", custom("enum('pending','running','it''s')"), true)
                        .dflt("'pending'"),
                    col("created_at", T::TimestampTz, false).dflt("CURRENT_TIMESTAMP"),
                    col("active", T::Boolean, false).dflt("1"),
                    col("score", numeric(10, 2), true).dflt("0"),
                    // A named IN-check is a user check, not an enum.
                    col("kind", T::Text, true),
                ],
                primary_key: pk(None, &["id"]),
                indexes: vec![ix(
                    "ix_user_lower",
                    &["lower(\"email\")", "id"],
                    false,
                    None,
                )],
                unique: vec![uq("uq_user_email", &["email"])],
                checks: vec![
                    ck("ck_kind_named", "\"kind\" IN ('a', 'b')"),
                    ck("ck_user_score", "score >= 0"),
                ],
                ..Table::default()
            },
        ],
        ..Default::default()
    }
}

#[tokio::test]
async fn sqlite_reflects_everything() {
    let mut db = fresh(Dialect::Sqlite).await.expect("sqlite");
    db.run(SQLITE_DDL).await;
    let got = reflect_schema(&mut db.conn, &ReflectOptions::default())
        .await
        .expect("reflects");
    let mut want = sqlite_expected();
    // What SQLite keeps as declared (issue 11): key columns declared without NOT NULL,
    // `INT` as the integer it is, AUTOINCREMENT and DESC.
    for t in &mut want.tables {
        for c in &mut t.columns {
            let at = (t.name.as_str(), c.name.as_str());
            if [("user", "id"), ("line", "id"), ("tag", "code")].contains(&at) {
                c.nullable = true;
            }
            if c.name == "a_int" {
                c.ty = ColumnType::Integer;
            }
        }
        if t.name == "line" {
            t.options.sqlite_autoincrement = true;
        }
        for ix in &mut t.indexes {
            if ix.name == "ix_user_lower" {
                ix.descending = vec!["id".into()];
            }
        }
    }
    assert_schema(Dialect::Sqlite, &got, &want);
    db.finish().await;
}

// ---- PostgreSQL -----------------------------------------------------------------------

const PG_DDL: &[&str] = &[
    r#"CREATE TYPE "status" AS ENUM ('pending', 'running', 'it''s')"#,
    r#"CREATE TYPE "unused_mood" AS ENUM ('b', 'a')"#,
    r#"ALTER TYPE "unused_mood" ADD VALUE 'c' BEFORE 'b'"#,
    r#"CREATE TABLE "user" (
        "id" INTEGER GENERATED BY DEFAULT AS IDENTITY,
        "email" VARCHAR(255) NOT NULL,
        "status" "status" NOT NULL DEFAULT 'pending',
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP,
        "active" BOOLEAN NOT NULL DEFAULT true,
        "score" NUMERIC(10,2) DEFAULT 0,
        "plain_serial" SERIAL,
        CONSTRAINT "pk_user" PRIMARY KEY ("id"),
        CONSTRAINT "uq_user_email" UNIQUE ("email"),
        CONSTRAINT "ck_user_score" CHECK (score >= 0)
    )"#,
    r#"COMMENT ON TABLE "user" IS 'Registered users'"#,
    r#"COMMENT ON COLUMN "user"."email" IS 'login, it''s unique'"#,
    r#"CREATE TABLE "types" (
        "a_smallint" SMALLINT, "a_integer" INTEGER, "a_bigint" BIGINT, "a_boolean" BOOLEAN,
        "a_real" REAL, "a_double" DOUBLE PRECISION, "a_numeric" NUMERIC(12, 4),
        "a_numeric_plain" NUMERIC, "a_varchar" VARCHAR(20), "a_varchar_plain" VARCHAR,
        "a_char" CHAR(2), "a_text" TEXT, "a_blob" BYTEA, "a_date" DATE, "a_time" TIME,
        "a_timestamp" TIMESTAMP, "a_timestamptz" TIMESTAMPTZ, "a_json" JSON, "a_jsonb" JSONB,
        "a_uuid" UUID, "a_custom" INET, "a_array" INTEGER[], "a_time3" TIME(3)
    )"#,
    r#"CREATE TABLE "order" (
        "user_id" INTEGER NOT NULL,
        "seq" BIGSERIAL,
        "reply-to" VARCHAR(100),
        "MixedCase" INTEGER,
        "note" TEXT DEFAULT 'it''s',
        CONSTRAINT "pk_order" PRIMARY KEY ("user_id", "seq"),
        CONSTRAINT "fk_order_user" FOREIGN KEY ("user_id") REFERENCES "user" ("id")
            ON DELETE CASCADE ON UPDATE SET NULL,
        CONSTRAINT "uq_order_reply" UNIQUE ("reply-to", "MixedCase"),
        CONSTRAINT "ck_order_seq" CHECK ("seq" > 0)
    )"#,
    r#"CREATE TABLE "line" (
        "id" BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        "order_user" INTEGER NOT NULL,
        "order_seq" BIGINT NOT NULL,
        "owner" INTEGER,
        "qty" INTEGER NOT NULL DEFAULT 1,
        CONSTRAINT "fk_line_order" FOREIGN KEY ("order_user", "order_seq")
            REFERENCES "order" ("user_id", "seq") ON DELETE RESTRICT,
        CONSTRAINT "fk_line_owner" FOREIGN KEY ("owner") REFERENCES "user" ("id")
            ON UPDATE NO ACTION
    )"#,
    r#"COMMENT ON COLUMN "line"."qty" IS 'how many'"#,
    r#"CREATE INDEX "ix_line_order" ON "line" ("order_seq", "order_user")"#,
    r#"CREATE UNIQUE INDEX "ux_line_qty" ON "line" ("qty")"#,
    r#"CREATE INDEX "ix_line_big" ON "line" ("qty") WHERE qty > 10"#,
    r#"CREATE INDEX "ix_order_mixed" ON "order" ("MixedCase")"#,
    r#"CREATE INDEX "ix_user_lower" ON "user" (lower("email"), "id" DESC)"#,
    r#"CREATE TABLE "retort_version" ("version_num" VARCHAR(255) NOT NULL PRIMARY KEY)"#,
];

fn pg_expected() -> Schema {
    use ColumnType as T;
    Schema {
        enums: vec![
            EnumType {
                name: "status".into(),
                values: names(&["pending", "running", "it's"]),
            },
            EnumType {
                name: "unused_mood".into(),
                values: names(&["c", "b", "a"]),
            },
        ],
        tables: vec![
            Table {
                name: "line".into(),
                columns: vec![
                    Column {
                        identity_always: true,
                        ..col("id", T::BigInt, false).auto()
                    },
                    col("order_user", T::Integer, false),
                    col("order_seq", T::BigInt, false),
                    col("owner", T::Integer, true),
                    col("qty", T::Integer, false).dflt("1").comment("how many"),
                ],
                primary_key: pk(Some("line_pkey"), &["id"]),
                indexes: vec![
                    ix("ix_line_big", &["qty"], false, Some("(qty > 10)")),
                    ix("ix_line_order", &["order_seq", "order_user"], false, None),
                    ix("ux_line_qty", &["qty"], true, None),
                ],
                foreign_keys: vec![
                    fk(
                        "fk_line_order",
                        &["order_user", "order_seq"],
                        "order",
                        &["user_id", "seq"],
                        Some(FkAction::Restrict),
                        None,
                    ),
                    fk("fk_line_owner", &["owner"], "user", &["id"], None, None),
                ],
                ..Table::default()
            },
            Table {
                name: "order".into(),
                columns: vec![
                    col("user_id", T::Integer, false),
                    Column {
                        sequence: Some("order_seq_seq".into()),
                        ..col("seq", T::BigInt, false).auto()
                    },
                    col("reply-to", T::Varchar(Some(100)), true),
                    col("MixedCase", T::Integer, true),
                    col("note", T::Text, true).dflt("'it''s'::text"),
                ],
                primary_key: pk(Some("pk_order"), &["user_id", "seq"]),
                indexes: vec![ix("ix_order_mixed", &["MixedCase"], false, None)],
                unique: vec![uq("uq_order_reply", &["reply-to", "MixedCase"])],
                foreign_keys: vec![fk(
                    "fk_order_user",
                    &["user_id"],
                    "user",
                    &["id"],
                    Some(FkAction::Cascade),
                    Some(FkAction::SetNull),
                )],
                checks: vec![ck("ck_order_seq", "(seq > 0)")],
                ..Table::default()
            },
            Table {
                name: "types".into(),
                columns: vec![
                    col("a_smallint", T::SmallInt, true),
                    col("a_integer", T::Integer, true),
                    col("a_bigint", T::BigInt, true),
                    col("a_boolean", T::Boolean, true),
                    col("a_real", T::Real, true),
                    col("a_double", T::Double, true),
                    col("a_numeric", numeric(12, 4), true),
                    col(
                        "a_numeric_plain",
                        T::Numeric {
                            precision: None,
                            scale: None,
                        },
                        true,
                    ),
                    col("a_varchar", T::Varchar(Some(20)), true),
                    col("a_varchar_plain", T::Varchar(None), true),
                    col("a_char", T::Char(Some(2)), true),
                    col("a_text", T::Text, true),
                    col("a_blob", T::Blob, true),
                    col("a_date", T::Date, true),
                    col("a_time", T::Time, true),
                    col("a_timestamp", T::Timestamp, true),
                    col("a_timestamptz", T::TimestampTz, true),
                    col("a_json", T::Json, true),
                    col("a_jsonb", T::Jsonb, true),
                    col("a_uuid", T::Uuid, true),
                    col("a_custom", custom("inet"), true),
                    col("a_array", custom("integer[]"), true),
                    col("a_time3", custom("time(3)"), true),
                ],
                ..Table::default()
            },
            Table {
                name: "user".into(),
                columns: vec![
                    col("id", T::Integer, false).auto(),
                    col("email", T::Varchar(Some(255)), false).comment("login, it's unique"),
                    col("status", T::Enum("status".into()), false).dflt("'pending'::status"),
                    col("created_at", T::TimestampTz, false).dflt("CURRENT_TIMESTAMP"),
                    col("active", T::Boolean, false).dflt("true"),
                    col("score", numeric(10, 2), true).dflt("0"),
                    Column {
                        sequence: Some("user_plain_serial_seq".into()),
                        ..col("plain_serial", T::Integer, false).auto()
                    },
                ],
                primary_key: pk(Some("pk_user"), &["id"]),
                indexes: vec![Index {
                    descending: vec!["id".into()],
                    ..ix("ix_user_lower", &["lower(email::text)", "id"], false, None)
                }],
                unique: vec![uq("uq_user_email", &["email"])],
                checks: vec![ck("ck_user_score", "(score >= (0)::numeric)")],
                comment: Some("Registered users".into()),
                ..Table::default()
            },
        ],
        ..Default::default()
    }
}

#[tokio::test]
async fn postgres_reflects_everything() {
    let Some(mut db) = fresh(Dialect::Postgres).await else {
        return;
    };
    db.run(PG_DDL).await;
    let got = reflect_schema(&mut db.conn, &ReflectOptions::default()).await;
    db.finish().await;
    assert_schema(Dialect::Postgres, &got.expect("reflects"), &pg_expected());
}

// ---- MySQL/MariaDB --------------------------------------------------------------------

const MYSQL_DDL: &[&str] = &[
    r#"CREATE TABLE `user` (
        `id` INT NOT NULL AUTO_INCREMENT,
        `email` VARCHAR(255) NOT NULL COMMENT 'login, it''s unique',
        `status` ENUM('pending', 'running', 'it''s') NOT NULL DEFAULT 'pending',
        `created_at` DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
        `active` BOOL NOT NULL DEFAULT TRUE,
        `score` DECIMAL(10,2) DEFAULT 0,
        `prefs` JSON,
        `nothing` VARCHAR(10) DEFAULT NULL,
        `null_word` VARCHAR(10) DEFAULT 'NULL',
        PRIMARY KEY (`id`),
        CONSTRAINT `uq_user_email` UNIQUE (`email`),
        CONSTRAINT `ck_user_score` CHECK (score >= 0)
    ) COMMENT = 'Registered users'"#,
    r#"CREATE TABLE `types` (
        `a_smallint` SMALLINT, `a_integer` INT, `a_bigint` BIGINT, `a_boolean` BOOL,
        `a_real` FLOAT, `a_double` DOUBLE, `a_numeric` DECIMAL(12,4), `a_varchar` VARCHAR(20),
        `a_char` CHAR(2), `a_text` TEXT, `a_blob` LONGBLOB, `a_date` DATE, `a_time` TIME,
        `a_timestamp` DATETIME, `a_uuid` CHAR(36), `a_custom` MEDIUMTEXT,
        `a_unsigned` INT UNSIGNED, `a_real_timestamp` TIMESTAMP NULL
    )"#,
    r#"CREATE TABLE `order` (
        `user_id` INT NOT NULL,
        `seq` BIGINT NOT NULL,
        `reply-to` VARCHAR(100),
        `MixedCase` INT,
        `note` VARCHAR(20) DEFAULT 'it''s',
        CONSTRAINT `pk_order` PRIMARY KEY (`user_id`, `seq`),
        CONSTRAINT `fk_order_user` FOREIGN KEY (`user_id`) REFERENCES `user` (`id`)
            ON DELETE CASCADE ON UPDATE CASCADE,
        CONSTRAINT `uq_order_reply` UNIQUE (`reply-to`, `MixedCase`),
        CONSTRAINT `ck_order_seq` CHECK (`seq` > 0)
    )"#,
    r#"CREATE TABLE `line` (
        `id` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        `order_user` INT NOT NULL,
        `order_seq` BIGINT NOT NULL,
        `owner` INT,
        `qty` INT NOT NULL DEFAULT 1 COMMENT 'how many',
        CONSTRAINT `fk_line_order` FOREIGN KEY (`order_user`, `order_seq`)
            REFERENCES `order` (`user_id`, `seq`) ON DELETE RESTRICT,
        `buyer` INT,
        CONSTRAINT `fk_line_owner` FOREIGN KEY (`owner`) REFERENCES `user` (`id`)
            ON DELETE SET NULL,
        FOREIGN KEY (`buyer`) REFERENCES `user` (`id`)
    )"#,
    "CREATE INDEX `ix_line_order` ON `line` (`order_seq`, `order_user`)",
    "CREATE UNIQUE INDEX `ux_line_qty` ON `line` (`qty`)",
    "CREATE INDEX `ix_order_mixed` ON `order` (`MixedCase`)",
    "CREATE TABLE `retort_version` (`version_num` VARCHAR(255) NOT NULL PRIMARY KEY)",
];

fn mysql_expected(mariadb: bool) -> Schema {
    use ColumnType as T;
    Schema {
        enums: vec![],
        tables: vec![
            Table {
                name: "line".into(),
                columns: vec![
                    col("id", T::BigInt, false).auto(),
                    col("order_user", T::Integer, false),
                    col("order_seq", T::BigInt, false),
                    col("owner", T::Integer, true),
                    col("qty", T::Integer, false).dflt("1").comment("how many"),
                    col("buyer", T::Integer, true),
                ],
                primary_key: pk(None, &["id"]),
                // The indexes MySQL made for the foreign keys are not listed.
                indexes: vec![ix(
                    "ix_line_order",
                    &["order_seq", "order_user"],
                    false,
                    None,
                )],
                unique: vec![uq("ux_line_qty", &["qty"])],
                foreign_keys: vec![
                    // RESTRICT is MySQL's default: None.
                    fk(
                        "fk_line_order",
                        &["order_user", "order_seq"],
                        "order",
                        &["user_id", "seq"],
                        None,
                        None,
                    ),
                    fk(
                        "fk_line_owner",
                        &["owner"],
                        "user",
                        &["id"],
                        Some(FkAction::SetNull),
                        None,
                    ),
                    // Unnamed: MySQL names it; its index is named after the column.
                    fk("line_ibfk_1", &["buyer"], "user", &["id"], None, None),
                ],
                ..Table::default()
            },
            Table {
                name: "order".into(),
                columns: vec![
                    col("user_id", T::Integer, false),
                    col("seq", T::BigInt, false),
                    col("reply-to", T::Varchar(Some(100)), true),
                    col("MixedCase", T::Integer, true),
                    col("note", T::Varchar(Some(20)), true).dflt("'it''s'"),
                ],
                primary_key: pk(None, &["user_id", "seq"]),
                indexes: vec![ix("ix_order_mixed", &["MixedCase"], false, None)],
                unique: vec![uq("uq_order_reply", &["reply-to", "MixedCase"])],
                foreign_keys: vec![fk(
                    "fk_order_user",
                    &["user_id"],
                    "user",
                    &["id"],
                    Some(FkAction::Cascade),
                    Some(FkAction::Cascade),
                )],
                checks: vec![ck("ck_order_seq", "`seq` > 0")],
                ..Table::default()
            },
            Table {
                name: "types".into(),
                columns: vec![
                    col("a_smallint", T::SmallInt, true),
                    col("a_integer", T::Integer, true),
                    col("a_bigint", T::BigInt, true),
                    col("a_boolean", T::Boolean, true),
                    col("a_real", T::Real, true),
                    col("a_double", T::Double, true),
                    col("a_numeric", numeric(12, 4), true),
                    col("a_varchar", T::Varchar(Some(20)), true),
                    col("a_char", T::Char(Some(2)), true),
                    col("a_text", T::Text, true),
                    col("a_blob", T::Blob, true),
                    col("a_date", T::Date, true),
                    col("a_time", T::Time, true),
                    col("a_timestamp", T::Timestamp, true),
                    col("a_uuid", T::Char(Some(36)), true),
                    col("a_custom", custom("mediumtext"), true),
                    // Display widths dropped, MySQL's TIMESTAMP as timestamp(0) (issue 11).
                    col("a_unsigned", custom("int unsigned"), true),
                    col("a_real_timestamp", custom("timestamp(0)"), true),
                ],
                ..Table::default()
            },
            Table {
                name: "user".into(),
                columns: vec![
                    col("id", T::Integer, false).auto(),
                    col("email", T::Varchar(Some(255)), false).comment("login, it's unique"),
                    col("status", custom("enum('pending','running','it''s')"), false)
                        .dflt("'pending'"),
                    col("created_at", T::Timestamp, false).dflt(if mariadb {
                        "current_timestamp()"
                    } else {
                        "CURRENT_TIMESTAMP"
                    }),
                    col("active", T::Boolean, false).dflt("1"),
                    col("score", numeric(10, 2), true).dflt("0.00"),
                    col("prefs", T::Json, true),
                    col("nothing", T::Varchar(Some(10)), true),
                    col("null_word", T::Varchar(Some(10)), true).dflt("'NULL'"),
                ],
                primary_key: pk(None, &["id"]),
                unique: vec![uq("uq_user_email", &["email"])],
                // MariaDB's json_valid(`prefs`) check is not a user check.
                checks: vec![ck("ck_user_score", "`score` >= 0")],
                comment: Some("Registered users".into()),
                ..Table::default()
            },
        ],
        ..Default::default()
    }
}

#[tokio::test]
async fn mysql_reflects_everything() {
    let Some(mut db) = fresh(Dialect::MySql).await else {
        return;
    };
    db.run(MYSQL_DDL).await;
    let version = db.conn.query("SELECT VERSION()").await.expect("version");
    let mariadb = version[0][0]
        .as_deref()
        .unwrap_or_default()
        .to_ascii_lowercase()
        .contains("mariadb");
    let got = reflect_schema(&mut db.conn, &ReflectOptions::default()).await;
    db.finish().await;
    assert_schema(
        Dialect::MySql,
        &got.expect("reflects"),
        &mysql_expected(mariadb),
    );
}

// ---- every backend ----------------------------------------------------------------------

/// DDL for `n` tables `t0..tn` chained by foreign keys, each with an index and a check,
/// plus a custom-named version table.
fn chain_ddl(dialect: Dialect, n: usize) -> Vec<String> {
    let q = |s: &str| dialect.backend().quote(s);
    let mut out = vec![format!(
        "CREATE TABLE {} ({} VARCHAR(255) NOT NULL PRIMARY KEY)",
        q("my_versions"),
        q("version_num")
    )];
    for i in 0..n {
        let reference = if i == 0 {
            String::new()
        } else {
            format!(
                ", CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({})",
                q(&format!("fk_t{i}")),
                q("parent"),
                q(&format!("t{}", i - 1)),
                q("id")
            )
        };
        out.push(format!(
            "CREATE TABLE {} ({} INTEGER NOT NULL PRIMARY KEY, {} INTEGER, {} INTEGER, \
             CONSTRAINT {} CHECK ({} > 0){reference})",
            q(&format!("t{i}")),
            q("id"),
            q("parent"),
            q("n"),
            q(&format!("ck_t{i}")),
            q("n")
        ));
        out.push(format!(
            "CREATE INDEX {} ON {} ({})",
            q(&format!("ix_t{i}_n")),
            q(&format!("t{i}")),
            q("n")
        ));
    }
    out
}

async fn filtering_and_bounded_queries(dialect: Dialect) {
    let Some(mut db) = fresh(dialect).await else {
        return;
    };
    let ddl = chain_ddl(dialect, 3);
    db.run(&ddl.iter().map(String::as_str).collect::<Vec<_>>())
        .await;

    // The version table (whatever its name) is left out; so is what the filter rejects.
    let excluded = ["t1".to_string()];
    let options =
        ReflectOptions::new("my_versions").with_filter(|t| !excluded.iter().any(|e| e == t));
    let (schema, small) = reflect_schema_with_stats(&mut db.conn, &options)
        .await
        .expect("reflects");
    let names: Vec<&str> = schema.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["t0", "t2"], "{dialect}");
    // A kept table's foreign key to a filtered one is still reported.
    let t2 = schema.table("t2").expect("t2");
    assert_eq!(t2.foreign_keys.len(), 1, "{dialect}");
    assert_eq!(t2.foreign_keys[0].referred_table, "t1", "{dialect}");
    assert_eq!(t2.checks.len(), 1, "{dialect}");
    assert_eq!(t2.indexes.len(), 1, "{dialect}");

    let all = reflect_schema(&mut db.conn, &ReflectOptions::new("my_versions"))
        .await
        .expect("reflects");
    let names: Vec<&str> = all.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["t0", "t1", "t2"], "{dialect}");
    let with_version = reflect_schema(&mut db.conn, &ReflectOptions::new("retort_version"))
        .await
        .expect("reflects");
    assert!(with_version.table("my_versions").is_some(), "{dialect}");

    // Many more tables: the same number of catalog queries.
    let more = chain_ddl(dialect, 25);
    let extra: Vec<&str> = more[1 + 2 * 3..].iter().map(String::as_str).collect();
    db.run(&extra).await;
    let (schema, large) = reflect_schema_with_stats(&mut db.conn, &options)
        .await
        .expect("reflects");
    assert_eq!(schema.tables.len(), 24, "{dialect}");
    assert_eq!(
        small, large,
        "{dialect}: queries grow with the number of tables"
    );
    // Collations and foreign-key rules are read by queries of their own (joined in
    // SQL, the server scans those views once per row of the other).
    assert!(
        large.queries <= 8,
        "{dialect}: {} catalog queries",
        large.queries
    );
    db.finish().await;
}

#[tokio::test]
async fn sqlite_filters_tables_with_bounded_queries() {
    filtering_and_bounded_queries(Dialect::Sqlite).await;
}

#[tokio::test]
async fn postgres_filters_tables_with_bounded_queries() {
    filtering_and_bounded_queries(Dialect::Postgres).await;
}

#[tokio::test]
async fn mysql_filters_tables_with_bounded_queries() {
    filtering_and_bounded_queries(Dialect::MySql).await;
}

#[tokio::test]
async fn an_empty_database_reflects_empty() {
    for dialect in [Dialect::Sqlite, Dialect::Postgres, Dialect::MySql] {
        let Some(mut db) = fresh(dialect).await else {
            continue;
        };
        let got = reflect_schema(&mut db.conn, &ReflectOptions::default()).await;
        db.finish().await;
        assert_eq!(got.expect("reflects"), Schema::default(), "{dialect}");
    }
}

// ---- what retort itself creates ---------------------------------------------------------

const DECLARED: &str = r#"
enums:
  mood: [happy, "it's fine"]
tables:
  users:
    comment: Registered users
    columns:
      id: {type: integer, primary_key: true, autoincrement: true}
      email: {type: varchar(255), nullable: false, unique: true, comment: login}
      mood: {type: enum(mood), nullable: false, server_default: "'happy'"}
      payload: {type: json}
      uid: {type: uuid}
    indexes:
      - {columns: [mood]}
    checks:
      - {name: ck_users_email, expr: "email <> ''"}
  scripts:
    columns:
      id: {type: bigint, primary_key: true, autoincrement: true}
      user_id: {type: integer, nullable: false, foreign_key: {references: users.id, on_delete: cascade}}
"#;

/// A schema created by retort's own operations reflects as the module contract says:
/// enums per backend, MariaDB JSON, autoincrement, and only the declared index listed.
async fn retort_rendered(dialect: Dialect) {
    use retort_engine::backend::{render_all, RenderContext};
    use retort_engine::ops::Operation;
    use retort_engine::schema::{parse_schema_text, NamingConvention};

    let Some(mut db) = fresh(dialect).await else {
        return;
    };
    let declared = parse_schema_text(
        std::path::Path::new("schema.yaml"),
        DECLARED,
        &NamingConvention::default(),
    )
    .expect("schema parses");
    let mut ops: Vec<Operation> = declared
        .enums
        .iter()
        .cloned()
        .map(Operation::CreateEnum)
        .collect();
    ops.extend(declared.tables.iter().cloned().map(Operation::CreateTable));
    let mut ctx = RenderContext::new(Schema::default());
    let statements = render_all(&ops, dialect, &mut ctx).expect("renders");
    for s in statements.iter().flatten() {
        db.run(&[s.as_str()]).await;
    }
    let got = reflect_schema(&mut db.conn, &ReflectOptions::default()).await;
    db.finish().await;
    let got = got.expect("reflects");

    let users = got.table("users").expect("users");
    let declared_users = declared.table("users").expect("declared users");
    let mood = users.column("mood").expect("mood");
    let enum_spelling = ColumnType::Custom("enum('happy','it''s fine')".into());
    match dialect {
        Dialect::Postgres => {
            assert_eq!(mood.ty, ColumnType::Enum("mood".into()));
            assert_eq!(got.enums, declared.enums);
        }
        _ => {
            assert_eq!(mood.ty, enum_spelling, "{dialect}");
            assert!(got.enums.is_empty(), "{dialect}");
        }
    }
    let payload = &users.column("payload").expect("payload").ty;
    assert_eq!(payload, &ColumnType::Json, "{dialect}");
    let uid = &users.column("uid").expect("uid").ty;
    let want_uid = match dialect {
        Dialect::Postgres => ColumnType::Uuid,
        _ => ColumnType::Char(Some(36)),
    };
    assert_eq!(uid, &want_uid, "{dialect}");
    let id = users.column("id").expect("id");
    assert!(
        id.autoincrement && !id.nullable && id.server_default.is_none(),
        "{dialect}: {id:?}"
    );
    // Only the declared check (not SQLite's enum check nor MariaDB's json_valid); its
    // text is the backend's own rendering.
    let checks: Vec<&str> = users.checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(checks, ["ck_users_email"], "{dialect}");
    assert_eq!(users.unique, declared_users.unique, "{dialect}");
    assert_eq!(users.indexes, declared_users.indexes, "{dialect}");
    let scripts = got.table("scripts").expect("scripts");
    let declared_scripts = declared.table("scripts").expect("declared scripts");
    assert_eq!(
        scripts.foreign_keys, declared_scripts.foreign_keys,
        "{dialect}"
    );
    let script_id = scripts.column("id").expect("id");
    assert!(script_id.autoincrement, "{dialect}");
    // SQLite's rowid alias is INTEGER whatever was declared.
    let want_id = match dialect {
        Dialect::Sqlite => ColumnType::Integer,
        _ => ColumnType::BigInt,
    };
    assert_eq!(script_id.ty, want_id, "{dialect}");
    if dialect.backend().has_comments() {
        assert_eq!(
            users.comment.as_deref(),
            Some("Registered users"),
            "{dialect}"
        );
        let email = users.column("email").expect("email");
        assert_eq!(email.comment.as_deref(), Some("login"), "{dialect}");
    }
}

#[tokio::test]
async fn sqlite_reflects_what_retort_creates() {
    retort_rendered(Dialect::Sqlite).await;
}

#[tokio::test]
async fn postgres_reflects_what_retort_creates() {
    retort_rendered(Dialect::Postgres).await;
}

#[tokio::test]
async fn mysql_reflects_what_retort_creates() {
    retort_rendered(Dialect::MySql).await;
}
