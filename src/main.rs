use clap::{Parser, Subcommand};

use sema_pkg::config::Config;

/// The package registry for Sema.
#[derive(Parser)]
#[command(name = "sema-pkg", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Create the database if needed, migrate, and serve (the default).
    Serve,
    /// Create the database if needed and run pending migrations.
    Migrate,
    /// Load demo users and packages (skipped when packages already exist).
    Seed {
        /// Seed even when the registry already has packages.
        #[arg(long)]
        force: bool,
        /// Bulk-load this many synthetic packages (COPY) instead of the demo, for
        /// search benchmarks: realistic names, descriptions, READMEs, downloads.
        #[arg(long, value_name = "N")]
        packages: Option<u64>,
    },
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,actix_server=warn".into()),
        )
        .init();
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("sema-pkg: configuration error: {e}");
            std::process::exit(2);
        }
    };
    let result = actix_web::rt::System::new().block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => sema_pkg::serve(config).await,
            Command::Migrate => {
                sema_pkg::db::create_database_if_missing(&config.database_url).await?;
                for m in sema_pkg::db::migrate(&config.database_url).await? {
                    println!("applied {m}");
                }
                Ok(())
            }
            Command::Seed { force, packages } => {
                let state = sema_pkg::prepare(config).await?;
                match packages {
                    Some(n) => sema_pkg::seed::bulk::run(&state.config.database_url, n).await,
                    None => sema_pkg::seed::demo(&state, force).await,
                }
            }
        }
    });
    if let Err(e) = result {
        eprintln!("sema-pkg: {e:#}");
        std::process::exit(1);
    }
}
