//! The desk's pure rules: the conversation's state machine, agent commands, choices,
//! the ticket card. No I/O: the engine applies them.

pub mod card;
pub mod choice;
pub mod command;
pub mod identity;
pub mod lifecycle;

pub use lifecycle::{Moved, Refused, Trigger};
