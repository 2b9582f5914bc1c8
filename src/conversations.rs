//! `relaydesk conversations list|show|export`.

use anyhow::Context;
use relaydesk_core::store::ConversationDetail;
use relaydesk_core::{Author, Millis, Reports, State};

use crate::app;
use crate::cli::{ConversationsCommand, ExportFormat, TicketsCommand};
use crate::config::Config;

/// `relaydesk status`: the deliveries waiting, per channel; a channel that keeps
/// failing says since when and why.
/// `relaydesk emails`: the email outbox, newest first.
pub async fn emails(config: &Config, limit: i64) -> anyhow::Result<()> {
    use relaydesk_core::store::EmailQueue;
    let store = app::open_store(config).await?;
    let emails = store.emails(limit).await?;
    if emails.is_empty() {
        println!("no email has been written");
    }
    for e in emails {
        let when = match e.sent_at {
            Some(at) => format!("sent {}", timestamp(at)),
            None => format!("written {}", timestamp(e.created_at)),
        };
        let error = e
            .last_error
            .map(|err| format!("\n    last error: {err}"))
            .unwrap_or_default();
        println!(
            "#{} {} to {} · {} · {} attempt{} · {when}{error}",
            e.id,
            e.status,
            e.to,
            e.subject,
            e.attempts,
            if e.attempts == 1 { "" } else { "s" }
        );
    }
    Ok(())
}

pub async fn status(config: &Config) -> anyhow::Result<()> {
    let store = app::open_store(config).await?;
    let waiting = store.waiting_channels().await?;
    if waiting.is_empty() {
        println!("delivery: ok, nothing waiting");
        return Ok(());
    }
    let failing = waiting.iter().filter(|w| w.attempts > 0).count();
    let total: i64 = waiting.iter().map(|w| w.waiting).sum();
    if failing > 0 {
        println!("delivery: FAILING on {failing} channel(s); {total} message(s) waiting");
    } else {
        println!("delivery: ok; {total} message(s) on their way");
    }
    for w in waiting {
        let why = match (&w.last_error, w.attempts) {
            (Some(error), n) if n > 0 => format!(
                "failing: {error} ({n} tries; next at {})",
                timestamp(w.next_attempt_at)
            ),
            _ => "sending".to_string(),
        };
        println!(
            "  {:<32} {:>5} waiting since {}  {why}",
            w.to.to_string(),
            w.waiting,
            timestamp(w.oldest)
        );
    }
    Ok(())
}

pub async fn execute(config: &Config, command: ConversationsCommand) -> anyhow::Result<()> {
    let store = app::open_store(config).await?;
    match command {
        ConversationsCommand::List { limit } => {
            let list = store.list_conversations(limit).await?;
            if list.is_empty() {
                println!("no conversations yet");
            }
            for c in list {
                let ticket = c
                    .ticket_number
                    .map(|n| format!("#{n}"))
                    .unwrap_or_else(|| "-".into());
                println!(
                    "{:>6}  {:<9} {:>7}  {:<10} {:<24} {:>4} msgs  {}",
                    c.id,
                    c.state.as_str(),
                    ticket,
                    c.queue.as_deref().unwrap_or("-"),
                    format!("{} ({})", c.person, c.platform),
                    c.messages,
                    timestamp(c.updated_at)
                );
            }
        }
        ConversationsCommand::Show { id } => {
            let detail = store
                .conversation(id)
                .await?
                .with_context(|| format!("there is no conversation {id}"))?;
            print!("{}", markdown(&detail));
            if !detail.answers.is_empty() {
                println!("\n### Help-center answers\n");
            }
            for a in &detail.answers {
                let shown = if a.articles.is_empty() {
                    "no article".to_string()
                } else {
                    a.articles.join(", ")
                };
                let feedback = a.feedback.as_deref().unwrap_or("no feedback");
                println!("- {:?} → {shown} ({feedback})", a.question);
            }
            println!("\n### Deliveries\n");
            for d in &detail.deliveries {
                let error = d
                    .last_error
                    .as_deref()
                    .map(|e| format!(" — {e}"))
                    .unwrap_or_default();
                println!(
                    "- {} {} to {} ({} attempts){error}",
                    d.kind.as_str(),
                    d.state.as_str(),
                    d.to,
                    d.attempts
                );
            }
        }
        ConversationsCommand::Export { format, id, limit } => {
            let ids: Vec<i64> = match id {
                Some(id) => vec![id],
                None => store
                    .list_conversations(limit)
                    .await?
                    .into_iter()
                    .rev()
                    .map(|c| c.id)
                    .collect(),
            };
            let mut details = Vec::with_capacity(ids.len());
            for id in ids {
                details.push(
                    store
                        .conversation(id)
                        .await?
                        .with_context(|| format!("there is no conversation {id}"))?,
                );
            }
            match format {
                ExportFormat::Json => println!("{}", serde_json::to_string_pretty(&details)?),
                ExportFormat::Md => {
                    for d in &details {
                        println!("{}", markdown(d));
                    }
                }
            }
        }
    }
    Ok(())
}

/// `relaydesk tickets list|show`.
pub async fn tickets(config: &Config, command: TicketsCommand) -> anyhow::Result<()> {
    let store = app::open_store(config).await?;
    match command {
        TicketsCommand::List {
            queue,
            state,
            limit,
        } => {
            let state = match state.as_deref() {
                Some(s) => Some(State::parse(&s.to_lowercase()).with_context(|| {
                    format!("`{s}` is not a state: use queued, assigned, solved or closed")
                })?),
                None => None,
            };
            if let Some(q) = &queue {
                anyhow::ensure!(
                    config.queues.iter().any(|c| &c.name == q),
                    "there is no queue `{q}` (queues: {})",
                    config
                        .queues
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            let list = store.tickets(queue.as_deref(), state, limit).await?;
            if list.is_empty() {
                println!("no tickets");
            }
            for t in list {
                println!(
                    "{:>7}  {:<8} {:<9} {:<10} {:<40} {:<24} {}",
                    format!("#{}", t.number),
                    t.priority.map(|p| p.as_str()).unwrap_or("-"),
                    t.state.as_str(),
                    t.queue,
                    relaydesk_core::text::shorten(&t.subject, 40),
                    format!("{} ({})", t.person, t.platform),
                    timestamp(t.updated_at)
                );
            }
        }
        TicketsCommand::Show { number } => {
            let id = store
                .ticket_conversation(number)
                .await?
                .with_context(|| format!("there is no ticket #{number}"))?;
            let detail = store
                .conversation(id)
                .await?
                .with_context(|| format!("there is no ticket #{number}"))?;
            let c = &detail.conversation;
            println!(
                "# Ticket #{number} · {} · {}",
                c.queue.as_deref().unwrap_or("-"),
                c.priority.map(|p| p.as_str()).unwrap_or("no priority")
            );
            if let Some(s) = &c.subject {
                println!("\nsubject: {s}");
            }
            if !detail.triage.is_empty() {
                println!("\n### Triage\n");
                for a in &detail.triage {
                    println!(
                        "- {}: {}",
                        a.question,
                        a.shown.as_deref().unwrap_or("(skipped)")
                    );
                }
            }
            if let Some(s) = &detail.satisfaction {
                let comment = s
                    .comment
                    .as_deref()
                    .map(|c| format!(" — {c:?}"))
                    .unwrap_or_default();
                println!("\nrating: {}/5{comment}", s.rating);
            }
            println!();
            print!("{}", markdown(&detail));
        }
    }
    Ok(())
}

fn markdown(d: &ConversationDetail) -> String {
    let c = &d.conversation;
    let mut out = format!("## Conversation {}", c.id);
    if let Some(n) = c.ticket_number {
        out.push_str(&format!(" — ticket #{n}"));
    }
    out.push_str(&format!(
        "\n\n- state: {}\n- person: {} ({} {}), {}\n- started: {}\n",
        c.state,
        d.person.display_name,
        d.person.platform,
        d.person.id,
        d.person
            .verified_email
            .as_deref()
            .map(|e| format!("verified {e}"))
            .unwrap_or_else(|| "unverified".into()),
        timestamp(c.created_at),
    ));
    if let Some(q) = &c.queue {
        out.push_str(&format!("- queue: {q}\n"));
    }
    if let Some(a) = &c.assignee {
        out.push_str(&format!("- assignee: {}\n", a.name));
    }
    if let Some(r) = &c.close_reason {
        out.push_str(&format!("- close reason: {r}\n"));
    }
    if let Some(p) = c.previous_id {
        out.push_str(&format!("- continues conversation {p}\n"));
    }
    out.push('\n');
    for m in &d.messages {
        let who = match m.author {
            Author::Note => format!("{} (internal note)", m.author_name),
            Author::Agent => format!("{} (agent)", m.author_name),
            _ => m.author_name.clone(),
        };
        out.push_str(&format!("**{who}** · {}\n\n", timestamp(m.created_at)));
        for line in m.body.lines() {
            out.push_str(&format!("> {line}\n"));
        }
        out.push('\n');
    }
    out
}

/// `2026-11-26 13:20:53Z` from Unix milliseconds.
pub fn timestamp(ms: Millis) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = relaydesk_core::clock::civil(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps() {
        assert_eq!(super::timestamp(0), "1970-01-01 00:00:00Z");
        assert_eq!(super::timestamp(1_795_699_253_000), "2026-11-26 13:20:53Z");
    }
}
