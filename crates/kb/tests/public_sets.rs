//! Regression figures on the public retrieval sets (see `shared/data/retrieval/README.md`).

use relaydesk_kb::public_sets::{self, KORQUAD_FILE, STACKFAQ_FILE};
use relaydesk_kb::HelpCenter;
use std::path::PathBuf;

/// The shared data folder; a missing file fails the test instead of skipping it.
fn data_file(name: &str) -> PathBuf {
    let path = public_sets::data_dir().join(name);
    assert!(
        path.is_file(),
        "public retrieval set missing: expected {} (the workspace's ../shared/data/retrieval/)",
        path.display()
    );
    path
}

#[test]
fn korquad_dev_paragraphs_hit_at_1() {
    let set = public_sets::korquad(&data_file(KORQUAD_FILE)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(set.help_center.articles().len(), 964);
    assert_eq!(set.questions.len(), 5_774, "all questions, no sample");
    let m = set.evaluate();
    assert!(m.hit_at_1 >= 0.90, "KorQuAD dev: {m:?}");
}

#[test]
fn stackfaq_rephrasings_hit_at_3() {
    let set = public_sets::stackfaq(&data_file(STACKFAQ_FILE)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(set.help_center.articles().len(), 125);
    assert!(set
        .questions
        .iter()
        .all(|q| q.q.chars().any(char::is_alphabetic)));
    let m = set.evaluate();
    assert!(m.hit_at_3 >= 0.85, "StackFAQ: {m:?}");
}

#[test]
fn benchmark_help_center_is_reproducible() {
    data_file(KORQUAD_FILE);
    data_file(STACKFAQ_FILE);
    let dir = tempfile::tempdir().unwrap();
    let written = public_sets::write_benchmark_helpcenter(dir.path(), 1_200).unwrap();
    assert_eq!(written, 1_200);
    let (hc, errors) = HelpCenter::load(dir.path(), "https://help.example.com/");
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        hc.articles().len(),
        1_200,
        "ids stay unique past the 1,089 source articles"
    );
    assert!(
        hc.stats().sections > 1_200,
        "StackFAQ answers become sections"
    );
}
