//! The engine's behaviour, room by room (`crates/core/src/engine/`), through a real
//! store: every test runs on a SQLite file and on a PostgreSQL database.

mod desk;

mod agent;
mod edits;
mod handoff;
mod history;
mod identity;
mod person;
mod phrasings;
mod selfservice;
mod timers;
mod tools;
mod triage;
mod web;
