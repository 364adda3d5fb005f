//! Postgres connections with TLS when the URL asks for it (`sslmode=require`,
//! `verify-ca`, `verify-full`), as managed Postgres services do. diesel-async
//! connects without TLS on its own, so every connection is made here.
//!
//! Like libpq: `require` encrypts without checking the certificate;
//! `verify-ca`/`verify-full` check it against the web PKI roots plus the
//! `sslrootcert` file named in the URL (e.g. a cloud provider's CA bundle).

use std::sync::Arc;

use anyhow::Context;
use diesel::ConnectionResult;
use diesel_async::AsyncPgConnection;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

/// How a URL wants its connection secured.
enum Mode {
    Plain,
    Encrypt,
    Verify(Option<String>),
}

/// Splits our own parameters (`sslrootcert`) off the URL; tokio-postgres would refuse them.
fn mode(url: &str) -> anyhow::Result<(String, Mode)> {
    let mut u = url::Url::parse(url).context("DATABASE_URL is not a URL")?;
    let pairs: Vec<(String, String)> = u.query_pairs().into_owned().collect();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let root = get("sslrootcert");
    let mode = match get("sslmode").as_deref() {
        None | Some("disable") | Some("allow") | Some("prefer") => Mode::Plain,
        Some("require") => Mode::Encrypt,
        Some("verify-ca") | Some("verify-full") => Mode::Verify(root),
        Some(other) => anyhow::bail!("DATABASE_URL: unsupported sslmode {other:?}"),
    };
    let kept: Vec<_> = pairs.iter().filter(|(k, _)| k != "sslrootcert").collect();
    u.set_query(None);
    if !kept.is_empty() {
        let mut q = u.query_pairs_mut();
        for (k, v) in kept {
            // tokio-postgres knows require but not the verify modes: it only needs to demand TLS.
            let v = if k == "sslmode" && v.starts_with("verify") {
                "require"
            } else {
                v.as_str()
            };
            q.append_pair(k, v);
        }
    }
    Ok((u.to_string(), mode))
}

fn tls_config(mode: &Mode) -> anyhow::Result<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    Ok(match mode {
        Mode::Verify(root) => {
            let mut roots = rustls::RootCertStore::empty();
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            if let Some(path) = root {
                let pem = std::fs::read(path)
                    .with_context(|| format!("DATABASE_URL: reading sslrootcert {path}"))?;
                for cert in rustls_pemfile_certs(&pem)? {
                    roots.add(cert)?;
                }
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        _ => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(EncryptOnly(provider)))
            .with_no_client_auth(),
    })
}

fn rustls_pemfile_certs(pem: &[u8]) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    use rustls::pki_types::pem::PemObject;
    CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .context("sslrootcert is not PEM")
}

/// A raw tokio-postgres connection (TLS as the URL asks), driven on the current runtime.
pub async fn client(url: &str) -> anyhow::Result<tokio_postgres::Client> {
    let (url, mode) = mode(url)?;
    match mode {
        Mode::Plain => {
            let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
            tokio::spawn(conn);
            Ok(client)
        }
        m => {
            let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls_config(&m)?);
            let (client, conn) = tokio_postgres::connect(&url, tls).await?;
            tokio::spawn(conn);
            Ok(client)
        }
    }
}

/// A connection that LISTENs on `channel`. Notification payloads arrive on
/// the receiver, which closes when the connection ends.
pub async fn listen(
    url: &str,
    channel: &str,
) -> anyhow::Result<(
    tokio_postgres::Client,
    tokio::sync::mpsc::UnboundedReceiver<String>,
)> {
    let (url, mode) = mode(url)?;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let client = match mode {
        Mode::Plain => {
            let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
            tokio::spawn(forward(conn, tx));
            client
        }
        m => {
            let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls_config(&m)?);
            let (client, conn) = tokio_postgres::connect(&url, tls).await?;
            tokio::spawn(forward(conn, tx));
            client
        }
    };
    client.batch_execute(&format!("LISTEN {channel}")).await?;
    Ok((client, rx))
}

/// Drives a connection, passing its notifications on.
async fn forward<S, T>(
    mut conn: tokio_postgres::Connection<S, T>,
    tx: tokio::sync::mpsc::UnboundedSender<String>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    use futures_util::StreamExt;
    let mut messages = futures_util::stream::poll_fn(move |cx| conn.poll_message(cx));
    while let Some(Ok(message)) = messages.next().await {
        if let tokio_postgres::AsyncMessage::Notification(n) = message {
            if tx.send(n.payload().to_owned()).is_err() {
                break;
            }
        }
    }
}

/// A diesel-async connection, for the pool and the migration harness.
pub async fn connect(url: &str) -> ConnectionResult<AsyncPgConnection> {
    let (plain, mode) =
        mode(url).map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
    if let Mode::Plain = mode {
        return <AsyncPgConnection as diesel_async::AsyncConnection>::establish(&plain).await;
    }
    let bad = |e: String| diesel::ConnectionError::BadConnection(e);
    let tls = tokio_postgres_rustls::MakeRustlsConnect::new(
        tls_config(&mode).map_err(|e| bad(e.to_string()))?,
    );
    let (client, conn) = tokio_postgres::connect(&plain, tls)
        .await
        .map_err(|e| bad(e.to_string()))?;
    AsyncPgConnection::try_from_client_and_connection(client, conn).await
}

/// `sslmode=require`: encryption without identity, exactly what libpq does.
#[derive(Debug)]
struct EncryptOnly(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
