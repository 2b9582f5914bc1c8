//! Learning from the desk: a question an article answered becomes a phrasing of that
//! article ([`crate::phrasing`]), which the help center then searches with it. The
//! person says so ("Yes, that helped": the answer's first article), or an agent does
//! (`!article <id>`, which also sends the article to the person).

use crate::adapter::Inbound;
use crate::i18n;
use crate::intent::is_how_question;
use crate::phrasing::{PhrasingSource, MAX_PHRASING_CHARS};
use crate::store::StoreError;
use crate::text::is_too_short;
use crate::types::{Author, Conversation};

use super::turn::Turn;
use super::{Engine, Handled};

impl Engine {
    /// "Yes, that helped": the latest answer's question becomes a phrasing of its first
    /// article (the one the person most likely read); a decline teaches nothing.
    pub(super) async fn learn_from_helped(
        &self,
        t: &mut Turn,
        conv: &Conversation,
    ) -> Result<(), StoreError> {
        let Some((question, articles)) = t.tx.latest_answer(conv.id).await? else {
            return Ok(());
        };
        let Some(first) = articles.first() else {
            return Ok(());
        };
        self.learn(t, conv, first, &question, PhrasingSource::Helped)
            .await
            .map(drop)
    }

    /// `!article <id>`: the article goes to the person as a link, in their language,
    /// as the agent's reply; the ticket's question becomes a phrasing of it. An id the
    /// help center does not know is answered in the thread, and nothing is sent.
    pub(super) async fn share_article(
        &self,
        t: &mut Turn,
        conv: &mut Conversation,
        ev: &Inbound,
        id: &str,
    ) -> Result<Handled, StoreError> {
        let say = i18n::agents();
        if id.is_empty() {
            self.notice(t, conv, say.article_usage()).await?;
            return Ok(Handled::Done);
        }
        let Some(article) = self.knowledge.article(id) else {
            self.notice(t, conv, &say.unknown_article(id)).await?;
            return Ok(Handled::Done);
        };
        // Read before the reply is stored, so the question is the person's.
        let question = self.ticket_question(t, conv).await?;
        let text = i18n::catalogue(conv.lang).article_shared(&article.title, &article.url);
        self.agent_reply(t, conv, ev, &text).await?;
        // Learned even when the ticket is closed (the reply is then kept as a note):
        // the agent's judgement that the article answers the question stands.
        if let Some(question) = question {
            if self
                .learn(t, conv, &article.id, &question, PhrasingSource::Agent)
                .await?
            {
                self.notice(t, conv, &say.article_learned(&article.title, &question))
                    .await?;
            }
        }
        Ok(Handled::Done)
    }

    /// The question an agent's `!article` answers: the one the help center was last
    /// asked in this conversation (and did not answer well enough), else the person's
    /// first message the bot would have looked up (not "talk to an agent", not "hi").
    async fn ticket_question(
        &self,
        t: &mut Turn,
        conv: &Conversation,
    ) -> Result<Option<String>, StoreError> {
        if let Some((question, _)) = t.tx.latest_answer(conv.id).await? {
            return Ok(Some(question));
        }
        let messages = t.tx.messages(conv.id).await?;
        let first = messages.into_iter().find(|m| {
            let text = m.body.trim();
            m.author == Author::User
                && !is_too_short(text)
                && (self.intents.find(text).is_none() || is_how_question(text))
        });
        Ok(first.map(|m| m.body))
    }

    /// Keeps `question` as a phrasing of `article_id`; `false` when it is no phrasing
    /// (empty, or longer than [`MAX_PHRASING_CHARS`]).
    async fn learn(
        &self,
        t: &mut Turn,
        conv: &Conversation,
        article_id: &str,
        question: &str,
        source: PhrasingSource,
    ) -> Result<bool, StoreError> {
        let question = question.trim();
        if question.is_empty() || question.chars().count() > MAX_PHRASING_CHARS {
            return Ok(false);
        }
        t.tx.learn_phrasing(article_id, question, source, Some(conv.id), t.now)
            .await?;
        Ok(true)
    }
}
