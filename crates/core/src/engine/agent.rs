//! The agents' side: commands and replies in a ticket thread.

use crate::adapter::{Inbound, OutboundKind};
use crate::desk::command::AgentCommand;
use crate::desk::Trigger;
use crate::i18n;
use crate::store::{NewMessage, StoreError};
use crate::types::{Assignee, Author, Conversation, State};

use super::turn::{Post, Target, Turn};
use super::{Engine, Handled};

impl Engine {
    /// Handles a message in an agent channel; only ticket threads are for the engine.
    pub(super) async fn agent_event(
        &self,
        t: &mut Turn,
        ev: &Inbound,
    ) -> Result<Handled, StoreError> {
        let conv = match &ev.address.thread {
            Some(_) => t.tx.conversation_by_thread(&ev.address).await?,
            None => None,
        };
        let Some(mut conv) = conv else {
            return self.outside_a_ticket(t, ev).await;
        };
        let agent = ev.author.display_name.as_str();
        let number = conv.ticket_number.unwrap_or(conv.id);
        let say = i18n::agents();
        let me;
        let person = i18n::catalogue(conv.lang);
        let command = AgentCommand::parse(&ev.content);
        let trigger = match command {
            AgentCommand::Note(body) => {
                self.store_agent_message(t, &conv, Author::Note, body, ev)
                    .await?;
                return Ok(Handled::Done);
            }
            AgentCommand::Help => {
                self.notice(t, &conv, say.agent_help()).await?;
                return Ok(Handled::Done);
            }
            AgentCommand::Unknown(word) => {
                self.notice(t, &conv, &say.unknown_command(word)).await?;
                return Ok(Handled::Done);
            }
            AgentCommand::Transfer(queue) => return self.transfer(t, &mut conv, ev, queue).await,
            AgentCommand::Snippet(name) => return self.snippet(t, &mut conv, ev, name).await,
            AgentCommand::Article(id) => return self.share_article(t, &mut conv, ev, id).await,
            AgentCommand::Priority(words) => {
                return self.set_priority(t, &mut conv, ev, words).await
            }
            AgentCommand::Block(span) => return self.block(t, &conv, ev, span).await,
            AgentCommand::Unblock => return self.unblock(t, &conv, ev).await,
            AgentCommand::Reply(body) => return self.agent_reply(t, &mut conv, ev, body).await,
            AgentCommand::Reopen => return self.reopen(t, &mut conv, ev).await,
            AgentCommand::Claim => {
                me = self.agent_of(t, ev).await?;
                Trigger::Claim { agent: &me }
            }
            AgentCommand::Solve => Trigger::Solve,
            AgentCommand::Close(reason) => Trigger::Close { reason },
        };
        let moved = match self.advance(t, &mut conv, trigger).await? {
            Ok(moved) => moved,
            Err(_) => {
                let already = say.already(number, conv.state);
                self.notice(t, &conv, &already).await?;
                return Ok(Handled::Done);
            }
        };
        let (notice, to_person) = match command {
            AgentCommand::Claim => {
                let notice = match moved.previous_assignee {
                    Some(p) if conv.assignee.as_ref().is_some_and(|a| !a.same_agent(&p)) => {
                        say.took_over(agent, number, &p.name)
                    }
                    _ => say.claimed_by(agent),
                };
                (notice, person.claimed(self.shown_agent_name(agent)))
            }
            AgentCommand::Solve => (say.solved_by(agent), person.solved(number)),
            AgentCommand::Close(reason) => {
                (say.closed_by(agent, reason), person.closed(number, reason))
            }
            _ => unreachable!("only moves are left"),
        };
        self.notice(t, &conv, &notice).await?;
        self.tell(t, &conv, None, &to_person, Vec::new()).await?;
        if command == AgentCommand::Solve {
            self.ask_rating(t, &conv).await?;
        }
        Ok(Handled::Done)
    }

    /// A message in an agent channel outside any ticket's thread: in the thread of a
    /// ticket that moved to another queue, it is refused with a pointer; elsewhere it is
    /// not for the engine.
    async fn outside_a_ticket(&self, t: &mut Turn, ev: &Inbound) -> Result<Handled, StoreError> {
        let moved = match &ev.address.thread {
            Some(_) => t.tx.transferred_from(&ev.address).await?,
            None => None,
        };
        let Some((conversation_id, queue)) = moved else {
            tracing::debug!(address = %ev.address, "agent-channel message outside a ticket thread");
            return Ok(Handled::Ignored);
        };
        let Some(conv) = t.tx.conversation(conversation_id).await? else {
            return Ok(Handled::Ignored);
        };
        let text = i18n::agents().moved_elsewhere(conv.ticket_number.unwrap_or(conv.id), &queue);
        let post = Post {
            to: Target::Address(ev.address.clone()),
            kind: OutboundKind::AgentNotice,
            text: &text,
            sender: None,
            choices: Vec::new(),
            message_id: None,
        };
        self.post(t, &conv, post).await?;
        Ok(Handled::Done)
    }

    /// Words for the person: relayed, unless the ticket is closed (then kept as a note).
    pub(super) async fn agent_reply(
        &self,
        t: &mut Turn,
        conv: &mut Conversation,
        ev: &Inbound,
        body: &str,
    ) -> Result<Handled, StoreError> {
        if body.is_empty() && ev.files.is_empty() {
            return Ok(Handled::Done);
        }
        let agent = ev.author.display_name.as_str();
        if conv.state == State::Closed {
            self.store_agent_message(t, conv, Author::Note, body, ev)
                .await?;
            let number = conv.ticket_number.unwrap_or(conv.id);
            self.notice(t, conv, &i18n::agents().kept_as_note(number))
                .await?;
            return Ok(Handled::Done);
        }
        let message_id = self
            .store_agent_message(t, conv, Author::Agent, body, ev)
            .await?;
        if conv.state == State::Queued {
            // The first reply to a waiting ticket claims it.
            let me = self.agent_of(t, ev).await?;
            self.advance_checked(t, conv, Trigger::AgentReply { agent: &me })
                .await?;
        }
        let to = Target::Address(conv.user_address.clone());
        let from = (message_id, self.shown_agent_name(agent));
        self.relay(t, conv, to, from, body, &ev.files).await?;
        self.reply_while_away(t, conv).await?;
        Ok(Handled::Done)
    }

    /// `!reopen`: a solved or closed ticket opens again for this agent, unless the
    /// person has moved on to a newer conversation.
    async fn reopen(
        &self,
        t: &mut Turn,
        conv: &mut Conversation,
        ev: &Inbound,
    ) -> Result<Handled, StoreError> {
        let say = i18n::agents();
        let number = conv.ticket_number.unwrap_or(conv.id);
        if !matches!(conv.state, State::Solved | State::Closed) {
            self.notice(t, conv, &say.open_already(number)).await?;
            return Ok(Handled::Done);
        }
        let latest = t.tx.latest_conversation(conv.user_id).await?;
        if let Some(newer) = latest.filter(|l| l.id != conv.id) {
            self.notice(t, conv, &say.newer_conversation(newer.id))
                .await?;
            return Ok(Handled::Done);
        }
        let me = self.agent_of(t, ev).await?;
        self.advance_checked(t, conv, Trigger::Reopen { agent: &me })
            .await?;
        self.notice(t, conv, &say.reopened_by(&me.name)).await?;
        let reopened = i18n::catalogue(conv.lang).reopened(number);
        self.tell(t, conv, None, &reopened, Vec::new()).await?;
        Ok(Handled::Done)
    }

    /// The agent who wrote `ev`, recorded by id.
    pub(super) async fn agent_of(
        &self,
        t: &mut Turn,
        ev: &Inbound,
    ) -> Result<Assignee, StoreError> {
        Ok(Assignee {
            agent_id: Some(t.tx.upsert_agent(&ev.author, t.now).await?),
            name: ev.author.display_name.clone(),
        })
    }

    /// The name the person sees for an agent.
    fn shown_agent_name<'a>(&self, agent: &'a str) -> &'a str {
        if self.config.anonymous_agents {
            i18n::agents().anonymous_agent()
        } else {
            agent
        }
    }

    async fn store_agent_message(
        &self,
        t: &mut Turn,
        conv: &Conversation,
        author: Author,
        body: &str,
        ev: &Inbound,
    ) -> Result<i64, StoreError> {
        let message = NewMessage::of_event(conv.id, author, ev, body);
        t.tx.insert_message(&message, t.now).await
    }
}
