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
    /// Operator commands on users and tokens.
    Admin {
        #[command(subcommand)]
        command: sema_pkg::admin::AdminCommand,
    },
    /// Operator commands on packages.
    Package {
        #[command(subcommand)]
        command: sema_pkg::admin::PackageCommand,
    },
    /// Blob store maintenance.
    Blobs {
        #[command(subcommand)]
        command: sema_pkg::admin::BlobsCommand,
    },
    /// Counts of users, packages, versions, downloads, tokens and sessions.
    Stats,
    /// Check the database, migrations, blob store, configuration and orphan blobs.
    Doctor,
    /// Load demo users and packages (skipped when packages already exist).
    Seed {
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
    },
}

fn main() {
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
            Command::Admin { command } => {
                let state = sema_pkg::connect(config)?;
                println!(
                    "{}",
                    sema_pkg::admin::run_admin(&state, command)
                        .await
                        .map_err(describe)?
                );
                Ok(())
            }
            Command::Package { command } => {
                let state = sema_pkg::connect(config)?;
                println!(
                    "{}",
                    sema_pkg::admin::run_package(&state, command)
                        .await
                        .map_err(describe)?
                );
                Ok(())
            }
            Command::Blobs {
                command: sema_pkg::admin::BlobsCommand::Migrate { from, to },
            } => {
                anyhow::ensure!(from != to, "--from and --to must differ");
                let open = |kind: &str| -> anyhow::Result<sema_pkg::storage::Storage> {
                    sema_pkg::storage::Storage::new(&sema_pkg::config::blob_from_env(kind)?)
                };
                let (src, dst) = (open(&from)?, open(&to)?);
                let state = sema_pkg::connect(config)?;
                println!(
                    "{}",
                    sema_pkg::admin::migrate_blobs(&state, &src, &dst).await?
                );
                Ok(())
            }
            Command::Stats => {
                let state = sema_pkg::connect(config)?;
                print!(
                    "{}",
                    sema_pkg::admin::stats(&state).await.map_err(describe)?
                );
                Ok(())
            }
            Command::Doctor => {
                let state = sema_pkg::connect(config)?;
                let (report, healthy) = sema_pkg::admin::doctor(&state).await;
                print!("{report}");
                anyhow::ensure!(healthy, "doctor found problems");
                Ok(())
            }
            Command::Seed {
                force,
                packages,
                users,
                versions,
                tarballs,
            } => {
                let state = sema_pkg::prepare(config).await?;
                match packages {
                    Some(n) => {
                        let mut opts = sema_pkg::seed::bulk::Options::new(n);
                        opts.users = users;
                        opts.max_versions = versions;
                        opts.tarballs = tarballs.unwrap_or(opts.tarballs);
                        let db = &state.config.database_url;
                        sema_pkg::seed::bulk::run(db, &state.storage, &opts).await
                    }
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

/// Domain errors carry the message the operator needs.
fn describe(e: sema_pkg::error::AppError) -> anyhow::Error {
    match e {
        sema_pkg::error::AppError::Internal(inner) => inner,
        other => anyhow::anyhow!("{other}"),
    }
}
