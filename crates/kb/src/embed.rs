//! The semantic stage's port: an [`Embedder`] turns a text into a unit vector whose
//! cosine with another text's says how close their meanings are, across languages.
//! [`UseEmbedder`] runs Universal Sentence Encoder multilingual v3 in-process; no model
//! installed means the search stays lexical.

mod spm;
mod use_m3;

pub use use_m3::UseEmbedder;

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A sentence-embedding model.
pub trait Embedder: Send + Sync {
    /// A short name, used to key the vector cache ("use").
    fn name(&self) -> &'static str;
    /// The length of every vector.
    fn dim(&self) -> usize;
    /// The text's vector, of length [`Embedder::dim`] and unit norm.
    fn embed(&self, text: &str) -> Vec<f32>;
}

/// The models relaydesk can install and run, by the name `kb fetch-model` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    /// Universal Sentence Encoder multilingual v3.
    Use,
}

impl ModelKind {
    /// Every model, in order of preference.
    pub const ALL: [ModelKind; 1] = [ModelKind::Use];

    /// Its name on the command line and its folder under the models folder.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Use => "use",
        }
    }

    /// The files an installed copy holds.
    pub fn files(self) -> &'static [&'static str] {
        match self {
            ModelKind::Use => &[use_m3::WEIGHTS, use_m3::TOKENIZER],
        }
    }

    /// True when every file of the model is in `models/<name>/`.
    pub fn installed_in(self, models: &Path) -> bool {
        let dir = models.join(self.name());
        self.files().iter().all(|f| dir.join(f).is_file())
    }

    /// Loads the copy installed in `models/<name>/`.
    pub fn load(self, models: &Path) -> Result<Arc<dyn Embedder>, ModelError> {
        let dir = models.join(self.name());
        match self {
            ModelKind::Use => Ok(Arc::new(UseEmbedder::load(&dir)?)),
        }
    }
}

impl std::str::FromStr for ModelKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ModelKind::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| format!("unknown model `{s}` (known: use)"))
    }
}

/// The first installed model under `models`, loaded; `Ok(None)` when none is installed.
pub fn load_installed(models: &Path) -> Result<Option<Arc<dyn Embedder>>, ModelError> {
    match ModelKind::ALL.into_iter().find(|m| m.installed_in(models)) {
        Some(kind) => kind.load(models).map(Some),
        None => Ok(None),
    }
}

/// A model that cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A file cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file is not what the model needs.
    #[error("{}: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
}

impl ModelError {
    pub(crate) fn read(path: &Path, source: std::io::Error) -> ModelError {
        ModelError::Read {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn invalid(path: &Path, message: String) -> ModelError {
        ModelError::Invalid {
            path: path.to_path_buf(),
            message,
        }
    }
}

/// Cosine of two unit vectors.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
