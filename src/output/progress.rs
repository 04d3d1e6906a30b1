//! The progress bar of file scans (indicatif) on standard error: bytes read of the total,
//! rate, time left and findings so far. Only when standard error is a terminal.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar over the bytes of every input file.
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar for `total` bytes of input, drawn on standard error.
    pub fn new(total: u64) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr_with_hz(8));
        let style = ProgressStyle::with_template(
            "{spinner:.cyan} [{bar:28.cyan/blue}] {decimal_bytes}/{decimal_total_bytes} {decimal_bytes_per_sec:>11} ETA {eta:>3}  {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        bar.enable_steady_tick(Duration::from_millis(250));
        Progress { bar }
    }

    /// Bytes read so far, findings so far and the input being read.
    pub fn update(&self, done: u64, findings: u64, input: &str) {
        self.bar.set_position(done);
        self.bar.set_message(format!(
            "{findings} finding{}  {input}",
            if findings == 1 { "" } else { "s" }
        ));
    }

    /// Runs `f` with the bar out of the way (to print findings or a warning).
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.bar.suspend(f)
    }

    /// Removes the bar (before the summary).
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
