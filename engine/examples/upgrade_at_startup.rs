//! Bring a database to the head revision when an application starts.
//!
//! `cargo run -p retort-engine --example upgrade_at_startup -- retort.yaml sqlite://app.db`
//! (both arguments optional: the config defaults to ./retort.yaml, the URL to the
//! config's `database_url`).

use retort_engine::migrator::Migrator;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let config = args.next().unwrap_or_else(|| "retort.yaml".to_string());
    let migrator = match Migrator::from_config_file(&config) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("cannot load {config}: {e}");
            std::process::exit(1);
        }
    };
    let url = args.next().unwrap_or_else(|| migrator.configured_url());
    match migrator.upgrade(&url, "head").await {
        Ok(rows) => println!("database is at {}", rows.join(", ")),
        Err(e) => {
            eprintln!("migration failed: {e}");
            std::process::exit(1);
        }
    }
}
