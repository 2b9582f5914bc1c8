//! Converts the public retrieval sets and prints their ranking figures as JSON lines:
//! `cargo run --release -p relaydesk-kb --example public_sets [DATA_DIR]`.

use relaydesk_kb::public_sets::{self, KORQUAD_FILE, STACKFAQ_FILE};
use std::path::PathBuf;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(public_sets::data_dir);
    for (name, set) in [
        ("korquad", public_sets::korquad(&dir.join(KORQUAD_FILE))?),
        ("stackfaq", public_sets::stackfaq(&dir.join(STACKFAQ_FILE))?),
    ] {
        let start = Instant::now();
        let metrics = set.evaluate();
        let mut line = serde_json::to_value(metrics)?;
        line["set"] = name.into();
        line["articles"] = set.help_center.articles().len().into();
        line["seconds"] = start.elapsed().as_secs_f64().into();
        println!("{line}");
    }
    Ok(())
}
