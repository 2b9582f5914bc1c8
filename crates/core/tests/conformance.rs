//! The in-memory adapter against the conformance suite, with and without edits.

use std::sync::Arc;

use async_trait::async_trait;
use relaydesk_core::adapter::{Action, Delivered, Outbound};
use relaydesk_core::memory::MemoryAdapter;
use relaydesk_core::testkit::{self, Platform, Shown};
use relaydesk_core::{Address, Capabilities, ChannelAdapter};

/// The memory adapter's "platform" is its record of what it was sent: a message shows
/// its last post or update, until it is removed.
struct Memory(Arc<MemoryAdapter>);

#[async_trait]
impl Platform for Memory {
    fn adapter(&self) -> &dyn ChannelAdapter {
        self.0.as_ref()
    }

    fn address(&self) -> Address {
        Address::new("memory", "room")
    }

    async fn shown(&self, delivered: &Delivered) -> Option<Shown> {
        let mut shown = None;
        for (message, id) in self.0.sent() {
            match &message.action {
                Action::Post if id == delivered.message_id => shown = Some(render(&message)),
                Action::Update { message_id } if *message_id == delivered.message_id => {
                    shown = shown.and(Some(render(&message)))
                }
                Action::Delete { message_id } if *message_id == delivered.message_id => {
                    shown = None
                }
                _ => {}
            }
        }
        shown
    }
}

fn render(message: &Outbound) -> Shown {
    let mut text = match &message.payload.sender {
        Some(who) => format!("{who}: {}", message.text()),
        None => message.text().into_owned(),
    };
    for choice in message.payload.body.choices() {
        text.push('\n');
        text.push_str(&choice.label);
    }
    Shown {
        text,
        pings: Vec::new(),
    }
}

#[tokio::test]
async fn the_memory_adapter_conforms_with_edits() {
    let caps = Capabilities {
        max_len: 500,
        edits: true,
        finds_in_doubt: false,
        chat_link: None,
    };
    testkit::assert_conforms(&Memory(MemoryAdapter::new("memory", caps))).await;
}

#[tokio::test]
async fn the_memory_adapter_conforms_without_edits() {
    let caps = Capabilities {
        max_len: 2000,
        edits: false,
        finds_in_doubt: false,
        chat_link: None,
    };
    testkit::assert_conforms(&Memory(MemoryAdapter::new("memory", caps))).await;
}

/// A platform that cuts the last character and notifies for `<!channel>`: the suite
/// must say so.
struct Careless(Memory);

#[async_trait]
impl Platform for Careless {
    fn adapter(&self) -> &dyn ChannelAdapter {
        self.0.adapter()
    }

    fn address(&self) -> Address {
        self.0.address()
    }

    async fn shown(&self, delivered: &Delivered) -> Option<Shown> {
        let mut shown = self.0.shown(delivered).await?;
        if shown.text.contains("<!channel>") {
            shown.pings.push("<!channel>".into());
        }
        shown.text.pop();
        Some(shown)
    }
}

#[tokio::test]
async fn the_suite_finds_pings_and_cuts() {
    let caps = Capabilities {
        max_len: 100,
        edits: true,
        finds_in_doubt: false,
        chat_link: None,
    };
    let careless = Careless(Memory(MemoryAdapter::new("memory", caps)));
    let failures = testkit::run_all(&careless)
        .await
        .expect_err("a careless platform");
    let checks: Vec<&str> = failures.iter().map(|f| f.check).collect();
    assert_eq!(
        checks,
        ["no_pings", "split_without_loss", "edit_round_trip"],
        "{failures:?}"
    );
    let pings = &failures[0].problems;
    assert!(
        pings
            .iter()
            .any(|p| p.contains("relayed") && p.contains("<!channel>")),
        "{pings:?}"
    );
}
