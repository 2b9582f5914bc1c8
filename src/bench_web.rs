//! `relaydesk bench web`: the web side (`relaydesk web` on a scratch SQLite file and a
//! help center) under a steady load from this process: `concurrency` clients, each
//! asking for a help-center search (`/?q=`) and an article (`/articles/<id>`) in turn,
//! for `seconds`; then, as the reference in the same run, the same clients on
//! `/healthz`. Prints one JSON line: requests per second, p50 and p99 of each.

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
    let pages = load(&client, addr, paths, concurrency, seconds).await?;
    // The reference, in the same run: the same server and clients on `/healthz`, which
    // reads nothing, so the difference is the pages' own work.
    let bare = Arc::new(vec!["/healthz".to_string()]);
    let reference = load(&client, addr, bare, concurrency, seconds).await?;
    shutdown.cancel();
    running.await.context("the web side stopped")??;
    let report = serde_json::json!({
        "bench": "web",
        "concurrency": concurrency,
        "articles": articles.len(),
        "pages": pages.figures(),
        "reference_healthz": reference.figures(),
        "pages_over_reference": (pages.per_second() / reference.per_second() * 100.0).round() / 100.0,
    });
    println!("{report}");
    Ok(())
}

/// What one load measured.
struct Measured {
    took: Vec<Duration>,
    errors: u64,
    elapsed: f64,
}

impl Measured {
    fn per_second(&self) -> f64 {
        self.took.len() as f64 / self.elapsed
    }

    /// The `q` quantile of the answers' times, in milliseconds.
    fn quantile_ms(&self, q: f64) -> f64 {
        let at = ((self.took.len() as f64 * q) as usize).min(self.took.len().saturating_sub(1));
        let ms = self.took.get(at).map_or(0.0, |d| d.as_secs_f64() * 1000.0);
        (ms * 100.0).round() / 100.0
    }

    fn figures(&self) -> serde_json::Value {
        serde_json::json!({
            "requests": self.took.len(),
            "errors": self.errors,
            "seconds": (self.elapsed * 10.0).round() / 10.0,
            "requests_per_s": self.per_second().round(),
            "p50_ms": self.quantile_ms(0.50),
            "p99_ms": self.quantile_ms(0.99),
        })
    }
}

/// `concurrency` clients asking for `paths` in turn for `seconds`, each waiting for
/// its answer before it asks again.
async fn load(
    client: &reqwest::Client,
    addr: std::net::SocketAddr,
    paths: Arc<Vec<String>>,
    concurrency: usize,
    seconds: u64,
) -> anyhow::Result<Measured> {
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
    let mut measured = Measured {
        took: Vec::new(),
        errors: 0,
        elapsed: 0.0,
    };
    for c in clients {
        let (took, errors) = c.await.context("a client stopped")?;
        measured.took.extend(took);
        measured.errors += errors;
    }
    measured.elapsed = started.elapsed().as_secs_f64();
    measured.took.sort();
    Ok(measured)
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
