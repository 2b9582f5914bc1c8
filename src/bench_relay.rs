//! `relaydesk bench relay --platform discord`: the real binary (`relaydesk run`, a child
//! process) against the fake Discord, measured from the gateway event of a person's
//! message to the POST that relays it into their ticket's thread.

use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use relaydesk_fakes::discord::{ChannelKind, FakeDiscord};

use crate::cli::BenchPlatform;

const FORUM: &str = "3001";

/// Runs the benchmark and prints one JSON line.
pub fn run(platform: BenchPlatform, people: usize, each: usize) -> anyhow::Result<()> {
    let BenchPlatform::Discord = platform;
    anyhow::ensure!(
        people > 0 && each > 0,
        "--people and --messages must be at least 1"
    );
    let fake = FakeDiscord::start();
    fake.add_channel(
        FORUM,
        ChannelKind::Forum {
            tags: vec!["open", "claimed", "closed"],
        },
        "tickets",
    );
    let users: Vec<String> = (0..people).map(|i| (10_000 + i).to_string()).collect();
    for (i, user) in users.iter().enumerate() {
        fake.add_user(user, &format!("Person {i}"));
    }
    let scratch = tempfile::tempdir().context("cannot make a temporary folder")?;
    std::fs::create_dir_all(scratch.path().join("helpcenter"))?;
    let config = scratch.path().join("bot.toml");
    std::fs::write(
        &config,
        format!(
            r#"[database]
url = "sqlite://{db}"

[web]
bind = "127.0.0.1:0"

[log]
level = "warn"

[discord]
enabled = true
api_url = "{api}"

[[queue]]
name = "support"
phrases = ["talk to an agent"]
agent_channel = "discord:{FORUM}"
"#,
            db = scratch.path().join("bench.db").display(),
            api = fake.api_url(),
        ),
    )?;
    let exe = std::env::current_exe().context("cannot find the relaydesk binary")?;
    let child = Command::new(exe)
        .arg("--config")
        .arg(&config)
        .arg("run")
        .env("DISCORD_TOKEN", FakeDiscord::TOKEN)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .context("cannot start relaydesk run")?;
    let mut child = Running(child);
    fake.wait_connected(Duration::from_secs(60));

    // Every person opens a ticket first; that is not measured.
    let setup = Instant::now();
    for user in &users {
        fake.dm(user, "talk to an agent");
    }
    let tickets = wait(Duration::from_secs(600), || {
        let n = fake.threads().iter().filter(|t| t.parent == FORUM).count();
        (n >= people).then_some(n)
    })
    .context("the tickets did not all open within 10 minutes")?;
    let threads: HashSet<String> = fake
        .threads()
        .into_iter()
        .filter(|t| t.parent == FORUM)
        .map(|t| t.id)
        .collect();
    let setup_secs = setup.elapsed().as_secs_f64();

    // Then each sends `each` messages, one round after another.
    let mut sent: HashMap<String, Instant> = HashMap::with_capacity(people * each);
    let start = Instant::now();
    for k in 0..each {
        for (i, user) in users.iter().enumerate() {
            let text = format!("bench message {k} from person {i}");
            sent.insert(text.clone(), Instant::now());
            fake.dm(user, &text);
        }
    }
    let total = people * each;
    wait(Duration::from_secs(600), || {
        (fake.count_posts_containing("/channels/", "bench message") >= total).then_some(())
    })
    .with_context(|| format!("not all {total} messages were relayed within 10 minutes"))?;
    let relayed: Vec<_> = fake
        .requests("POST", "/channels/")
        .into_iter()
        .filter(|r| {
            let channel = r.path.trim_start_matches("/channels/").split('/').next();
            channel.is_some_and(|c| threads.contains(c))
                && r.body["content"]
                    .as_str()
                    .is_some_and(|c| c.contains("bench message"))
        })
        .collect();
    let peak_rss_mb = child.peak_rss_mb();
    let mut latencies: Vec<f64> = Vec::with_capacity(total);
    let mut last = start;
    for post in &relayed {
        let content = post.body["content"].as_str().unwrap_or_default();
        let Some(text) = content.split(":** ").nth(1) else {
            continue;
        };
        if let Some(at) = sent.get(text) {
            latencies.push(post.at.duration_since(*at).as_secs_f64() * 1000.0);
            last = last.max(post.at);
        }
    }
    if latencies.len() != total {
        bail!(
            "{} of {total} relayed messages matched what was sent",
            latencies.len()
        );
    }
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    let secs = last.duration_since(start).as_secs_f64();
    let report = serde_json::json!({
        "bench": "relay",
        "platform": "discord",
        "db": "sqlite",
        "people": people,
        "tickets": tickets,
        "messages": total,
        "setup_secs": (setup_secs * 10.0).round() / 10.0,
        "secs": (secs * 100.0).round() / 100.0,
        "messages_per_sec": (total as f64 / secs).round(),
        "p50_ms": (at(0.50) * 10.0).round() / 10.0,
        "p99_ms": (at(0.99) * 10.0).round() / 10.0,
        "peak_rss_mb": peak_rss_mb,
    });
    println!("{report}");
    Ok(())
}

/// Polls `f` every 100 ms until it gives something, for at most `limit`.
fn wait<T>(limit: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(t) = f() {
            return Some(t);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The child `relaydesk run`; killed when dropped.
struct Running(Child);

impl Running {
    /// Its peak resident memory so far (VmHWM), in MB.
    fn peak_rss_mb(&mut self) -> f64 {
        crate::bench::peak_rss_mb_of(&self.0.id().to_string())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
