use relaydesk_kb::*;
use std::path::Path;
fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../helpcenter");
    let args: Vec<f32> = std::env::args().skip(1).map(|a| a.parse().unwrap()).collect();
    let mut c = SearchConfig::default();
    if args.len() >= 5 { c.k1 = args[0]; c.b = args[1]; c.title_weight = args[2]; c.other_language = args[3]; c.unknown_term_weight = args[4]; }
    let (hc, errs) = HelpCenter::load_with(&dir, "https://h/", c);
    for e in &errs { println!("ERR {e}"); }
    let qs = eval::read_questions(&dir.join("eval.jsonl")).unwrap();
    println!("unknown ids {:?}", eval::unknown_ids(&hc, &qs));
    let out = eval::outcomes(&hc, &qs);
    let verbose = std::env::var("V").is_ok();
    for o in &out {
        if !o.question.expect.is_empty() && o.rank != Some(1) && verbose {
            println!("MISS r={:?} c={:.3} {} expect {:?} got {:?}", o.rank, o.confidence, o.question.q, o.question.expect, o.top);
        }
    }
    let mut pos: Vec<f32> = out.iter().filter(|o| !o.question.expect.is_empty()).map(|o| o.confidence).collect();
    let mut neg: Vec<(f32, String, Vec<String>)> = out.iter().filter(|o| o.question.expect.is_empty()).map(|o| (o.confidence, o.question.q.clone(), o.top.clone())).collect();
    pos.sort_by(f32::total_cmp); neg.sort_by(|a, b| b.0.total_cmp(&a.0));
    if verbose { for n in &neg[..10.min(neg.len())] { println!("NEG {:.3} {} {:?}", n.0, n.1, n.2); } }
    for t in [0.05f32, 0.08, 0.1, 0.12, 0.14, 0.16, 0.18, 0.2, 0.22, 0.25, 0.3] {
        let fd = pos.iter().filter(|&&p| p < t).count() as f32 / pos.len() as f32;
        let dr = neg.iter().filter(|n| n.0 < t).count() as f32 / neg.len() as f32;
        print!("t{t}: dr {dr:.3} fd {fd:.3} | ");
    }
    println!();
    println!("{}", serde_json::to_string(&eval::evaluate(&hc, &qs)).unwrap());
}
