//! `relaydesk check` for Discord: the token, the privileged intent, the agent channels;
//! and the invite URL with exactly the permissions the adapter uses.

use serde_json::Value;
use serenity::all::Permissions;
use serenity::http::{LightMethod, Request, Route};

use crate::rest::Rest;

/// The application flags that say the Message Content intent is enabled (the full
/// intent, or the limited one of an unverified bot under 100 servers).
const MESSAGE_CONTENT: u64 = (1 << 18) | (1 << 19);

/// What the bot needs in a server: see and read channels, post (with embeds and
/// files), start public and private threads and post in them, and manage threads (tags
/// on forum posts, adding a person to their private thread).
pub fn permissions() -> Permissions {
    Permissions::VIEW_CHANNEL
        | Permissions::SEND_MESSAGES
        | Permissions::SEND_MESSAGES_IN_THREADS
        | Permissions::CREATE_PUBLIC_THREADS
        | Permissions::CREATE_PRIVATE_THREADS
        | Permissions::MANAGE_THREADS
        | Permissions::EMBED_LINKS
        | Permissions::ATTACH_FILES
        | Permissions::READ_MESSAGE_HISTORY
}

/// The URL that adds the bot to a server with [`permissions`] and the scopes it needs.
pub fn invite_url(application_id: &str) -> String {
    format!(
        "https://discord.com/oauth2/authorize?client_id={application_id}&scope=bot%20applications.commands&permissions={}",
        permissions().bits()
    )
}

/// What Discord said of the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The bot's user name.
    pub bot_user: String,
    /// The application's id (for the invite URL).
    pub application: String,
    /// Problems found, each a sentence saying what to do.
    pub problems: Vec<String>,
}

/// Checks the token, the Message Content intent and that each agent channel can be seen.
pub async fn run(api_url: &str, token: &str, agent_channels: &[String]) -> Result<Report, String> {
    let rest = Rest::new(api_url, token)?;
    let me: Value = rest
        .call(Request::new(Route::UserMe, LightMethod::Get))
        .await
        .map_err(|e| match e.status {
            Some(401) => "Discord refused DISCORD_TOKEN (401): copy the bot token again from the developer portal's Bot page".to_string(),
            _ => format!("cannot ask Discord who the bot is: {e}"),
        })?;
    let app: Value = rest
        .call(Request::new(
            Route::Oauth2ApplicationCurrent,
            LightMethod::Get,
        ))
        .await
        .map_err(|e| format!("cannot read the bot's application: {e}"))?;
    let mut problems = Vec::new();
    if app["flags"].as_u64().unwrap_or(0) & MESSAGE_CONTENT == 0 {
        problems.push("the Message Content intent is not enabled: turn on \"Message Content Intent\" under Bot in the developer portal".to_string());
    }
    for channel in agent_channels {
        let Some(channel_id) = crate::ids::snowflake(channel) else {
            problems.push(format!(
                "agent channel `discord:{channel}` is not a Discord channel id"
            ));
            continue;
        };
        let req = Request::new(Route::Channel { channel_id }, LightMethod::Get);
        match rest.call::<Value>(req).await {
            Ok(c) => {
                let kind = match c["type"].as_u64() {
                    Some(0) => "text channel",
                    Some(15) => "forum",
                    _ => {
                        problems.push(format!("agent channel `discord:{channel}` is neither a text channel nor a forum"));
                        continue;
                    }
                };
                match missing_in(&rest, &c, &me).await {
                    Ok(missing) if missing.is_empty() => {
                        println!("# discord: agent channel {channel} is a {kind} the bot can post in")
                    }
                    Ok(missing) => problems.push(format!(
                        "the bot cannot work in agent channel `discord:{channel}`: it lacks {}; allow them for the bot's role in the channel's permissions",
                        missing.join(", ")
                    )),
                    Err(e) => problems.push(format!(
                        "cannot read the bot's permissions in agent channel `discord:{channel}`: {e}"
                    )),
                }
            }
            Err(e) if matches!(e.status, Some(403) | Some(404)) => problems.push(format!(
                "the bot cannot see agent channel `discord:{channel}` ({e}): invite it to the server and give it View Channel there"
            )),
            Err(e) => problems.push(format!("cannot look at agent channel `discord:{channel}`: {e}")),
        }
    }
    Ok(Report {
        bot_user: me["username"].as_str().unwrap_or_default().to_string(),
        application: app["id"].as_str().unwrap_or_default().to_string(),
        problems,
    })
}

/// What an agent channel needs: see it, post (a card, a forum post) with embeds, and
/// work in its threads.
fn needed_in_agent_channel(forum: bool) -> Permissions {
    let mut needed = Permissions::VIEW_CHANNEL
        | Permissions::SEND_MESSAGES
        | Permissions::EMBED_LINKS
        | Permissions::SEND_MESSAGES_IN_THREADS
        | Permissions::READ_MESSAGE_HISTORY;
    if !forum {
        needed |= Permissions::CREATE_PUBLIC_THREADS;
    }
    needed
}

/// The permissions the bot lacks in `channel` (its JSON), as serenity computes them from
/// the server's roles, the bot's and the channel's overwrites.
async fn missing_in(rest: &Rest, channel: &Value, me: &Value) -> Result<Vec<String>, String> {
    use serenity::all::{ChannelType, GuildChannel, Member, PartialGuild};
    let channel: GuildChannel = serde_json::from_value(channel.clone())
        .map_err(|e| format!("the channel could not be read: {e}"))?;
    let guild = channel.guild_id;
    let bot = me["id"]
        .as_str()
        .and_then(crate::ids::snowflake)
        .ok_or("Discord did not say who the bot is")?;
    let server: PartialGuild = rest
        .call(Request::new(
            Route::Guild { guild_id: guild },
            LightMethod::Get,
        ))
        .await
        .map_err(|e| e.to_string())?;
    let member: Member = rest
        .call(Request::new(
            Route::GuildMember {
                guild_id: guild,
                user_id: bot,
            },
            LightMethod::Get,
        ))
        .await
        .map_err(|e| e.to_string())?;
    let has = server.user_permissions_in(&channel, &member);
    let lacking = needed_in_agent_channel(channel.kind == ChannelType::Forum) - has;
    Ok(lacking
        .iter_names()
        .map(|(name, _)| name.to_lowercase().replace('_', " "))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_invite_asks_for_the_bot_and_its_command() {
        let url = invite_url("42");
        assert!(url.contains("client_id=42"), "{url}");
        assert!(url.contains("scope=bot%20applications.commands"), "{url}");
        let bits: u64 = url.rsplit('=').next().unwrap().parse().unwrap();
        let p = Permissions::from_bits_truncate(bits);
        assert!(p.send_messages() && p.create_private_threads() && !p.administrator());
    }
}
