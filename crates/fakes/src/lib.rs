//! Fake Slack and Discord servers on 127.0.0.1 that speak the platforms' real wire
//! protocols, so that slack-morphism and serenity run for real against them: for
//! relaydesk's end-to-end tests and for `relaydesk bench relay`.

pub mod discord;
pub mod slack;
