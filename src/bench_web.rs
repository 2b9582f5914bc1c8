//! `relaydesk bench web`: the web side (`relaydesk web` on a scratch SQLite file and a
//! help center) under a steady load from this process: `concurrency` clients, each
//! asking for a help-center search (`/?q=`) and an article (`/articles/<id>`) in turn,
//! for `seconds`. Prints one JSON line: requests per second, p50 and p99.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use crate::app::{load_helpcenter, Application};
use crate::config::Config;

/// Runs the benchmark against the help center in `helpcenter`.
pub async fn run(helpcenter: &Path, concurrency: usize, seconds: u64) -> anyhow::Result<()> {
    anyhow::ensure!(
        concurrency > 0 && seconds > 0,
        "--concurrency and --seconds must be at least 1"
    );
    let scratch = tempfile::tempdir().context("cannot make a temporary folder")?;
    let toml = format!(
        "[database]\nurl = \"sqlite://{}\"\n\n[helpcenter]\npath = \"{}\"\n\n[web]\nbind = \"127.0.0.1:0\"\n",
        scratch.path().join("bench.db").display(),
        std::path::absolute(helpcenter)?.display()
    );
    let config = Config::parse(&toml, "bench", &[]).map_err(|e| anyhow::anyhow!("{e}"))?;
    let articles = load_helpcenter(&config).current().articles().to_vec();
    anyhow::ensure!(
        !articles.is_empty(),
        "no articles in {}: name a help-center folder with --helpcenter",
        helpcenter.display()
    );
    let paths: Arc<Vec<String>> = Arc::new(
        articles
            .iter()
            .flat_map(|a| {
                let q: String = form_urlencoded(&a.title);
                [format!("/?q={q}"), format!("/articles/{}", a.id)]
            })
            .collect(),
    );
    let app = Application::build_web(&config).await?;
    let addr = app.web_addr();
    let shutdown = CancellationToken::new();
    let running = tokio::spawn(app.run_until_stopped(shutdown.clone()));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .context("an HTTP client")?;
    // Warm up: every page once.
    for path in paths.iter() {
        client
            .get(format!("http://{addr}{path}"))
            .send()
            .await?
            .error_for_status()?;
    }
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut clients = Vec::with_capacity(concurrency);
    for n in 0..concurrency {
        let (client, paths) = (client.clone(), paths.clone());
        clients.push(tokio::spawn(async move {
            let mut took = Vec::new();
            let mut errors = 0u64;
            let mut i = n;
            while Instant::now() < deadline {
                let url = format!("http://{addr}{}", paths[i % paths.len()]);
                i += 1;
                let start = Instant::now();
                match client.get(&url).send().await {
                    Ok(answer) if answer.status().is_success() => {
                        let _ = answer.bytes().await;
                        took.push(start.elapsed());
                    }
                    _ => errors += 1,
                }
            }
            (took, errors)
        }));
    }
    let mut took = Vec::new();
    let mut errors = 0;
    for c in clients {
        let (t, e) = c.await.context("a client stopped")?;
        took.extend(t);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    shutdown.cancel();
    running.await.context("the web side stopped")??;
    took.sort();
    let at = |q: f64| {
        took.get(((took.len() as f64 * q) as usize).min(took.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    let report = serde_json::json!({
        "bench": "web",
        "concurrency": concurrency,
        "seconds": (elapsed * 10.0).round() / 10.0,
        "requests": took.len(),
        "errors": errors,
        "requests_per_s": (took.len() as f64 / elapsed).round(),
        "p50_ms": (at(0.50) * 100.0).round() / 100.0,
        "p99_ms": (at(0.99) * 100.0).round() / 100.0,
        "articles": articles.len(),
    });
    println!("{report}");
    Ok(())
}

/// `text` as a query-string value.
fn form_urlencoded(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
