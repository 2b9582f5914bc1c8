//! `relaydesk kb phrasings list|remove`: the phrasings the desk taught the help center
//! ("Yes, that helped", `!article`), for an admin to review and prune. Running bots
//! read them again at each help-center reload (`src/app/tasks.rs`).

use anyhow::Context;
use relaydesk_core::clock::date;
use relaydesk_core::phrasing::{Phrasing, Phrasings};

use crate::app;
use crate::cli::PhrasingsCommand;
use crate::config::Config;

/// Runs `command`. The `kb` commands are synchronous and called inside the binary's
/// runtime, which cannot be blocked on: the store is used on a thread of its own, with a
/// runtime of its own.
pub fn execute(config: &Config, command: PhrasingsCommand) -> anyhow::Result<()> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .context("cannot start the async runtime")?
                    .block_on(run(config, command))
            })
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the phrasings command panicked")))
    })
}

async fn run(config: &Config, command: PhrasingsCommand) -> anyhow::Result<()> {
    let store = app::open_store(config).await?;
    let outcome = match command {
        PhrasingsCommand::List { json } => list(store.as_ref(), json).await,
        PhrasingsCommand::Remove { id } => remove(store.as_ref(), id).await,
    };
    store.close().await;
    outcome
}

async fn list(store: &dyn Phrasings, json: bool) -> anyhow::Result<()> {
    let phrasings = store.phrasings().await?;
    if json {
        println!("{}", serde_json::to_string(&phrasings)?);
        return Ok(());
    }
    if phrasings.is_empty() {
        println!("no phrasings learned yet: they come from \"Yes, that helped\" and agents' `!article <id>`");
        return Ok(());
    }
    print!("{}", table(&phrasings));
    Ok(())
}

async fn remove(store: &dyn Phrasings, id: i64) -> anyhow::Result<()> {
    if !store.remove_phrasing(id).await? {
        anyhow::bail!("there is no phrasing {id}; `relaydesk kb phrasings list` shows their ids");
    }
    println!("phrasing {id} removed: running bots drop it at their next help-center reload");
    Ok(())
}

/// One line per phrasing, under a header: id, article, source, date, question.
fn table(phrasings: &[Phrasing]) -> String {
    let width = phrasings
        .iter()
        .map(|p| p.article_id.chars().count())
        .chain(["article".len()])
        .max()
        .unwrap_or(0);
    let mut out = format!(
        "{:>6}  {:<width$}  {:<6}  {:<10}  question\n",
        "id", "article", "source", "date"
    );
    for p in phrasings {
        // One line each, whatever the person typed.
        let question = p.question.split_whitespace().collect::<Vec<_>>().join(" ");
        out.push_str(&format!(
            "{:>6}  {:<width$}  {:<6}  {:<10}  {question}\n",
            p.id,
            p.article_id,
            p.source.as_str(),
            date(p.created_at),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use relaydesk_core::phrasing::{Phrasing, PhrasingSource};

    #[test]
    fn the_table_puts_one_phrasing_on_a_line() {
        let p = |id, article: &str, question: &str| Phrasing {
            id,
            article_id: article.into(),
            question: question.into(),
            source: PhrasingSource::Agent,
            created_at: 1_795_699_253_000,
        };
        let table = super::table(&[
            p(1, "reset-password", "how do I\nreset my password"),
            p(12, "refunds", "환불은 어떻게 받나요?"),
        ]);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3, "{table}");
        assert_eq!(
            lines[1],
            "     1  reset-password  agent   2026-11-26  how do I reset my password"
        );
        assert!(
            lines[2].starts_with("    12  refunds         agent "),
            "{table}"
        );
        assert!(lines[0].contains("article") && lines[0].ends_with("question"));
    }
}
