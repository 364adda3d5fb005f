//! A TCP proxy for fault tests, put between the app and Postgres. It can
//! `cut` the link (every open connection is dropped and new ones are closed at
//! once, as when Postgres restarts), `blackhole` it (connections stay open but
//! no byte passes, as in a network partition) and `restore` it.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Open,
    Cut,
    Blackhole,
}

pub struct Proxy {
    pub addr: std::net::SocketAddr,
    mode: watch::Sender<Mode>,
    conns: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept: JoinHandle<()>,
}

impl Proxy {
    /// Listens on a random local port and forwards to `upstream` (`host:port`).
    pub async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (mode, _) = watch::channel(Mode::Open);
        let conns: Arc<Mutex<Vec<JoinHandle<()>>>> = Default::default();
        let (tx, list) = (mode.clone(), conns.clone());
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if *tx.borrow() == Mode::Cut {
                    drop(client);
                    continue;
                }
                let (upstream, rx) = (upstream.clone(), tx.subscribe());
                let task = tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    let (cr, cw) = client.into_split();
                    let (sr, sw) = server.into_split();
                    let up = pump(cr, sw, rx.clone());
                    let down = pump(sr, cw, rx);
                    let _ = tokio::join!(up, down);
                });
                let mut list = list.lock().unwrap();
                list.retain(|t| !t.is_finished());
                list.push(task);
            }
        });
        Proxy {
            addr,
            mode,
            conns,
            accept,
        }
    }

    /// A proxy in front of the Postgres that `database_url` names.
    pub async fn for_database(database_url: &str) -> Proxy {
        let u = url::Url::parse(database_url).unwrap();
        let upstream = format!(
            "{}:{}",
            u.host_str().unwrap_or("127.0.0.1"),
            u.port().unwrap_or(5432)
        );
        Proxy::start(upstream).await
    }

    /// `database_url` pointed at this proxy.
    pub fn url(&self, database_url: &str) -> String {
        let mut u = url::Url::parse(database_url).unwrap();
        u.set_host(Some("127.0.0.1")).unwrap();
        u.set_port(Some(self.addr.port())).unwrap();
        u.to_string()
    }

    /// Drops every open connection and refuses new ones.
    pub fn cut(&self) {
        self.mode.send_replace(Mode::Cut);
        for t in self.conns.lock().unwrap().drain(..) {
            t.abort();
        }
    }

    /// Keeps connections open but lets no byte through.
    pub fn blackhole(&self) {
        self.mode.send_replace(Mode::Blackhole);
    }

    pub fn restore(&self) {
        self.mode.send_replace(Mode::Open);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        for t in self.conns.lock().unwrap().drain(..) {
            t.abort();
        }
    }
}

/// Copies one direction, holding bytes back while the link is blackholed.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut mode: watch::Receiver<Mode>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        if mode.wait_for(|m| *m == Mode::Open).await.is_err() {
            return;
        }
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        match mode.wait_for(|m| *m != Mode::Blackhole).await {
            Ok(m) if *m == Mode::Open => {}
            _ => return,
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}
