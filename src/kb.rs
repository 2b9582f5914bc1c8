//! `relaydesk kb search|eval|reindex|make-benchmark|eval-public`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use relaydesk_kb::{eval, public_sets, HelpCenter, Knowledge, Lookup};

use crate::cli::KbCommand;
use crate::config::Config;

pub fn execute(config: &Config, command: KbCommand) -> anyhow::Result<()> {
    let folder = |dir: Option<PathBuf>| dir.unwrap_or_else(|| config.helpcenter.path.clone());
    match command {
        KbCommand::Search {
            question,
            helpcenter,
            top,
            json,
        } => {
            let hc = load(&folder(helpcenter), config)?;
            let hits = hc.search(&question, top);
            let decision = match hc.lookup(&question) {
                Lookup::TooShort => "too_short",
                Lookup::NoMatch => "decline",
                Lookup::Articles(_) => "answer",
            };
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "decision": decision, "hits": hits })
                );
            } else {
                println!("decision: {decision}");
                for (i, h) in hits.iter().enumerate() {
                    println!(
                        "{}. {} [{}] score {:.3}\n   {}",
                        i + 1,
                        h.title,
                        h.id,
                        h.score,
                        h.url
                    );
                    for line in &h.excerpt {
                        println!("   {line}");
                    }
                }
            }
        }
        KbCommand::Eval {
            questions,
            helpcenter,
        } => {
            let hc = load(&folder(helpcenter), config)?;
            let qs = eval::read_questions(&questions)
                .with_context(|| format!("cannot read {}", questions.display()))?;
            let unknown = eval::unknown_ids(&hc, &qs);
            if let Some((line, id)) = unknown.first() {
                eprintln!(
                    "warning: {} expected ids are not in the help center (the first: `{id}` on line {line})",
                    unknown.len()
                );
            }
            println!("{}", serde_json::to_string(&eval::evaluate(&hc, &qs))?);
        }
        KbCommand::Reindex { helpcenter } => {
            let dir = folder(helpcenter);
            let (hc, errors) = HelpCenter::load(&dir, &config.helpcenter.base_url);
            for e in &errors {
                println!("skipped {}: {}", e.path.display(), e.message);
            }
            println!(
                "{} articles indexed from {} ({} skipped)",
                hc.articles().len(),
                dir.display(),
                errors.len()
            );
            // Running bots watch the folder: bumping its time makes them reload now.
            let marker = dir.join(".reindex");
            std::fs::write(&marker, b"")
                .with_context(|| format!("cannot write {}", marker.display()))?;
        }
        KbCommand::MakeBenchmark {
            dir,
            articles,
            public_sets,
        } => {
            public_sets_dir(&public_sets)?;
            // The configured articles first, so that its eval questions still apply.
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let source = &config.helpcenter.path;
            let mut copied = 0;
            for entry in std::fs::read_dir(source)
                .with_context(|| format!("cannot read {}", source.display()))?
            {
                let path = entry?.path();
                if path.extension().is_some_and(|e| e == "md") && copied < articles {
                    let name = path.file_name().context("article without a name")?;
                    std::fs::copy(&path, dir.join(name))?;
                    copied += 1;
                }
            }
            let written =
                public_sets::write_benchmark_helpcenter(&public_sets, &dir, articles - copied)
                    .with_context(|| {
                        format!(
                            "cannot write the benchmark help center into {}",
                            dir.display()
                        )
                    })?;
            println!(
                "{} articles in {}: {copied} from {} and {written} made from the public retrieval sets",
                copied + written,
                dir.display(),
                source.display()
            );
        }
        KbCommand::EvalPublic { dir } => {
            public_sets_dir(&dir)?;
            for report in public_sets::evaluate_dir(&dir)
                .with_context(|| format!("cannot evaluate the public sets in {}", dir.display()))?
            {
                println!("{}", serde_json::to_string(&report)?);
            }
        }
    }
    Ok(())
}

/// Fails unless `dir` holds both public sets, naming what is missing.
fn public_sets_dir(dir: &Path) -> anyhow::Result<()> {
    anyhow::ensure!(
        dir.is_dir(),
        "public retrieval sets not found: no folder {} (give the folder holding {} and {})",
        dir.display(),
        public_sets::KORQUAD_FILE,
        public_sets::STACKFAQ_FILE
    );
    let missing: Vec<&str> = [public_sets::KORQUAD_FILE, public_sets::STACKFAQ_FILE]
        .into_iter()
        .filter(|file| !dir.join(file).is_file())
        .collect();
    anyhow::ensure!(
        missing.is_empty(),
        "public retrieval sets not found: {} has no {}",
        dir.display(),
        missing.join(" and no ")
    );
    Ok(())
}

fn load(dir: &Path, config: &Config) -> anyhow::Result<HelpCenter> {
    anyhow::ensure!(
        dir.is_dir(),
        "help-center folder {} not found",
        dir.display()
    );
    let (hc, errors) = HelpCenter::load(dir, &config.helpcenter.base_url);
    for e in errors {
        eprintln!("skipped {}: {}", e.path.display(), e.message);
    }
    Ok(hc)
}
