//! A progress bar on the terminal for long imports (hidden when stderr is
//! not a terminal, e.g. in scripts and tests).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ingest::{Counts, Progress};

pub struct Bar(ProgressBar);

impl Bar {
    pub fn new() -> Self {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({eta}) {msg}",
            )
            .expect("valid template"),
        );
        Bar(bar)
    }
}

impl Progress for Bar {
    fn start(&mut self, total_bytes: u64) {
        self.0.set_length(total_bytes);
    }
    fn update(&mut self, bytes_read: u64, c: &Counts) {
        self.0.set_position(bytes_read);
        self.0.set_message(format!(
            "{} stored, {} duplicates, {} quarantined",
            c.stored, c.duplicates, c.quarantined
        ));
    }
    fn finish(&mut self) {
        self.0.finish_and_clear();
    }
}
