//! The app-wide middleware, outermost first: `in_flight`, `request_id`,
//! `errors`, `write_clears_caches`, `metrics_guard`, then (in `server::run`) Prometheus,
//! the access log, `nosniff`, `store_outage`, sessions and private mode's
//! guard (`auth::access`).

pub mod errors;
pub mod in_flight;
pub mod metrics_guard;
pub mod request_id;
pub mod store_outage;
pub mod write_clears_caches;
