//! Retrieval on small fixture help centers: English, Korean, language preference,
//! declining, the too-short rule and the excerpt.

mod common;

use relaydesk_core::text::Lang;
use relaydesk_kb::{HelpCenter, Knowledge, Lookup, MAX_EXCERPT_LINES, MAX_EXCERPT_LINE_CHARS};

fn fixture() -> (tempfile::TempDir, HelpCenter) {
    let dir = tempfile::tempdir().unwrap();
    common::bilingual(dir.path());
    let (hc, errors) = HelpCenter::load(dir.path(), "https://help.example.com/");
    assert!(errors.is_empty(), "{errors:?}");
    (dir, hc)
}

fn answers(hc: &HelpCenter, question: &str) -> Vec<String> {
    match hc.lookup(question) {
        Lookup::Articles(hits) => hits.into_iter().map(|h| h.id).collect(),
        other => panic!("{question:?}: expected articles, got {other:?}"),
    }
}

#[test]
fn english_questions_find_english_articles() {
    let (_dir, hc) = fixture();
    assert_eq!(
        answers(&hc, "How do I reset my password?")[0],
        "reset-password-en"
    );
    assert_eq!(
        answers(&hc, "I forgot my password and can't sign in")[0],
        "reset-password-en"
    );
    assert_eq!(
        answers(&hc, "how can I speak to a human agent")[0],
        "talk-to-an-agent-en"
    );
    assert_eq!(
        answers(&hc, "can I attach a screenshot to the chat")[0],
        "attachments-en"
    );
}

#[test]
fn korean_questions_find_korean_articles() {
    let (_dir, hc) = fixture();
    assert_eq!(
        answers(&hc, "비밀번호를 잊어버렸어요")[0],
        "reset-password-ko"
    );
    assert_eq!(
        answers(&hc, "상담사랑 이야기하고 싶어요")[0],
        "talk-to-an-agent-ko"
    );
    assert_eq!(
        answers(&hc, "스크린샷 파일을 첨부하고 싶어요")[0],
        "attachments-ko"
    );
}

#[test]
fn the_question_language_comes_first() {
    let (_dir, hc) = fixture();
    // Both articles mention the same product words; the language decides.
    let ko = hc.search("PDF 파일 20MB 첨부", 2);
    assert_eq!(ko[0].id, "attachments-ko");
    assert_eq!(ko[0].locale, Lang::Ko);
    let en = hc.search("attach a 20 MB PDF file", 2);
    assert_eq!(en[0].id, "attachments-en");
}

#[test]
fn answers_carry_link_title_and_steps_of_the_matching_section() {
    let (_dir, hc) = fixture();
    let Lookup::Articles(hits) =
        hc.lookup("the password reset email never arrives, I checked spam")
    else {
        panic!("expected an answer");
    };
    let top = &hits[0];
    assert_eq!(top.id, "reset-password-en");
    assert_eq!(top.title, "Reset your password");
    assert_eq!(top.url, "https://help.example.com/reset-password-en");
    assert_eq!(
        top.excerpt[0], "1. Check your spam and junk folders.",
        "steps of the section that matched"
    );
    assert!(hits.len() <= 3);
    for hit in &hits {
        assert!(hit.excerpt.len() <= MAX_EXCERPT_LINES);
        assert!(hit
            .excerpt
            .iter()
            .all(|l| l.chars().count() <= MAX_EXCERPT_LINE_CHARS));
    }

    let Lookup::Articles(hits) = hc.lookup("How do I reset my password?") else {
        panic!("expected an answer");
    };
    assert_eq!(hits[0].excerpt.len(), 4, "at most four steps");
    assert!(hits[0].excerpt[0].starts_with("1. Open the sign-in page"));
}

#[test]
fn unrelated_questions_are_declined() {
    let (_dir, hc) = fixture();
    for q in [
        "What's the weather going to be like in Paris tomorrow?",
        "Can you recommend a good laptop for video games?",
        "내일 서울 날씨 어때요?",
        "부산으로 택배를 보내려면 어떻게 하나요?",
    ] {
        assert_eq!(hc.lookup(q), Lookup::NoMatch, "{q:?} should be declined");
    }
}

#[test]
fn messages_too_short_to_search() {
    let (_dir, hc) = fixture();
    for q in ["help", "hi", "?", "", "   ", "도움", "password"] {
        assert_eq!(hc.lookup(q), Lookup::TooShort, "{q:?}");
    }
}

#[test]
fn raw_search_ranks_without_a_cut() {
    let (_dir, hc) = fixture();
    assert!(hc.search("password", 0).is_empty());
    let all = hc.search("password agent file 비밀번호 상담사 파일", 10);
    assert_eq!(all.len(), 6, "every article that shares a word is ranked");
    assert!(all.windows(2).all(|w| w[0].score >= w[1].score));
    let scored = hc.ranked("weather in Paris tomorrow", 3);
    assert!(scored
        .iter()
        .all(|s| s.confidence < hc.config().min_confidence));
}

#[test]
fn odd_input_never_panics() {
    let (_dir, hc) = fixture();
    let long = "password ".repeat(10_000);
    for q in [
        "🙂🙂🙂 🙂🙂",
        "\u{0}\u{1}\u{2} abc def",
        "ㅋㅋㅋㅋ ㅎㅎㅎ",
        "---\n# # #",
        long.as_str(),
    ] {
        let _ = hc.lookup(q);
        let _ = hc.search(q, 5);
    }
    let empty = HelpCenter::default();
    assert_eq!(empty.lookup("How do I reset my password?"), Lookup::NoMatch);
}
