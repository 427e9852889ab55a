//! Issue 11 on MySQL/MariaDB: each defect's smallest DDL, loaded with the `mariadb`
//! client into a fresh database, then `reflect` → `validate` ok → `check` 0 operations,
//! and autogenerate on an empty database → `upgrade` → the catalog equals the vendor-built
//! one → `downgrade base`. Skipped when `RETORT_TEST_MYSQL_URL` is unset.

mod common;

use std::path::Path;

use common::{backends, retort, temp_project, write, Backend, Run};

/// A fresh MariaDB database for `test`, or `None` (skipped) without a server.
async fn mysql(test: &str, dir: &Path) -> Option<Backend> {
    let all = backends(test, dir).await;
    all.into_iter().find(|b| b.name == "mysql")
}

fn ok(dir: &Path, args: &[&str]) -> Run {
    let run = retort(dir, args);
    assert_eq!(run.code, 0, "retort {args:?}: {}", run.all());
    run
}

/// Loads `sql` into `b` with the `mariadb` client.
fn load(dir: &Path, b: &Backend, sql: &str) {
    let script = dir.join("vendor.sql");
    write(&script, sql);
    b.apply_script(&script);
}

/// Points the project in `dir` at `b`.
fn project(dir: &Path, b: &Backend) {
    write(
        &dir.join("retort.yaml"),
        &format!("database_url: {}\n", b.url),
    );
    std::fs::create_dir_all(dir.join("versions")).unwrap();
}

/// `reflect` writes schema.yaml, `validate` accepts it, `check` finds nothing; returns
/// the schema.yaml text.
fn reflect_validate_check(dir: &Path) -> String {
    let reflected = ok(dir, &["reflect"]).stdout;
    write(&dir.join("schema.yaml"), &reflected);
    ok(dir, &["validate"]);
    let check = ok(dir, &["check"]);
    assert!(
        check.stdout.contains("No changes detected"),
        "check after reflect:\n{}\nschema.yaml:\n{reflected}",
        check.all()
    );
    reflected
}

/// Everything of the catalog that the tests compare, table by table, in a stable order.
async fn catalog(b: &Backend) -> Vec<String> {
    let queries = [
        "SELECT TABLE_NAME, ENGINE, TABLE_COLLATION FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME NOT LIKE 'retort\\_%' ORDER BY TABLE_NAME",
        "SELECT TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, \
                EXTRA, CHARACTER_SET_NAME, COLLATION_NAME, GENERATION_EXPRESSION \
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() \
           AND TABLE_NAME NOT LIKE 'retort\\_%' ORDER BY TABLE_NAME, ORDINAL_POSITION",
        "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME, SUB_PART, INDEX_TYPE, \
                COLLATION \
         FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() \
           AND TABLE_NAME NOT LIKE 'retort\\_%' ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
    ];
    let mut out = Vec::new();
    for q in queries {
        for row in b.query(q).await {
            let cells: Vec<String> = row
                .into_iter()
                .map(|c| without_display_width(&c.unwrap_or_else(|| "NULL".into())))
                .collect();
            out.push(cells.join(" | "));
        }
    }
    out
}

/// An integer display width means nothing without `zerofill` (MySQL 8 no longer shows
/// it): `int(10) unsigned` is `int unsigned`.
fn without_display_width(cell: &str) -> String {
    let ints = ["tinyint(", "smallint(", "mediumint(", "int(", "bigint("];
    match ints.iter().find(|p| cell.starts_with(*p)) {
        Some(p) if !cell.contains("zerofill") && cell != "tinyint(1)" => {
            let close = cell.find(')').unwrap_or(cell.len() - 1);
            format!("{}{}", &p[..p.len() - 1], &cell[close + 1..])
        }
        _ => cell.to_string(),
    }
}

/// On a fresh database: autogenerate from the reflected schema.yaml, upgrade, `check`
/// finds nothing, the catalog equals `vendor`'s, and `downgrade base` removes the tables.
async fn fixpoint(test: &str, dir: &Path, vendor: &Backend) {
    let Some(fresh) = mysql(&format!("{test}_fix"), dir).await else {
        return;
    };
    let url = fresh.url.as_str();
    ok(
        dir,
        &["revision", "--autogenerate", "-m", "build", "--url", url],
    );
    ok(dir, &["upgrade", "head", "--url", url]);
    let check = ok(dir, &["check", "--url", url]);
    assert!(
        check.stdout.contains("No changes detected"),
        "check after building:\n{}",
        check.all()
    );
    assert_eq!(
        catalog(&fresh).await,
        catalog(vendor).await,
        "the retort-built catalog differs from the vendor-built one"
    );
    ok(dir, &["downgrade", "base", "--url", url]);
    let left: Vec<String> = fresh
        .tables()
        .await
        .into_iter()
        .filter(|t| !t.starts_with("retort_"))
        .collect();
    assert_eq!(left, Vec::<String>::new(), "downgrade base left tables");
    fresh.drop().await;
    for f in std::fs::read_dir(dir.join("versions")).unwrap() {
        std::fs::remove_file(f.unwrap().path()).unwrap();
    }
}

#[tokio::test]
async fn unsigned_zerofill_and_display_widths_round_trip() {
    let dir = temp_project();
    let dir = dir.path();
    let Some(b) = mysql("fidelity_unsigned", dir).await else {
        return;
    };
    project(dir, &b);
    load(
        dir,
        &b,
        "CREATE TABLE t (id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, n BIGINT UNSIGNED,
           price DECIMAL(10,2) UNSIGNED, code INT(5) ZEROFILL, w INT(10), big BIGINT(20),
           tiny TINYINT(4), flag TINYINT(1), med MEDIUMINT(8) UNSIGNED);
         CREATE TABLE u (id BIGINT(20) UNSIGNED NOT NULL AUTO_INCREMENT, PRIMARY KEY (id));",
    );
    let reflected = reflect_validate_check(dir);
    for needle in [
        "id: {type: int unsigned, primary_key: true, autoincrement: true}",
        "\"n\": {type: bigint unsigned}",
        "price: {type: \"decimal(10,2) unsigned\"}",
        "code: {type: int(5) unsigned zerofill}",
        "w: {type: integer}",
        "tiny: {type: tinyint}",
        "flag: {type: boolean}",
        "med: {type: mediumint unsigned}",
        "id: {type: bigint unsigned, primary_key: true, autoincrement: true}",
    ] {
        assert!(reflected.contains(needle), "{needle} in:\n{reflected}");
    }
    fixpoint("fidelity_unsigned", dir, &b).await;
    b.drop().await;
}

#[tokio::test]
async fn index_names_are_per_table_and_foreign_key_names_per_database() {
    let dir = temp_project();
    let dir = dir.path();
    let Some(b) = mysql("fidelity_names", dir).await else {
        return;
    };
    project(dir, &b);
    load(
        dir,
        &b,
        "CREATE TABLE a (x INT, INDEX ix_x (x), CONSTRAINT positive CHECK (x > 0));
         CREATE TABLE b (x INT, INDEX ix_x (x), CONSTRAINT positive CHECK (x > 0));",
    );
    let reflected = reflect_validate_check(dir);
    assert_eq!(reflected.matches("name: ix_x").count(), 2, "{reflected}");
    fixpoint("fidelity_names", dir, &b).await;

    // InnoDB keeps foreign key names per database: the same name twice is refused.
    write(
        &dir.join("schema.yaml"),
        "tables:
  p:
    columns: {id: {type: integer, primary_key: true}}
  a:
    columns: {id: {type: integer, primary_key: true}, p: integer}
    foreign_keys: [{name: fk_p, columns: [p], references: {table: p, columns: [id]}}]
  b:
    columns: {id: {type: integer, primary_key: true}, p: integer}
    foreign_keys: [{name: fk_p, columns: [p], references: {table: p, columns: [id]}}]
",
    );
    let run = retort(dir, &["validate"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.all()
            .contains("foreign key name `fk_p` of table `b` is also used in table `a` (at ")
            && run
                .all()
                .contains("MySQL/MariaDB keeps foreign key names unique across the database"),
        "{}",
        run.all()
    );
    b.drop().await;
}

#[tokio::test]
async fn timestamp_datetime_blob_and_text_types_stay_themselves() {
    let dir = temp_project();
    let dir = dir.path();
    let Some(b) = mysql("fidelity_time_blob", dir).await else {
        return;
    };
    project(dir, &b);
    load(
        dir,
        &b,
        "CREATE TABLE t (id INT PRIMARY KEY,
           changed TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
           touched TIMESTAMP NULL ON UPDATE CURRENT_TIMESTAMP,
           created DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
           ts3 TIMESTAMP(3) NULL, dt6 DATETIME(6), f FLOAT(10,3), d DOUBLE(10,2),
           b BLOB, tb TINYBLOB, mb MEDIUMBLOB, lb LONGBLOB,
           tt TINYTEXT, te TEXT, mt MEDIUMTEXT, lt LONGTEXT);",
    );
    let reflected = reflect_validate_check(dir);
    for needle in [
        "changed: {type: timestamp(0), nullable: false, server_default: current_timestamp() ON UPDATE current_timestamp()}",
        "touched: {type: timestamp(0), server_default: NULL ON UPDATE current_timestamp()}",
        "created: {type: timestamp, nullable: false",
        "ts3: {type: timestamp(3)}",
        "dt6: {type: datetime(6)}",
        "f: {type: \"float(10,3)\"}",
        "d: {type: \"double(10,2)\"}",
        "b: {type: blob(65535)}",
        "tb: {type: tinyblob}",
        "lb: {type: blob}",
        "mt: {type: mediumtext}",
    ] {
        assert!(reflected.contains(needle), "{needle} in:\n{reflected}");
    }
    fixpoint("fidelity_time_blob", dir, &b).await;

    // A type change elsewhere in the table keeps ON UPDATE (MODIFY restates it).
    let changed = reflected.replace("ts3: {type: timestamp(3)}", "ts3: {type: timestamp(6)}");
    write(&dir.join("schema.yaml"), &changed);
    ok(dir, &["revision", "--autogenerate", "-m", "precision"]);
    ok(dir, &["upgrade", "head"]);
    let after = b
        .query(
            "SELECT COLUMN_TYPE, EXTRA FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = DATABASE() AND COLUMN_NAME IN ('ts3', 'changed') ORDER BY COLUMN_NAME",
        )
        .await;
    assert_eq!(after[0][0].as_deref(), Some("timestamp"));
    assert_eq!(
        after[0][1]
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("on update current_timestamp()")
    );
    assert_eq!(after[1][0].as_deref(), Some("timestamp(6)"));
    assert!(ok(dir, &["check"]).stdout.contains("No changes detected"));
    b.drop().await;
}

#[tokio::test]
async fn prefix_lengths_fulltext_and_descending_indexes_round_trip_and_compare() {
    let dir = temp_project();
    let dir = dir.path();
    let Some(b) = mysql("fidelity_indexes", dir).await else {
        return;
    };
    project(dir, &b);
    // k(191) is needed: a whole varchar(1024) utf8mb4 key is too long for InnoDB.
    load(
        dir,
        &b,
        "CREATE TABLE t (id INT PRIMARY KEY, hostid INT NOT NULL, k VARCHAR(1024) NOT NULL,
           body TEXT, UNIQUE KEY uk (k(100)), FULLTEXT KEY ft (body));
         CREATE INDEX t_k ON t (hostid, k(191));
         CREATE INDEX t_desc ON t (hostid DESC, id);",
    );
    let reflected = reflect_validate_check(dir);
    for needle in [
        "{name: t_k, columns: [hostid, k], lengths: {k: 191}}",
        "{name: ft, columns: [body], kind: fulltext}",
        "{name: t_desc, columns: [hostid, id], descending: [hostid]}",
        "{name: uk, columns: [k], unique: true, lengths: {k: 100}}",
    ] {
        assert!(reflected.contains(needle), "{needle} in:\n{reflected}");
    }
    fixpoint("fidelity_indexes", dir, &b).await;

    // A changed prefix is a change.
    write(
        &dir.join("schema.yaml"),
        &reflected.replace("lengths: {k: 191}", "lengths: {k: 150}"),
    );
    let check = retort(dir, &["check"]);
    assert!(
        check.stdout.contains("drop_index `t_k`") && check.stdout.contains("create_index `t_k`"),
        "{}",
        check.all()
    );
    ok(dir, &["revision", "--autogenerate", "-m", "prefix"]);
    ok(dir, &["upgrade", "head"]);
    let sub = b
        .query(
            "SELECT CAST(SUB_PART AS CHAR) FROM information_schema.STATISTICS \
             WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME = 't_k' AND COLUMN_NAME = 'k'",
        )
        .await;
    assert_eq!(sub[0][0].as_deref(), Some("150"));
    ok(dir, &["downgrade", "-1"]);
    b.drop().await;
}

#[tokio::test]
async fn charsets_collations_and_engines_round_trip_and_compare() {
    let dir = temp_project();
    let dir = dir.path();
    let Some(b) = mysql("fidelity_collations", dir).await else {
        return;
    };
    project(dir, &b);
    load(
        dir,
        &b,
        "CREATE TABLE t (id INT PRIMARY KEY,
           k VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
           legacy VARCHAR(20) CHARACTER SET utf8mb3,
           plain VARCHAR(20), general VARCHAR(20) COLLATE utf8mb4_general_ci)
           DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
         CREATE TABLE l (id INT PRIMARY KEY, name VARCHAR(20)) ENGINE=MyISAM DEFAULT CHARSET=latin1;",
    );
    let reflected = reflect_validate_check(dir);
    for needle in [
        "  t:\n    collation: utf8mb4_unicode_ci\n",
        "k: {type: varchar(64), nullable: false, collation: utf8mb4_bin}",
        "legacy: {type: varchar(20), charset: utf8mb3}",
        "plain: {type: varchar(20)}",
        "general: {type: varchar(20), charset: utf8mb4}",
        "  l:\n    engine: MyISAM\n    charset: latin1\n",
    ] {
        assert!(reflected.contains(needle), "{needle} in:\n{reflected}");
    }
    fixpoint("fidelity_collations", dir, &b).await;

    // utf8 → utf8mb4 is a change; a type change keeps the _bin collation.
    write(
        &dir.join("schema.yaml"),
        &reflected
            .replace(
                "legacy: {type: varchar(20), charset: utf8mb3}",
                "legacy: {type: varchar(20), charset: utf8mb4, collation: utf8mb4_unicode_ci}",
            )
            .replace(
                "k: {type: varchar(64), nullable: false, collation: utf8mb4_bin}",
                "k: {type: varchar(128), nullable: false, collation: utf8mb4_bin}",
            ),
    );
    let check = retort(dir, &["check"]);
    assert!(
        check.stdout.contains("alter_column `t`.`legacy`")
            && check.stdout.contains("alter_column `t`.`k`"),
        "{}",
        check.all()
    );
    ok(dir, &["revision", "--autogenerate", "-m", "utf8mb4"]);
    ok(dir, &["upgrade", "head"]);
    let cols = b
        .query(
            "SELECT COLUMN_NAME, COLUMN_TYPE, COLLATION_NAME FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 't' \
               AND COLUMN_NAME IN ('k', 'legacy') ORDER BY COLUMN_NAME",
        )
        .await;
    assert_eq!(
        cols,
        vec![
            vec![
                Some("k".to_string()),
                Some("varchar(128)".to_string()),
                Some("utf8mb4_bin".to_string())
            ],
            vec![
                Some("legacy".to_string()),
                Some("varchar(20)".to_string()),
                Some("utf8mb4_unicode_ci".to_string())
            ],
        ]
    );
    assert!(ok(dir, &["check"]).stdout.contains("No changes detected"));
    ok(dir, &["downgrade", "-1"]);
    let back = b
        .query(
            "SELECT CHARACTER_SET_NAME FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = DATABASE() AND COLUMN_NAME = 'legacy'",
        )
        .await;
    assert_eq!(back[0][0].as_deref(), Some("utf8mb3"));
    b.drop().await;
}

#[tokio::test]
async fn triggers_views_and_table_options_are_never_lost_silently() {
    let dir = temp_project();
    let dir = dir.path();
    let Some(b) = mysql("fidelity_unmodelled", dir).await else {
        return;
    };
    project(dir, &b);
    load(
        dir,
        &b,
        "CREATE TABLE hosts (id INT PRIMARY KEY, name VARCHAR(64), name_upper VARCHAR(64));
         CREATE TRIGGER hosts_upper BEFORE INSERT ON hosts FOR EACH ROW SET NEW.name_upper = UPPER(NEW.name);
         CREATE VIEW host_names AS SELECT name FROM hosts;",
    );
    let reflected = reflect_validate_check(dir);
    assert!(
        reflected
            .contains("# not modelled by retort (left untouched): trigger hosts_upper on hosts")
            && reflected.contains("# not modelled by retort (left untouched): view host_names"),
        "{reflected}"
    );
    let check = ok(dir, &["check"]);
    assert!(
        check.stderr.contains(
            "trigger hosts_upper on hosts is not modelled by retort; check cannot see changes to it"
        ) && check.stderr.contains("view host_names is not modelled by retort"),
        "{}",
        check.all()
    );
    // A declared engine or default charset that differs is set by alter_table_options.
    write(
        &dir.join("schema.yaml"),
        &reflected.replace(
            "  hosts:\n",
            "  hosts:\n    engine: MyISAM\n    charset: latin1\n",
        ),
    );
    let check = retort(dir, &["check"]);
    assert!(
        check.code == 1 && check.stdout.contains("alter_table_options on `hosts`"),
        "{}",
        check.all()
    );
    b.drop().await;
}

#[tokio::test]
async fn expression_indexes_are_refused_where_the_server_has_none() {
    let dir = temp_project();
    let dir = dir.path();
    let Some(b) = mysql("fidelity_expr_index", dir).await else {
        return;
    };
    project(dir, &b);
    let version = b.query("SELECT VERSION()").await;
    let version = version[0][0].clone().unwrap_or_default();
    write(
        &dir.join("schema.yaml"),
        "tables:\n  users:\n    columns:\n      id: {type: integer, primary_key: true}\n      email: varchar(100)\n    indexes:\n      - {name: ix_email_lower, columns: [\"lower(email)\"]}\n",
    );
    ok(dir, &["validate"]);
    ok(dir, &["revision", "--autogenerate", "-m", "users"]);
    let run = retort(dir, &["upgrade", "head"]);
    if version.to_ascii_lowercase().contains("mariadb") {
        assert_eq!(run.code, 1, "{}", run.all());
        assert!(
            run.all().contains(
                "index `ix_email_lower` has an expression part (lower(email)), and this server"
            ) && run.all().contains("MariaDB has none"),
            "{}",
            run.all()
        );
        assert_eq!(
            b.tables().await.iter().filter(|t| *t == "users").count(),
            0,
            "nothing was built"
        );
    } else {
        assert_eq!(run.code, 0, "{}", run.all());
        assert!(ok(dir, &["check"]).stdout.contains("No changes detected"));
    }
    b.drop().await;
}

#[tokio::test]
async fn generated_columns_round_trip() {
    let dir = temp_project();
    let dir = dir.path();
    let Some(b) = mysql("fidelity_generated", dir).await else {
        return;
    };
    project(dir, &b);
    load(
        dir,
        &b,
        "CREATE TABLE g (a INT NOT NULL, b INT AS (a + 1) VIRTUAL,
           c VARCHAR(20) AS (CONCAT('x', a)) STORED);",
    );
    let reflected = reflect_validate_check(dir);
    for needle in [
        "b: {type: integer, generated: {expr: \"`a` + 1\"}}",
        "c: {type: varchar(20), generated: {expr: \"concat('x',`a`)\", stored: true}}",
    ] {
        assert!(reflected.contains(needle), "{needle} in:\n{reflected}");
    }
    fixpoint("fidelity_generated", dir, &b).await;
    b.drop().await;
}

#[tokio::test]
async fn a_dropped_binary_column_comes_back_binary_on_downgrade() {
    let dir = temp_project();
    let dir = dir.path();
    let Some(b) = mysql("fidelity_drop_collation", dir).await else {
        return;
    };
    project(dir, &b);
    load(
        dir,
        &b,
        "CREATE TABLE t (id INT PRIMARY KEY, k VARCHAR(20) COLLATE utf8mb4_bin NOT NULL, l VARCHAR(20) CHARACTER SET latin1);",
    );
    let reflected = reflect_validate_check(dir);
    write(
        &dir.join("schema.yaml"),
        &reflected
            .lines()
            .filter(|l| !l.trim_start().starts_with("k:") && !l.trim_start().starts_with("l:"))
            .map(|l| format!("{l}\n"))
            .collect::<String>(),
    );
    ok(dir, &["revision", "--autogenerate", "-m", "drop"]);
    ok(dir, &["upgrade", "head"]);
    ok(dir, &["downgrade", "base"]);
    let cols = b
        .query(
            "SELECT COLUMN_NAME, CHARACTER_SET_NAME, COLLATION_NAME FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 't' AND COLUMN_NAME IN ('k', 'l') \
             ORDER BY COLUMN_NAME",
        )
        .await;
    assert_eq!(cols[0][2].as_deref(), Some("utf8mb4_bin"), "{cols:?}");
    assert_eq!(cols[1][1].as_deref(), Some("latin1"), "{cols:?}");
    // Back at base, the database is the vendor's again.
    for f in std::fs::read_dir(dir.join("versions")).unwrap() {
        std::fs::remove_file(f.unwrap().path()).unwrap();
    }
    write(&dir.join("schema.yaml"), &reflected);
    assert!(ok(dir, &["check"]).stdout.contains("No changes detected"));
    b.drop().await;
}

/// A table's default charset, collation and row format declared differently from the
/// database's are set by `alter_table_options` (the table-level half of item 7; the
/// Roundcube 1.4 → 1.6 upgrade converts its tables so), and the downgrade sets them back.
#[tokio::test]
async fn table_options_are_changed_by_an_operation_and_changed_back() {
    let dir = temp_project();
    let dir = dir.path();
    let Some(b) = mysql("fidelity_table_options", dir).await else {
        return;
    };
    project(dir, &b);
    load(
        dir,
        &b,
        "CREATE TABLE cache (id INT PRIMARY KEY, data VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci)
           DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci;",
    );
    let reflected = reflect_validate_check(dir);
    assert!(reflected.contains("charset: latin1"), "{reflected}");
    let declared = reflected
        .replace(
            "charset: latin1\n",
            "charset: utf8mb4\n    collation: utf8mb4_unicode_ci\n",
        )
        .replace("  cache:\n", "  cache:\n    row_format: dynamic\n");
    assert_ne!(
        declared, reflected,
        "the charset line was not found:\n{reflected}"
    );
    write(&dir.join("schema.yaml"), &declared);
    let check = retort(dir, &["check"]);
    assert_eq!(check.code, 1, "{}", check.all());
    assert!(
        check.stdout.contains("alter_table_options"),
        "{}",
        check.all()
    );
    ok(dir, &["revision", "--autogenerate", "-m", "convert"]);
    ok(dir, &["upgrade", "head"]);
    let status = |b: &Backend| {
        let b = b.clone();
        async move {
            b.query(
                "SELECT TABLE_COLLATION, CREATE_OPTIONS FROM information_schema.TABLES \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'cache'",
            )
            .await
        }
    };
    let after = status(&b).await;
    assert_eq!(after[0][0].as_deref(), Some("utf8mb4_unicode_ci"));
    assert!(
        after[0][1]
            .as_deref()
            .unwrap_or("")
            .contains("row_format=DYNAMIC"),
        "{after:?}"
    );
    assert!(ok(dir, &["check"]).stdout.contains("No changes detected"));
    ok(dir, &["downgrade", "-1"]);
    let back = status(&b).await;
    assert_eq!(back[0][0].as_deref(), Some("latin1_swedish_ci"));
    b.drop().await;
}
