//! The conversation's state machine: the one place a conversation changes state.
//!
//! `bot → triage → verifying → queued → assigned → solved → closed` (DESIGN.md). Each
//! [`Trigger`] names something that happened; [`Conversation::apply`] moves the
//! conversation and the fields that go with its state, or refuses a move the state does
//! not allow and changes nothing.

use crate::types::{Address, Assignee, Conversation, Millis, State};

/// Something that moves a conversation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Trigger<'a> {
    /// The handoff: a ticket opens in `queue`, whose agent channel is `agent_channel`.
    OpenTicket {
        /// The queue's name.
        queue: &'a str,
        /// The ticket's number, never handed out before.
        number: i64,
        /// Where the queue's tickets go.
        agent_channel: &'a Address,
    },
    /// The handoff asks the triage questions of `queue` first.
    StartTriage {
        /// The queue whose questions are asked.
        queue: &'a str,
    },
    /// A triage answer sends the ticket-to-be to another queue.
    Route {
        /// The queue it goes to; its own questions not yet answered come next.
        queue: &'a str,
    },
    /// The person cancels triage: back to the bot.
    CancelTriage,
    /// The queue asks who the person is before its ticket opens.
    StartVerify {
        /// The queue whose ticket waits.
        queue: &'a str,
    },
    /// The person cancels verification: back to the bot.
    CancelVerify,
    /// An agent moves the ticket to another queue: it waits there for an agent.
    Transfer {
        /// The queue it moves to.
        queue: &'a str,
        /// That queue's agent channel.
        agent_channel: &'a Address,
    },
    /// An agent takes the ticket (or takes it over).
    Claim {
        /// Who takes it.
        agent: &'a Assignee,
    },
    /// An agent replies to the person; the first reply to a waiting ticket claims it.
    AgentReply {
        /// Who replied.
        agent: &'a Assignee,
    },
    /// An agent marks the ticket solved.
    Solve,
    /// An agent closes the ticket; `reason` defaults to "closed".
    Close {
        /// Why, as the agent said it.
        reason: Option<&'a str>,
    },
    /// A solved ticket's time is up: it closes as "solved".
    Expire,
    /// The person writes to a solved ticket: it reopens for whoever had it.
    PersonWrote,
    /// An agent reopens a solved or closed ticket and takes it.
    Reopen {
        /// Who reopens it, and has it then.
        agent: &'a Assignee,
    },
}

impl Trigger<'_> {
    /// The trigger's name, for logs and refusals.
    pub fn name(&self) -> &'static str {
        match self {
            Trigger::OpenTicket { .. } => "open ticket",
            Trigger::StartTriage { .. } => "start triage",
            Trigger::Route { .. } => "route",
            Trigger::CancelTriage => "cancel triage",
            Trigger::StartVerify { .. } => "start verify",
            Trigger::CancelVerify => "cancel verify",
            Trigger::Transfer { .. } => "transfer",
            Trigger::Claim { .. } => "claim",
            Trigger::AgentReply { .. } => "agent reply",
            Trigger::Solve => "solve",
            Trigger::Close { .. } => "close",
            Trigger::Expire => "expire",
            Trigger::PersonWrote => "person wrote",
            Trigger::Reopen { .. } => "reopen",
        }
    }
}

/// A move the conversation's state does not allow; nothing was changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a conversation in state {state} cannot take `{trigger}`")]
pub struct Refused {
    /// The state the conversation stays in.
    pub state: State,
    /// The trigger that was refused.
    pub trigger: &'static str,
}

/// A move that was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    /// The state before.
    pub from: State,
    /// The state after (maybe the same: a claim of a claimed ticket).
    pub to: State,
    /// The assignee before, when the move changed it.
    pub previous_assignee: Option<Assignee>,
}

impl Conversation {
    /// Applies `trigger` at `now`: moves the state and the fields that go with it, or
    /// refuses and changes nothing.
    pub fn apply(&mut self, trigger: &Trigger<'_>, now: Millis) -> Result<Moved, Refused> {
        use State::*;
        let from = self.state;
        let refuse = Refused {
            state: from,
            trigger: trigger.name(),
        };
        let mut previous_assignee = None;
        let to = match (*trigger, from) {
            (
                Trigger::OpenTicket {
                    queue,
                    number,
                    agent_channel,
                },
                Bot | Triage | Verifying,
            ) => {
                self.queue = Some(queue.to_string());
                self.ticket_number = Some(number);
                self.agent_address = Some(agent_channel.clone());
                Queued
            }
            (Trigger::StartTriage { queue }, Bot) | (Trigger::Route { queue }, Triage) => {
                self.queue = Some(queue.to_string());
                Triage
            }
            (Trigger::StartVerify { queue }, Bot | Triage) => {
                self.queue = Some(queue.to_string());
                Verifying
            }
            (Trigger::CancelTriage, Triage) | (Trigger::CancelVerify, Verifying) => {
                self.queue = None;
                Bot
            }
            (
                Trigger::Transfer {
                    queue,
                    agent_channel,
                },
                Queued | Assigned | Solved,
            ) => {
                self.queue = Some(queue.to_string());
                self.agent_address = Some(agent_channel.clone());
                self.assignee = None;
                self.solved_at = None;
                Queued
            }
            (Trigger::Claim { agent }, Queued | Assigned | Solved) => {
                previous_assignee = self.assignee.replace(agent.clone());
                if from == Queued {
                    Assigned
                } else {
                    from
                }
            }
            (Trigger::AgentReply { agent }, Queued) => {
                self.assignee = Some(agent.clone());
                Assigned
            }
            (Trigger::AgentReply { .. }, Assigned | Solved) => from,
            (Trigger::Solve, Queued | Assigned | Solved) => {
                self.solved_at = Some(now);
                Solved
            }
            (Trigger::Close { reason }, Bot | Triage | Verifying | Queued | Assigned | Solved) => {
                self.closed_at = Some(now);
                self.close_reason = Some(reason.unwrap_or("closed").to_string());
                Closed
            }
            (Trigger::Expire, Solved) => {
                self.closed_at = Some(now);
                self.close_reason.get_or_insert_with(|| "solved".into());
                Closed
            }
            (Trigger::PersonWrote, Solved) => {
                self.solved_at = None;
                if self.assignee.is_some() {
                    Assigned
                } else {
                    Queued
                }
            }
            (Trigger::Reopen { agent }, Solved | Closed) => {
                self.assignee = Some(agent.clone());
                self.solved_at = None;
                self.closed_at = None;
                self.close_reason = None;
                Assigned
            }
            _ => return Err(refuse),
        };
        self.state = to;
        Ok(Moved {
            from,
            to,
            previous_assignee,
        })
    }

    /// Open: not closed, and not solved for `close_after` or longer.
    pub fn is_open(&self, now: Millis, close_after: Millis) -> bool {
        match self.state {
            State::Closed => false,
            State::Solved => self.solved_at.is_some_and(|at| now - at < close_after),
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Lang;
    use State::*;

    fn agent(id: i64, name: &str) -> Assignee {
        Assignee {
            agent_id: Some(id),
            name: name.into(),
        }
    }

    fn conversation(state: State) -> Conversation {
        Conversation {
            id: 1,
            user_id: 1,
            state,
            user_address: Address::new("chat", "dm"),
            lang: Lang::En,
            queue: None,
            ticket_number: None,
            agent_address: None,
            assignee: None,
            close_reason: None,
            previous_id: None,
            priority: None,
            subject: None,
            offered: Vec::new(),
            solved_at: None,
            closed_at: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    /// Every trigger, and the states it may leave from, with where it goes.
    #[test]
    fn every_move_is_allowed_or_refused_as_designed() {
        let agents = Address::new("chat", "agents");
        let grace = agent(1, "Grace");
        let triggers = [
            Trigger::OpenTicket {
                queue: "support",
                number: 7,
                agent_channel: &agents,
            },
            Trigger::StartTriage { queue: "support" },
            Trigger::Route { queue: "billing" },
            Trigger::CancelTriage,
            Trigger::StartVerify { queue: "support" },
            Trigger::CancelVerify,
            Trigger::Transfer {
                queue: "billing",
                agent_channel: &agents,
            },
            Trigger::Claim { agent: &grace },
            Trigger::AgentReply { agent: &grace },
            Trigger::Solve,
            Trigger::Close { reason: None },
            Trigger::Expire,
            Trigger::PersonWrote,
            Trigger::Reopen { agent: &grace },
        ];
        let allowed = |t: &Trigger, s: State| -> Option<State> {
            match (t, s) {
                (Trigger::OpenTicket { .. }, Bot | Triage | Verifying) => Some(Queued),
                (Trigger::StartTriage { .. }, Bot) => Some(Triage),
                (Trigger::Route { .. }, Triage) => Some(Triage),
                (Trigger::CancelTriage, Triage) => Some(Bot),
                (Trigger::StartVerify { .. }, Bot | Triage) => Some(Verifying),
                (Trigger::CancelVerify, Verifying) => Some(Bot),
                (Trigger::Transfer { .. }, Queued | Assigned | Solved) => Some(Queued),
                (Trigger::Claim { .. }, Queued) => Some(Assigned),
                (Trigger::Claim { .. }, Assigned | Solved) => Some(s),
                (Trigger::AgentReply { .. }, Queued) => Some(Assigned),
                (Trigger::AgentReply { .. }, Assigned | Solved) => Some(s),
                (Trigger::Solve, Queued | Assigned | Solved) => Some(Solved),
                (Trigger::Close { .. }, s) if s != Closed => Some(Closed),
                (Trigger::Expire, Solved) => Some(Closed),
                (Trigger::PersonWrote, Solved) => Some(Queued),
                (Trigger::Reopen { .. }, Solved | Closed) => Some(Assigned),
                _ => None,
            }
        };
        let mut moves = 0;
        for trigger in &triggers {
            for state in State::ALL {
                let mut c = conversation(state);
                let before = c.clone();
                match (c.apply(trigger, 100), allowed(trigger, state)) {
                    (Ok(moved), Some(to)) => {
                        assert_eq!((moved.from, moved.to, c.state), (state, to, to));
                        moves += 1;
                    }
                    (Err(refused), None) => {
                        assert_eq!(refused.state, state);
                        assert_eq!(c, before, "a refused {} changed {state}", trigger.name());
                    }
                    (got, want) => panic!(
                        "{} from {state}: got {got:?}, want {want:?}",
                        trigger.name()
                    ),
                }
            }
        }
        assert_eq!(moves, 31);
    }

    #[test]
    fn fields_follow_the_state() {
        let agents = Address::new("chat", "agents");
        let (grace, alan, ada) = (agent(1, "Grace"), agent(2, "Alan"), agent(3, "Ada"));
        let mut c = conversation(Bot);
        c.apply(
            &Trigger::OpenTicket {
                queue: "support",
                number: 7,
                agent_channel: &agents,
            },
            1,
        )
        .unwrap();
        assert_eq!(
            (
                c.queue.as_deref(),
                c.ticket_number,
                c.agent_address.as_ref()
            ),
            (Some("support"), Some(7), Some(&agents))
        );
        c.apply(&Trigger::AgentReply { agent: &grace }, 2).unwrap();
        assert_eq!(c.assignee.as_ref(), Some(&grace));
        let moved = c.apply(&Trigger::Claim { agent: &alan }, 3).unwrap();
        assert_eq!(moved.previous_assignee, Some(grace));
        c.apply(&Trigger::Solve, 4).unwrap();
        assert_eq!(c.solved_at, Some(4));
        assert!(c.is_open(5, 10) && !c.is_open(14, 10));
        // The person writing again gives it back to whoever had it.
        c.apply(&Trigger::PersonWrote, 5).unwrap();
        assert_eq!((c.state, c.solved_at), (Assigned, None));
        c.apply(
            &Trigger::Close {
                reason: Some("duplicate"),
            },
            6,
        )
        .unwrap();
        assert_eq!(
            (c.closed_at, c.close_reason.as_deref()),
            (Some(6), Some("duplicate"))
        );
        assert!(!c.is_open(6, 10));
        c.apply(&Trigger::Reopen { agent: &ada }, 7).unwrap();
        assert_eq!(
            (
                c.state,
                c.assignee.as_ref(),
                c.closed_at,
                c.close_reason.as_deref()
            ),
            (Assigned, Some(&ada), None, None)
        );
        c.apply(&Trigger::Solve, 8).unwrap();
        c.apply(&Trigger::Expire, 20).unwrap();
        assert_eq!(
            (c.state, c.close_reason.as_deref()),
            (Closed, Some("solved"))
        );
    }

    #[test]
    fn a_solved_ticket_without_an_agent_goes_back_to_the_queue() {
        let mut c = conversation(Solved);
        c.apply(&Trigger::PersonWrote, 1).unwrap();
        assert_eq!(c.state, Queued);
    }
}
