//! The command line: `serve` (the default), `migrate`, operator commands on
//! users, tokens and packages, blob store maintenance, `stats`, `doctor` and
//! `seed`. `main.rs` calls [`main`].

pub mod admin;
pub mod analyze;
pub mod blobs;
pub mod doctor;
pub mod seed;

use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::error::AppError;

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
    /// Operator commands on users and tokens.
    Admin {
        #[command(subcommand)]
        command: admin::AdminCommand,
    },
    /// Operator commands on packages.
    Package {
        #[command(subcommand)]
        command: admin::PackageCommand,
    },
    /// Blob store maintenance.
    Blobs {
        #[command(subcommand)]
        command: blobs::BlobsCommand,
    },
    /// Counts of users, packages, versions, downloads, tokens and sessions.
    Stats,
    /// Check the database, migrations, blob store, configuration and orphan blobs.
    Doctor,
    /// Analyse the code of stored versions (capabilities, dynamic features, API).
    /// Resumable: versions already analysed by this analyzer are skipped.
    Analyze {
        /// Every stored version without a current analysis.
        #[arg(long, required = true)]
        all: bool,
    },
    /// Load demo users and packages (skipped when packages already exist).
    Seed(SeedArgs),
}

#[derive(clap::Args)]
struct SeedArgs {
    /// Seed even when the registry already has packages.
    #[arg(long)]
    force: bool,
    /// Bulk-load this many synthetic packages (COPY) instead of the demo, for
    /// benchmarks: realistic names, descriptions, READMEs, dependencies, downloads.
    #[arg(long, value_name = "N")]
    packages: Option<u64>,
    /// With --packages: owner accounts (default one per 200 packages).
    #[arg(long, value_name = "U", requires = "packages")]
    users: Option<u64>,
    /// With --packages: each package gets 1..=V versions.
    #[arg(long, value_name = "V", requires = "packages", default_value_t = 4)]
    versions: u32,
    /// With --packages: real tarballs for this many of the most downloaded packages.
    #[arg(long, value_name = "K", requires = "packages")]
    tarballs: Option<u64>,
}

/// Logs, parses the command line, reads the configuration and runs the command;
/// exits 2 on a configuration error and 1 when the command fails.
pub fn main() {
    init_logging();
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("sema-pkg: configuration error: {e}");
            std::process::exit(2);
        }
    };
    let command = cli.command.unwrap_or(Command::Serve);
    let result = actix_web::rt::System::new().block_on(run(command, config));
    if let Err(e) = result {
        eprintln!("sema-pkg: {e:#}");
        std::process::exit(1);
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,actix_server=warn".into())
        // actix-web-prom warns on every request whose route uses a regex segment;
        // the label it falls back to (the route pattern) is what we want anyway.
        .add_directive("actix_web_prom=error".parse().expect("static directive"));
    // Logs go to stderr, so command output (tokens, reports) stays clean on stdout.
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("LOG_FORMAT").is_ok_and(|f| f == "json") {
        logs.json().init();
    } else {
        logs.init();
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve => crate::server::serve(config).await,
        Command::Migrate => {
            crate::db::create_database_if_missing(&config.database_url).await?;
            for m in crate::db::migrate(&config.database_url).await? {
                println!("applied {m}");
            }
            Ok(())
        }
        Command::Admin { command } => {
            let state = crate::connect(config)?;
            let out = admin::run_admin(&state, command).await;
            println!("{}", out.map_err(describe)?);
            Ok(())
        }
        Command::Package { command } => {
            let state = crate::connect(config)?;
            let out = admin::run_package(&state, command).await;
            println!("{}", out.map_err(describe)?);
            Ok(())
        }
        Command::Blobs { command } => blobs::run(config, command).await,
        Command::Stats => {
            let state = crate::connect(config)?;
            print!("{}", doctor::stats(&state).await.map_err(describe)?);
            Ok(())
        }
        Command::Doctor => {
            let state = crate::connect(config)?;
            let (report, healthy) = doctor::doctor(&state).await;
            print!("{report}");
            anyhow::ensure!(healthy, "doctor found problems");
            Ok(())
        }
        Command::Analyze { all: _ } => analyze_all(config).await,
        Command::Seed(args) => run_seed(config, args).await,
    }
}

async fn analyze_all(config: Config) -> anyhow::Result<()> {
    let state = crate::prepare(config).await?;
    let mut say = |line: String| eprintln!("{line}");
    let done = analyze::run(&state, &mut say).await.map_err(describe)?;
    anyhow::ensure!(
        done.failed == 0,
        "{} versions could not be analysed",
        done.failed
    );
    Ok(())
}

async fn run_seed(config: Config, args: SeedArgs) -> anyhow::Result<()> {
    let state = crate::prepare(config).await?;
    match args.packages {
        Some(n) => {
            let mut opts = seed::bulk::Options::new(n);
            opts.users = args.users;
            opts.max_versions = args.versions;
            opts.tarballs = args.tarballs.unwrap_or(opts.tarballs);
            let db = &state.config.database_url;
            seed::bulk::run(db, &state.storage, &opts).await
        }
        None => seed::demo(&state, args.force).await,
    }
}

/// Domain errors carry the message the operator needs.
fn describe(e: AppError) -> anyhow::Error {
    match e {
        AppError::Internal(inner) => inner,
        other => anyhow::anyhow!("{other}"),
    }
}
