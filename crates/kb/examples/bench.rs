//! The 1,000-article speed benchmark, reproducible from the public sets:
//!
//! `cargo run --release -p relaydesk-kb --example bench -- DATA_DIR [ARTICLES [HELPCENTER_DIR]]`
//!
//! DATA_DIR holds the public sets (`KorQuAD_v1.0_dev.json`, `StackFAQ.json`). Copies the
//! sample help center into a temporary folder, tops it up to ARTICLES (default 1,000)
//! with articles written by `write_benchmark_helpcenter`, loads it, and
//! prints JSON lines: the index size and load time, the evaluation of the sample
//! questions against the big help center, and the lookup times of public-set questions
//! whose articles are in it.

use relaydesk_kb::eval::{evaluate, read_questions};
use relaydesk_kb::public_sets::{self, KORQUAD_FILE, STACKFAQ_FILE};
use relaydesk_kb::HelpCenter;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Instant;

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let data = PathBuf::from(
        args.next()
            .ok_or("usage: bench DATA_DIR [ARTICLES [HELPCENTER_DIR]]")?,
    );
    let target: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1_000);
    let sample = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../helpcenter"));

    let tmp = tempfile::tempdir()?;
    let copied = copy_markdown(&sample, &tmp.path().join("sample"))?;
    let synthetic = public_sets::write_benchmark_helpcenter(
        &data,
        &tmp.path().join("synthetic"),
        target.saturating_sub(copied),
    )?;

    let start = Instant::now();
    let (hc, errors) = HelpCenter::load(tmp.path(), "https://help.example.com/articles/");
    let load_ms = start.elapsed().as_secs_f64() * 1e3;
    println!(
        "{}",
        json!({"help_center": hc.stats(), "sample_articles": copied, "synthetic_articles": synthetic,
               "load_errors": errors.len(), "load_ms": (load_ms * 10.0).round() / 10.0})
    );

    let questions = read_questions(&sample.join("eval.jsonl"))?;
    println!(
        "{}",
        json!({"set": "sample eval.jsonl", "report": evaluate(&hc, &questions)})
    );

    let mut public = public_sets::korquad_articles(&data.join(KORQUAD_FILE))?.1;
    public.extend(public_sets::stackfaq_articles(&data.join(STACKFAQ_FILE))?.1);
    public.retain(|q| q.expect.iter().all(|id| hc.article(id).is_some()));
    println!(
        "{}",
        json!({"set": "public-set questions", "report": evaluate(&hc, &public)})
    );
    Ok(())
}

/// Copies the `*.md` files of a folder (not recursive: the sample is flat).
fn copy_markdown(from: &Path, to: &Path) -> Result<usize, Error> {
    std::fs::create_dir_all(to)?;
    let mut n = 0;
    for entry in std::fs::read_dir(from)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "md") {
            if let Some(name) = path.file_name() {
                std::fs::copy(&path, to.join(name))?;
                n += 1;
            }
        }
    }
    Ok(n)
}
