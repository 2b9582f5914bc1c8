//! Slack ids as relaydesk stores them.
//!
//! An address is `slack:<channel id>` or `slack:<channel id>/<thread ts>`; a message's id
//! is its `ts`. Events that are not new messages get ids of their own, so that they are
//! deduplicated apart from the message they are about.

use relaydesk_core::Address;

/// The adapter's name, the first part of its addresses.
pub const NAME: &str = "slack";

/// The address of a Slack channel, or of a thread in it.
pub fn address(channel: &str, thread: Option<&str>) -> Address {
    let address = Address::new(NAME, channel);
    match thread {
        Some(ts) => address.in_thread(ts),
        None => address,
    }
}

/// A direct-message channel (Slack's ids for them start with `D`).
pub fn is_direct(channel: &str) -> bool {
    channel.starts_with('D')
}

/// An edit, identified by the `ts` of the `message_changed` event.
pub fn edit(event_ts: &str) -> String {
    format!("edit:{event_ts}")
}

/// A deletion, identified by the `ts` of the `message_deleted` event.
pub fn delete(event_ts: &str) -> String {
    format!("delete:{event_ts}")
}

/// A button press, identified by its `action_ts`.
pub fn press(action_ts: &str) -> String {
    format!("press:{action_ts}")
}

/// A slash command, identified by its `trigger_id`.
pub fn command(trigger_id: &str) -> String {
    format!("command:{trigger_id}")
}
