//! relaydesk's core: domain types, the conversation engine, the outbox dispatcher, and
//! the ports it talks through (adapters, store, help center). No platform or database
//! type appears here.

pub mod adapter;
pub mod clock;
pub mod desk;
pub mod dispatch;
pub mod email;
pub mod engine;
pub mod files;
pub mod health;
pub mod i18n;
pub mod intent;
pub mod knowledge;
pub mod memory;
pub mod phrasing;
pub mod runtime;
pub mod status;
pub mod store;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod text;
pub mod types;
pub mod web;

pub use adapter::{
    Capabilities, ChannelAdapter, Choice, Content, Inbound, InboundSink, Outbound, OutboundKind,
    SendError,
};
pub use engine::{Engine, EngineConfig, Handled, Queue, Ticked};
pub use store::{OutboxQueue, Reports, Store, StoreError};
pub use types::{Address, Author, Conversation, Message, Millis, Person, Priority, State};
