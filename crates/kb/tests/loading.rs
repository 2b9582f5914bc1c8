//! Loading a help-center folder: front matter, defaults, and broken files.

mod common;

use common::write;
use relaydesk_core::text::Lang;
use relaydesk_kb::HelpCenter;

const BASE: &str = "https://help.example.com/articles/";

#[test]
fn front_matter_and_defaults() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "full.md",
        "---\nid: reset-password-en     # optional\ntitle: \"Reset your password\"\nlocale: en\nurl: https://example.com/reset\ntags: [account, 'sign in']\n---\n\n1. Click reset.\n",
    );
    write(
        dir.path(),
        "nested/deeper/비밀번호-재설정.md",
        "# 비밀번호 재설정\n\n비밀번호를 잊어버렸다면 새로 만드세요.\n",
    );
    write(
        dir.path(),
        "plain.md",
        "---\ntitle: Business hours\n---\nWe answer from 9 to 6.\n",
    );

    let (hc, errors) = HelpCenter::load(dir.path(), BASE);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(hc.articles().len(), 3);

    let full = hc
        .article("reset-password-en")
        .expect("id from front matter");
    assert_eq!(full.title, "Reset your password");
    assert_eq!(full.url, "https://example.com/reset");
    assert_eq!(full.tags, vec!["account", "sign in"]);
    assert_eq!(full.locale, Lang::En);
    assert_eq!(
        full.path.as_deref(),
        Some(dir.path().join("full.md").as_path())
    );

    let korean = hc
        .article("비밀번호-재설정")
        .expect("id from the file stem");
    assert_eq!(
        korean.title, "비밀번호 재설정",
        "title from the first heading"
    );
    assert_eq!(korean.locale, Lang::Ko, "locale detected from the text");
    assert_eq!(korean.url, format!("{BASE}비밀번호-재설정"));

    let plain = hc.article("plain").unwrap();
    assert_eq!(
        (plain.locale, plain.url.as_str()),
        (Lang::En, "https://help.example.com/articles/plain")
    );
    assert!(plain.tags.is_empty());
}

#[test]
fn broken_files_are_reported_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "good.md",
        "---\ntitle: Good article\n---\nText.\n",
    );
    write(
        dir.path(),
        "unclosed.md",
        "---\ntitle: Never closed\nText.\n",
    );
    write(
        dir.path(),
        "no-title.md",
        "Just some text without a heading.\n",
    );
    write(
        dir.path(),
        "bad-line.md",
        "---\ntitle: x\nthis line has no colon\n---\n",
    );
    write(
        dir.path(),
        "french.md",
        "---\ntitle: Bonjour\nlocale: fr\n---\n",
    );
    write(
        dir.path(),
        "z/dup.md",
        "---\nid: good\ntitle: Same id as good.md\n---\n",
    );
    std::fs::write(dir.path().join("binary.md"), [0xff, 0xfe, 0x00, 0x41]).unwrap();
    write(dir.path(), "notes.txt", "not an article");
    write(dir.path(), ".hidden.md", "---\nbroken");
    write(dir.path(), ".git/config.md", "---\nbroken");

    let (hc, errors) = HelpCenter::load(dir.path(), BASE);
    let ids: Vec<&str> = hc.articles().iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, vec!["good"]);
    assert_eq!(
        hc.article("good").unwrap().title,
        "Good article",
        "the first file in path order keeps its id"
    );

    let mut named: Vec<String> = errors
        .iter()
        .map(|e| {
            e.path
                .strip_prefix(dir.path())
                .unwrap()
                .display()
                .to_string()
        })
        .collect();
    named.sort();
    assert_eq!(
        named,
        vec![
            "bad-line.md",
            "binary.md",
            "french.md",
            "no-title.md",
            "unclosed.md",
            "z/dup.md"
        ]
    );
    let dup = errors
        .iter()
        .find(|e| e.path.ends_with("z/dup.md"))
        .unwrap();
    assert!(dup.message.contains("duplicate id"), "{dup}");
    let line = errors
        .iter()
        .find(|e| e.path.ends_with("bad-line.md"))
        .unwrap();
    assert!(line.to_string().contains("line 3"), "{line}");
}

#[test]
fn a_missing_folder_is_an_error_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let (hc, errors) = HelpCenter::load(&dir.path().join("nope"), BASE);
    assert!(hc.articles().is_empty());
    assert_eq!(errors.len(), 1);
    assert!(errors[0].message.contains("cannot read the folder"));
}
