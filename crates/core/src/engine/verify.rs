//! Verification: who the person is, before the ticket of a queue that asks (`verify`).
//! A person already known (a platform that vouches, or a verification of this chat
//! identity within `remember_days`) is asked nothing. Otherwise they are mailed a
//! six-digit code, or given a link to the company's sign-in page, or choose between the
//! two. Each attempt is a `verification` row: codes and link states are kept there only
//! as salted hashes; the code itself goes to the mailer after the commit, never to the
//! database, and the link (which must reach the person) is in the transcript without its
//! state.

use crate::adapter::{Choice, Content, Inbound};
use crate::desk::choice::{picked, Pick};
use crate::desk::identity::{
    check_address, code_matches, hash_secret, hash_state, masked, new_code, new_state, new_token,
    typed_code, AddressProblem, Verify, CODES_PER_HOUR, MAX_TRIES,
};
use crate::desk::triage::{is_cancel, is_skip, said_only};
use crate::desk::Trigger;
use crate::email::Letter;
use crate::i18n;
use crate::intent::is_how_question;
use crate::store::{StoreError, Verification, VerifyMethod, VerifyStatus};
use crate::text::Lang;
use crate::types::{Conversation, Millis, State};

use super::turn::Turn;
use super::{Engine, EngineError};

/// The choices verification offers.
const BY_CODE: &str = "verify:code";
const BY_LINK: &str = "verify:link";
const NEW: &str = "verify:new";
const SKIP: &str = "verify:skip";
const CANCEL: &str = "verify:cancel";

/// What a signed link's state is good for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkCheck {
    /// It may be used; the person's language.
    Usable(Lang),
    /// No link has this state.
    Unknown,
    /// Its time is up.
    Expired(Lang),
    /// It was used, replaced, or refused too often.
    Used(Lang),
}

/// A signed link that could not be acted on.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The state does not allow it.
    #[error("the sign-in link cannot be used")]
    Refused(LinkCheck),
    /// The engine failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl From<StoreError> for LinkError {
    fn from(e: StoreError) -> Self {
        LinkError::Engine(EngineError::Store(e))
    }
}

impl Engine {
    /// Triage is over: the person is verified first when the queue asks and they are
    /// not known yet; otherwise the ticket opens.
    pub(super) async fn verify_or_open(
        &self,
        t: &mut Turn,
        conv: &mut Conversation,
        ev: &Inbound,
        queue: usize,
        answers: &[crate::store::TriageAnswer],
    ) -> Result<(), StoreError> {
        let Some(q) = self.config.queues.get(queue) else {
            return self.open_ticket(t, conv, ev, queue, answers).await;
        };
        let methods = &self.config.identity;
        let can = methods.code || methods.login_url.is_some();
        if q.verify == Verify::Off || !can || self.known(t, conv, ev).await? {
            return self.open_ticket(t, conv, ev, queue, answers).await;
        }
        let verify = q.verify;
        self.advance_checked(t, conv, Trigger::StartVerify { queue: &q.name })
            .await?;
        if let Some(private) = ev.private_address.as_ref() {
            if *private != conv.user_address {
                let say = i18n::catalogue(conv.lang);
                self.tell(t, conv, None, say.verify_in_private(), Vec::new())
                    .await?;
                conv.user_address = private.clone();
                t.tx.save_conversation(conv, t.now).await?;
            }
        }
        match (methods.code, methods.login_url.is_some()) {
            (true, true) => self.offer_methods(t, conv, verify).await,
            (true, false) => self.ask_address(t, conv, verify, true).await,
            _ => self.give_link(t, conv, verify, true).await,
        }
    }

    /// The person's identity stands: their platform vouches for it now, or it was
    /// verified within `remember_days`.
    async fn known(
        &self,
        t: &mut Turn,
        conv: &Conversation,
        ev: &Inbound,
    ) -> Result<bool, StoreError> {
        if ev.author.verified_email.is_some() {
            return Ok(true);
        }
        let identity = t.tx.identity(conv.user_id).await?;
        Ok(identity.is_some_and(|i| t.now - i.at < self.config.identity.remember))
    }

    /// The person's message while they are being verified.
    pub(super) async fn verify_turn(
        &self,
        t: &mut Turn,
        conv: &mut Conversation,
        ev: &Inbound,
        text: &str,
    ) -> Result<(), StoreError> {
        let say = i18n::catalogue(conv.lang);
        let verify = self.verify_of(conv);
        let value = match picked(&conv.offered, &ev.content) {
            Pick::Value(v) => Some(v),
            _ => None,
        };
        let chose = |what: &str| value.as_deref() == Some(what);
        let open = t.tx.verification(conv.id).await?.filter(|v| {
            matches!(
                v.status,
                VerifyStatus::Asking | VerifyStatus::Sent | VerifyStatus::Spent
            )
        });
        if chose(CANCEL) || is_cancel(text) {
            if let Some(v) = open {
                self.finish(t, v, VerifyStatus::Cancelled).await?;
            }
            t.tx.clear_triage(conv.id).await?;
            self.advance_checked(t, conv, Trigger::CancelVerify).await?;
            return self
                .tell(t, conv, None, say.verify_cancelled(), Vec::new())
                .await
                .map(drop);
        }
        if chose(SKIP) || is_skip(text) {
            if verify != Verify::Optional {
                return self
                    .tell(t, conv, None, say.verify_needed(), Vec::new())
                    .await
                    .map(drop);
            }
            if let Some(v) = open {
                self.finish(t, v, VerifyStatus::Cancelled).await?;
            }
            return self.open_after_verifying(t, conv, ev).await;
        }
        if let Content::Choice(_) = ev.content {
            if value.is_none() {
                return self
                    .tell(t, conv, None, &say.not_your_choice(), Vec::new())
                    .await
                    .map(drop);
            }
        }
        if let Some(queue) = self.intents.find(text).filter(|_| !is_how_question(text)) {
            if queue != self.triage_queue(conv) {
                // Another team after all: this verification is dropped, that queue's
                // handoff begins.
                if let Some(v) = open {
                    self.finish(t, v, VerifyStatus::Cancelled).await?;
                }
                self.advance_checked(t, conv, Trigger::CancelVerify).await?;
                return self.handoff(t, conv, ev, queue).await;
            }
            // This queue's agent is what verification leads to: the same step again.
            return self.reprompt(t, conv, open, verify).await;
        }
        let new = chose(NEW) || is_new(text);
        match open {
            None => {
                let lower = text.to_lowercase();
                if chose(BY_CODE) || lower.contains("code") || lower.contains("코드") {
                    self.ask_address(t, conv, verify, false).await
                } else if chose(BY_LINK) || lower.contains("link") || lower.contains("링크") {
                    self.give_link(t, conv, verify, false).await
                } else {
                    self.offer_methods(t, conv, verify).await
                }
            }
            Some(v) if v.method == VerifyMethod::Link => {
                if new {
                    self.finish(t, v, VerifyStatus::Cancelled).await?;
                    return self.give_link(t, conv, verify, false).await;
                }
                let waiting = match link_check(&v, conv.lang, t.now) {
                    LinkCheck::Expired(_) => say.verify_link_expired(),
                    LinkCheck::Usable(_) => say.verify_link_waiting(),
                    _ => say.verify_link_spent(),
                };
                let choices = self.link_choices(conv.lang, verify);
                self.tell(t, conv, None, waiting, choices).await.map(drop)
            }
            Some(v) if v.status == VerifyStatus::Asking => {
                // Held back by the hour's limit, the address is known (a typo kept to
                // be confirmed is not one to send to).
                let blocked = &self.config.identity.blocked_domains;
                let known = v
                    .email
                    .clone()
                    .filter(|a| check_address(a, blocked).is_ok());
                match known {
                    Some(address) if new => self.send_code(t, conv, verify, Some(v), address).await,
                    _ => self.take_address(t, conv, v, verify, text).await,
                }
            }
            Some(v) => {
                if new {
                    let address = v.email.clone().unwrap_or_default();
                    // The code they have stays good while no other can be sent.
                    if self.hour_spent(t, conv, &address).await? {
                        return self.too_many(t, conv, verify).await;
                    }
                    self.finish(t, v, VerifyStatus::Cancelled).await?;
                    return self.send_code(t, conv, verify, None, address).await;
                }
                if let Some(code) = typed_code(text) {
                    return self.check_code(t, conv, ev, v, verify, &code).await;
                }
                if let Ok(address) = check_address(text, &self.config.identity.blocked_domains) {
                    // Another address: a code goes there instead.
                    if self.hour_spent(t, conv, &address).await? {
                        return self.too_many(t, conv, verify).await;
                    }
                    self.finish(t, v, VerifyStatus::Cancelled).await?;
                    return self.send_code(t, conv, verify, None, address).await;
                }
                let address = masked(v.email.as_deref().unwrap_or_default());
                let again = if v.status == VerifyStatus::Spent {
                    say.verify_spent().to_string()
                } else {
                    say.verify_type_code(&address)
                };
                let choices = self.code_choices(conv.lang, verify);
                self.tell(t, conv, None, &again, choices).await.map(drop)
            }
        }
    }

    /// "How would you like to verify?": by code or by link.
    async fn offer_methods(
        &self,
        t: &mut Turn,
        conv: &Conversation,
        verify: Verify,
    ) -> Result<(), StoreError> {
        let say = i18n::catalogue(conv.lang);
        let mut choices = vec![
            choice(BY_CODE, say.verify_by_code_label()),
            choice(BY_LINK, say.verify_by_link_label()),
        ];
        choices.extend(self.way_out(conv.lang, verify));
        let asked = format!("{} {}", intro(say, verify), say.verify_how());
        self.tell(t, conv, None, &asked, choices).await.map(drop)
    }

    /// Asks for the address a code goes to.
    async fn ask_address(
        &self,
        t: &mut Turn,
        conv: &Conversation,
        verify: Verify,
        first: bool,
    ) -> Result<(), StoreError> {
        let say = i18n::catalogue(conv.lang);
        self.new_verification(t, conv, VerifyMethod::Code).await?;
        let mut asked = String::new();
        if first {
            asked.push_str(intro(say, verify));
            asked.push(' ');
        }
        asked.push_str(say.verify_ask_email());
        let choices = self.way_out(conv.lang, verify);
        self.tell(t, conv, None, &asked, choices).await.map(drop)
    }

    /// An address typed for a code: checked, then the code is mailed.
    async fn take_address(
        &self,
        t: &mut Turn,
        conv: &Conversation,
        mut v: Verification,
        verify: Verify,
        text: &str,
    ) -> Result<(), StoreError> {
        let say = i18n::catalogue(conv.lang);
        let typed = text.trim().trim_end_matches('.').to_lowercase();
        let problem = match check_address(text, &self.config.identity.blocked_domains) {
            Ok(address) => return self.send_code(t, conv, verify, Some(v), address).await,
            // Typed the same way twice: they mean it.
            Err(AddressProblem::Typo(_)) if v.email.as_deref() == Some(typed.as_str()) => {
                return self.send_code(t, conv, verify, Some(v), typed).await
            }
            Err(problem) => problem,
        };
        let said = match problem {
            AddressProblem::NotAnAddress => say.verify_not_an_address().to_string(),
            AddressProblem::Blocked(domain) => say.verify_blocked(&domain),
            AddressProblem::Typo(meant) => {
                v.email = Some(typed);
                t.tx.save_verification(&v, t.now).await?;
                say.verify_typo(&meant)
            }
        };
        let choices = self.way_out(conv.lang, verify);
        self.tell(t, conv, None, &said, choices).await.map(drop)
    }

    /// Mails a new code to `address`, unless the hour's codes are used up. `v` is the
    /// verification that asked for the address; without one, a new one is made.
    async fn send_code(
        &self,
        t: &mut Turn,
        conv: &Conversation,
        verify: Verify,
        v: Option<Verification>,
        address: String,
    ) -> Result<(), StoreError> {
        let say = i18n::catalogue(conv.lang);
        let spent = self.hour_spent(t, conv, &address).await?;
        let mut v = match v {
            Some(v) => v,
            None => self.new_verification(t, conv, VerifyMethod::Code).await?,
        };
        if spent {
            // Kept, so that "new code" sends to it once the hour allows.
            v.email = Some(address);
            t.tx.save_verification(&v, t.now).await?;
            return self.too_many(t, conv, verify).await;
        }
        let code = new_code();
        let salt = new_token();
        let minutes = self.config.identity.code_for / 60_000;
        v.secret_hash = Some(hash_secret(&salt, &code));
        v.salt = Some(salt);
        v.email = Some(address.clone());
        v.expires_at = Some(t.now + self.config.identity.code_for);
        v.tries = 0;
        v.status = VerifyStatus::Sent;
        v.created_at = t.now;
        t.tx.save_verification(&v, t.now).await?;
        t.codes
            .push((address.clone(), Letter::code(conv.lang, &code, minutes)));
        let sent = say.verify_code_sent(&masked(&address), minutes);
        let choices = self.code_choices(conv.lang, verify);
        self.tell(t, conv, None, &sent, choices).await.map(drop)
    }

    /// The hour's codes are used up, for this chat identity or for `address`.
    async fn hour_spent(
        &self,
        t: &mut Turn,
        conv: &Conversation,
        address: &str,
    ) -> Result<bool, StoreError> {
        let hour_ago = t.now - 60 * 60 * 1000;
        let (to_person, to_address) =
            t.tx.codes_sent_since(conv.user_id, address, hour_ago)
                .await?;
        Ok(to_person.max(to_address) >= CODES_PER_HOUR)
    }

    async fn too_many(
        &self,
        t: &mut Turn,
        conv: &Conversation,
        verify: Verify,
    ) -> Result<(), StoreError> {
        let said = i18n::catalogue(conv.lang).verify_too_many(CODES_PER_HOUR);
        let choices = self.way_out(conv.lang, verify);
        self.tell(t, conv, None, &said, choices).await.map(drop)
    }

    /// The step the person is at, asked again.
    async fn reprompt(
        &self,
        t: &mut Turn,
        conv: &Conversation,
        open: Option<Verification>,
        verify: Verify,
    ) -> Result<(), StoreError> {
        let say = i18n::catalogue(conv.lang);
        let (said, choices) = match open {
            None => return self.offer_methods(t, conv, verify).await,
            Some(v) if v.method == VerifyMethod::Link => (
                say.verify_link_waiting().to_string(),
                self.link_choices(conv.lang, verify),
            ),
            Some(v) if v.status == VerifyStatus::Asking => (
                say.verify_ask_email().to_string(),
                self.way_out(conv.lang, verify),
            ),
            Some(v) => (
                say.verify_type_code(&masked(v.email.as_deref().unwrap_or_default())),
                self.code_choices(conv.lang, verify),
            ),
        };
        self.tell(t, conv, None, &said, choices).await.map(drop)
    }

    /// A code typed: right, wrong, or too late.
    async fn check_code(
        &self,
        t: &mut Turn,
        conv: &mut Conversation,
        ev: &Inbound,
        mut v: Verification,
        verify: Verify,
        code: &str,
    ) -> Result<(), StoreError> {
        let say = i18n::catalogue(conv.lang);
        let choices = self.code_choices(conv.lang, verify);
        if v.status == VerifyStatus::Spent {
            return self
                .tell(t, conv, None, say.verify_spent(), choices)
                .await
                .map(drop);
        }
        if v.expires_at.is_none_or(|at| t.now >= at) {
            // It stays as it is: "new code" sends another to the same address.
            return self
                .tell(t, conv, None, say.verify_expired(), choices)
                .await
                .map(drop);
        }
        let right = match (&v.salt, &v.secret_hash) {
            (Some(salt), Some(hash)) => code_matches(salt, hash, code),
            _ => false,
        };
        if right {
            let address = v.email.clone().unwrap_or_default();
            self.finish(t, v, VerifyStatus::Done).await?;
            t.tx.bind_identity(conv.user_id, &address, "email code", t.now)
                .await?;
            let done = say.verify_done(&masked(&address));
            self.tell(t, conv, None, &done, Vec::new()).await?;
            return self.open_after_verifying(t, conv, ev).await;
        }
        v.tries += 1;
        let said = if v.tries >= MAX_TRIES {
            v.status = VerifyStatus::Spent;
            say.verify_spent().to_string()
        } else {
            say.verify_wrong_code(MAX_TRIES - v.tries)
        };
        t.tx.save_verification(&v, t.now).await?;
        self.tell(t, conv, None, &said, choices).await.map(drop)
    }

    /// Gives the person a link to the company's sign-in page, with a new one-time state.
    async fn give_link(
        &self,
        t: &mut Turn,
        conv: &Conversation,
        verify: Verify,
        first: bool,
    ) -> Result<(), StoreError> {
        let say = i18n::catalogue(conv.lang);
        let Some(login) = self.config.identity.login_url.as_deref() else {
            return self.offer_methods(t, conv, verify).await;
        };
        let state = new_state();
        let mut v = self.new_verification(t, conv, VerifyMethod::Link).await?;
        v.secret_hash = Some(hash_state(&state));
        v.expires_at = Some(t.now + self.config.identity.link_for);
        v.status = VerifyStatus::Sent;
        t.tx.save_verification(&v, t.now).await?;
        let joiner = if login.contains('?') { '&' } else { '?' };
        let url = format!("{login}{joiner}state={state}");
        let minutes = self.config.identity.link_for / 60_000;
        let mut said = String::new();
        if first {
            said.push_str(intro(say, verify));
            said.push(' ');
        }
        said.push_str(&say.verify_link(&url, minutes));
        let choices = self.link_choices(conv.lang, verify);
        // The transcript agents see keeps the link without its state.
        let kept = said.replace(&state, "•••");
        self.tell_keeping(t, conv, None, &said, &kept, choices)
            .await
            .map(drop)
    }

    /// A verification of the conversation, stored, waiting for an address.
    async fn new_verification(
        &self,
        t: &mut Turn,
        conv: &Conversation,
        method: VerifyMethod,
    ) -> Result<Verification, StoreError> {
        let mut v = Verification {
            id: 0,
            conversation_id: conv.id,
            person_id: conv.user_id,
            method,
            email: None,
            salt: None,
            secret_hash: None,
            expires_at: None,
            tries: 0,
            status: VerifyStatus::Asking,
            created_at: t.now,
        };
        v.id = t.tx.insert_verification(&v, t.now).await?;
        Ok(v)
    }

    async fn finish(
        &self,
        t: &mut Turn,
        mut v: Verification,
        status: VerifyStatus,
    ) -> Result<(), StoreError> {
        v.status = status;
        t.tx.save_verification(&v, t.now).await
    }

    /// Verified, or going on without: the ticket opens.
    async fn open_after_verifying(
        &self,
        t: &mut Turn,
        conv: &mut Conversation,
        ev: &Inbound,
    ) -> Result<(), StoreError> {
        let answers = t.tx.triage_answers(conv.id).await?;
        let queue = self.triage_queue(conv);
        self.open_ticket(t, conv, ev, queue, &answers).await
    }

    fn way_out(&self, lang: Lang, verify: Verify) -> Vec<Choice> {
        let say = i18n::catalogue(lang);
        let mut choices = Vec::new();
        if verify == Verify::Optional {
            choices.push(choice(SKIP, say.skip_label()));
        }
        choices.push(choice(CANCEL, say.cancel_label()));
        choices
    }

    fn code_choices(&self, lang: Lang, verify: Verify) -> Vec<Choice> {
        let mut choices = vec![choice(NEW, i18n::catalogue(lang).new_code_label())];
        choices.extend(self.way_out(lang, verify));
        choices
    }

    fn link_choices(&self, lang: Lang, verify: Verify) -> Vec<Choice> {
        let mut choices = vec![choice(NEW, i18n::catalogue(lang).new_link_label())];
        choices.extend(self.way_out(lang, verify));
        choices
    }

    /// What the signed link with this `state` is good for.
    pub async fn link_state(&self, state: &str) -> Result<LinkCheck, EngineError> {
        let mut tx = self.store.begin().await?;
        let found = tx.verification_by_secret(&hash_state(state)).await?;
        let check = match found {
            Some(v) => {
                let lang = self.lang_of(&mut *tx, v.conversation_id).await?;
                link_check(&v, lang, self.clock.now())
            }
            None => LinkCheck::Unknown,
        };
        drop(tx);
        Ok(check)
    }

    /// The company's page signed a token for the link with this `state`, but relaydesk
    /// refused it: the link takes a try, and after [`MAX_TRIES`] it no longer works (the
    /// person is told in the chat). What the link is good for afterwards.
    pub async fn link_refused(&self, state: &str) -> Result<LinkCheck, LinkError> {
        let mut t = Turn::begin(self, format!("verify:{}", hash_state(state))).await?;
        let (mut v, conv) = self.usable_link(&mut t, state).await?;
        v.tries += 1;
        let spent = v.tries >= MAX_TRIES;
        if spent {
            v.status = VerifyStatus::Spent;
        }
        t.tx.save_verification(&v, t.now).await?;
        t.rekey(format!("verify:{}:{}:{}", v.id, v.tries, t.now));
        if spent {
            let say = i18n::catalogue(conv.lang);
            let verify = self.verify_of(&conv);
            let choices = self.link_choices(conv.lang, verify);
            self.tell(&mut t, &conv, None, say.verify_link_spent(), choices)
                .await?;
        }
        let check = link_check(&v, conv.lang, t.now);
        t.commit(self).await?;
        Ok(check)
    }

    /// The company's page vouched for `email` through the link with this `state`, by
    /// `token` (which never verifies twice): the chat identity is bound to it, the person
    /// is told in the chat, and their ticket opens. The person's language.
    pub async fn link_verified(
        &self,
        state: &str,
        token: &str,
        email: &str,
    ) -> Result<Lang, LinkError> {
        let mut t = Turn::begin(self, format!("verify:{}", hash_state(state))).await?;
        let (mut v, mut conv) = self.usable_link(&mut t, state).await?;
        if !t.tx.use_token(v.id, &hash_secret("token", token)).await? {
            // A token that verified someone before: replayed, with another state.
            return Err(LinkError::Refused(LinkCheck::Used(conv.lang)));
        }
        let email = email.trim().to_lowercase();
        v.status = VerifyStatus::Done;
        v.email = Some(email.clone());
        t.tx.save_verification(&v, t.now).await?;
        t.tx.bind_identity(conv.user_id, &email, "signed link", t.now)
            .await?;
        t.rekey(format!("verify:{}:done@{}", v.id, t.now));
        let say = i18n::catalogue(conv.lang);
        self.tell(
            &mut t,
            &conv,
            None,
            &say.verify_done(&masked(&email)),
            Vec::new(),
        )
        .await?;
        let person = t.tx.person(conv.user_id).await?.ok_or_else(|| {
            StoreError::Corrupt(format!("conversation {} has no person", conv.id))
        })?;
        // What the person's next message would look like: where they are, who they are.
        let ev = Inbound::new(
            format!("verify:{}", v.id),
            conv.user_address.clone(),
            person,
            Content::Text(String::new()),
        );
        self.open_after_verifying(&mut t, &mut conv, &ev).await?;
        let lang = conv.lang;
        t.commit(self).await?;
        Ok(lang)
    }

    /// The verification of a link that may still be used, and its conversation, held
    /// until the turn commits.
    async fn usable_link(
        &self,
        t: &mut Turn,
        state: &str,
    ) -> Result<(Verification, Conversation), LinkError> {
        let Some(v) = t.tx.verification_by_secret(&hash_state(state)).await? else {
            return Err(LinkError::Refused(LinkCheck::Unknown));
        };
        let conv = t.tx.conversation(v.conversation_id).await?.ok_or_else(|| {
            StoreError::Corrupt(format!("verification {} has no conversation", v.id))
        })?;
        let check = link_check(&v, conv.lang, t.now);
        if check != LinkCheck::Usable(conv.lang) || conv.state != State::Verifying {
            let used = LinkCheck::Used(conv.lang);
            return Err(LinkError::Refused(
                if check == LinkCheck::Usable(conv.lang) {
                    used
                } else {
                    check
                },
            ));
        }
        Ok((v, conv))
    }

    fn verify_of(&self, conv: &Conversation) -> Verify {
        self.config
            .queues
            .get(self.triage_queue(conv))
            .map_or(Verify::Required, |q| q.verify)
    }

    async fn lang_of(
        &self,
        tx: &mut dyn crate::store::Tx,
        conversation_id: i64,
    ) -> Result<Lang, StoreError> {
        Ok(tx
            .conversation(conversation_id)
            .await?
            .map_or(Lang::En, |c| c.lang))
    }
}

/// What a link's verification allows at `now`.
fn link_check(v: &Verification, lang: Lang, now: Millis) -> LinkCheck {
    if v.method != VerifyMethod::Link || v.status != VerifyStatus::Sent {
        LinkCheck::Used(lang)
    } else if v.expires_at.is_none_or(|at| now >= at) {
        LinkCheck::Expired(lang)
    } else {
        LinkCheck::Usable(lang)
    }
}

/// "new code", "new link", "새 코드", "새 링크".
fn is_new(text: &str) -> bool {
    said_only(
        text,
        &[
            "new code",
            "another code",
            "new link",
            "another link",
            "resend",
            "새 코드",
            "새코드",
            "새 링크",
            "새링크",
            "다시 보내기",
        ],
    )
}

/// Why the person is asked: the queue needs it, or it helps.
fn intro(say: &i18n::Catalogue, verify: Verify) -> &'static str {
    match verify {
        Verify::Optional => say.verify_intro_optional(),
        _ => say.verify_intro(),
    }
}

fn choice(value: &str, label: &str) -> Choice {
    Choice {
        value: value.to_string(),
        label: label.to_string(),
    }
}
