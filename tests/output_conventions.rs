//! Output conventions every command keeps: a reader that goes away (`retort history |
//! head`) ends the command quietly instead of a panic, and `-q` silences the
//! "nothing to do" messages of the comparison commands.

mod common;

use std::io::Read;
use std::process::{Command, Stdio};

use common::{backends, retort, temp_project_with_config, write};

/// A chain of `n` empty revisions, enough output to fill any pipe buffer.
fn long_history(dir: &std::path::Path, n: usize) {
    for i in 0..n {
        let down = if i == 0 {
            "null".to_string()
        } else {
            format!("r{:05}", i - 1)
        };
        write(
            &dir.join(format!("versions/r{i:05}_step.yaml")),
            &format!(
                "revision: r{i:05}\ndown_revision: {down}\nmessage: step number {i} of a long history\nupgrade: []\ndowngrade: []\n"
            ),
        );
    }
}

#[test]
fn a_closed_pipe_ends_output_quietly() {
    let dir = temp_project_with_config();
    long_history(dir.path(), 3000);
    for args in [&["history"][..], &["history", "-v"], &["heads", "-v"]] {
        let mut child = Command::new(common::retort_bin())
            .args(args)
            .current_dir(dir.path())
            .env_remove("RETORT_CONFIG")
            .env_remove("DATABASE_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn retort");
        // Read one byte, then hang up, as `head -c1` would.
        let mut out = child.stdout.take().expect("stdout");
        let mut first = [0u8; 1];
        let _ = out.read(&mut first);
        drop(out);
        let mut err = String::new();
        child
            .stderr
            .take()
            .expect("stderr")
            .read_to_string(&mut err)
            .expect("stderr");
        let status = child.wait().expect("wait");
        assert_ne!(
            status.code(),
            Some(101),
            "`retort {args:?}` panicked: {err}"
        );
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "`retort {args:?}`: {err}"
        );
    }
}

#[tokio::test]
async fn quiet_comparisons_print_nothing_when_nothing_differs() {
    let dir = temp_project_with_config();
    let d = dir.path();
    write(
        &d.join("schema.yaml"),
        "tables:\n  notes:\n    columns:\n      id: {type: integer, primary_key: true}\n      body: text\n",
    );
    for b in backends("quiet_comparisons", d).await {
        b.ok(d, &["revision", "--autogenerate", "-m", "notes"]);
        b.ok(d, &["upgrade", "head"]);
        for args in [
            &["check", "-q"][..],
            &["diff", "-q"],
            &["diff", "--sql", "-q"],
        ] {
            let r = b.run(d, args);
            assert_eq!(r.code, 0, "{}: {args:?}: {}", b.name, r.all());
            assert_eq!(r.stdout, "", "{}: {args:?} printed", b.name);
        }
        let before = std::fs::read_dir(d.join("versions"))
            .expect("versions")
            .count();
        let r = b.run(d, &["revision", "--autogenerate", "-m", "nothing", "-q"]);
        assert_eq!(r.code, 0, "{}: {}", b.name, r.all());
        assert_eq!(r.stdout, "", "{}: revision -q printed", b.name);
        let after = std::fs::read_dir(d.join("versions"))
            .expect("versions")
            .count();
        assert_eq!(before, after, "{}: an empty revision was written", b.name);
        // Without -q the same commands say so.
        let r = retort(d, &["check", "--url", &b.url]);
        assert!(r.stdout.contains("No changes detected"), "{}", r.all());
        b.ok(d, &["downgrade", "base"]);
        std::fs::remove_dir_all(d.join("versions")).expect("clean versions");
        std::fs::create_dir_all(d.join("versions")).expect("versions");
        b.drop().await;
    }
}
