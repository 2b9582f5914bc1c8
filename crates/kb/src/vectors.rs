//! The on-disk cache of text vectors: one file per model, records of the text's SHA-256
//! and its vector, appended as texts are embedded. A changed article has new text, so
//! only it is embedded again; a restart reads every vector back.

use crate::embed::Embedder;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

const MAGIC: &[u8; 8] = b"RDVEC\x001\n";

type Key = [u8; 32];

/// Vectors by the hash of their text, backed by a file.
pub struct VectorCache {
    path: Option<PathBuf>,
    dim: usize,
    vectors: Mutex<HashMap<Key, Box<[f32]>>>,
    /// Texts embedded since the cache was opened (for logs and tests).
    computed: std::sync::atomic::AtomicUsize,
}

impl VectorCache {
    /// A cache that keeps vectors in memory only.
    pub fn in_memory(dim: usize) -> VectorCache {
        VectorCache {
            path: None,
            dim,
            vectors: Mutex::new(HashMap::new()),
            computed: Default::default(),
        }
    }

    /// Opens (or starts) the cache file for vectors of `dim` floats. A file written for
    /// another length, or unreadable, is started afresh with a warning; a torn last
    /// record (a crash mid-write) is ignored.
    pub fn open(path: &Path, dim: usize) -> VectorCache {
        let mut vectors = HashMap::new();
        let record = 32 + dim * 4;
        match std::fs::read(path) {
            Ok(bytes) if bytes.len() >= 12 && &bytes[..8] == MAGIC => {
                let stored = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
                if stored as usize == dim {
                    for rec in bytes[12..].chunks_exact(record) {
                        let mut key = [0u8; 32];
                        key.copy_from_slice(&rec[..32]);
                        let v: Box<[f32]> = rec[32..]
                            .chunks_exact(4)
                            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                            .collect();
                        vectors.insert(key, v);
                    }
                } else {
                    tracing::warn!(path = %path.display(), "vector cache is for another model size; starting it again");
                    let _ = std::fs::remove_file(path);
                }
            }
            Ok(_) => {
                tracing::warn!(path = %path.display(), "not a vector cache; starting it again");
                let _ = std::fs::remove_file(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "cannot read the vector cache")
            }
        }
        VectorCache {
            path: Some(path.to_path_buf()),
            dim,
            vectors: Mutex::new(vectors),
            computed: Default::default(),
        }
    }

    /// The cache of an installed model: `<models>/<name>/vectors.bin`.
    pub fn for_model(models: &Path, embedder: &dyn Embedder) -> VectorCache {
        let path = models.join(embedder.name()).join("vectors.bin");
        VectorCache::open(&path, embedder.dim())
    }

    /// Vectors held.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when the cache holds no vector.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Texts embedded (not found in the cache) since it was opened.
    pub fn computed(&self) -> usize {
        self.computed.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Box<[f32]>>> {
        self.vectors
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The vector of each text, from the cache or embedded now; new vectors are
    /// appended to the file.
    pub fn vectors(&self, embedder: &dyn Embedder, texts: &[String]) -> Vec<Box<[f32]>> {
        let keys: Vec<Key> = texts.iter().map(|t| key(embedder, t)).collect();
        let mut fresh: Vec<(Key, Box<[f32]>)> = Vec::new();
        let mut out = Vec::with_capacity(texts.len());
        for (text, k) in texts.iter().zip(&keys) {
            if let Some(v) = self.lock().get(k) {
                out.push(v.clone());
                continue;
            }
            let v: Box<[f32]> = embedder.embed(text).into();
            fresh.push((*k, v.clone()));
            out.push(v);
        }
        if !fresh.is_empty() {
            self.computed
                .fetch_add(fresh.len(), std::sync::atomic::Ordering::Relaxed);
            self.append(&fresh);
            self.lock().extend(fresh);
        }
        out
    }

    fn append(&self, records: &[(Key, Box<[f32]>)]) {
        let Some(path) = &self.path else { return };
        let mut buf = Vec::with_capacity(12 + records.len() * (32 + self.dim * 4));
        let new_file = !path.exists();
        if new_file {
            buf.extend_from_slice(MAGIC);
            buf.extend_from_slice(&(self.dim as u32).to_le_bytes());
        }
        for (k, v) in records.iter().filter(|(_, v)| v.len() == self.dim) {
            buf.extend_from_slice(k);
            for x in v.iter() {
                buf.extend_from_slice(&x.to_le_bytes());
            }
        }
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| {
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
            })
            .and_then(|mut f| f.write_all(&buf));
        if let Err(e) = written {
            tracing::warn!(path = %path.display(), error = %e, "cannot write the vector cache; vectors stay in memory");
        }
    }
}

/// The cache key: the model's name and the text, hashed.
fn key(embedder: &dyn Embedder, text: &str) -> Key {
    let mut h = Sha256::new();
    h.update(embedder.name().as_bytes());
    h.update([0]);
    h.update(text.as_bytes());
    h.finalize().into()
}

impl std::fmt::Debug for VectorCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VectorCache")
            .field("path", &self.path)
            .field("vectors", &self.len())
            .finish()
    }
}
