use relaydesk_kb::*;
use std::path::Path;
fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../helpcenter");
    let (hc, _) = HelpCenter::load(&dir, "https://h/");
    let qs = eval::read_questions(&dir.join("eval.jsonl")).unwrap();
    if std::env::var("VOCAB").is_ok() { for (t, df, tf) in hc.debug_vocab() { println!("{}", serde_json::json!([t, df, tf])); } return; }
    let out = eval::outcomes(&hc, &qs);
    for o in out {
        let f = hc.debug_features(&o.question.q);
        println!("{}", serde_json::json!({"q": o.question.q, "neg": o.question.expect.is_empty(), "rank": o.rank, "f": f, "ko": relaydesk_core::text::detect_lang(&o.question.q) == relaydesk_core::text::Lang::Ko}));
    }
}
#[allow(dead_code)]
fn _unused() {}
