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
use sqlx::{Postgres, Transaction};
use std::sync::Arc;

use crate::db_error;
use crate::lite::LiteTx;
use crate::rows::{self, ConversationRow, MessageRow};
use crate::stmt::{stmt, Row, Stmt};

enum Conn {
    Sqlite(LiteTx),
    Postgres(Transaction<'static, Postgres>),
}

/// Remembers an inbound message: `$1` adapter, `$2` channel, `$3` platform id, `$4` now.
pub(crate) const REMEMBER_INBOUND: &str =
    "insert into inbound_seen (adapter, channel, message_id, created_at) values ($1, $2, $3, $4)
     on conflict do nothing";

/// A person (`$1` platform, `$2` platform id) with the current conversation and whether
/// they are blocked at `$3`, the rows locked with `lock`.
pub(crate) fn known_person_sql(lock: &str) -> String {
    format!(
        "select {}, p.display_name as person_name, p.verified_email as person_email,
           (select count(*) from block b where b.person_id = p.id and (b.until is null or b.until > $3)) as blocked
         from person p join conversation c on c.id = p.current_conversation_id
         where p.platform = $1 and p.platform_user_id = $2{lock}",
        rows::conversation_columns_of("c"),
    )
}

pub(crate) const INSERT_MESSAGE: &str =
    "insert into message (conversation_id, author, author_name, body, source_adapter, source_channel,
       source_message_id, files, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id";

pub(crate) const ENQUEUE: &str =
    "insert into outbox (conversation_id, message_id, parent_id, adapter, channel, thread, kind, body,
       sender, choices, idempotency_key, next_attempt_at, created_at, updated_at, files, action, target_id)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $12, $13, $14, $15) returning id";

/// An open transaction; dropped without commit, it rolls back.
pub(crate) struct SqlTx {
    conn: Conn,
    /// Told after a commit that enqueued outbox rows (PostgreSQL: other processes'
    /// dispatchers learn of them by NOTIFY).
    wake: Option<Arc<crate::OutboxWake>>,
    enqueued: bool,
}

impl SqlTx {
    pub(crate) fn sqlite(tx: LiteTx) -> SqlTx {
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

    /// Runs `s`; returns how many rows it changed.
    async fn execute(&mut self, s: Stmt<'_>) -> Result<u64, StoreError> {
        match &mut self.conn {
            Conn::Sqlite(tx) => tx.execute(&s),
            Conn::Postgres(tx) => sqlx::query_with(&s.sql, s.pg_arguments()?)
                .execute(&mut **tx)
                .await
                .map(|r| r.rows_affected())
                .map_err(db_error),
        }
    }

    async fn fetch_all<T: Row>(&mut self, s: Stmt<'_>) -> Result<Vec<T>, StoreError> {
        match &mut self.conn {
            Conn::Sqlite(tx) => tx.fetch(&s, usize::MAX),
            Conn::Postgres(tx) => sqlx::query_as_with(&s.sql, s.pg_arguments()?)
                .fetch_all(&mut **tx)
                .await
                .map_err(db_error),
        }
    }

    async fn fetch_optional<T: Row>(&mut self, s: Stmt<'_>) -> Result<Option<T>, StoreError> {
        match &mut self.conn {
            Conn::Sqlite(tx) => Ok(tx.fetch(&s, 1)?.pop()),
            Conn::Postgres(tx) => sqlx::query_as_with(&s.sql, s.pg_arguments()?)
                .fetch_optional(&mut **tx)
                .await
                .map_err(db_error),
        }
    }

    async fn fetch_one<T: Row>(&mut self, s: Stmt<'_>) -> Result<T, StoreError> {
        self.fetch_optional(s)
            .await?
            .ok_or_else(|| StoreError::query("the statement returned no row"))
    }

    async fn fetch_optional_scalar<T>(&mut self, s: Stmt<'_>) -> Result<Option<T>, StoreError>
    where
        (T,): Row,
    {
        Ok(self.fetch_optional::<(T,)>(s).await?.map(|(v,)| v))
    }

    async fn fetch_one_scalar<T>(&mut self, s: Stmt<'_>) -> Result<T, StoreError>
    where
        (T,): Row,
    {
        Ok(self.fetch_one::<(T,)>(s).await?.0)
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
        let done = self
            .execute(
                stmt(REMEMBER_INBOUND)
                    .bind(&address.adapter)
                    .bind(&address.channel)
                    .bind(id)
                    .bind(now),
            )
            .await?;
        Ok(done == 1)
    }
}

#[async_trait]
impl PersonTx for SqlTx {
    async fn upsert_person(&mut self, person: &Person, now: Millis) -> Result<Found, StoreError> {
        // The common case, a known person with a conversation, is one read.
        let sql = known_person_sql(&self.for_update_of("p, c"));
        let known: Option<rows::LatestRow> = self
            .fetch_optional(stmt(&sql).bind(&person.platform).bind(&person.id).bind(now))
            .await?;
        if let Some(known) = known {
            let unchanged = known.person_name == person.display_name
                && (person.verified_email.is_none() || known.person_email == person.verified_email);
            let conversation = known.conversation.into_conversation()?;
            if !unchanged {
                let sql = "update person set display_name = $1, verified_email = coalesce($2, verified_email),
                           verified_by = case when $2 is null then verified_by else platform end,
                           verified_at = case when $2 is null then verified_at else $3 end,
                           updated_at = $3 where id = $4";
                self.execute(
                    stmt(sql)
                        .bind(&person.display_name)
                        .bind(&person.verified_email)
                        .bind(now)
                        .bind(conversation.user_id),
                )
                .await
                .map(drop)?;
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
        let id: i64 = self
            .fetch_one_scalar(
                stmt(sql)
                    .bind(&person.platform)
                    .bind(&person.id)
                    .bind(&person.display_name)
                    .bind(&person.verified_email)
                    .bind(now),
            )
            .await?;
        Ok(Found {
            user_id: id,
            current: self.latest_conversation(id).await?,
            blocked: false,
        })
    }

    async fn person(&mut self, user_id: i64) -> Result<Option<Person>, StoreError> {
        let sql = "select platform, platform_user_id, display_name, verified_email from person where id = $1";
        let row: Option<rows::PersonRow> = self.fetch_optional(stmt(sql).bind(user_id)).await?;
        Ok(row.map(Person::from))
    }

    async fn set_current(&mut self, user_id: i64, conversation_id: i64) -> Result<(), StoreError> {
        let sql = "update person set current_conversation_id = $1 where id = $2";
        self.execute(stmt(sql).bind(conversation_id).bind(user_id))
            .await
            .map(drop)
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
        self.fetch_one_scalar(
            stmt(sql)
                .bind(&agent.platform)
                .bind(&agent.id)
                .bind(&agent.display_name)
                .bind(now),
        )
        .await
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
        let row: Option<ConversationRow> = self.fetch_optional(stmt(&sql).bind(user_id)).await?;
        row.map(ConversationRow::into_conversation).transpose()
    }

    async fn conversation(&mut self, id: i64) -> Result<Option<Conversation>, StoreError> {
        let sql = format!(
            "select {} from conversation where id = $1{}",
            rows::CONVERSATION_COLUMNS,
            self.for_update()
        );
        let row: Option<ConversationRow> = self.fetch_optional(stmt(&sql).bind(id)).await?;
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
        let row: Option<ConversationRow> = self
            .fetch_optional(
                stmt(&sql)
                    .bind(&thread.adapter)
                    .bind(&thread.channel)
                    .bind(&thread.thread),
            )
            .await?;
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
        let row: ConversationRow = self
            .fetch_one(
                stmt(&sql)
                    .bind(new.user_id)
                    .bind(State::Bot.as_str())
                    .bind(&a.adapter)
                    .bind(&a.channel)
                    .bind(&a.thread)
                    .bind(new.lang.as_str())
                    .bind(new.previous_id)
                    .bind(now),
            )
            .await?;
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
        self.execute(
            stmt(sql)
                .bind(conv.state.as_str())
                .bind(&u.adapter)
                .bind(&u.channel)
                .bind(&u.thread)
                .bind(conv.lang.as_str())
                .bind(&conv.queue)
                .bind(conv.ticket_number)
                .bind(a.map(|a| &a.adapter))
                .bind(a.map(|a| &a.channel))
                .bind(a.and_then(|a| a.thread.as_ref()))
                .bind(conv.assignee.as_ref().and_then(|a| a.agent_id))
                .bind(conv.assignee.as_ref().map(|a| &a.name))
                .bind(&conv.close_reason)
                .bind(conv.solved_at)
                .bind(conv.closed_at)
                .bind(now)
                .bind(conv.priority.map(|p| p.as_str()))
                .bind(&conv.subject)
                .bind(conv.id),
        )
        .await
        .map(drop)?;
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
        self.execute(stmt(sql).bind(&offered).bind(now).bind(conversation_id))
            .await
            .map(drop)
    }

    async fn next_ticket_number(&mut self) -> Result<i64, StoreError> {
        let sql = "update counter set value = value + 1 where name = 'ticket' returning value";
        self.fetch_one_scalar(stmt(sql)).await
    }
}

#[async_trait]
impl MessageTx for SqlTx {
    async fn insert_message(&mut self, m: &NewMessage<'_>, now: Millis) -> Result<i64, StoreError> {
        let (adapter, channel, id) = match m.source {
            Some((a, id)) => (Some(&a.adapter), Some(&a.channel), Some(id)),
            None => (None, None, None),
        };
        self.fetch_one_scalar(
            stmt(INSERT_MESSAGE)
                .bind(m.conversation_id)
                .bind(m.author.as_str())
                .bind(m.author_name)
                .bind(m.body)
                .bind(adapter)
                .bind(channel)
                .bind(id)
                .bind(rows::files_json(m.files))
                .bind(now),
        )
        .await
    }

    async fn messages(&mut self, conversation_id: i64) -> Result<Vec<Message>, StoreError> {
        let sql = format!(
            "select {} from message where conversation_id = $1 and deleted_at is null order by id",
            rows::MESSAGE_COLUMNS
        );
        let rows: Vec<MessageRow> = self.fetch_all(stmt(&sql).bind(conversation_id)).await?;
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
        self.fetch_optional(
            stmt(sql)
                .bind(&address.adapter)
                .bind(&address.channel)
                .bind(id),
        )
        .await
    }

    async fn edit_message(
        &mut self,
        message_id: i64,
        body: Option<&str>,
        now: Millis,
    ) -> Result<(), StoreError> {
        let change = match body {
            Some(body) => stmt("update message set body = $1, edited_at = $2 where id = $3")
                .bind(body)
                .bind(now)
                .bind(message_id),
            None => stmt("update message set deleted_at = $1 where id = $2")
                .bind(now)
                .bind(message_id),
        };
        self.execute(change).await.map(drop)
    }
}

#[async_trait]
impl OutboxTx for SqlTx {
    async fn enqueue(&mut self, row: &NewOutbound, now: Millis) -> Result<i64, StoreError> {
        let (body, choices, files) = rows::body_columns(&row.payload.body);
        let id = self
            .fetch_one_scalar(
                stmt(ENQUEUE)
                    .bind(row.conversation_id)
                    .bind(row.message_id)
                    .bind(row.parent_id)
                    .bind(&row.to.adapter)
                    .bind(&row.to.channel)
                    .bind(&row.to.thread)
                    .bind(row.payload.kind.as_str())
                    .bind(&body)
                    .bind(&row.payload.sender)
                    .bind(&choices)
                    .bind(&row.idempotency_key)
                    .bind(now)
                    .bind(&files)
                    .bind(row.action.as_str())
                    .bind(row.action.target()),
            )
            .await?;
        self.enqueued = true;
        Ok(id)
    }

    async fn copies(&mut self, message_id: i64) -> Result<Vec<Copy>, StoreError> {
        let sql = "select id, adapter, channel, thread, parent_id, kind, sender from outbox
                   where message_id = $1 and action = 'post' and files = '[]' order by id";
        let rows: Vec<(
            i64,
            String,
            String,
            Option<String>,
            Option<i64>,
            String,
            Option<String>,
        )> = self.fetch_all(stmt(sql).bind(message_id)).await?;
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
        let card: Option<(i64, String, String)> =
            self.fetch_optional(stmt(sql).bind(conversation_id)).await?;
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
        self.execute(
            stmt(sql)
                .bind(conversation_id)
                .bind(message_id)
                .bind(question)
                .bind(&articles)
                .bind(now),
        )
        .await
        .map(drop)
    }

    async fn record_feedback(
        &mut self,
        conversation_id: i64,
        feedback: &str,
        now: Millis,
    ) -> Result<(), StoreError> {
        let sql = "update kb_answer set feedback = $1, updated_at = $2
                   where id = (select max(id) from kb_answer where conversation_id = $3)";
        self.execute(stmt(sql).bind(feedback).bind(now).bind(conversation_id))
            .await
            .map(drop)
    }

    async fn latest_answer(
        &mut self,
        conversation_id: i64,
    ) -> Result<Option<(String, Vec<String>)>, StoreError> {
        let sql = "select question, articles from kb_answer where conversation_id = $1
                   order by id desc limit 1";
        let row: Option<(String, String)> =
            self.fetch_optional(stmt(sql).bind(conversation_id)).await?;
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
        self.execute(
            stmt(sql)
                .bind(article_id)
                .bind(question)
                .bind(source.as_str())
                .bind(conversation_id)
                .bind(now),
        )
        .await
        .map(drop)
    }
}

#[async_trait]
impl DeskTx for SqlTx {
    async fn triage_answers(
        &mut self,
        conversation_id: i64,
    ) -> Result<Vec<TriageAnswer>, StoreError> {
        let found: Vec<(String, Option<String>, Option<String>)> = self
            .fetch_all(stmt(rows::TRIAGE_ANSWERS).bind(conversation_id))
            .await?;
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
        self.execute(
            stmt(sql)
                .bind(conversation_id)
                .bind(&a.question)
                .bind(&a.answer)
                .bind(&a.shown)
                .bind(now),
        )
        .await
        .map(drop)
    }

    async fn clear_triage(&mut self, conversation_id: i64) -> Result<(), StoreError> {
        let sql = "delete from triage_answer where conversation_id = $1";
        self.execute(stmt(sql).bind(conversation_id))
            .await
            .map(drop)
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
        self.execute(
            stmt(sql)
                .bind(conversation_id)
                .bind(i32::from(rating))
                .bind(now),
        )
        .await
        .map(drop)
    }

    async fn comment(
        &mut self,
        conversation_id: i64,
        comment: &str,
        now: Millis,
    ) -> Result<(), StoreError> {
        let sql =
            "update satisfaction set comment = $1, updated_at = $2 where conversation_id = $3";
        self.execute(stmt(sql).bind(comment).bind(now).bind(conversation_id))
            .await
            .map(drop)
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
        self.execute(stmt(sql).bind(user_id).bind(until).bind(agent).bind(now))
            .await
            .map(drop)
    }

    async fn unblock(&mut self, user_id: i64) -> Result<bool, StoreError> {
        let sql = "delete from block where person_id = $1";
        let n = self.execute(stmt(sql).bind(user_id)).await?;
        Ok(n > 0)
    }

    async fn hold_message(&mut self, message_id: i64) -> Result<(), StoreError> {
        let sql = "update message set held = 1 where id = $1";
        self.execute(stmt(sql).bind(message_id)).await.map(drop)
    }

    async fn release_held(&mut self, user_id: i64) -> Result<Vec<Message>, StoreError> {
        let sql = format!(
            "select {} from message where held = 1 and deleted_at is null
             and conversation_id in (select id from conversation where person_id = $1) order by id",
            rows::MESSAGE_COLUMNS
        );
        let held: Vec<MessageRow> = self.fetch_all(stmt(&sql).bind(user_id)).await?;
        let sql = "update message set held = 0
                   where held = 1 and conversation_id in (select id from conversation where person_id = $1)";
        self.execute(stmt(sql).bind(user_id)).await.map(drop)?;
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
        self.execute(
            stmt(sql)
                .bind(conversation_id)
                .bind(&from.adapter)
                .bind(&from.channel)
                .bind(thread)
                .bind(to_queue)
                .bind(now),
        )
        .await
        .map(drop)
    }

    async fn transferred_from(
        &mut self,
        thread: &Address,
    ) -> Result<Option<(i64, String)>, StoreError> {
        let sql = "select conversation_id, to_queue from transfer
                   where from_adapter = $1 and from_channel = $2 and from_thread = $3 order by id desc limit 1";
        self.fetch_optional(
            stmt(sql)
                .bind(&thread.adapter)
                .bind(&thread.channel)
                .bind(&thread.thread),
        )
        .await
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
        let row: Option<ConversationRow> = self
            .fetch_optional(stmt(&sql).bind(number).bind(user_id))
            .await?;
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
        let found: Vec<rows::TicketLineRow> = self
            .fetch_all(stmt(&sql).bind(user_id).bind(limit).bind(offset))
            .await?;
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
        let row: Option<rows::IdentityRow> = self.fetch_optional(stmt(&sql).bind(user_id)).await?;
        Ok(row.map(Identity::from))
    }

    async fn identities_with(&mut self, email: &str) -> Result<Vec<Identity>, StoreError> {
        let sql = format!(
            "select {} from person where lower(verified_email) = lower($1) order by verified_at, id",
            rows::IDENTITY_COLUMNS
        );
        let found: Vec<rows::IdentityRow> = self.fetch_all(stmt(&sql).bind(email)).await?;
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
        self.execute(stmt(sql).bind(email).bind(by).bind(now).bind(user_id))
            .await
            .map(drop)
    }

    async fn verification(
        &mut self,
        conversation_id: i64,
    ) -> Result<Option<Verification>, StoreError> {
        let sql = format!(
            "select {} from verification where conversation_id = $1 order by id desc limit 1",
            rows::VERIFICATION_COLUMNS
        );
        let row: Option<rows::VerificationRow> = self
            .fetch_optional(stmt(&sql).bind(conversation_id))
            .await?;
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
        let row: Option<rows::VerificationRow> =
            self.fetch_optional(stmt(&sql).bind(secret_hash)).await?;
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
        self.fetch_one_scalar(
            stmt(sql)
                .bind(v.conversation_id)
                .bind(v.person_id)
                .bind(v.method.as_str())
                .bind(&v.email)
                .bind(&v.salt)
                .bind(&v.secret_hash)
                .bind(v.expires_at)
                .bind(v.tries)
                .bind(v.status.as_str())
                .bind(now),
        )
        .await
    }

    async fn save_verification(&mut self, v: &Verification, now: Millis) -> Result<(), StoreError> {
        let sql =
            "update verification set email = $1, salt = $2, secret_hash = $3, expires_at = $4,
                     tries = $5, status = $6, updated_at = $7, created_at = $8
                   where id = $9";
        self.execute(
            stmt(sql)
                .bind(&v.email)
                .bind(&v.salt)
                .bind(&v.secret_hash)
                .bind(v.expires_at)
                .bind(v.tries)
                .bind(v.status.as_str())
                .bind(now)
                .bind(v.created_at)
                .bind(v.id),
        )
        .await
        .map(drop)
    }

    async fn use_token(&mut self, id: i64, token_hash: &str) -> Result<bool, StoreError> {
        let sql = "select count(*) from verification where token_hash = $1";
        let used: i64 = self.fetch_one_scalar(stmt(sql).bind(token_hash)).await?;
        if used > 0 {
            return Ok(false);
        }
        let sql = "update verification set token_hash = $1 where id = $2";
        self.execute(stmt(sql).bind(token_hash).bind(id))
            .await
            .map(drop)?;
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
        self.fetch_one(stmt(sql).bind(user_id).bind(email).bind(since))
            .await
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
        self.execute(stmt(sql).bind(conversation_id).bind(since).bind(due_at))
            .await
            .map(drop)
    }

    async fn away_notice(&mut self, conversation_id: i64) -> Result<Option<Millis>, StoreError> {
        let sql = format!(
            "select since from away_notice where conversation_id = $1 and due_at is not null{}",
            self.for_update()
        );
        self.fetch_optional_scalar(stmt(&sql).bind(conversation_id))
            .await
    }

    async fn settle_away(
        &mut self,
        conversation_id: i64,
        next_since: Millis,
    ) -> Result<(), StoreError> {
        let sql = "update away_notice set due_at = null, since = $1 where conversation_id = $2";
        self.execute(stmt(sql).bind(next_since).bind(conversation_id))
            .await
            .map(drop)
    }

    async fn enqueue_email(&mut self, e: &NewEmail, now: Millis) -> Result<(), StoreError> {
        let sql =
            "insert into email (key, to_address, subject, text_body, html_body, unsubscribe_url,
                     status, due_at, created_at)
                   values ($1, $2, $3, $4, $5, $6, 'pending', $7, $7)
                   on conflict (key) do nothing";
        self.execute(
            stmt(sql)
                .bind(&e.key)
                .bind(&e.to)
                .bind(&e.subject)
                .bind(&e.text)
                .bind(&e.html)
                .bind(&e.unsubscribe_url)
                .bind(now),
        )
        .await
        .map(drop)
    }

    async fn optout(&mut self, email: &str, token: &str) -> Result<(String, bool), StoreError> {
        // A no-op update on conflict, so that the row comes back either way.
        let sql = "insert into email_optout (email, token) values (lower($1), $2)
                   on conflict (email) do update set email = email_optout.email
                   returning token, unsubscribed_at";
        let (token, at): (String, Option<i64>) =
            self.fetch_one(stmt(sql).bind(email).bind(token)).await?;
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
        match conn {
            Conn::Sqlite(tx) => tx.commit()?,
            Conn::Postgres(tx) => tx.commit().await.map_err(db_error)?,
        }
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
