//! Progress of long operator commands (`seed --packages`, `blobs migrate`):
//! on a terminal, an indicatif bar with the count, rate and ETA; otherwise
//! (logs, CI, a pipe) a plain line every `PROGRESS_EVERY_SECS` seconds
//! (default 5; 0 prints one per step), so a log shows how far a run got.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Progress {
    label: String,
    bar: ProgressBar,
    /// Plain lines: how often, and when the last one was printed.
    plain: Option<(Duration, Mutex<Instant>)>,
}

impl Progress {
    /// A bar for `total` steps, starting at `done` (a resumed run's finished work).
    pub fn new(label: &str, total: u64, done: u64) -> Progress {
        let tty = std::io::stderr().is_terminal();
        let target = if tty {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(total), target).with_position(done);
        bar.set_style(
            ProgressStyle::with_template(
                "{msg} [{bar:30}] {pos}/{len} ({percent}%) {per_sec} ETA {eta}",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        );
        bar.set_message(label.to_owned());
        // The rate and ETA count this run's steps only.
        bar.reset_eta();
        let every = std::env::var("PROGRESS_EVERY_SECS")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(5);
        let plain = (!tty).then(|| (Duration::from_secs(every), Mutex::new(Instant::now())));
        Progress {
            label: label.to_owned(),
            bar,
            plain,
        }
    }

    pub fn inc(&self, n: u64) {
        self.bar.inc(n);
        if let Some((every, last)) = &self.plain {
            let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
            if last.elapsed() >= *every {
                *last = Instant::now();
                eprintln!("{}", self.line());
            }
        }
    }

    /// The plain form: `label: 1200/3000 (40%), 850/s, ETA 2s`.
    pub fn line(&self) -> String {
        let (pos, len) = (self.bar.position(), self.bar.length().unwrap_or(0));
        let percent = (pos * 100).checked_div(len).unwrap_or(100);
        format!(
            "{}: {pos}/{len} ({percent}%), {:.0}/s, ETA {}s",
            self.label,
            self.bar.per_sec(),
            self.bar.eta().as_secs()
        )
    }

    /// Clears the bar (or prints the last plain line).
    pub fn finish(&self) {
        self.bar.finish_and_clear();
        if self.plain.is_some() {
            eprintln!("{}", self.line());
        }
    }
}
