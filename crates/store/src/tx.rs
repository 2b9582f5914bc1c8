//! One engine transaction on either dialect.

use async_trait::async_trait;
use relaydesk_core::adapter::{Choice, OutboundKind};
use relaydesk_core::phrasing::PhrasingSource;
use relaydesk_core::store::{
    AgentTx, AnswerTx, Card, ConversationTx, Copy, DeskTx, EmailTx, Found, Identity, IdentityTx,
    InboundTx, MessageTx, NewConversation, NewEmail, NewMessage, NewOutbound, OutboxTx, PersonTx,
    StoreError, TicketLine, TriageAnswer, Tx, Verification,
};
use relaydesk_core::{Address, Conversation, Message, Millis, Person, State};
use sqlx::{Postgres, Sqlite, Transaction};
use std::sync::Arc;

use crate::db_error;
use crate::rows::{self, ConversationRow, MessageRow};

enum Conn {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Runs `$body` with `$c` bound to the open transaction, whichever dialect it is.
macro_rules! on_tx {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            Conn::Sqlite($c) => $body,
            Conn::Postgres($c) => $body,
        }
    };
}

/// An open transaction; dropped without commit, it rolls back.
pub(crate) struct SqlTx {
    conn: Conn,
    /// Told after a commit that enqueued outbox rows (PostgreSQL: other processes'
    /// dispatchers learn of them by NOTIFY).
    wake: Option<Arc<crate::OutboxWake>>,
    enqueued: bool,
}

impl SqlTx {
    pub(crate) fn sqlite(tx: Transaction<'static, Sqlite>) -> SqlTx {
        SqlTx {
            conn: Conn::Sqlite(tx),
            wake: None,
            enqueued: false,
        }
    }

    pub(crate) fn postgres(
        tx: Transaction<'static, Postgres>,
        wake: Arc<crate::OutboxWake>,
    ) -> SqlTx {
        SqlTx {
            wake: Some(wake),
            enqueued: false,
            conn: Conn::Postgres(tx),
        }
    }

    fn for_update(&self) -> &'static str {
        match self.conn {
            Conn::Sqlite(_) => "",
            Conn::Postgres(_) => " for update",
        }
    }

    fn for_update_of(&self, table: &str) -> String {
        match self.conn {
            Conn::Sqlite(_) => String::new(),
            Conn::Postgres(_) => format!(" for update of {table}"),
        }
    }
}

#[async_trait]
impl InboundTx for SqlTx {
    async fn remember_inbound(
        &mut self,
        address: &Address,
        id: &str,
        now: Millis,
    ) -> Result<bool, StoreError> {
        let sql = "insert into inbound_seen (adapter, channel, message_id, created_at) values ($1, $2, $3, $4)
                   on conflict do nothing";
        let done = on_tx!(&mut self.conn, c => sqlx::query(sql)
            .bind(&address.adapter).bind(&address.channel).bind(id).bind(now)
            .execute(&mut **c).await.map(|r| r.rows_affected()))
        .map_err(db_error)?;
        Ok(done == 1)
    }
}

#[async_trait]
impl PersonTx for SqlTx {
    async fn upsert_person(&mut self, person: &Person, now: Millis) -> Result<Found, StoreError> {
        // The common case, a known person with a conversation, is one read.
        let sql = format!(
            "select {}, p.display_name as person_name, p.verified_email as person_email,
               (select count(*) from block b where b.person_id = p.id and (b.until is null or b.until > $3)) as blocked
             from person p join conversation c on c.id = p.current_conversation_id
             where p.platform = $1 and p.platform_user_id = $2{}",
            rows::conversation_columns_of("c"),
            self.for_update_of("p, c")
        );
        let known: Option<rows::LatestRow> = on_tx!(&mut self.conn, c => sqlx::query_as(&sql)
            .bind(&person.platform).bind(&person.id).bind(now).fetch_optional(&mut **c).await)
        .map_err(db_error)?;
        if let Some(known) = known {
            let unchanged = known.person_name == person.display_name
                && (person.verified_email.is_none() || known.person_email == person.verified_email);
            let conversation = known.conversation.into_conversation()?;
            if !unchanged {
                let sql = "update person set display_name = $1, verified_email = coalesce($2, verified_email),
                           verified_by = case when $2 is null then verified_by else platform end,
                           verified_at = case when $2 is null then verified_at else $3 end,
                           updated_at = $3 where id = $4";
                on_tx!(&mut self.conn, c => sqlx::query(sql)
                    .bind(&person.display_name).bind(&person.verified_email).bind(now).bind(conversation.user_id)
                    .execute(&mut **c).await.map(|_| ()))
                .map_err(db_error)?;
            }
            return Ok(Found {
                user_id: conversation.user_id,
                current: Some(conversation),
                blocked: known.blocked > 0,
            });
        }
        let sql = "insert into person (platform, platform_user_id, display_name, verified_email,
                     verified_by, verified_at, created_at, updated_at)
                   values ($1, $2, $3, $4, case when $4 is null then null else $1 end,
                     case when $4 is null then null else $5 end, $5, $5)
                   on conflict (platform, platform_user_id) do update set
                     display_name = excluded.display_name,
                     verified_email = coalesce(excluded.verified_email, person.verified_email),
                     verified_by = coalesce(excluded.verified_by, person.verified_by),
                     verified_at = coalesce(excluded.verified_at, person.verified_at),
                     updated_at = excluded.updated_at
                   returning id";
        let id: i64 = on_tx!(&mut self.conn, c => sqlx::query_scalar(sql)
            .bind(&person.platform).bind(&person.id).bind(&person.display_name).bind(&person.verified_email).bind(now)
            .fetch_one(&mut **c).await)
        .map_err(db_error)?;
        Ok(Found {
            user_id: id,
            current: self.latest_conversation(id).await?,
            blocked: false,
        })
    }

    async fn person(&mut self, user_id: i64) -> Result<Option<Person>, StoreError> {
        let sql = "select platform, platform_user_id, display_name, verified_email from person where id = $1";
        let row: Option<rows::PersonRow> = on_tx!(&mut self.conn, c => sqlx::query_as(sql)
            .bind(user_id).fetch_optional(&mut **c).await)
        .map_err(db_error)?;
        Ok(row.map(Person::from))
    }

    async fn set_current(&mut self, user_id: i64, conversation_id: i64) -> Result<(), StoreError> {
        let sql = "update person set current_conversation_id = $1 where id = $2";
        on_tx!(&mut self.conn, c => sqlx::query(sql).bind(conversation_id).bind(user_id)
            .execute(&mut **c).await.map(drop))
        .map_err(db_error)
    }
}

#[async_trait]
impl AgentTx for SqlTx {
    async fn upsert_agent(&mut self, agent: &Person, now: Millis) -> Result<i64, StoreError> {
        let sql =
            "insert into agent (platform, platform_user_id, display_name, created_at, updated_at)
                   values ($1, $2, $3, $4, $4)
                   on conflict (platform, platform_user_id) do update set
                     display_name = excluded.display_name, updated_at = excluded.updated_at
                   returning id";
        on_tx!(&mut self.conn, c => sqlx::query_scalar(sql)
            .bind(&agent.platform).bind(&agent.id).bind(&agent.display_name).bind(now)
            .fetch_one(&mut **c).await)
        .map_err(db_error)
    }
}

#[async_trait]
impl ConversationTx for SqlTx {
    async fn latest_conversation(
        &mut self,
        user_id: i64,
    ) -> Result<Option<Conversation>, StoreError> {
        let sql = format!(
            "select {} from conversation where person_id = $1 order by id desc limit 1",
            rows::CONVERSATION_COLUMNS
        );
        let row: Option<ConversationRow> =
            on_tx!(&mut self.conn, c => sqlx::query_as(&sql).bind(user_id).fetch_optional(&mut **c).await).map_err(db_error)?;
        row.map(ConversationRow::into_conversation).transpose()
    }

    async fn conversation(&mut self, id: i64) -> Result<Option<Conversation>, StoreError> {
        let sql = format!(
            "select {} from conversation where id = $1{}",
            rows::CONVERSATION_COLUMNS,
            self.for_update()
        );
        let row: Option<ConversationRow> =
            on_tx!(&mut self.conn, c => sqlx::query_as(&sql).bind(id).fetch_optional(&mut **c).await).map_err(db_error)?;
        row.map(ConversationRow::into_conversation).transpose()
    }

    async fn conversation_by_thread(
        &mut self,
        thread: &Address,
    ) -> Result<Option<Conversation>, StoreError> {
        let sql = format!(
            "select {} from conversation where agent_adapter = $1 and agent_channel = $2 and agent_thread = $3
             order by id desc limit 1{}",
            rows::CONVERSATION_COLUMNS,
            self.for_update()
        );
        let row: Option<ConversationRow> = on_tx!(&mut self.conn, c => sqlx::query_as(&sql)
            .bind(&thread.adapter).bind(&thread.channel).bind(&thread.thread)
            .fetch_optional(&mut **c).await)
        .map_err(db_error)?;
        row.map(ConversationRow::into_conversation).transpose()
    }

    async fn insert_conversation(
        &mut self,
        new: &NewConversation,
        now: Millis,
    ) -> Result<Conversation, StoreError> {
        let sql = format!(
            "insert into conversation (person_id, state, user_adapter, user_channel, user_thread, lang, previous_id,
               created_at, updated_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $8) returning {}",
            rows::CONVERSATION_COLUMNS
        );
        let a = &new.user_address;
        let row: ConversationRow = on_tx!(&mut self.conn, c => sqlx::query_as(&sql)
            .bind(new.user_id).bind(State::Bot.as_str()).bind(&a.adapter).bind(&a.channel).bind(&a.thread)
            .bind(new.lang.as_str()).bind(new.previous_id).bind(now)
            .fetch_one(&mut **c).await)
        .map_err(db_error)?;
        let conversation = row.into_conversation()?;
        self.set_current(new.user_id, conversation.id).await?;
        Ok(conversation)
    }

    async fn save_conversation(
        &mut self,
        conv: &Conversation,
        now: Millis,
    ) -> Result<(), StoreError> {
        let sql = "update conversation set state = $1, user_adapter = $2, user_channel = $3, user_thread = $4,
                   lang = $5, queue = $6, ticket_number = $7, agent_adapter = $8, agent_channel = $9,
                   agent_thread = $10, assignee_id = $11, assignee = $12, close_reason = $13, solved_at = $14,
                   closed_at = $15, updated_at = $16, priority = $17, subject = $18
                   where id = $19";
        let (u, a) = (&conv.user_address, conv.agent_address.as_ref());
        on_tx!(&mut self.conn, c => sqlx::query(sql)
            .bind(conv.state.as_str()).bind(&u.adapter).bind(&u.channel).bind(&u.thread)
            .bind(conv.lang.as_str()).bind(&conv.queue).bind(conv.ticket_number)
            .bind(a.map(|a| &a.adapter)).bind(a.map(|a| &a.channel)).bind(a.and_then(|a| a.thread.as_ref()))
            .bind(conv.assignee.as_ref().and_then(|a| a.agent_id)).bind(conv.assignee.as_ref().map(|a| &a.name))
            .bind(&conv.close_reason).bind(conv.solved_at).bind(conv.closed_at)
            .bind(now).bind(conv.priority.map(|p| p.as_str())).bind(&conv.subject).bind(conv.id)
            .execute(&mut **c).await.map(|_| ()))
        .map_err(db_error)?;
        Ok(())
    }

    async fn offer_choices(
        &mut self,
        conversation_id: i64,
        offered: &[Choice],
        now: Millis,
    ) -> Result<(), StoreError> {
        let sql = "update conversation set offered_choices = $1, updated_at = $2 where id = $3";
        let offered = rows::choices_json(offered);
        on_tx!(&mut self.conn, c => sqlx::query(sql).bind(&offered).bind(now).bind(conversation_id)
            .execute(&mut **c).await.map(|_| ()))
        .map_err(db_error)
    }

    async fn next_ticket_number(&mut self) -> Result<i64, StoreError> {
        let sql = "update counter set value = value + 1 where name = 'ticket' returning value";
        on_tx!(&mut self.conn, c => sqlx::query_scalar(sql).fetch_one(&mut **c).await)
            .map_err(db_error)
    }
}

#[async_trait]
impl MessageTx for SqlTx {
    async fn insert_message(&mut self, m: &NewMessage<'_>, now: Millis) -> Result<i64, StoreError> {
        let sql = "insert into message (conversation_id, author, author_name, body, source_adapter, source_channel,
                   source_message_id, files, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id";
        let (adapter, channel, id) = match m.source {
            Some((a, id)) => (Some(&a.adapter), Some(&a.channel), Some(id)),
            None => (None, None, None),
        };
        on_tx!(&mut self.conn, c => sqlx::query_scalar(sql)
            .bind(m.conversation_id).bind(m.author.as_str()).bind(m.author_name).bind(m.body)
            .bind(adapter).bind(channel).bind(id).bind(rows::files_json(m.files)).bind(now)
            .fetch_one(&mut **c).await)
        .map_err(db_error)
    }

    async fn messages(&mut self, conversation_id: i64) -> Result<Vec<Message>, StoreError> {
        let sql = format!(
            "select {} from message where conversation_id = $1 and deleted_at is null order by id",
            rows::MESSAGE_COLUMNS
        );
        let rows: Vec<MessageRow> =
            on_tx!(&mut self.conn, c => sqlx::query_as(&sql).bind(conversation_id).fetch_all(&mut **c).await).map_err(db_error)?;
        rows.into_iter().map(MessageRow::into_message).collect()
    }

    async fn message_by_source(
        &mut self,
        address: &Address,
        id: &str,
    ) -> Result<Option<(i64, i64)>, StoreError> {
        let sql = "select id, conversation_id from message
                   where source_adapter = $1 and source_channel = $2 and source_message_id = $3
                   order by id limit 1";
        on_tx!(&mut self.conn, c => sqlx::query_as(sql)
            .bind(&address.adapter).bind(&address.channel).bind(id)
            .fetch_optional(&mut **c).await)
        .map_err(db_error)
    }

    async fn edit_message(
        &mut self,
        message_id: i64,
        body: Option<&str>,
        now: Millis,
    ) -> Result<(), StoreError> {
        match body {
            Some(body) => {
                let sql = "update message set body = $1, edited_at = $2 where id = $3";
                on_tx!(&mut self.conn, c => sqlx::query(sql)
                    .bind(body).bind(now).bind(message_id).execute(&mut **c).await.map(drop))
            }
            None => {
                let sql = "update message set deleted_at = $1 where id = $2";
                on_tx!(&mut self.conn, c => sqlx::query(sql)
                    .bind(now).bind(message_id).execute(&mut **c).await.map(drop))
            }
        }
        .map_err(db_error)
    }
}

#[async_trait]
impl OutboxTx for SqlTx {
    async fn enqueue(&mut self, row: &NewOutbound, now: Millis) -> Result<i64, StoreError> {
        let sql = "insert into outbox (conversation_id, message_id, parent_id, adapter, channel, thread, kind, body,
                   sender, choices, idempotency_key, next_attempt_at, created_at, updated_at, files, action, target_id)
                   values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $12, $13, $14, $15) returning id";
        let (body, choices, files) = rows::body_columns(&row.payload.body);
        let id = on_tx!(&mut self.conn, c => sqlx::query_scalar(sql)
            .bind(row.conversation_id).bind(row.message_id).bind(row.parent_id)
            .bind(&row.to.adapter).bind(&row.to.channel).bind(&row.to.thread)
            .bind(row.payload.kind.as_str()).bind(&body).bind(&row.payload.sender).bind(&choices)
            .bind(&row.idempotency_key).bind(now)
            .bind(&files).bind(row.action.as_str()).bind(row.action.target())
            .fetch_one(&mut **c).await)
        .map_err(db_error)?;
        self.enqueued = true;
        Ok(id)
    }

    async fn copies(&mut self, message_id: i64) -> Result<Vec<Copy>, StoreError> {
        let sql = "select id, adapter, channel, thread, parent_id, kind, sender from outbox
                   where message_id = $1 and action = 'post' and files = '[]' order by id";
        let rows: Vec<(i64, String, String, Option<String>, Option<i64>, String, Option<String>)> =
            on_tx!(&mut self.conn, c => sqlx::query_as(sql).bind(message_id).fetch_all(&mut **c).await)
                .map_err(db_error)?;
        rows.into_iter()
            .map(|(id, adapter, channel, thread, parent_id, kind, sender)| {
                Ok(Copy {
                    id,
                    to: Address {
                        adapter,
                        channel,
                        thread,
                    },
                    parent_id,
                    kind: rows::parse_kind(&kind)?,
                    sender,
                })
            })
            .collect()
    }

    async fn ticket_card(&mut self, conversation_id: i64) -> Result<Option<Card>, StoreError> {
        let sql = "select id, body, choices from outbox where conversation_id = $1 and kind = 'ticket_card' and action = 'post'
                   order by id desc limit 1";
        let card: Option<(i64, String, String)> = on_tx!(&mut self.conn, c => sqlx::query_as(sql)
            .bind(conversation_id).fetch_optional(&mut **c).await)
        .map_err(db_error)?;
        card.map(|(id, body, choices)| {
            Ok(Card {
                id,
                body: rows::parse_body(OutboundKind::TicketCard, &body, &choices, "[]")?,
            })
        })
        .transpose()
    }
}

#[async_trait]
impl AnswerTx for SqlTx {
    async fn record_answer(
        &mut self,
        conversation_id: i64,
        message_id: i64,
        question: &str,
        articles: &[String],
        now: Millis,
    ) -> Result<(), StoreError> {
        let sql = "insert into kb_answer (conversation_id, message_id, question, articles, created_at, updated_at)
                   values ($1, $2, $3, $4, $5, $5)";
        let articles = serde_json::to_string(articles).unwrap_or_else(|_| "[]".into());
        on_tx!(&mut self.conn, c => sqlx::query(sql)
            .bind(conversation_id).bind(message_id).bind(question).bind(&articles).bind(now)
            .execute(&mut **c).await.map(|_| ()))
        .map_err(db_error)
    }

    async fn record_feedback(
        &mut self,
        conversation_id: i64,
        feedback: &str,
        now: Millis,
    ) -> Result<(), StoreError> {
        let sql = "update kb_answer set feedback = $1, updated_at = $2
                   where id = (select max(id) from kb_answer where conversation_id = $3)";
        on_tx!(&mut self.conn, c => sqlx::query(sql)
            .bind(feedback).bind(now).bind(conversation_id)
            .execute(&mut **c).await.map(|_| ()))
        .map_err(db_error)
    }

    async fn latest_answer(
        &mut self,
        conversation_id: i64,
    ) -> Result<Option<(String, Vec<String>)>, StoreError> {
        let sql = "select question, articles from kb_answer where conversation_id = $1
                   order by id desc limit 1";
        let row: Option<(String, String)> = on_tx!(&mut self.conn, c => sqlx::query_as(sql)
            .bind(conversation_id).fetch_optional(&mut **c).await)
        .map_err(db_error)?;
        row.map(|(question, articles)| {
            let articles = serde_json::from_str(&articles)
                .map_err(|e| StoreError::Corrupt(format!("stored answer articles: {e}")))?;
            Ok((question, articles))
        })
        .transpose()
    }

    async fn learn_phrasing(
        &mut self,
        article_id: &str,
        question: &str,
        source: PhrasingSource,
        conversation_id: Option<i64>,
        now: Millis,
    ) -> Result<(), StoreError> {
        // `do nothing`, not an error: a failed statement would abort the whole turn on
        // PostgreSQL.
        let sql = "insert into kb_phrasing
                       (article_id, question, source, conversation_id, created_at)
                   values ($1, $2, $3, $4, $5)
                   on conflict (article_id, question) do nothing";
        on_tx!(&mut self.conn, c => sqlx::query(sql)
            .bind(article_id).bind(question).bind(source.as_str()).bind(conversation_id).bind(now)
            .execute(&mut **c).await.map(drop))
        .map_err(db_error)
    }
}

#[async_trait]
impl DeskTx for SqlTx {
    async fn triage_answers(
        &mut self,
        conversation_id: i64,
    ) -> Result<Vec<TriageAnswer>, StoreError> {
        let found: Vec<(String, Option<String>, Option<String>)> =
            on_tx!(&mut self.conn, c => sqlx::query_as(rows::TRIAGE_ANSWERS)
            .bind(conversation_id).fetch_all(&mut **c).await)
            .map_err(db_error)?;
        Ok(rows::triage_answers(found))
    }

    async fn save_triage_answer(
        &mut self,
        conversation_id: i64,
        a: &TriageAnswer,
        now: Millis,
    ) -> Result<(), StoreError> {
        let sql = "insert into triage_answer (conversation_id, question, answer, shown, created_at)
                   values ($1, $2, $3, $4, $5)
                   on conflict (conversation_id, question) do update set answer = excluded.answer, shown = excluded.shown";
        on_tx!(&mut self.conn, c => sqlx::query(sql)
            .bind(conversation_id).bind(&a.question).bind(&a.answer).bind(&a.shown).bind(now)
            .execute(&mut **c).await.map(drop))
        .map_err(db_error)
    }

    async fn clear_triage(&mut self, conversation_id: i64) -> Result<(), StoreError> {
        let sql = "delete from triage_answer where conversation_id = $1";
        on_tx!(&mut self.conn, c => sqlx::query(sql).bind(conversation_id).execute(&mut **c).await.map(drop))
            .map_err(db_error)
    }

    async fn rate(
        &mut self,
        conversation_id: i64,
        rating: u8,
        now: Millis,
    ) -> Result<(), StoreError> {
        let sql = "insert into satisfaction (conversation_id, rating, created_at, updated_at) values ($1, $2, $3, $3)
                   on conflict (conversation_id) do update set rating = excluded.rating, comment = null,
                     updated_at = excluded.updated_at";
        on_tx!(&mut self.conn, c => sqlx::query(sql)
            .bind(conversation_id).bind(i32::from(rating)).bind(now)
            .execute(&mut **c).await.map(drop))
        .map_err(db_error)
    }

    async fn comment(
        &mut self,
        conversation_id: i64,
        comment: &str,
        now: Millis,
    ) -> Result<(), StoreError> {
        let sql =
            "update satisfaction set comment = $1, updated_at = $2 where conversation_id = $3";
        on_tx!(&mut self.conn, c => sqlx::query(sql)
            .bind(comment).bind(now).bind(conversation_id)
            .execute(&mut **c).await.map(drop))
        .map_err(db_error)
    }

    async fn block(
        &mut self,
        user_id: i64,
        until: Option<Millis>,
        agent: &str,
        now: Millis,
    ) -> Result<(), StoreError> {
        let sql = "insert into block (person_id, until, agent_name, created_at) values ($1, $2, $3, $4)
                   on conflict (person_id) do update set until = excluded.until, agent_name = excluded.agent_name,
                     created_at = excluded.created_at";
        on_tx!(&mut self.conn, c => sqlx::query(sql)
            .bind(user_id).bind(until).bind(agent).bind(now)
            .execute(&mut **c).await.map(drop))
        .map_err(db_error)
    }

    async fn unblock(&mut self, user_id: i64) -> Result<bool, StoreError> {
        let sql = "delete from block where person_id = $1";
        let n = on_tx!(&mut self.conn, c => sqlx::query(sql).bind(user_id)
            .execute(&mut **c).await.map(|r| r.rows_affected()))
        .map_err(db_error)?;
        Ok(n > 0)
    }

    async fn hold_message(&mut self, message_id: i64) -> Result<(), StoreError> {
        let sql = "update message set held = 1 where id = $1";
        on_tx!(&mut self.conn, c => sqlx::query(sql).bind(message_id).execute(&mut **c).await.map(drop))
            .map_err(db_error)
    }

    async fn release_held(&mut self, user_id: i64) -> Result<Vec<Message>, StoreError> {
        let sql = format!(
            "select {} from message where held = 1 and deleted_at is null
             and conversation_id in (select id from conversation where person_id = $1) order by id",
            rows::MESSAGE_COLUMNS
        );
        let held: Vec<MessageRow> = on_tx!(&mut self.conn, c => sqlx::query_as(&sql)
            .bind(user_id).fetch_all(&mut **c).await)
        .map_err(db_error)?;
        let sql = "update message set held = 0
                   where held = 1 and conversation_id in (select id from conversation where person_id = $1)";
        on_tx!(&mut self.conn, c => sqlx::query(sql).bind(user_id).execute(&mut **c).await.map(drop))
            .map_err(db_error)?;
        held.into_iter().map(MessageRow::into_message).collect()
    }

    async fn record_transfer(
        &mut self,
        conversation_id: i64,
        from: &Address,
        to_queue: &str,
        now: Millis,
    ) -> Result<(), StoreError> {
        let Some(thread) = from.thread.as_ref() else {
            // The card was never delivered: there is no old thread to point from.
            return Ok(());
        };
        let sql = "insert into transfer (conversation_id, from_adapter, from_channel, from_thread, to_queue, created_at)
                   values ($1, $2, $3, $4, $5, $6)";
        on_tx!(&mut self.conn, c => sqlx::query(sql)
            .bind(conversation_id).bind(&from.adapter).bind(&from.channel).bind(thread).bind(to_queue).bind(now)
            .execute(&mut **c).await.map(drop))
        .map_err(db_error)
    }

    async fn transferred_from(
        &mut self,
        thread: &Address,
    ) -> Result<Option<(i64, String)>, StoreError> {
        let sql = "select conversation_id, to_queue from transfer
                   where from_adapter = $1 and from_channel = $2 and from_thread = $3 order by id desc limit 1";
        on_tx!(&mut self.conn, c => sqlx::query_as(sql)
            .bind(&thread.adapter).bind(&thread.channel).bind(&thread.thread)
            .fetch_optional(&mut **c).await)
        .map_err(db_error)
    }

    async fn ticket_of(
        &mut self,
        user_id: i64,
        number: i64,
    ) -> Result<Option<Conversation>, StoreError> {
        let sql = format!(
            "select {} from conversation where ticket_number = $1 and person_id in ({})",
            rows::CONVERSATION_COLUMNS,
            SAME_REQUESTER.replace("$1", "$2")
        );
        let row: Option<ConversationRow> = on_tx!(&mut self.conn, c => sqlx::query_as(&sql)
            .bind(number).bind(user_id).fetch_optional(&mut **c).await)
        .map_err(db_error)?;
        row.map(ConversationRow::into_conversation).transpose()
    }

    async fn tickets_of(
        &mut self,
        user_id: i64,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<TicketLine>, StoreError> {
        let sql = format!(
            "select {}, {} as first_words
             from conversation c where c.person_id in ({}) and c.ticket_number is not null
             order by c.id desc limit $2 offset $3",
            rows::conversation_columns_of("c"),
            rows::SUBJECT,
            SAME_REQUESTER
        );
        let found: Vec<rows::TicketLineRow> = on_tx!(&mut self.conn, c => sqlx::query_as(&sql)
            .bind(user_id).bind(limit).bind(offset).fetch_all(&mut **c).await)
        .map_err(db_error)?;
        found
            .into_iter()
            .map(rows::TicketLineRow::into_line)
            .collect()
    }
}

/// The ids of the chat identities that are the same requester as person `$1`: itself,
/// and those verified with the same email.
const SAME_REQUESTER: &str = "select o.id from person p join person o
      on o.id = p.id or (p.verified_email is not null and lower(o.verified_email) = lower(p.verified_email))
    where p.id = $1";

#[async_trait]
impl IdentityTx for SqlTx {
    async fn identity(&mut self, user_id: i64) -> Result<Option<Identity>, StoreError> {
        let sql = format!(
            "select {} from person where id = $1 and verified_email is not null",
            rows::IDENTITY_COLUMNS
        );
        let row: Option<rows::IdentityRow> = on_tx!(&mut self.conn, c => sqlx::query_as(&sql)
            .bind(user_id).fetch_optional(&mut **c).await)
        .map_err(db_error)?;
        Ok(row.map(Identity::from))
    }

    async fn identities_with(&mut self, email: &str) -> Result<Vec<Identity>, StoreError> {
        let sql = format!(
            "select {} from person where lower(verified_email) = lower($1) order by verified_at, id",
            rows::IDENTITY_COLUMNS
        );
        let found: Vec<rows::IdentityRow> = on_tx!(&mut self.conn, c => sqlx::query_as(&sql)
            .bind(email).fetch_all(&mut **c).await)
        .map_err(db_error)?;
        Ok(found.into_iter().map(Identity::from).collect())
    }

    async fn bind_identity(
        &mut self,
        user_id: i64,
        email: &str,
        by: &str,
        now: Millis,
    ) -> Result<(), StoreError> {
        let sql = "update person set verified_email = $1, verified_by = $2, verified_at = $3, updated_at = $3
                   where id = $4";
        on_tx!(&mut self.conn, c => sqlx::query(sql)
            .bind(email).bind(by).bind(now).bind(user_id).execute(&mut **c).await.map(drop))
        .map_err(db_error)
    }

    async fn verification(
        &mut self,
        conversation_id: i64,
    ) -> Result<Option<Verification>, StoreError> {
        let sql = format!(
            "select {} from verification where conversation_id = $1 order by id desc limit 1",
            rows::VERIFICATION_COLUMNS
        );
        let row: Option<rows::VerificationRow> = on_tx!(&mut self.conn, c => sqlx::query_as(&sql)
            .bind(conversation_id).fetch_optional(&mut **c).await)
        .map_err(db_error)?;
        row.map(rows::VerificationRow::into_verification)
            .transpose()
    }

    async fn verification_by_secret(
        &mut self,
        secret_hash: &str,
    ) -> Result<Option<Verification>, StoreError> {
        let sql = format!(
            "select {} from verification where secret_hash = $1{}",
            rows::VERIFICATION_COLUMNS,
            self.for_update()
        );
        let row: Option<rows::VerificationRow> = on_tx!(&mut self.conn, c => sqlx::query_as(&sql)
            .bind(secret_hash).fetch_optional(&mut **c).await)
        .map_err(db_error)?;
        row.map(rows::VerificationRow::into_verification)
            .transpose()
    }

    async fn insert_verification(
        &mut self,
        v: &Verification,
        now: Millis,
    ) -> Result<i64, StoreError> {
        let sql = "insert into verification (conversation_id, person_id, method, email, salt, secret_hash,
                     expires_at, tries, status, created_at, updated_at)
                   values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) returning id";
        on_tx!(&mut self.conn, c => sqlx::query_scalar(sql)
            .bind(v.conversation_id).bind(v.person_id).bind(v.method.as_str()).bind(&v.email)
            .bind(&v.salt).bind(&v.secret_hash).bind(v.expires_at).bind(v.tries)
            .bind(v.status.as_str()).bind(now)
            .fetch_one(&mut **c).await)
        .map_err(db_error)
    }

    async fn save_verification(&mut self, v: &Verification, now: Millis) -> Result<(), StoreError> {
        let sql =
            "update verification set email = $1, salt = $2, secret_hash = $3, expires_at = $4,
                     tries = $5, status = $6, updated_at = $7, created_at = $8
                   where id = $9";
        on_tx!(&mut self.conn, c => sqlx::query(sql)
            .bind(&v.email).bind(&v.salt).bind(&v.secret_hash).bind(v.expires_at).bind(v.tries)
            .bind(v.status.as_str()).bind(now).bind(v.created_at).bind(v.id)
            .execute(&mut **c).await.map(drop))
        .map_err(db_error)
    }

    async fn use_token(&mut self, id: i64, token_hash: &str) -> Result<bool, StoreError> {
        let sql = "select count(*) from verification where token_hash = $1";
        let used: i64 = on_tx!(&mut self.conn, c => sqlx::query_scalar(sql)
            .bind(token_hash).fetch_one(&mut **c).await)
        .map_err(db_error)?;
        if used > 0 {
            return Ok(false);
        }
        let sql = "update verification set token_hash = $1 where id = $2";
        on_tx!(&mut self.conn, c => sqlx::query(sql)
            .bind(token_hash).bind(id).execute(&mut **c).await.map(drop))
        .map_err(db_error)?;
        Ok(true)
    }

    async fn codes_sent_since(
        &mut self,
        user_id: i64,
        email: &str,
        since: Millis,
    ) -> Result<(i64, i64), StoreError> {
        let sql = "select
              (select count(*) from verification where person_id = $1 and method = 'code'
                 and secret_hash is not null and created_at >= $3),
              (select count(*) from verification where email = $2 and method = 'code'
                 and secret_hash is not null and created_at >= $3)";
        on_tx!(&mut self.conn, c => sqlx::query_as(sql)
            .bind(user_id).bind(email).bind(since).fetch_one(&mut **c).await)
        .map_err(db_error)
    }
}

#[async_trait]
impl EmailTx for SqlTx {
    async fn schedule_away(
        &mut self,
        conversation_id: i64,
        since: Millis,
        due_at: Millis,
    ) -> Result<(), StoreError> {
        let sql = "insert into away_notice (conversation_id, since, due_at) values ($1, $2, $3)
                   on conflict (conversation_id) do update set
                     since = case when away_notice.since > excluded.since
                                  then away_notice.since else excluded.since end,
                     due_at = case when away_notice.due_at is not null and away_notice.since >= excluded.since
                                   then away_notice.due_at else excluded.due_at end";
        on_tx!(&mut self.conn, c => sqlx::query(sql)
            .bind(conversation_id).bind(since).bind(due_at)
            .execute(&mut **c).await.map(drop))
        .map_err(db_error)
    }

    async fn away_notice(&mut self, conversation_id: i64) -> Result<Option<Millis>, StoreError> {
        let sql = format!(
            "select since from away_notice where conversation_id = $1 and due_at is not null{}",
            self.for_update()
        );
        on_tx!(&mut self.conn, c => sqlx::query_scalar(&sql)
            .bind(conversation_id).fetch_optional(&mut **c).await)
        .map_err(db_error)
    }

    async fn settle_away(
        &mut self,
        conversation_id: i64,
        next_since: Millis,
    ) -> Result<(), StoreError> {
        let sql = "update away_notice set due_at = null, since = $1 where conversation_id = $2";
        on_tx!(&mut self.conn, c => sqlx::query(sql)
            .bind(next_since).bind(conversation_id).execute(&mut **c).await.map(drop))
        .map_err(db_error)
    }

    async fn enqueue_email(&mut self, e: &NewEmail, now: Millis) -> Result<(), StoreError> {
        let sql =
            "insert into email (key, to_address, subject, text_body, html_body, unsubscribe_url,
                     status, due_at, created_at)
                   values ($1, $2, $3, $4, $5, $6, 'pending', $7, $7)
                   on conflict (key) do nothing";
        on_tx!(&mut self.conn, c => sqlx::query(sql)
            .bind(&e.key).bind(&e.to).bind(&e.subject).bind(&e.text).bind(&e.html)
            .bind(&e.unsubscribe_url).bind(now)
            .execute(&mut **c).await.map(drop))
        .map_err(db_error)
    }

    async fn optout(&mut self, email: &str, token: &str) -> Result<(String, bool), StoreError> {
        // A no-op update on conflict, so that the row comes back either way.
        let sql = "insert into email_optout (email, token) values (lower($1), $2)
                   on conflict (email) do update set email = email_optout.email
                   returning token, unsubscribed_at";
        let (token, at): (String, Option<i64>) = on_tx!(&mut self.conn, c => sqlx::query_as(sql)
            .bind(email).bind(token).fetch_one(&mut **c).await)
        .map_err(db_error)?;
        Ok((token, at.is_some()))
    }
}

#[async_trait]
impl Tx for SqlTx {
    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        let SqlTx {
            conn,
            wake,
            enqueued,
        } = *self;
        on_tx!(conn, tx => tx.commit().await).map_err(db_error)?;
        if let Some(wake) = wake.filter(|_| enqueued) {
            wake.poke();
        }
        Ok(())
    }
}

/// `update outbox … where id in (…)` for `n` receipts bound as `$1` = now, then each
/// receipt's id and platform message id.
pub(crate) fn mark_delivered_sql(n: usize) -> String {
    let mut cases = String::new();
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let (id, message) = (2 + 2 * i, 3 + 2 * i);
        cases.push_str(&format!(" when ${id} then ${message}"));
        ids.push(format!("${id}"));
    }
    format!(
        "update outbox set state = 'delivered', delivered_at = $1, updated_at = $1, claimed_until = null,
         platform_message_id = case id{cases} end
         where state = 'pending' and id in ({})",
        ids.join(", ")
    )
}
