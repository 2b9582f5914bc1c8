//! A help center that follows its folder: the binary calls
//! [`LiveHelpCenter::reload_if_changed`] from a timer, and lookups keep using the
//! previous index until the new one is complete.

use crate::config::SearchConfig;
use crate::helpcenter::HelpCenter;
use crate::loader::{markdown_files, LoadError};
use relaydesk_core::knowledge::{Knowledge, Lookup};
use std::path::{Path, PathBuf};
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
}

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
        if now == *seen {
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
        self.load_and_swap()
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
        let (help_center, errors) = HelpCenter::load_with(&self.dir, &self.base_url, self.config);
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
}
