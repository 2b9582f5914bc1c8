//! The desk's pure rules: the conversation's state machine, agent commands, choices,
//! the ticket card, triage questions, business hours. No I/O: the engine applies them.

pub mod card;
pub mod choice;
pub mod command;
pub mod hours;
pub mod identity;
pub mod lifecycle;
pub mod triage;

pub use hours::{BusinessHours, HoursError, Opening};
pub use lifecycle::{Moved, Refused, Trigger};
