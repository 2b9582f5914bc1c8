//! Running the binary in a scratch copy of the shipped configuration.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub const WAIT: Duration = Duration::from_secs(20);

/// A fresh folder holding copies of the repository's `bot.toml` and `helpcenter/`, as a
/// fresh clone would have them; the database goes to its `data/`.
pub struct Workspace {
    pub dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new() -> Workspace {
        let dir = tempfile::tempdir().expect("temporary folder");
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        std::fs::copy(repo.join("bot.toml"), dir.path().join("bot.toml")).expect("copy bot.toml");
        copy_dir(&repo.join("helpcenter"), &dir.path().join("helpcenter"));
        Workspace { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `relaydesk` with `args`, in this folder. Its web server binds a free port (tests
    /// run side by side); [`Log::web_addr`] reads back which.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_relaydesk"));
        cmd.args(args)
            .current_dir(self.path())
            .env_remove("RUST_LOG");
        for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("RELAYDESK__")) {
            cmd.env_remove(key);
        }
        cmd.env("RELAYDESK__WEB__BIND", "127.0.0.1:0");
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run relaydesk")
    }

    /// Starts `relaydesk console` with its standard input and output piped.
    pub fn console(&self) -> Console {
        self.console_with(self.command(&["console"]))
    }

    /// Starts `cmd` (a `relaydesk console` command) with its standard input and output
    /// piped.
    pub fn console_with(&self, mut cmd: Command) -> Console {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start relaydesk console");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let stdin = child.stdin.take();
        let log = Log::read(child.stderr.take().expect("stderr"));
        Console {
            child,
            stdin,
            lines: rx,
            seen: Vec::new(),
            since_say: 0,
            log: Some(log),
        }
    }
}

/// A child's standard error, read line by line as it comes.
pub struct Log {
    lines: Arc<(Mutex<Vec<String>>, Condvar)>,
    reader: Option<JoinHandle<()>>,
}

impl Log {
    pub fn read(stderr: impl Read + Send + 'static) -> Log {
        let lines = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
        let shared = lines.clone();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { return };
                let (lines, arrived) = &*shared;
                lines.lock().unwrap_or_else(|e| e.into_inner()).push(line);
                arrived.notify_all();
            }
        });
        Log {
            lines,
            reader: Some(reader),
        }
    }

    /// Waits for a line containing `needle` and returns it; fails with the log so far
    /// when it does not come.
    pub fn wait_for(&self, needle: &str) -> String {
        let deadline = Instant::now() + WAIT;
        let (lines, arrived) = &*self.lines;
        let mut seen = lines.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(line) = seen.iter().find(|l| l.contains(needle)) {
                return line.clone();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                panic!(
                    "the log never said {needle:?}; it said:\n{}",
                    seen.join("\n")
                );
            }
            seen = arrived
                .wait_timeout(seen, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// The web server's address (`127.0.0.1:PORT`), from the line it logs once bound.
    pub fn web_addr(&self) -> String {
        const SAID: &str = "web server listening on http://";
        let line = self.wait_for(SAID);
        let rest = &line[line.find(SAID).expect("found") + SAID.len()..];
        rest.chars()
            .take_while(|c| !c.is_whitespace() && *c != '"')
            .collect()
    }

    /// Everything logged: waits for the process to close its standard error.
    pub fn finish(mut self) -> String {
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        let lines = self.lines.0.lock().unwrap_or_else(|e| e.into_inner());
        lines.join("\n")
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("make folder");
    for entry in std::fs::read_dir(from).expect("read folder") {
        let entry = entry.expect("folder entry");
        let target: PathBuf = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy file");
        }
    }
}

/// Sends `child` SIGTERM, as a service manager would, and waits for it to exit.
pub fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let pid = child.id().to_string();
    let sent = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("run kill");
    assert!(sent.success(), "kill -TERM {pid} failed");
    child.wait().expect("wait for relaydesk")
}

/// A running `relaydesk console`.
pub struct Console {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    /// Every line printed so far.
    pub seen: Vec<String>,
    /// Where the lines printed since the last `say` begin in `seen`.
    since_say: usize,
    /// Its standard error.
    log: Option<Log>,
}

impl Console {
    pub fn say(&mut self, line: &str) {
        self.since_say = self.seen.len();
        let stdin = self.stdin.as_mut().expect("console still open");
        writeln!(stdin, "{line}").expect("write to the console");
        stdin.flush().expect("flush");
    }

    /// Waits for a line containing `needle` printed since the last `say` (the person's
    /// and the agents' sides print in either order); returns it. Fails with everything
    /// printed so far when it does not come.
    pub fn expect(&mut self, needle: &str) -> String {
        if let Some(line) = self.seen[self.since_say..]
            .iter()
            .find(|l| l.contains(needle))
        {
            return line.clone();
        }
        let deadline = Instant::now() + WAIT;
        loop {
            match self
                .lines
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => {
                    panic!(
                        "the console never printed {needle:?}; it printed:\n{}",
                        self.seen.join("\n")
                    )
                }
            }
        }
    }

    /// Answers the shipped `bot.toml`'s triage once its first question is asked: the
    /// question type with `question_type`, then `skip` for the two optional questions.
    pub fn pass_triage(&mut self, question_type: &str, skip: &str) {
        self.expect("bot>   4) ");
        self.say(question_type);
        self.expect("bot>   5) ");
        self.say(skip);
        self.expect("bot>   5) ");
        self.say(skip);
    }

    /// Kills the process (SIGKILL): nothing gets to shut down cleanly.
    pub fn kill(mut self) {
        self.child.kill().expect("kill relaydesk");
        self.child.wait().expect("reap relaydesk");
    }

    /// Sends SIGTERM, as a service manager would, and waits for the exit.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        terminate(&mut self.child)
    }

    /// Closes standard input and waits for a clean exit; returns the rest of stdout.
    pub fn finish(self) -> Vec<String> {
        self.finish_with_log().0
    }

    /// The web server's address (`127.0.0.1:PORT`).
    pub fn web_addr(&self) -> String {
        self.log.as_ref().expect("log").web_addr()
    }

    /// Waits for a log line containing `needle`.
    pub fn wait_log(&self, needle: &str) -> String {
        self.log.as_ref().expect("log").wait_for(needle)
    }

    /// [`Console::finish`], with everything it logged.
    pub fn finish_with_log(mut self) -> (Vec<String>, String) {
        drop(self.stdin.take());
        let status = self.child.wait().expect("wait for relaydesk");
        let rest: Vec<String> = self.lines.iter().collect();
        let stderr = self.log.take().map(Log::finish).unwrap_or_default();
        assert!(
            status.success(),
            "console exited with {status}; stderr:\n{stderr}"
        );
        (rest, stderr)
    }
}

/// A `bot.toml` for tests against the fakes: SQLite, the sample help center, `platforms`
/// (their sections, as TOML), and the queues `support` ("talk to an agent") and `sales`
/// ("talk to sales") with their agent channels.
pub fn bot_toml(platforms: &str, support: &str, sales: &str) -> String {
    format!(
        r#"[database]
url = "sqlite://data/relaydesk.db"

[helpcenter]
path = "helpcenter"
base_url = "https://help.example.com/articles/"

{platforms}

[[queue]]
name = "support"
phrases = ["talk to an agent", "상담사에게 문의"]
agent_channel = "{support}"

[[queue]]
name = "sales"
phrases = ["talk to sales", "영업팀에 문의"]
agent_channel = "{sales}"
"#
    )
}

/// A fresh PostgreSQL database on `RELAYDESK_TEST_POSTGRES` for one test, dropped
/// afterwards.
pub struct Postgres {
    admin: String,
    name: String,
    pub url: String,
}

impl Postgres {
    pub fn new() -> Postgres {
        use std::sync::atomic::{AtomicU32, Ordering};
        static MADE: AtomicU32 = AtomicU32::new(0);
        let admin = std::env::var("RELAYDESK_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(1);
        let name = format!(
            "relaydesk_e2e_{}_{nanos}_{}",
            std::process::id(),
            MADE.fetch_add(1, Ordering::Relaxed)
        );
        admin_sql(&admin, &format!("create database {name}"));
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
        let url = format!("{base}/{name}");
        Postgres { admin, name, url }
    }

    /// Drops the database, even under a running process (its connections are cut).
    pub fn drop_now(&self) {
        admin_sql(
            &self.admin,
            &format!("drop database if exists {} with (force)", self.name),
        );
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.drop_now();
    }
}

fn admin_sql(admin: &str, sql: &str) {
    use sqlx::Connection;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let mut conn = sqlx::PgConnection::connect(admin)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "PostgreSQL is not reachable at {admin} ({e}). Start it with \
                     `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, \
                     or point RELAYDESK_TEST_POSTGRES at a server where this user may create databases."
                )
            });
        sqlx::query(sql).execute(&mut conn).await.expect(sql);
    });
}
