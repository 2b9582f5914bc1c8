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

/// A public-sets folder in the published formats: two Korean paragraphs with three
/// questions, two English threads with three rephrasings (one of them junk).
fn tiny_public_sets(dir: &std::path::Path) {
    std::fs::write(
        dir.join("KorQuAD_v1.0_dev.json"),
        r#"{"data": [{"title": "한글", "paragraphs": [
            {"context": "세종은 훈민정음을 창제하여 반포하였다.",
             "qas": [{"question": "훈민정음을 창제한 사람은?"}, {"question": "세종이 반포한 것은?"}]},
            {"context": "장영실은 측우기를 만들었다.",
             "qas": [{"question": "측우기를 만든 사람은?"}]}]}]}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("StackFAQ.json"),
        r#"{"root": {"qapair": [
            {"question": "How do I reset my router password",
             "answer": ["Hold the reset button for ten seconds."],
             "rephr": ["forgot my router password", "*"]},
            {"question": "Why is my printer offline", "answer": "Turn the printer on again.",
             "rephr": ["printer offline", null]}]}}"#,
    )
    .unwrap();
}

#[test]
fn kb_eval_public_prints_one_json_line_per_set() {
    let ws = Workspace::new();
    let sets = ws.path().join("sets");
    std::fs::create_dir(&sets).unwrap();
    tiny_public_sets(&sets);
    let out = ws.run(&["kb", "eval-public", "sets"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    for (line, (set, articles, questions)) in
        lines.iter().zip([("korquad", 2, 3), ("stackfaq", 2, 2)])
    {
        assert_eq!(line["set"], set, "{line}");
        assert_eq!(line["articles"], articles, "{line}");
        assert_eq!(line["questions"], questions, "{line}");
        assert_eq!(line["hit@1"], 1.0, "{line}");
        assert_eq!(line["hit@3"], 1.0, "{line}");
        assert_eq!(line["mrr"], 1.0, "{line}");
        assert!(
            line["mean_query_us"].as_f64().is_some_and(|t| t >= 0.0),
            "{line}"
        );
        assert!(line["seconds"].as_f64().is_some_and(|t| t >= 0.0), "{line}");
    }
}

#[test]
fn kb_eval_public_names_a_missing_folder_or_file() {
    let ws = Workspace::new();
    let out = ws.run(&["kb", "eval-public", "no-such-dir"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    assert!(
        stderr.contains("no folder no-such-dir")
            && stderr.contains("KorQuAD_v1.0_dev.json")
            && stderr.contains("StackFAQ.json"),
        "{stderr}"
    );

    std::fs::create_dir(ws.path().join("half")).unwrap();
    std::fs::write(ws.path().join("half/StackFAQ.json"), "{}").unwrap();
    let out = ws.run(&["kb", "eval-public", "half"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("half has no KorQuAD_v1.0_dev.json") && !stderr.contains("no StackFAQ"),
        "{stderr}"
    );
}

#[test]
fn documented_but_unimplemented_keys_are_refused_and_missing_tokens_named() {
    let ws = Workspace::new();
    let text = std::fs::read_to_string(ws.path().join("bot.toml")).unwrap()
        + "\n[[queue]]\nname = \"refunds\"\nagent_channel = \"console:refunds\"\n\
           triage = [\"question_type\", \"order-number\"]\n\
           route = { question_type.billing = \"finance\" }\n\
           business_hours = \"mon-fri 9-18\"\n";
    std::fs::write(ws.path().join("triage.toml"), &text).unwrap();
    let out = ws.run(&["--config", "triage.toml", "check"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    // Every mistake is named, each with its key.
    for needle in [
        "queue[3].triage[1] (queue `refunds`): unknown question `order-number`",
        "queue[3].route.question_type.billing: unknown queue `finance`",
        "queue[3].business_hours: `9-18` is not a time range",
    ] {
        assert!(stderr.contains(needle), "{needle:?} not in {stderr}");
    }
    let zone = text.replace("mon-fri 9-18", "mon-fri 09:00-18:00") + "timezone = \"Asia/Sole\"\n";
    std::fs::write(ws.path().join("triage.toml"), &zone).unwrap();
    let out = ws.run(&["--config", "triage.toml", "check"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("queue[3].timezone: `Asia/Sole` is not a known time zone"),
        "{stderr}"
    );

    let out = ws
        .command(&["check"])
        .env("RELAYDESK__DISCORD__ENABLED", "true")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(stdout.contains("DISCORD_TOKEN is not set"), "{stdout}");
    assert!(!stdout.contains("# configuration is valid"), "{stdout}");
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

#[test]
fn kb_phrasings_lists_what_helped_and_removes_by_id() {
    let ws = Workspace::new();
    let mut console = ws.console();
    console.say("how do I talk to an agent");
    console.expect("bot>   1) Yes, that helped");
    console.say("1");
    console.expect("bot> Glad that helped!");
    console.finish();

    let out = ws.run(&["kb", "phrasings", "list"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout
        .lines()
        .find(|l| l.ends_with("  how do I talk to an agent"))
        .unwrap_or_else(|| panic!("the question is listed: {stdout}"));
    assert!(line.contains(" helped "), "{line}");

    let out = ws.run(&["kb", "phrasings", "list", "--json"]);
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    let (id, article) = (&listed[0]["id"], &listed[0]["article_id"]);
    assert!(
        line.contains(article.as_str().unwrap()),
        "{line} / {listed}"
    );
    assert_eq!(listed[0]["source"], "helped");

    let out = ws.run(&["kb", "phrasings", "remove", "999"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("there is no phrasing 999"), "{stderr}");

    let out = ws.run(&["kb", "phrasings", "remove", &id.to_string()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = ws.run(&["kb", "phrasings", "list"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("no phrasings learned yet"));
}
