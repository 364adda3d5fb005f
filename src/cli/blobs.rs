//! `sema-pkg blobs migrate`: copies every published tarball between blob stores.

use crate::config::Config;
use crate::state::AppState;

/// `sema-pkg blobs …`.
pub async fn run(config: Config, command: BlobsCommand) -> anyhow::Result<()> {
    let BlobsCommand::Migrate { from, to } = command;
    anyhow::ensure!(from != to, "--from and --to must differ");
    let open = |kind: &str| -> anyhow::Result<crate::storage::Storage> {
        crate::storage::Storage::new(&crate::config::blob_from_env(kind)?)
    };
    let (src, dst) = (open(&from)?, open(&to)?);
    let state = crate::connect(config)?;
    println!("{}", migrate_blobs(&state, &src, &dst).await?);
    Ok(())
}

#[derive(clap::Subcommand, Debug)]
pub enum BlobsCommand {
    /// Copy every published tarball from one store to the other, verifying each by sha256.
    Migrate {
        #[arg(long, value_parser = ["fs", "s3"])]
        from: String,
        #[arg(long, value_parser = ["fs", "s3"])]
        to: String,
    },
}

/// Copies (streaming) and verifies every blob a version refers to; see `storage::migrate`.
pub async fn migrate_blobs(
    state: &AppState,
    from: &crate::storage::Storage,
    to: &crate::storage::Storage,
) -> anyhow::Result<String> {
    crate::storage::migrate::copy_all(&state.pool, from, to).await
}
