//! The per-instance read limit (writes are limited in Postgres, shared; see
//! `auth::throttle`).

use std::net::IpAddr;

/// Reads are limited per instance, in memory (GCRA from the `governor` crate):
/// cheap enough for every request, and generous (a burst of three seconds'
/// allowance) so installing 50 packages never trips it.
pub struct ReadLimiter {
    limiter: governor::DefaultKeyedRateLimiter<IpAddr>,
    clock: governor::clock::DefaultClock,
}

impl ReadLimiter {
    pub fn new(per_second: u32) -> ReadLimiter {
        let rate = std::num::NonZeroU32::new(per_second.max(1)).expect("non-zero");
        let burst = rate.saturating_mul(std::num::NonZeroU32::new(3).expect("non-zero"));
        ReadLimiter {
            limiter: governor::RateLimiter::keyed(
                governor::Quota::per_second(rate).allow_burst(burst),
            ),
            clock: governor::clock::DefaultClock::default(),
        }
    }

    /// Seconds to wait, when this address is over its allowance.
    pub fn check(&self, ip: IpAddr) -> Option<u64> {
        use governor::clock::Clock;
        self.limiter.check_key(&ip).err().map(|not_until| {
            not_until
                .wait_time_from(self.clock.now())
                .as_secs_f64()
                .ceil()
                .max(1.0) as u64
        })
    }

    /// Forgets idle addresses, so memory stays bounded.
    pub fn sweep(&self) {
        self.limiter.retain_recent();
    }
}
