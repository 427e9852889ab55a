//! The run loop is linear in the number of revisions: upgrading a chain four times as
//! long takes about four times as long, online and offline (it was quadratic: each
//! operation copied the whole schema model, and each step replayed the enum history
//! from base).

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{retort, temp_project, write};

fn rev_id(i: usize) -> String {
    format!("{:012x}", i + 1)
}

/// A chain of `n` revisions, each creating a table with a foreign key to the previous
/// one and an index; the first also creates an enum its table uses, so that every
/// step renders with the enum history.
fn write_chain(dir: &Path, n: usize) {
    write(
        &dir.join("retort.yaml"),
        "database_url: sqlite://scaling.db\nschema: schema.yaml\nversions: versions\n",
    );
    write(&dir.join("schema.yaml"), "tables: {}\n");
    for i in 0..n {
        let down = if i == 0 {
            "null".to_string()
        } else {
            rev_id(i - 1)
        };
        let extra = if i == 0 {
            "  - create_enum: {name: mood, values: [happy, sad]}\n".to_string()
        } else {
            String::new()
        };
        let columns = if i == 0 {
            "        mood: {type: mood}\n".to_string()
        } else {
            format!(
                "        parent_id: {{type: integer}}\n      foreign_keys: [{{name: fk_t{i}_parent, columns: [parent_id], references: {{table: t{}, columns: [id]}}}}]\n",
                i - 1
            )
        };
        write(
            &dir.join("versions").join(format!("{}_t{i}.yaml", rev_id(i))),
            &format!(
                "revision: {}\ndown_revision: {down}\nmessage: table {i}\nupgrade:\n{extra}  - create_table:\n      name: t{i}\n      columns:\n        id: {{type: integer, primary_key: true}}\n        name: {{type: varchar(100), nullable: false}}\n{columns}  - create_index: {{name: ix_t{i}_name, table: t{i}, columns: [name]}}\ndowngrade:\n  - drop_index: {{name: ix_t{i}_name, table: t{i}}}\n  - drop_table: {{name: t{i}}}\n",
                rev_id(i)
            ),
        );
    }
}

/// The best of two timings of `args` on a fresh chain of `n` revisions.
fn time_chain(n: usize, args: &[&str]) -> Duration {
    let dir = temp_project();
    write_chain(dir.path(), n);
    (0..2)
        .map(|_| {
            let _ = std::fs::remove_file(dir.path().join("scaling.db"));
            let started = Instant::now();
            let run = retort(dir.path(), args);
            let took = started.elapsed();
            assert_eq!(
                run.code,
                0,
                "retort {args:?} over {n} revisions: {}",
                run.all()
            );
            took
        })
        .min()
        .unwrap_or_default()
}

fn assert_linear(args: &[&str]) {
    let small = time_chain(200, args);
    let large = time_chain(800, args);
    // Linear: about 4x (less with the fixed start-up cost); quadratic: about 16x.
    let ratio = large.as_secs_f64() / small.as_secs_f64().max(0.001);
    assert!(
        ratio < 9.0,
        "retort {args:?}: 800 revisions took {large:?}, 200 took {small:?} ({ratio:.1}x): not linear"
    );
}

#[test]
fn upgrade_time_grows_linearly_with_the_chain() {
    assert_linear(&["upgrade", "head", "-q"]);
}

#[test]
fn offline_script_time_grows_linearly_with_the_chain() {
    assert_linear(&["upgrade", "head", "--sql"]);
}
