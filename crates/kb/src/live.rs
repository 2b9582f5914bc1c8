//! A help center that follows its folder: the binary calls
//! [`LiveHelpCenter::reload_if_changed`] from a timer, and lookups keep using the
//! previous index until the new one is complete.

use crate::config::SearchConfig;
use crate::embed::{self, Embedder};
use crate::helpcenter::HelpCenter;
use crate::loader::{load_articles, markdown_files, LoadError};
use crate::vectors::VectorCache;
use relaydesk_core::knowledge::{ArticleHit, Knowledge, Lookup};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::SystemTime;

/// A [`HelpCenter`] reloaded from its folder when the files change.
pub struct LiveHelpCenter {
    dir: PathBuf,
    base_url: String,
    config: SearchConfig,
    current: RwLock<Arc<HelpCenter>>,
    /// What the folder looked like at the last load; the lock also keeps two reloads
    /// from running at once.
    seen: Mutex<Snapshot>,
    /// Questions learned from the desk, as (article id, question), searched with their
    /// article.
    phrasings: Mutex<Vec<(String, String)>>,
    /// The embedder and its vector cache, once a model is loaded.
    semantic: RwLock<Option<Model>>,
    /// Set when the phrasings or the model changed: the next check reloads.
    stale: AtomicBool,
}

/// A loaded embedder and its vector cache.
type Model = (Arc<dyn Embedder>, Arc<VectorCache>);

/// A file in the help-center folder whose modification asks running bots to reload
/// (`relaydesk kb reindex` touches it), even when no article changed.
pub const REINDEX_MARKER: &str = ".reindex";

/// Path, modification time and length of every article file, and the time of the
/// reindex marker.
#[derive(Debug, Default, PartialEq, Eq)]
struct Snapshot {
    files: Vec<(PathBuf, Option<SystemTime>, u64)>,
    marker: Option<SystemTime>,
}

impl Snapshot {
    fn take(dir: &Path) -> Snapshot {
        let (files, _) = markdown_files(dir);
        let stamp = |path: &Path| {
            let meta = std::fs::metadata(path).ok();
            let modified = meta.as_ref().and_then(|m| m.modified().ok());
            (modified, meta.map_or(0, |m| m.len()))
        };
        Snapshot {
            files: files
                .into_iter()
                .map(|path| {
                    let (modified, len) = stamp(&path);
                    (path, modified, len)
                })
                .collect(),
            marker: stamp(&dir.join(REINDEX_MARKER)).0,
        }
    }
}

impl LiveHelpCenter {
    /// Loads the folder with the default search settings.
    pub fn load(dir: impl Into<PathBuf>, base_url: impl Into<String>) -> (Self, Vec<LoadError>) {
        Self::load_with(dir, base_url, SearchConfig::default())
    }

    /// Loads the folder with explicit search settings.
    pub fn load_with(
        dir: impl Into<PathBuf>,
        base_url: impl Into<String>,
        config: SearchConfig,
    ) -> (Self, Vec<LoadError>) {
        let dir = dir.into();
        let base_url = base_url.into();
        let seen = Snapshot::take(&dir);
        let (help_center, errors) = HelpCenter::load_with(&dir, &base_url, config);
        let live = LiveHelpCenter {
            dir,
            base_url,
            config,
            current: RwLock::new(Arc::new(help_center)),
            seen: Mutex::new(seen),
            phrasings: Mutex::new(Vec::new()),
            semantic: RwLock::new(None),
            stale: AtomicBool::new(false),
        };
        (live, errors)
    }

    /// The folder this help center follows.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The help center as of the last load; stays valid while reloads happen.
    pub fn current(&self) -> Arc<HelpCenter> {
        Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Reloads when an article file was added, removed or modified, or the
    /// [`REINDEX_MARKER`] touched, since the last load; returns the new load's errors
    /// then, `None` when nothing changed.
    pub fn reload_if_changed(&self) -> Option<Vec<LoadError>> {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Snapshot::take(&self.dir);
        if now == *seen && !self.stale.swap(false, Ordering::SeqCst) {
            return None;
        }
        // Recorded before loading, so that an edit made during the load triggers the next one.
        *seen = now;
        Some(self.load_and_swap())
    }

    /// Reloads unconditionally (`relaydesk kb reindex`) and returns the load's errors.
    pub fn reload(&self) -> Vec<LoadError> {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        *seen = Snapshot::take(&self.dir);
        self.stale.store(false, Ordering::SeqCst);
        self.load_and_swap()
    }

    /// Replaces the learned phrasings, as (article id, question); the next
    /// [`LiveHelpCenter::reload_if_changed`] indexes them when they changed.
    pub fn set_phrasings(&self, mut phrasings: Vec<(String, String)>) {
        phrasings.sort_unstable();
        phrasings.dedup();
        let mut current = self
            .phrasings
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if *current != phrasings {
            *current = phrasings;
            self.stale.store(true, Ordering::SeqCst);
        }
    }

    /// Loads the first sentence-embedding model installed under `models` on a thread of
    /// its own, then rebuilds the index with the semantic stage; lookups stay lexical
    /// until then. Says once whether a model was found.
    pub fn start_semantic(self: &Arc<Self>, models: PathBuf) {
        let live = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name("kb-embed".into())
            .spawn(move || match embed::open_installed(&models) {
                Ok(Some((embedder, cache))) => {
                    *live.semantic.write().unwrap_or_else(PoisonError::into_inner) =
                        Some((embedder, Arc::new(cache)));
                    live.reload();
                }
                Ok(None) => tracing::info!(
                    models = %models.display(),
                    "no sentence-embedding model installed: the help-center search is lexical (`relaydesk kb fetch-model use` installs one)"
                ),
                Err(e) => tracing::warn!(error = %e, "the sentence-embedding model cannot be loaded: the help-center search stays lexical"),
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "cannot start the embedding thread: the help-center search stays lexical");
        }
    }

    fn load_and_swap(&self) -> Vec<LoadError> {
        if let Err(e) = std::fs::read_dir(&self.dir) {
            // A folder that vanished mid-deploy should not wipe out every answer.
            tracing::warn!(dir = %self.dir.display(), error = %e, "help center folder unreadable; keeping the loaded articles");
            return vec![LoadError::new(
                &self.dir,
                format!("cannot read the folder: {e}; kept the previous articles"),
            )];
        }
        let (mut articles, errors) = load_articles(&self.dir, &self.base_url);
        for (id, question) in self
            .phrasings
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            if let Some(article) = articles.iter_mut().find(|a| a.id == *id) {
                article.questions.push(question.clone());
            }
        }
        let mut help_center = HelpCenter::with_config(articles, self.config);
        let semantic = self
            .semantic
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some((embedder, cache)) = semantic {
            let before = cache.computed();
            help_center = help_center.with_embedder(embedder, &cache);
            tracing::info!(
                model = help_center.model().unwrap_or_default(),
                embedded = cache.computed() - before,
                cached = cache.len(),
                "help-center vectors ready"
            );
        }
        tracing::info!(
            dir = %self.dir.display(),
            articles = help_center.articles().len(),
            errors = errors.len(),
            "help center reloaded"
        );
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(help_center);
        errors
    }
}

impl std::fmt::Debug for LiveHelpCenter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveHelpCenter")
            .field("dir", &self.dir)
            .field("current", &self.current())
            .finish()
    }
}

impl Knowledge for LiveHelpCenter {
    fn lookup(&self, question: &str) -> Lookup {
        self.current().lookup(question)
    }

    fn lookup_public(&self, question: &str) -> Lookup {
        self.current().lookup_public(question)
    }

    fn article(&self, id: &str) -> Option<ArticleHit> {
        self.current().article_hit(id)
    }
}
