//! End-to-end tests of the built `relaydesk` binary.

mod app;
mod browser;
mod cli;
mod conformance;
mod console;
mod delivery;
mod desk;
mod discord;
mod edge;
mod helpers;
mod identity;
mod slack;
mod web;
mod web_ops;

pub(crate) use relaydesk_fakes::{discord as fake_discord, slack as fake_slack};
