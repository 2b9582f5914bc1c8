//! The sample help center in `helpcenter/` against its evaluation questions.

use relaydesk_kb::eval::{evaluate, outcomes, read_questions, unknown_ids};
use relaydesk_kb::HelpCenter;
use std::path::Path;

#[test]
fn sample_help_center_meets_the_acceptance_figures() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../helpcenter");
    let questions_path = dir.join("eval.jsonl");
    assert!(
        questions_path.is_file(),
        "the sample help center's questions are expected at {}",
        questions_path.display()
    );
    let (hc, errors) = HelpCenter::load(&dir, "https://help.example.com/articles/");
    assert!(
        errors.is_empty(),
        "sample articles must load cleanly: {errors:?}"
    );
    let questions = read_questions(&questions_path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        unknown_ids(&hc, &questions),
        vec![],
        "expected ids must exist"
    );

    let report = evaluate(&hc, &questions);
    let misses: Vec<String> = outcomes(&hc, &questions)
        .into_iter()
        .filter(|o| !o.question.expect.is_empty() && o.rank.is_none_or(|r| r > 3))
        .map(|o| format!("line {}: {} → {:?}", o.question.line, o.question.q, o.top))
        .collect();
    let summary = format!(
        "{}\nnot in the top 3:\n{}",
        serde_json::to_string(&report).unwrap_or_default(),
        misses.join("\n")
    );
    assert!(report.hit_at_3 >= 0.90, "hit@3 {summary}");
    assert!(report.hit_at_1 >= 0.75, "hit@1 {summary}");
    assert!(report.lang_match >= 0.98, "lang_match {summary}");
    assert!(report.decline_recall >= 0.80, "decline_recall {summary}");
    assert!(report.false_decline <= 0.10, "false_decline {summary}");
}
