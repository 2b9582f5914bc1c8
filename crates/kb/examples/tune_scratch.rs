use relaydesk_kb::public_sets::*;
use relaydesk_kb::*;
fn main() {
    let dir = data_dir();
    let (ka, kq) = korquad_articles(&dir.join(KORQUAD_FILE)).unwrap();
    let (sa, sq) = stackfaq_articles(&dir.join(STACKFAQ_FILE)).unwrap();
    for k1 in [0.6f32, 0.8, 1.0] {
        for b in [0.6f32, 0.75, 0.9] {
            for tw in [0.7f32, 1.0, 1.4] {
                let c = SearchConfig { k1, b, title_weight: tw, ..Default::default() };
                let k = eval::rank_metrics(&HelpCenter::with_config(ka.clone(), c), &kq);
                let s = eval::rank_metrics(&HelpCenter::with_config(sa.clone(), c), &sq);
                println!("k1 {k1} b {b} tw {tw}: korquad {:.4}/{:.4} stackfaq {:.4}/{:.4}", k.hit_at_1, k.hit_at_3, s.hit_at_1, s.hit_at_3);
            }
        }
    }
}
