//! The command line: configuration checks and bad input.

use crate::helpers::Workspace;

#[test]
fn check_prints_the_effective_configuration_with_secrets_masked() {
    let ws = Workspace::new();
    let out = ws
        .command(&["check"])
        .env(
            "RELAYDESK__DATABASE__URL",
            "postgres://bob:hunter2@127.0.0.1:1/x",
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("postgres://bob:***@127.0.0.1:1/x"),
        "{stdout}"
    );
    assert!(!stdout.contains("hunter2"));
    assert!(
        stdout.contains("agent_channel = \"console:support\""),
        "{stdout}"
    );
    assert!(stdout.contains("# configuration is valid"));
}

#[test]
fn a_typo_in_the_configuration_names_the_key_and_line() {
    let ws = Workspace::new();
    let text = std::fs::read_to_string(ws.path().join("bot.toml"))
        .unwrap()
        .replace("close_after_days", "close_after_dayz");
    std::fs::write(ws.path().join("typo.toml"), &text).unwrap();
    let line = text
        .lines()
        .position(|l| l.contains("close_after_dayz"))
        .unwrap()
        + 1;
    let out = ws.run(&["--config", "typo.toml", "check"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("close_after_dayz"), "{stderr}");
    assert!(stderr.contains(&format!("line {line}")), "{stderr}");
}

#[test]
fn a_missing_configuration_file_that_was_named_is_an_error() {
    let ws = Workspace::new();
    let out = ws.run(&["--config", "nowhere.toml", "check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read nowhere.toml"));
}

#[test]
fn an_unreachable_database_is_a_clear_error() {
    let ws = Workspace::new();
    let out = ws
        .command(&["migrate"])
        .env(
            "RELAYDESK__DATABASE__URL",
            "postgres://relaydesk:pw@127.0.0.1:9/none",
        )
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("cannot open postgres://relaydesk:***@127.0.0.1:9/none"),
        "{stderr}"
    );
    assert!(
        !stderr.contains(":pw@"),
        "the password is never shown: {stderr}"
    );
}

#[test]
fn migrate_creates_the_sqlite_database() {
    let ws = Workspace::new();
    let out = ws.run(&["migrate"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(ws.path().join("data/relaydesk.db").exists());
    let out = ws.run(&["conversations", "list"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("no conversations yet"));
}

#[test]
fn run_without_an_enabled_adapter_says_what_to_do() {
    let ws = Workspace::new();
    let out = ws.run(&["run"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("relaydesk console"));
}

#[test]
fn a_web_address_in_use_is_a_clear_error() {
    let ws = Workspace::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = ws
        .command(&["console"])
        .env("RELAYDESK__WEB__BIND", &addr)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot listen on {addr} ([web].bind")),
        "{stderr}"
    );
}
