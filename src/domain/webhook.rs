//! Webhook rules: the events a package's owners may subscribe to, which
//! recorded change is which event, the target URL and the addresses it may
//! reach (the SSRF guard), the signature, and the retry schedule. Plain Rust:
//! the SQL is in `registry::webhooks`, the sending in `src/webhooks.rs`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::{DomainError, DomainResult};

/// The events a webhook may subscribe to, in the order they are listed.
pub const EVENTS: &[&str] = &[
    "publish",
    "yank",
    "unyank",
    "owner-add",
    "owner-remove",
    "deprecate",
    "undeprecate",
];

/// The event of a test delivery; every webhook receives it when asked.
pub const PING: &str = "ping";

/// Webhooks one package may have.
pub const MAX_PER_PACKAGE: i64 = 20;

/// Attempts before a delivery is marked failed: with the schedule of
/// [`retry_delay`] at its default base (one minute) they span about a day.
pub const MAX_ATTEMPTS: i32 = 12;

/// The longest wait between two attempts, in units of the backoff base
/// (six hours at the default one-minute base).
const MAX_DELAY_UNITS: u32 = 360;

/// A webhook every attempt of which has failed for this long is disabled.
pub const DISABLE_AFTER: Duration = Duration::from_secs(3 * 24 * 3600);

const URL_MAX: usize = 2048;
const SECRET_MIN: usize = 8;
const SECRET_MAX: usize = 256;

/// The webhook event a recorded change (an audit action) is, if any. Owner
/// invitations are not: an owner is added when the invitee accepts.
pub fn event_for_action(action: &str) -> Option<&'static str> {
    Some(match action {
        "version.publish" => "publish",
        "version.yank" | "admin.yank" => "yank",
        "version.unyank" | "admin.unyank" => "unyank",
        "owner.accept" => "owner-add",
        "owner.remove" => "owner-remove",
        "package.deprecate" => "deprecate",
        "package.undeprecate" => "undeprecate",
        _ => return None,
    })
}

/// The subscribed events: at least one, each known; duplicates are dropped
/// and the result is in the order of [`EVENTS`].
pub fn parse_events(raw: &[String]) -> DomainResult<Vec<String>> {
    if raw.is_empty() {
        return Err(DomainError::invalid(format!(
            "events must name at least one of: {}",
            EVENTS.join(", ")
        )));
    }
    if let Some(bad) = raw.iter().find(|e| !EVENTS.contains(&e.as_str())) {
        return Err(DomainError::invalid(format!(
            "unknown event {bad:?}; the events are: {}",
            EVENTS.join(", ")
        )));
    }
    Ok(EVENTS
        .iter()
        .filter(|e| raw.iter().any(|r| r == *e))
        .map(|e| e.to_string())
        .collect())
}

/// A secret chosen by the owner: 8–256 printable characters.
pub fn check_secret(secret: &str) -> DomainResult<()> {
    let n = secret.chars().count();
    if !(SECRET_MIN..=SECRET_MAX).contains(&n) || secret.chars().any(char::is_control) {
        return Err(DomainError::invalid(format!(
            "the secret must be {SECRET_MIN}–{SECRET_MAX} characters without control characters"
        )));
    }
    Ok(())
}

/// Where a webhook delivers: an `http` or `https` URL with a host. Whether
/// that host is public is [`is_public`]'s question, asked once its
/// addresses are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub url: url::Url,
    /// The host as written (an IPv6 literal without its brackets).
    pub host: String,
    pub port: u16,
    /// When the host is an address literal, that address.
    pub ip: Option<IpAddr>,
}

impl Target {
    pub fn parse(raw: &str) -> DomainResult<Target> {
        // As sent, no trimming, and counted in characters: as the API's schema says.
        if raw.chars().count() > URL_MAX {
            return Err(DomainError::invalid(format!(
                "the URL is longer than {URL_MAX} characters"
            )));
        }
        let url = url::Url::parse(raw)
            .map_err(|e| DomainError::invalid(format!("the URL is not valid: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(DomainError::invalid("the URL must be http or https"));
        }
        let (host, ip) = match url.host() {
            Some(url::Host::Domain(d)) => (d.to_string(), None),
            Some(url::Host::Ipv4(a)) => (a.to_string(), Some(IpAddr::V4(a))),
            Some(url::Host::Ipv6(a)) => (a.to_string(), Some(IpAddr::V6(a))),
            None => return Err(DomainError::invalid("the URL has no host")),
        };
        let port = url
            .port_or_known_default()
            .ok_or_else(|| DomainError::invalid("the URL has no port"))?;
        Ok(Target {
            url,
            host,
            port,
            ip,
        })
    }
}

/// Whether a webhook may reach `ip`: only globally routable unicast
/// addresses. Loopback, private, link-local, unique-local, CGNAT, multicast,
/// unspecified, documentation, benchmarking and reserved ranges are refused;
/// an IPv6 address carrying an IPv4 one (mapped, compatible, NAT64, 6to4) is
/// judged by the IPv4 address inside.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => is_public_v4(a),
        IpAddr::V6(a) => is_public_v6(a),
    }
}

fn is_public_v4(a: Ipv4Addr) -> bool {
    let [o1, o2, o3, _] = a.octets();
    let refused = o1 == 0 // "this network", unspecified
        || o1 == 10
        || o1 == 127
        || (o1 == 100 && (64..128).contains(&o2)) // CGNAT
        || (o1 == 169 && o2 == 254) // link-local (cloud metadata)
        || (o1 == 172 && (16..32).contains(&o2))
        || (o1 == 192 && o2 == 0 && o3 == 0) // IETF protocol assignments
        || (o1 == 192 && o2 == 0 && o3 == 2) // documentation
        || (o1 == 192 && o2 == 88 && o3 == 99) // 6to4 relay anycast
        || (o1 == 192 && o2 == 168)
        || (o1 == 198 && (18..20).contains(&o2)) // benchmarking
        || (o1 == 198 && o2 == 51 && o3 == 100) // documentation
        || (o1 == 203 && o2 == 0 && o3 == 113) // documentation
        || o1 >= 224; // multicast, reserved, broadcast
    !refused
}

fn is_public_v6(a: Ipv6Addr) -> bool {
    let s = a.segments();
    // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible, which includes :: and ::1).
    if s[..5] == [0; 5] && (s[5] == 0xffff || s[5] == 0) {
        return s[5] == 0xffff && is_public_v4(embedded_v4(s[6], s[7]));
    }
    // NAT64 (64:ff9b::/96) reaches the IPv4 address inside.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_public_v4(embedded_v4(s[6], s[7]));
    }
    // 6to4 (2002::/16) carries its IPv4 address in the next 32 bits.
    if s[0] == 0x2002 {
        return is_public_v4(embedded_v4(s[1], s[2]));
    }
    // Only global unicast (2000::/3), less its special blocks: IETF protocol
    // assignments and Teredo (2001::/23), documentation (2001:db8::/32, 3fff::/20).
    let global = s[0] & 0xe000 == 0x2000;
    let special =
        (s[0] == 0x2001 && (s[1] < 0x0200 || s[1] == 0x0db8)) || (s[0] == 0x3fff && s[1] < 0x1000);
    global && !special
}

fn embedded_v4(hi: u16, lo: u16) -> Ipv4Addr {
    let [a, b] = hi.to_be_bytes();
    let [c, d] = lo.to_be_bytes();
    Ipv4Addr::new(a, b, c, d)
}

/// `X-Sema-Signature-256`: `sha256=` and the hex HMAC-SHA256 of the body.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// How long to wait after the `attempts`-th failed attempt: `base` doubling
/// each time, at most 360 × `base`; `None` once [`MAX_ATTEMPTS`] are spent
/// and the delivery has failed.
pub fn retry_delay(attempts: i32, base: Duration) -> Option<Duration> {
    if attempts >= MAX_ATTEMPTS {
        return None;
    }
    let doublings = attempts.clamp(1, 20) as u32 - 1;
    Some(base * (1u32 << doublings).min(MAX_DELAY_UNITS))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn refuses_every_non_public_address() {
        for a in [
            "127.0.0.1",
            "127.9.9.9",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.254",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "240.0.0.1",
            "192.0.2.10",
            "198.51.100.7",
            "203.0.113.9",
            "198.18.0.1",
            "192.0.0.8",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a00:1",
            "2002:7f00:1::",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "2001::1",
            "3fff::1",
            "100::1",
        ] {
            assert!(!is_public(ip(a)), "{a} must be refused");
        }
    }

    #[test]
    fn allows_public_addresses() {
        for a in [
            "8.8.8.8",
            "1.1.1.1",
            "93.184.216.34",
            "172.32.0.1",
            "100.128.0.1",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "2606:4700::1111",
            "2a00:1450:4001::1",
        ] {
            assert!(is_public(ip(a)), "{a} is public");
        }
    }

    #[test]
    fn only_http_and_https_urls_with_a_host() {
        let t = Target::parse("https://example.com/hook").unwrap();
        assert_eq!((t.host.as_str(), t.port, t.ip), ("example.com", 443, None));
        let t = Target::parse("http://[::1]:8080/x").unwrap();
        assert_eq!(t.ip, Some(ip("::1")));
        assert_eq!(t.port, 8080);
        assert_eq!(
            Target::parse("http://10.0.0.1/").unwrap().ip,
            Some(ip("10.0.0.1"))
        );
        for bad in [
            "ftp://example.com/",
            "file:///etc/passwd",
            "not a url",
            "https://",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
        assert!(Target::parse(&format!("https://e.com/{}", "a".repeat(3000))).is_err());
    }

    #[test]
    fn events_are_known_non_empty_and_ordered() {
        let v = |x: &[&str]| x.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            parse_events(&v(&["yank", "publish", "yank"])).unwrap(),
            v(&["publish", "yank"])
        );
        assert!(parse_events(&[]).is_err());
        assert!(parse_events(&v(&["publish", "explode"])).is_err());
        assert!(parse_events(&v(&["ping"])).is_err());
    }

    #[test]
    fn recorded_changes_map_to_events() {
        assert_eq!(event_for_action("version.publish"), Some("publish"));
        assert_eq!(event_for_action("admin.yank"), Some("yank"));
        assert_eq!(event_for_action("owner.accept"), Some("owner-add"));
        assert_eq!(event_for_action("package.undeprecate"), Some("undeprecate"));
        assert_eq!(event_for_action("owner.invite"), None);
        assert_eq!(event_for_action("webhook.create"), None);
    }

    #[test]
    fn signature_is_the_known_hmac() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn retries_back_off_for_about_a_day_then_stop() {
        let base = Duration::from_secs(60);
        assert_eq!(retry_delay(1, base), Some(base));
        assert_eq!(retry_delay(2, base), Some(base * 2));
        assert_eq!(retry_delay(5, base), Some(base * 16));
        assert_eq!(retry_delay(11, base), Some(base * 360));
        assert_eq!(retry_delay(MAX_ATTEMPTS, base), None);
        let total: Duration = (1..MAX_ATTEMPTS).filter_map(|n| retry_delay(n, base)).sum();
        let hours = total.as_secs() / 3600;
        assert!((18..=30).contains(&hours), "{hours} h");
    }

    #[test]
    fn secrets_have_a_sensible_length() {
        assert!(check_secret("short").is_err());
        assert!(check_secret("long-enough-secret").is_ok());
        assert!(check_secret("bad\u{0}secret").is_err());
        assert!(check_secret(&"x".repeat(257)).is_err());
    }
}
