//! Live reload: the help center follows changes to its folder.

mod common;

use common::write;
use relaydesk_kb::{Knowledge, LiveHelpCenter, Lookup, REINDEX_MARKER};
use std::fs::File;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// Moves a file's modification time forward, as a later edit would, so the test does
/// not depend on the file system's timestamp resolution.
fn bump_mtime(path: &Path, secs: u64) {
    let file = File::options().write(true).open(path).unwrap();
    file.set_modified(SystemTime::now() + Duration::from_secs(secs))
        .unwrap();
}

fn first_id(live: &LiveHelpCenter, q: &str) -> Option<String> {
    match live.lookup(q) {
        Lookup::Articles(hits) => hits.first().map(|h| h.id.clone()),
        _ => None,
    }
}

#[test]
fn reload_picks_up_changes() {
    let dir = tempfile::tempdir().unwrap();
    common::bilingual(dir.path());
    let (live, errors) = LiveHelpCenter::load(dir.path(), "https://help.example.com/");
    assert!(errors.is_empty());
    assert_eq!(live.current().articles().len(), 6);
    assert!(live.reload_if_changed().is_none(), "nothing changed yet");

    let question = "how do I export invoices as a spreadsheet";
    assert_eq!(first_id(&live, question), None);

    // An edit of an existing article (same length, so only the time tells).
    let path = dir.path().join("attachments-en.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let edited = text.replace(
        "Images, PDF and text logs work best.",
        "Export invoices as spreadsheet.     ",
    );
    assert_eq!(edited.len(), text.len());
    std::fs::write(&path, edited).unwrap();
    bump_mtime(&path, 5);
    let before = live.current();
    assert_eq!(live.reload_if_changed(), Some(vec![]));
    assert_eq!(first_id(&live, question).as_deref(), Some("attachments-en"));
    assert_eq!(
        before.articles().len(),
        6,
        "a help center in use stays valid"
    );
    assert!(live.reload_if_changed().is_none());

    // A new file, then a broken one.
    write(
        dir.path(),
        "billing/invoices.md",
        "---\ntitle: Download invoices\n---\nExport invoices as a spreadsheet from Billing.\n",
    );
    assert_eq!(live.reload_if_changed(), Some(vec![]));
    assert_eq!(first_id(&live, question).as_deref(), Some("invoices"));
    write(dir.path(), "broken.md", "---\ntitle: no end\n");
    let errors = live.reload_if_changed().expect("a new file is a change");
    assert_eq!(errors.len(), 1);
    assert!(errors[0].path.ends_with("broken.md"));
    assert_eq!(live.current().articles().len(), 7);

    // A removed file.
    std::fs::remove_file(dir.path().join("billing/invoices.md")).unwrap();
    assert!(live.reload_if_changed().is_some());
    assert!(live.current().article("invoices").is_none());

    // A forced reload always reloads.
    assert_eq!(live.reload().len(), 1);

    // `relaydesk kb reindex` touches the marker: created, then rewritten later.
    let marker = dir.path().join(REINDEX_MARKER);
    std::fs::write(&marker, b"").unwrap();
    assert!(live.reload_if_changed().is_some());
    assert!(live.reload_if_changed().is_none());
    std::fs::write(&marker, b"").unwrap();
    bump_mtime(&marker, 60);
    assert!(live.reload_if_changed().is_some());
}

#[test]
fn a_vanished_folder_keeps_the_loaded_articles() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("hc");
    common::bilingual(&dir);
    let (live, _) = LiveHelpCenter::load(&dir, "https://help.example.com/");
    std::fs::remove_dir_all(&dir).unwrap();
    let errors = live.reload_if_changed().expect("the folder changed");
    assert_eq!(errors.len(), 1);
    assert_eq!(live.current().articles().len(), 6);
    assert!(matches!(
        live.lookup("How do I reset my password?"),
        Lookup::Articles(_)
    ));
}
