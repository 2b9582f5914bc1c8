//! End-to-end tests of the built `relaydesk` binary.

mod app;
mod cli;
mod conformance;
mod console;
mod delivery;
mod edge;
mod fake_slack;
mod helpers;
mod slack;
