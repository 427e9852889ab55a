//! Shared helpers for the integration tests: run the real `retort` binary in a
//! temporary project, against SQLite and (when their URLs are set) PostgreSQL and MariaDB.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use retort_engine::db::Connection;

/// The binary under test.
pub fn retort_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_retort"))
}

/// A finished run of the binary.
pub struct Run {
    /// Exit code (-1 when killed).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Both streams, for assertions and failure messages.
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// Runs `retort ARGS` in `dir` with a clean environment for retort's own variables.
pub fn retort(dir: &Path, args: &[&str]) -> Run {
    Command::new(retort_bin())
        .args(args)
        .current_dir(dir)
        .env_remove("RETORT_CONFIG")
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1")
        .output()
        .expect("the retort binary runs")
        .into()
}

/// A backend to test against.
#[derive(Debug, Clone)]
pub struct Backend {
    /// `sqlite`, `postgres` or `mysql`.
    pub name: &'static str,
    /// The URL of a fresh, empty database for this test.
    pub url: String,
    /// The server URL the fresh database was created from (None for SQLite).
    admin_url: Option<String>,
    db_name: Option<String>,
}

fn require_all() -> bool {
    std::env::var("RETORT_TEST_REQUIRE_ALL").is_ok_and(|v| v == "1")
}

fn unique_name(test: &str) -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let clean: String = test
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(30)
        .collect();
    format!("rt_{clean}_{}_{n}", std::process::id())
}

fn replace_db(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let cut = base.rfind('/').expect("server URL has a database part");
    let mut out = format!("{}/{db}", &base[..cut]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// Every backend available to this test, each with a fresh database. SQLite always;
/// PostgreSQL and MariaDB when `RETORT_TEST_POSTGRES_URL` / `RETORT_TEST_MYSQL_URL`
/// are set (skipped with a message otherwise, or a failure under `RETORT_TEST_REQUIRE_ALL=1`).
pub async fn backends(test: &str, dir: &Path) -> Vec<Backend> {
    let mut out = vec![Backend {
        name: "sqlite",
        url: format!(
            "sqlite://{}",
            dir.join(format!("{}.db", unique_name(test))).display()
        ),
        admin_url: None,
        db_name: None,
    }];
    for (name, var) in [
        ("postgres", "RETORT_TEST_POSTGRES_URL"),
        ("mysql", "RETORT_TEST_MYSQL_URL"),
    ] {
        match std::env::var(var) {
            Ok(server) if !server.is_empty() => {
                let db = unique_name(test);
                let mut conn = Connection::connect(&server)
                    .await
                    .unwrap_or_else(|e| panic!("{name} from {var} is unreachable: {e}"));
                let create = if name == "postgres" {
                    format!("CREATE DATABASE \"{db}\"")
                } else {
                    format!("CREATE DATABASE `{db}` CHARACTER SET utf8mb4")
                };
                conn.execute(&create)
                    .await
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                conn.close().await;
                out.push(Backend {
                    name,
                    url: replace_db(&server, &db),
                    admin_url: Some(server),
                    db_name: Some(db),
                });
            }
            _ => {
                assert!(
                    !require_all(),
                    "{var} is unset but RETORT_TEST_REQUIRE_ALL=1: {name} must be tested"
                );
                eprintln!("skipping {name} in {test}: {var} is unset (run the tests through scripts/with-databases.sh)");
            }
        }
    }
    out
}

impl Backend {
    /// Drops the fresh database (best effort).
    pub async fn drop(&self) {
        if let (Some(admin), Some(db)) = (&self.admin_url, &self.db_name) {
            if let Ok(mut conn) = Connection::connect(admin).await {
                let sql = if self.name == "postgres" {
                    format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)")
                } else {
                    format!("DROP DATABASE IF EXISTS `{db}`")
                };
                let _ = conn.execute(&sql).await;
                conn.close().await;
            }
        }
    }

    /// Runs a query on this backend's database.
    pub async fn query(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        let mut conn = Connection::connect(&self.url).await.expect("connect");
        let rows = conn
            .query(sql)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", self.name));
        conn.close().await;
        rows
    }

    /// Runs `retort ARGS --url URL` in `dir`.
    pub fn run(&self, dir: &Path, args: &[&str]) -> Run {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--url", &self.url]);
        retort(dir, &all)
    }

    /// Like [`Backend::run`], asserting success.
    pub fn ok(&self, dir: &Path, args: &[&str]) -> Run {
        let r = self.run(dir, args);
        assert_eq!(r.code, 0, "{}: retort {args:?}: {}", self.name, r.all());
        r
    }

    /// The tables of this backend's database, sorted, by catalog query.
    pub async fn tables(&self) -> Vec<String> {
        let sql = match self.name {
            "sqlite" => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            "postgres" => "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()",
            _ => "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()",
        };
        let mut v: Vec<String> = self
            .query(sql)
            .await
            .into_iter()
            .filter_map(|r| r.into_iter().next().flatten())
            .collect();
        v.sort();
        v
    }

    /// The URL with a wrong password (for failure tests).
    pub fn with_password(&self, password: &str) -> Option<String> {
        let url = &self.url;
        let scheme_end = url.find("://")? + 3;
        let at = url.rfind('@')?;
        let userinfo = &url[scheme_end..at];
        let user = userinfo.split(':').next()?;
        Some(format!(
            "{}{user}:{password}{}",
            &url[..scheme_end],
            &url[at..]
        ))
    }
}

/// A temporary directory holding a project.
pub fn temp_project() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// Copies the example project at the repository root (config, schema, versions) into `dir`.
pub fn copy_example_project(dir: &Path) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    for item in ["retort.yaml", "schema.yaml"] {
        std::fs::copy(repo.join(item), dir.join(item)).expect("copy example file");
    }
    std::fs::create_dir_all(dir.join("versions")).expect("mkdir versions");
    for e in std::fs::read_dir(repo.join("versions")).expect("example versions") {
        let p = e.expect("dir entry").path();
        if let Some(name) = p.file_name() {
            std::fs::copy(&p, dir.join("versions").join(name)).expect("copy revision");
        }
    }
}

/// Writes a file, creating parent directories.
pub fn write(path: &Path, text: &str) {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).expect("mkdir");
    }
    std::fs::write(path, text).expect("write");
}

/// Every file under `dir` (relative path → bytes), to prove a command changed nothing.
pub fn snapshot_tree(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, at: &Path, out: &mut std::collections::BTreeMap<PathBuf, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(at) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap_or(&p).to_path_buf();
            match std::fs::symlink_metadata(&p) {
                Ok(m) if m.is_dir() => {
                    out.insert(rel, Vec::new());
                    walk(root, &p, out);
                }
                Ok(m) if m.file_type().is_symlink() => {
                    let target = std::fs::read_link(&p).unwrap_or_default();
                    out.insert(rel, target.to_string_lossy().into_owned().into_bytes());
                }
                Ok(_) => {
                    out.insert(rel, std::fs::read(&p).unwrap_or_default());
                }
                Err(_) => {}
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Runs `retort ARGS` in `dir` and asserts a refusal a user can act on: exit 1, no
/// panic, every `needles` text in the output (e.g. `schema.yaml:3:5`), and no file
/// under `dir` created, changed or removed.
pub fn assert_refused(dir: &Path, args: &[&str], needles: &[&str]) -> Run {
    let before = snapshot_tree(dir);
    let run = retort(dir, args);
    let all = run.all();
    assert_eq!(
        run.code,
        1,
        "`retort {}` should exit 1:\n{all}",
        args.join(" ")
    );
    assert!(
        !all.contains("panicked") && !all.contains("RUST_BACKTRACE"),
        "`retort {}` panicked:\n{all}",
        args.join(" ")
    );
    for n in needles {
        assert!(
            all.contains(n),
            "`retort {}` output lacks {n:?}:\n{all}",
            args.join(" ")
        );
    }
    let after = snapshot_tree(dir);
    assert!(
        before == after,
        "`retort {}` changed the project: before {:?}, after {:?}",
        args.join(" "),
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    run
}

/// A temporary project directory holding a `retort.yaml` with every setting at its
/// default (commands refuse to run without a config file).
pub fn temp_project_with_config() -> tempfile::TempDir {
    let dir = temp_project();
    write(
        &dir.path().join("retort.yaml"),
        "# every setting at its default\n",
    );
    dir
}

/// Like [`retort`], with the environment variables `env` set.
pub fn retort_with_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(retort_bin());
    cmd.args(args)
        .current_dir(dir)
        .env_remove("RETORT_CONFIG")
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the retort binary runs").into()
}

impl Backend {
    /// Applies an offline (`--sql`) script with the backend's own client (`sqlite3`,
    /// `psql`, `mariadb`), as a user would; fails the test if the client does.
    pub fn apply_script(&self, script: &Path) {
        let b = self;
        let status = match b.name {
            "sqlite" => {
                let path = b.url.trim_start_matches("sqlite://");
                std::process::Command::new("sqlite3")
                    .args(["-bail", path, &format!(".read {}", script.display())])
                    .status()
            }
            "postgres" => std::process::Command::new("psql")
                .args([&b.url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f"])
                .arg(script)
                .status(),
            _ => {
                // mysql://user:pass@host:port/db
                let rest = b.url.split("://").nth(1).unwrap_or("");
                let (userinfo, hostpart) = rest.split_once('@').unwrap_or(("", rest));
                let (user, pass) = userinfo.split_once(':').unwrap_or((userinfo, ""));
                let (hostport, db) = hostpart.split_once('/').unwrap_or((hostpart, ""));
                let (host, port) = hostport.split_once(':').unwrap_or((hostport, "3306"));
                std::process::Command::new("mariadb")
                    .args([
                        "--no-defaults",
                        "--protocol=tcp",
                        "-h",
                        host,
                        "-P",
                        port,
                        "-u",
                        user,
                        &format!("-p{pass}"),
                        db,
                    ])
                    .stdin(std::fs::File::open(script).expect("script"))
                    .status()
            }
        };
        assert!(
            status.expect("client runs").success(),
            "{}: applying the offline script failed",
            b.name
        );
    }
}
