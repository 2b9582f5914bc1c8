//! The console adapter: be the person in a terminal, and the agent of `console:` queues.
//!
//! Lines to the person print as `bot> …`; lines to a console agent channel print as
//! `agent[<channel>]> …` (the channel of `console:<channel>`, usually the queue's
//! name). `/agent <text>` answers in the current ticket as the agent.

use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use relaydesk_core::adapter::{Action, AdapterError, Body, Delivered, InboundSink, OutboundKind};
use relaydesk_core::i18n;
use relaydesk_core::{
    Address, Capabilities, ChannelAdapter, Content, Inbound, Outbound, Person, SendError,
};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_util::sync::CancellationToken;

pub const NAME: &str = "console";
/// The person's channel on the console.
pub const USER_CHANNEL: &str = "you";

pub struct ConsoleAdapter {
    person: Person,
    agent: Person,
    agent_channels: HashSet<String>,
    max_len: usize,
    /// The ticket thread `/agent` answers in: the last one shown.
    current_thread: Mutex<Option<Address>>,
    counter: AtomicU64,
    out: Mutex<Box<dyn Write + Send>>,
}

impl ConsoleAdapter {
    /// `agent_channels` are the channel names of the `console:` queues.
    pub fn new(
        user: &str,
        agent: &str,
        agent_channels: HashSet<String>,
        max_len: usize,
    ) -> ConsoleAdapter {
        let person = |id: &str, name: &str| Person {
            platform: NAME.into(),
            id: id.into(),
            display_name: name.into(),
            verified_email: None,
        };
        ConsoleAdapter {
            person: person("local-user", user),
            agent: person("local-agent", agent),
            agent_channels,
            max_len,
            current_thread: Mutex::new(None),
            counter: AtomicU64::new(0),
            out: Mutex::new(Box::new(std::io::stdout())),
        }
    }

    /// Prints to `out` instead of standard output.
    pub fn with_output(mut self, out: Box<dyn Write + Send>) -> ConsoleAdapter {
        self.out = Mutex::new(out);
        self
    }

    /// An id unique across runs: the same console line must never look like a redelivery.
    fn unique_id(&self, prefix: &str) -> String {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        format!(
            "{prefix}{nanos:x}-{}",
            self.counter.fetch_add(1, Ordering::Relaxed)
        )
    }

    fn print(&self, prefix: &str, text: &str) {
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        for line in text.split('\n') {
            let _ = writeln!(out, "{prefix}{line}");
        }
        let _ = out.flush();
    }

    /// The words, with whose they are when they are relayed.
    fn print_text(&self, prefix: &str, message: &Outbound) {
        let text = message.text();
        match &message.payload.sender {
            Some(who) => self.print(prefix, &format!("[{who}] {text}")),
            None => self.print(prefix, &text),
        }
    }

    /// The console cannot show files: it lists them with their links.
    fn print_files(&self, prefix: &str, message: &Outbound) {
        if let Body::File(file) = &message.payload.body {
            let kb = file.size.div_ceil(1024);
            self.print(
                prefix,
                &format!("  [file] {} ({kb} KB) {}", file.name, file.url),
            );
        }
    }

    /// Makes `/agent` answer in this ticket thread, and says so.
    pub fn resume(&self, thread: Address, ticket: i64, queue: &str) {
        self.print(
            "console> ",
            &i18n::agents().console_ticket_open(ticket, queue),
        );
        self.set_thread(thread);
    }

    fn set_thread(&self, thread: Address) {
        *self
            .current_thread
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(thread);
    }

    /// Turns a typed line into an event, or handles it here (`/help`).
    fn event_for(&self, line: &str) -> Option<Inbound> {
        if let Some(rest) = line.strip_prefix("/agent") {
            if !(rest.is_empty() || rest.starts_with(' ')) {
                return self.event_for_user(line);
            }
            if rest.trim().is_empty() {
                self.print("console> ", i18n::agents().console_agent_usage());
                return None;
            }
            let thread = self
                .current_thread
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            let Some(thread) = thread else {
                self.print("console> ", i18n::agents().console_no_ticket());
                return None;
            };
            return Some(Inbound {
                id: self.unique_id("a"),
                address: thread,
                author: self.agent.clone(),
                content: Content::Text(rest.trim().to_string()),
                files: Vec::new(),
                private_address: None,
            });
        }
        if line.trim() == "/help" {
            self.print("console> ", i18n::agents().console_welcome());
            return None;
        }
        self.event_for_user(line)
    }

    fn event_for_user(&self, line: &str) -> Option<Inbound> {
        Some(Inbound {
            id: self.unique_id("u"),
            address: Address::new(NAME, USER_CHANNEL),
            author: self.person.clone(),
            content: Content::Text(line.to_string()),
            files: Vec::new(),
            private_address: None,
        })
    }
}

#[async_trait]
impl ChannelAdapter for ConsoleAdapter {
    fn name(&self) -> &str {
        NAME
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            max_len: self.max_len,
            edits: false,
            finds_in_doubt: false,
            chat_link: None,
        }
    }

    async fn run(
        &self,
        sink: Arc<dyn InboundSink>,
        shutdown: CancellationToken,
    ) -> Result<(), AdapterError> {
        // A terminal has no connection to lose.
        sink.connection(NAME, relaydesk_core::health::Connection::Connected);
        let interactive = std::io::stdin().is_terminal();
        if interactive {
            self.print("console> ", i18n::agents().console_hello());
        }
        let mut lines = BufReader::new(tokio::io::stdin()).lines();
        loop {
            let line = tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                line = lines.next_line() => line,
            };
            let line = match line {
                Ok(Some(line)) => line,
                Ok(None) => return Ok(()),
                Err(e) => {
                    return Err(AdapterError {
                        adapter: NAME.into(),
                        message: format!("cannot read standard input: {e}"),
                    })
                }
            };
            if line.trim() == "/quit" {
                return Ok(());
            }
            let Some(event) = self.event_for(&line) else {
                continue;
            };
            if let Err(e) = sink.submit(event).await {
                self.print(
                    "console> ",
                    &i18n::agents().console_send_again(&e.to_string()),
                );
                continue;
            }
            sink.settled(NAME).await;
        }
    }

    async fn send(&self, message: &Outbound) -> Result<Delivered, SendError> {
        // A printed line stays printed: printing the change as a new message would say
        // it twice, and a removal would print the words it was meant to take away.
        if message.action != Action::Post {
            return Err(SendError::Permanent(
                "the console cannot change or remove a line it printed".into(),
            ));
        }
        let channel = &message.to.channel;
        if self.agent_channels.contains(channel) {
            let prefix = format!("agent[{channel}]> ");
            let id = self.unique_id("t");
            let thread = match (&message.to.thread, message.payload.kind) {
                (Some(thread), kind) if kind != OutboundKind::TicketCard => thread.clone(),
                _ => id.clone(),
            };
            self.set_thread(message.to.channel_only().in_thread(thread));
            self.print_text(&prefix, message);
            self.print_files(&prefix, message);
            return Ok(Delivered::message(id));
        }
        self.print_text("bot> ", message);
        for (i, choice) in message.payload.body.choices().iter().enumerate() {
            self.print("bot> ", &format!("  {}) {}", i + 1, choice.label));
        }
        self.print_files("bot> ", message);
        Ok(Delivered::message(self.unique_id("m")))
    }
}
