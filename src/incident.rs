//! `relaydesk incident open|close`: the incident every process's status page and help
//! center show as a banner, kept in the database.

use relaydesk_core::clock::{Clock, SystemClock};
use relaydesk_core::status::Incidents;

use crate::app;
use crate::cli::IncidentCommand;
use crate::config::Config;

/// Opens (or rewords) or closes the incident.
pub async fn execute(config: &Config, command: IncidentCommand) -> anyhow::Result<()> {
    let store = app::open_store(config).await?;
    let now = SystemClock.now();
    let outcome = match command {
        IncidentCommand::Open { text } => {
            let text = text.trim();
            if text.is_empty() {
                store.close().await;
                anyhow::bail!("say what is wrong: relaydesk incident open \"Chat is down\"");
            }
            store
                .open_incident(text, now)
                .await
                .map(|()| "incident open: the status page and the help center show it")
        }
        IncidentCommand::Close => store.close_incident(now).await.map(|closed| {
            if closed {
                "incident closed"
            } else {
                "no incident was open"
            }
        }),
    };
    store.close().await;
    println!("{}", outcome?);
    Ok(())
}
