//! `relaydesk check` for Slack: the tokens the mode needs, and the scopes the bot token
//! was granted (Slack lists them in the `x-oauth-scopes` header of every answer).

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use secrecy::{ExposeSecret, SecretString};

use crate::Mode;

/// The scopes relaydesk uses, and what for.
pub const SCOPES: &[(&str, &str)] = &[
    (
        "chat:write",
        "post answers, ticket cards and relayed replies",
    ),
    ("im:history", "read direct messages to the bot"),
    ("im:read", "know direct-message channels"),
    (
        "im:write",
        "open a direct message for /support and handoffs",
    ),
    (
        "channels:history",
        "read agent replies in public agent channels",
    ),
    (
        "groups:history",
        "read agent replies in private agent channels",
    ),
    ("app_mentions:read", "answer @mentions"),
    ("users:read", "show people's and agents' names"),
    (
        "users:read.email",
        "verify people of trusted workspaces by their email",
    ),
    ("commands", "the /support command"),
    ("files:read", "copy files people and agents send"),
    ("files:write", "upload copied files"),
];

/// The environment variables the mode needs that are unset or empty.
pub fn missing_tokens(
    mode: Mode,
    bot: &SecretString,
    app: &SecretString,
    secret: &SecretString,
) -> Vec<&'static str> {
    let unset = |s: &SecretString| s.expose_secret().trim().is_empty();
    let mut missing = Vec::new();
    if unset(bot) {
        missing.push("SLACK_BOT_TOKEN");
    }
    match mode {
        Mode::Socket if unset(app) => missing.push("SLACK_APP_TOKEN"),
        Mode::Http if unset(secret) => missing.push("SLACK_SIGNING_SECRET"),
        _ => {}
    }
    missing
}

/// What `auth.test` says of the bot token.
pub struct TokenReport {
    /// The bot user's name.
    pub bot_user: String,
    /// The workspace's name.
    pub team: String,
    /// Required scopes the token lacks, with what they are for.
    pub missing_scopes: Vec<(&'static str, &'static str)>,
}

/// Calls `auth.test` with the bot token.
pub async fn bot_token(api_url: &str, token: &SecretString) -> Result<TokenReport, String> {
    let https = crate::web::https_connector().map_err(|e| format!("TLS: {e}"))?;
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build(https);
    let url = format!("{}/auth.test", api_url.trim_end_matches('/'));
    let req = hyper::Request::post(url.as_str())
        .header("authorization", format!("Bearer {}", token.expose_secret()))
        .body(Empty::new())
        .map_err(|e| e.to_string())?;
    let res = client
        .request(req)
        .await
        .map_err(|e| format!("Slack's API at {url} cannot be reached: {e}"))?;
    let scopes: Vec<String> = res
        .headers()
        .get("x-oauth-scopes")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_string())
        .collect();
    let body = res
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("reading Slack's answer: {e}"))?
        .to_bytes();
    let answer: serde_json::Value =
        serde_json::from_slice(&body).map_err(|_| "Slack's answer is not JSON".to_string())?;
    if answer["ok"] != true {
        let error = answer["error"].as_str().unwrap_or("unknown error");
        return Err(format!("Slack refused SLACK_BOT_TOKEN: {error}"));
    }
    let missing_scopes = SCOPES
        .iter()
        .filter(|(s, _)| !scopes.iter().any(|have| have == s))
        .copied()
        .collect();
    Ok(TokenReport {
        bot_user: answer["user_id"].as_str().unwrap_or_default().to_string(),
        team: answer["team"].as_str().unwrap_or_default().to_string(),
        missing_scopes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_asks_for_every_scope_relaydesk_checks() {
        let manifest = include_str!("../manifest.yml");
        for (scope, _) in SCOPES {
            assert!(
                manifest.contains(&format!("- {scope} ")),
                "manifest.yml lacks the scope {scope}"
            );
        }
    }

    #[test]
    fn each_mode_needs_its_own_token() {
        let missing = |mode, bot: &str, app: &str, secret: &str| {
            missing_tokens(mode, &bot.into(), &app.into(), &secret.into())
        };
        assert_eq!(
            missing(Mode::Socket, "xoxb-1", "", "s"),
            vec!["SLACK_APP_TOKEN"]
        );
        assert_eq!(
            missing(Mode::Http, "", "xapp-1", ""),
            vec!["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"]
        );
        assert!(missing(Mode::Http, "xoxb-1", "", "s").is_empty());
    }
}
