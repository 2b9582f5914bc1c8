//! SentencePiece tokenisation of a `.model` file: the protobuf read with `prost`, the
//! `nmt_nfkc` normaliser and the unigram segmentation from `tokenizers`.

use super::ModelError;
use std::path::Path;
use tokenizers::models::unigram::Unigram;
use tokenizers::normalizers::precompiled::Precompiled;
use tokenizers::{Model, NormalizedString, Normalizer};

/// The parts of SentencePiece's `ModelProto` that tokenising needs.
#[derive(Clone, PartialEq, prost::Message)]
struct ModelProto {
    #[prost(message, repeated, tag = "1")]
    pieces: Vec<Piece>,
    #[prost(message, optional, tag = "3")]
    normalizer_spec: Option<NormalizerSpec>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Piece {
    #[prost(string, optional, tag = "1")]
    piece: Option<String>,
    #[prost(float, optional, tag = "2")]
    score: Option<f32>,
    /// 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte.
    #[prost(int32, optional, tag = "3")]
    kind: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct NormalizerSpec {
    #[prost(bytes = "vec", optional, tag = "2")]
    precompiled_charsmap: Option<Vec<u8>>,
}

const UNKNOWN: i32 = 2;
/// What SentencePiece writes for a space inside a piece.
const SPACE: char = '\u{2581}';

/// A SentencePiece unigram tokenizer.
pub(crate) struct SentencePiece {
    model: Unigram,
    normalizer: Option<Precompiled>,
}

impl SentencePiece {
    pub(crate) fn load(path: &Path) -> Result<SentencePiece, ModelError> {
        let bytes = std::fs::read(path).map_err(|e| ModelError::read(path, e))?;
        let proto: ModelProto = prost::Message::decode(bytes.as_slice())
            .map_err(|e| ModelError::invalid(path, format!("not a SentencePiece model: {e}")))?;
        let unk = proto
            .pieces
            .iter()
            .position(|p| p.kind == Some(UNKNOWN))
            .unwrap_or(0);
        let vocab: Vec<(String, f64)> = proto
            .pieces
            .into_iter()
            .map(|p| {
                (
                    p.piece.unwrap_or_default(),
                    f64::from(p.score.unwrap_or(0.0)),
                )
            })
            .collect();
        let model = Unigram::from(vocab, Some(unk), false)
            .map_err(|e| ModelError::invalid(path, e.to_string()))?;
        let normalizer = match proto
            .normalizer_spec
            .and_then(|n| n.precompiled_charsmap)
            .filter(|m| !m.is_empty())
        {
            Some(map) => Some(
                Precompiled::from(&map).map_err(|e| ModelError::invalid(path, e.to_string()))?,
            ),
            None => None,
        };
        Ok(SentencePiece { model, normalizer })
    }

    /// The piece ids of a text, as SentencePiece gives them with `add_bos` and
    /// `add_eos`: normalised, whitespace collapsed, `▁` before each word.
    pub(crate) fn encode(&self, text: &str, bos: u32, eos: u32) -> Vec<u32> {
        let mut normalized = NormalizedString::from(text);
        if let Some(n) = &self.normalizer {
            // The charsmap of a SentencePiece model maps every character it knows; a
            // failure here can only leave the text as it was.
            let _ = n.normalize(&mut normalized);
        }
        let mut ids = vec![bos];
        for word in normalized.get().split_whitespace() {
            let word = format!("{SPACE}{word}");
            if let Ok(tokens) = self.model.tokenize(&word) {
                ids.extend(tokens.into_iter().map(|t| t.id));
            }
        }
        ids.push(eos);
        ids
    }
}
