//! Discord ids as relaydesk stores them.
//!
//! An address is `discord:<channel id>` or `discord:<channel id>/<thread id>`: a direct
//! message channel, a server channel, or a thread in one (a forum post is a thread of
//! its forum). A message's id is its snowflake. Events that are not new messages get ids
//! of their own, so that they are deduplicated apart from the message they are about.

use relaydesk_core::Address;

/// The adapter's name, the first part of its addresses.
pub const NAME: &str = "discord";

/// The `custom_id` of the panel's "Contact support" button.
pub const PANEL: &str = "relaydesk:panel";
/// The `custom_id` of a select menu; the chosen option's value is the choice.
pub const SELECT: &str = "relaydesk:select";
/// The slash command's name.
pub const COMMAND: &str = "support";

/// A Discord id from its text: `None` for anything but a non-zero number (serenity's
/// ids refuse 0, where their `From<u64>` would panic).
pub fn snowflake<T: std::str::FromStr>(id: &str) -> Option<T> {
    id.parse().ok()
}

/// The address of a Discord channel, or of a thread in it.
pub fn address(channel: impl Into<String>, thread: Option<String>) -> Address {
    let address = Address::new(NAME, channel);
    match thread {
        Some(thread) => address.in_thread(thread),
        None => address,
    }
}

/// An edit, identified by the message and when it was edited.
pub fn edit(message: &str, edited_at: &str) -> String {
    format!("edit:{message}:{edited_at}")
}

/// A deletion of the message.
pub fn delete(message: &str) -> String {
    format!("delete:{message}")
}

/// A button press or a selection, identified by its interaction id.
pub fn press(interaction: &str) -> String {
    format!("press:{interaction}")
}

/// A slash command, identified by its interaction id.
pub fn command(interaction: &str) -> String {
    format!("command:{interaction}")
}
