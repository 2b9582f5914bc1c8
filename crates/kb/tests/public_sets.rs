//! The public-set converters on tiny sets in the published formats. The published sets
//! are not in the repository; `relaydesk kb eval-public <dir>` measures them.

mod common;

use relaydesk_kb::public_sets::{self, KORQUAD_FILE, STACKFAQ_FILE};
use relaydesk_kb::HelpCenter;
use std::path::Path;

/// Two KorQuAD entries (three paragraphs, four questions) and three StackFAQ threads,
/// with the quirks of the published StackFAQ file: a single answer string, `null`
/// rephrasings and answers, a junk rephrasing, a thread without rephrasings, and a
/// shell comment in an answer.
fn tiny_sets(dir: &Path) {
    common::write(
        dir,
        KORQUAD_FILE,
        r#"{"version": "KorQuAD_v1.0_dev", "data": [
          {"title": "세종", "paragraphs": [
            {"context": "세종은 훈민정음을 창제하여 백성에게 반포하였다.",
             "qas": [{"question": "훈민정음을 창제한 왕은?", "id": "1", "answers": []},
                     {"question": "세종이 백성에게 반포한 것은?", "id": "2", "answers": []}]},
            {"context": "장영실은 측우기와 해시계를 만들었다.",
             "qas": [{"question": "측우기를 만든 사람은?", "id": "3", "answers": []}]}]},
          {"title": "부산", "paragraphs": [
            {"context": "부산은 대한민국 제2의 도시이며 항구 도시이다.",
             "qas": [{"question": "대한민국 제2의 항구 도시는?", "id": "4", "answers": []}]}]}]}"#,
    );
    common::write(
        dir,
        STACKFAQ_FILE,
        r##"{"root": {"qapair": [
          {"question": "How do I reset my router password",
           "answer": ["Hold the reset button for ten seconds.", null,
                      "# reboot afterwards\nThen sign in with the default password."],
           "rephr": ["forgot the router password", null, "*", "router password reset"]},
          {"question": "Why is my printer offline",
           "answer": "Check the printer cable and turn the printer on again.",
           "rephr": ["printer shows offline"]},
          {"question": "An unasked thread about gardening", "answer": ["Water the tomatoes."]}]}}"##,
    );
}

#[test]
fn korquad_paragraphs_become_korean_articles_with_their_questions() {
    let dir = tempfile::tempdir().unwrap();
    tiny_sets(dir.path());
    let (articles, questions) =
        public_sets::korquad_articles(&dir.path().join(KORQUAD_FILE)).unwrap();
    let ids: Vec<&str> = articles.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["korquad-0", "korquad-1", "korquad-2"]);
    assert_eq!(articles[1].title, "세종 (2)");
    assert_eq!(articles[2].title, "부산 (1)");
    assert!(articles.iter().all(|a| a.locale.as_str() == "ko"));
    let expected: Vec<(usize, &str)> = questions
        .iter()
        .map(|q| (q.line, q.expect[0].as_str()))
        .collect();
    assert_eq!(
        expected,
        [
            (1, "korquad-0"),
            (2, "korquad-0"),
            (3, "korquad-1"),
            (4, "korquad-2")
        ]
    );
}

#[test]
fn stackfaq_threads_keep_every_answer_and_only_real_rephrasings() {
    let dir = tempfile::tempdir().unwrap();
    tiny_sets(dir.path());
    let set = public_sets::stackfaq(&dir.path().join(STACKFAQ_FILE)).unwrap();
    assert_eq!(set.help_center.articles().len(), 3);
    let asked: Vec<(&str, &str)> = set
        .questions
        .iter()
        .map(|q| (q.q.as_str(), q.expect[0].as_str()))
        .collect();
    assert_eq!(
        asked,
        [
            ("forgot the router password", "stackfaq-0"),
            ("router password reset", "stackfaq-0"),
            ("printer shows offline", "stackfaq-1"),
        ],
        "`null` and \"*\" are not questions"
    );
    let router = set.help_center.article("stackfaq-0").unwrap();
    assert!(router.body.contains("ten seconds") && router.body.contains("default password"));
    assert!(
        router.body.contains("\\# reboot afterwards"),
        "a shell comment is not a heading: {}",
        router.body
    );
    let printer = set.help_center.article("stackfaq-1").unwrap();
    assert!(
        printer.body.contains("printer cable"),
        "a single answer string"
    );
}

#[test]
fn reports_count_every_question_of_each_set() {
    let dir = tempfile::tempdir().unwrap();
    tiny_sets(dir.path());
    let reports = public_sets::evaluate_dir(dir.path()).unwrap();
    let sizes: Vec<(&str, usize, usize)> = reports
        .iter()
        .map(|r| (r.set, r.articles, r.ranks.questions))
        .collect();
    assert_eq!(sizes, [("korquad", 3, 4), ("stackfaq", 3, 3)]);
    for r in &reports {
        assert!(r.ranks.hit_at_3 >= r.ranks.hit_at_1, "{r:?}");
        assert!(r.ranks.hit_at_1 > 0.5, "the tiny sets are easy: {r:?}");
        assert!(r.seconds >= 0.0 && r.mean_query_us >= 0.0, "{r:?}");
    }
    let json = serde_json::to_value(reports[0]).unwrap();
    let mut keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "articles",
            "hit@1",
            "hit@3",
            "mean_query_us",
            "mrr",
            "questions",
            "seconds",
            "set"
        ]
    );
}

#[test]
fn a_missing_set_names_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let err = public_sets::evaluate_dir(dir.path())
        .unwrap_err()
        .to_string();
    assert!(err.contains(KORQUAD_FILE), "{err}");
    common::write(dir.path(), KORQUAD_FILE, "{\"data\": 3}");
    let err = public_sets::evaluate_dir(dir.path())
        .unwrap_err()
        .to_string();
    assert!(err.contains("not the expected JSON"), "{err}");
}

#[test]
fn benchmark_help_center_is_reproducible() {
    let data = tempfile::tempdir().unwrap();
    tiny_sets(data.path());
    let dir = tempfile::tempdir().unwrap();
    let written = public_sets::write_benchmark_helpcenter(data.path(), dir.path(), 14).unwrap();
    assert_eq!(written, 14);
    let (hc, errors) = HelpCenter::load(dir.path(), "https://help.example.com/");
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        hc.articles().len(),
        14,
        "ids stay unique past the 6 source articles"
    );
    assert!(hc.article("stackfaq-0-r2").is_some());
    assert!(hc.stats().sections > 14, "StackFAQ answers become sections");

    let again = tempfile::tempdir().unwrap();
    public_sets::write_benchmark_helpcenter(data.path(), again.path(), 14).unwrap();
    let text = |root: &Path| std::fs::read_to_string(root.join("korquad/korquad-1-r1.md")).unwrap();
    assert_eq!(
        text(dir.path()),
        text(again.path()),
        "the same files every time"
    );
}
