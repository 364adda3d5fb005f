//! Where a lag-tolerant read goes: the replica when there is a usable one,
//! except for a client that wrote within the last few seconds, which reads
//! its own write from the primary.
//!
//! "Wrote recently" is known two ways. A page request carries the signed
//! `sema_fresh` cookie set on the response to its write (any instance can
//! check it, so browsers behind a load balancer are covered). API clients
//! (the CLI keeps no cookies, and the login contract wants `session=` as the
//! first cookie) are remembered in this instance's memory by their bearer
//! token or session cookie; another instance does not know them, so named
//! lookups (`Reads::run`) that miss on the replica ask the primary again:
//! a just-published package or version is found on any instance.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use actix_web::HttpRequest;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use super::replica::Replica;

pub(crate) const COOKIE: &str = "sema_fresh";
/// Remembered writers beyond this are pruned of the expired.
const MAX_REMEMBERED: usize = 100_000;

/// The replica and the memory of recent writers.
pub struct Routing {
    pub replica: Replica,
    key: [u8; 32],
    writers: Mutex<HashMap<[u8; 32], Instant>>,
}

impl Routing {
    pub fn new(replica: Replica, session_secret: &[u8]) -> Routing {
        let key = Sha256::new()
            .chain_update(b"sema-pkg read-your-writes cookie\0")
            .chain_update(session_secret)
            .finalize()
            .into();
        Routing {
            replica,
            key,
            writers: Mutex::new(HashMap::new()),
        }
    }

    fn mac(&self) -> Hmac<Sha256> {
        <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key).expect("any key length")
    }

    /// The cookie's value: its expiry (Unix seconds) and a MAC of it.
    pub(crate) fn sign(&self, until: u64) -> String {
        let mut m = self.mac();
        m.update(until.to_string().as_bytes());
        format!("{until}.{}", hex::encode(m.finalize().into_bytes()))
    }

    fn cookie_fresh(&self, value: &str) -> bool {
        let Some((until, sig)) = value.split_once('.') else {
            return false;
        };
        let (Ok(until), Ok(sig)) = (until.parse::<u64>(), hex::decode(sig)) else {
            return false;
        };
        let mut m = self.mac();
        m.update(until.to_string().as_bytes());
        m.verify_slice(&sig).is_ok() && until > unix_now()
    }

    pub(crate) fn remember(&self, who: [u8; 32]) {
        let mut map = self.writers.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if map.len() >= MAX_REMEMBERED {
            map.retain(|_, until| *until > now);
        }
        map.insert(who, now + self.replica.window());
    }

    fn remembered(&self, who: &[u8; 32]) -> bool {
        let map = self.writers.lock().unwrap_or_else(|e| e.into_inner());
        map.get(who).is_some_and(|until| *until > Instant::now())
    }

    /// Did this request's client write within the window?
    pub fn wrote_recently(&self, req: &HttpRequest) -> bool {
        req.cookie(COOKIE)
            .is_some_and(|c| self.cookie_fresh(c.value()))
            || client_key(req).is_some_and(|k| self.remembered(&k))
    }
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Who the client is, for the in-memory memory: its bearer token, else its session cookie.
pub(crate) fn client_key(req: &HttpRequest) -> Option<[u8; 32]> {
    let bearer = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(crate::domain::token::bearer_of);
    let raw = match bearer {
        Some(t) => t.to_owned(),
        None => req.cookie("session")?.value().to_owned(),
    };
    Some(Sha256::digest(raw.as_bytes()).into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ReplicaConfig;
    use std::time::Duration;

    fn routing(secret: &[u8]) -> Routing {
        let config = ReplicaConfig {
            url: "postgres://nobody@127.0.0.1:1/none".into(),
            max_lag: Duration::from_secs(10),
        };
        let replica = Replica::new(&config, 1, &prometheus::Registry::new()).expect("a lazy pool");
        Routing::new(replica, secret)
    }

    #[test]
    fn the_cookie_counts_only_signed_by_this_secret_and_unexpired() {
        let r = routing(b"secret-a");
        let later = unix_now() + 60;
        assert!(r.cookie_fresh(&r.sign(later)));
        assert!(!r.cookie_fresh(&r.sign(unix_now() - 1)));
        assert!(!r.cookie_fresh(&format!("{later}.{}", "00".repeat(32))));
        assert!(!r.cookie_fresh(&format!(
            "{}.{}",
            later + 1,
            r.sign(later).split_once('.').unwrap().1
        )));
        assert!(!routing(b"secret-b").cookie_fresh(&r.sign(later)));
        assert!(!r.cookie_fresh("not a cookie"));
    }

    #[test]
    fn a_remembered_writer_is_fresh_for_the_window_only() {
        let r = routing(b"secret");
        let (a, b) = ([1u8; 32], [2u8; 32]);
        r.remember(a);
        assert!(r.remembered(&a) && !r.remembered(&b));
        assert_eq!(r.replica.window(), Duration::from_secs(14));
        r.writers.lock().unwrap().insert(b, Instant::now());
        assert!(!r.remembered(&b), "expired");
    }
}
