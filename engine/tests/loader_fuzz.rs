//! A bounded, seeded fuzz run of the four loaders (retort.yaml, schema.yaml, YAML
//! revision files, SQL revision headers): valid files are mutated (byte flips,
//! truncation, inserted NUL, tabs, `---`, anchors, aliases, tags, duplicated and
//! dropped lines, a BOM, …) and loaded. No input may panic, and every rejection must
//! carry a location (file:line:col, 1-based). A fixed number of cases per loader keeps
//! the run to a few seconds; a failure prints the seed and the input to reproduce it.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use retort_engine::config::{Config, ConfigError};
use retort_engine::ops::parse_operations;
use retort_engine::schema::{load_schema, NamingConvention};
use retort_engine::script::{load_revision_files, RevisionBody};
use retort_engine::yaml::Diagnostics;

const CASES_PER_LOADER: u64 = 1500;

const CONFIG: &str = "database_url: ${DATABASE_URL:-sqlite://app.db}\nschema: schema.yaml\nversions: [versions, more]\ntemplate: yaml\nfile_template: \"{rev}_{slug}\"\nversion_table: retort_version\ntransaction_per_migration: false\nnaming_convention:\n  ix: \"ix_{table}_{columns}\"\n  fk: \"fk_{table}_{columns}_{referred_table}\"\ncompare: {types: true, server_defaults: true, comments: false}\ninclude_tables: [\"app_*\"]\nexclude_tables: [tmp_*]\n";

const SCHEMA: &str = r#"enums:
  mood: [happy, sad]
tables:
  users:
    comment: People
    columns:
      id: {type: integer, primary_key: true, autoincrement: true}
      email: {type: varchar(255), nullable: false, unique: true, index: true}
      mood: {type: enum(mood), server_default: "'happy'"}
      bio: text
    checks:
      - {name: ck_users_email, expr: "email <> ''"}
  posts:
    columns:
      id: {type: bigint, primary_key: true}
      user_id: {type: integer, nullable: false, foreign_key: {references: users.id, on_delete: cascade}}
      size: {type: "numeric(10,2)"}
    indexes:
      - {columns: [user_id, size]}
      - {name: ix_posts_big, columns: [size], where: "size > 10"}
    unique:
      - {columns: [user_id, id]}
    foreign_keys:
      - {columns: [user_id], references: {table: users, columns: [id]}, on_delete: cascade}
"#;

const YAML_REV: &str = r#"# base
#
# Revision ID: a1a1a1a1a1a1
revision: a1a1a1a1a1a1
down_revision: [p1p1, p2p2]
branch_labels: [main]
depends_on: []
message: base
transactional: true
upgrade:
  - create_enum: {name: mood, values: [happy, sad]}
  - create_table:
      name: users
      columns:
        id: {type: integer, primary_key: true}
        mood: {type: enum(mood), nullable: false}
      unique: [{name: uq_users_mood, columns: [mood]}]
  - create_index: {name: ix_users_mood, table: users, columns: [mood]}
  - execute: "UPDATE users SET mood = 'sad'"
  - bulk_insert: {table: users, rows: [{id: 1, mood: happy}]}
downgrade:
  - drop_index: {name: ix_users_mood, table: users}
  - drop_table: {name: users}
  - drop_enum: {name: mood}
"#;

const SQL_REV: &str = "-- add posts
--
-- revision: b2b2b2b2b2b2
-- down_revision: a1a1a1a1a1a1, c3c3
-- branch_labels: side
-- depends_on:
-- create_date: 2026-01-01 00:00:00+00:00
-- transactional: false

-- +upgrade
CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id));

-- +downgrade
DROP TABLE posts;
";

/// xorshift64*: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const INSERTS: &[&str] = &[
    "\0",
    "\t",
    "\n---\n",
    "---",
    "&a ",
    "*a",
    "*b ",
    "!tag ",
    "!!binary ",
    "\u{feff}",
    ": ",
    "- ",
    "[",
    "]",
    "{",
    "}",
    "\"",
    "'",
    "#",
    "~",
    "\n",
    "\r",
    "\u{1}",
    "\u{7f}",
    "? ",
    "|\n",
    ">",
    "&a [x, *a]",
    "%YAML 1.2\n",
    "...\n",
    "é",
    "\u{85}",
    ",",
    "-- revision: x\n",
    "-- down_revison: y\n",
    "-- +upgrade\n",
    "-- +downgrade\n",
    "enum(nope)",
    "  ",
];

fn mutate(rng: &mut Rng, base: &str) -> Vec<u8> {
    let mut bytes = base.as_bytes().to_vec();
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(8) {
            0 if !bytes.is_empty() => {
                let i = rng.below(bytes.len());
                bytes[i] ^= 1 << rng.below(8);
            }
            1 => bytes.truncate(at),
            2 | 3 => {
                let ins = INSERTS[rng.below(INSERTS.len())].as_bytes();
                bytes.splice(at..at, ins.iter().copied());
            }
            4 | 5 => {
                // Duplicate a line (duplicate keys), sometimes right after itself.
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let lines: Vec<&str> = text.lines().collect();
                if lines.is_empty() {
                    continue;
                }
                let i = rng.below(lines.len());
                let j = if rng.below(2) == 0 {
                    i + 1
                } else {
                    rng.below(lines.len() + 1)
                };
                let mut out: Vec<&str> = lines.clone();
                out.insert(j.min(out.len()), lines[i]);
                bytes = (out.join("\n") + "\n").into_bytes();
            }
            6 => {
                // Drop a line.
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let mut lines: Vec<&str> = text.lines().collect();
                if !lines.is_empty() {
                    let i = rng.below(lines.len());
                    lines.remove(i);
                }
                bytes = (lines.join("\n") + "\n").into_bytes();
            }
            _ => {
                // Replace a random byte with a random printable or control byte.
                if !bytes.is_empty() {
                    let i = rng.below(bytes.len());
                    bytes[i] = (rng.next() & 0x7f) as u8;
                }
            }
        }
    }
    bytes
}

fn check_located(kind: &str, seed: u64, input: &[u8], file: &Path, diags: &Diagnostics) {
    assert!(
        !diags.0.is_empty(),
        "{kind} seed {seed}: a rejection without any diagnostic for {:?}",
        String::from_utf8_lossy(input)
    );
    for d in &diags.0 {
        assert!(
            d.span.line >= 1 && d.span.col >= 1 && !d.message.is_empty() && d.file == file,
            "{kind} seed {seed}: unlocated diagnostic `{d}` (file {}) for {:?}",
            file.display(),
            String::from_utf8_lossy(input)
        );
    }
}

/// Runs one loader over `CASES_PER_LOADER` mutations of `base`.
fn fuzz(kind: &str, base: &str, file_name: &str, load: impl Fn(&Path) -> Result<(), Diagnostics>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let sub = dir.path().join("versions");
    std::fs::create_dir_all(&sub).expect("mkdir");
    let path: PathBuf = sub.join(file_name);
    // The valid file loads.
    std::fs::write(&path, base).expect("write");
    if let Err(d) = load(&path) {
        panic!("{kind}: the unmutated file is rejected:\n{d}");
    }
    let mut rejected = 0;
    for case in 0..CASES_PER_LOADER {
        let seed = 0x9E37_79B9_7F4A_7C15 ^ (case + 1).wrapping_mul(0x1000_0000_01B3);
        let mut rng = Rng(seed);
        let input = mutate(&mut rng, base);
        std::fs::write(&path, &input).expect("write");
        let outcome = catch_unwind(AssertUnwindSafe(|| load(&path)));
        match outcome {
            Err(_) => panic!(
                "{kind} seed {seed}: the loader panicked on {:?}",
                String::from_utf8_lossy(&input)
            ),
            Ok(Ok(())) => {}
            Ok(Err(diags)) => {
                rejected += 1;
                check_located(kind, seed, &input, &path, &diags);
            }
        }
    }
    assert!(
        rejected > CASES_PER_LOADER / 4,
        "{kind}: only {rejected} of {CASES_PER_LOADER} mutations were rejected; the mutator is too gentle"
    );
}

#[test]
fn config_loader_never_panics_and_locates_every_rejection() {
    fuzz(
        "retort.yaml",
        CONFIG,
        "retort.yaml",
        |p| match Config::load(p, &|_| None) {
            Ok(_) => Ok(()),
            Err(ConfigError::Invalid(d)) => Err(d),
            Err(e) => panic!("unexpected config error kind: {e}"),
        },
    );
}

#[test]
fn schema_loader_never_panics_and_locates_every_rejection() {
    let naming = NamingConvention::default();
    fuzz("schema.yaml", SCHEMA, "schema.yaml", |p| {
        load_schema(p, &naming).map(|_| ())
    });
}

#[test]
fn yaml_revision_loader_never_panics_and_locates_every_rejection() {
    let naming = NamingConvention::default();
    fuzz("YAML revision", YAML_REV, "a1_base.yaml", |p| {
        let dir = p.parent().expect("parent").to_path_buf();
        let files = load_revision_files(&[dir])?;
        // The operations are loaded too, as `validate` and the runner load them.
        let mut diags = Diagnostics::default();
        for file in &files {
            if let RevisionBody::Yaml { upgrade, downgrade } = &file.body {
                for list in [upgrade, downgrade] {
                    parse_operations(&file.path, list, &naming, &mut diags);
                }
            }
        }
        if diags.is_empty() {
            Ok(())
        } else {
            Err(diags)
        }
    });
}

#[test]
fn sql_revision_loader_never_panics_and_locates_every_rejection() {
    fuzz("SQL revision", SQL_REV, "b2_posts.sql", |p| {
        let dir = p.parent().expect("parent").to_path_buf();
        load_revision_files(&[dir]).map(|_| ())
    });
}
