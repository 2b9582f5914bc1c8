//! Discord: the configuration section exists, the adapter does not yet.

use relaydesk_core::Capabilities;

use super::{Built, Checking, Platform};
use crate::config::Config;

pub const PLATFORM: Platform = Platform {
    name: "discord",
    section: "discord",
    // Discord's message limit is 2,000 characters.
    capabilities: Capabilities {
        max_len: 2000,
        edits: true,
        finds_in_doubt: false,
    },
    enabled: |config| config.discord.enabled,
    build,
    check,
};

const MISSING: &str = "[discord] is enabled, but this relaydesk has no Discord adapter yet";

fn build(_config: &Config) -> anyhow::Result<Built> {
    anyhow::bail!(MISSING)
}

fn check(_config: &Config) -> Checking<'_> {
    Box::pin(async { vec![MISSING.to_string()] })
}
