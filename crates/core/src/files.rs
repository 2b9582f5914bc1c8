//! Files kept where they arrived. A platform whose file links expire (Discord's CDN) has
//! its files downloaded into a folder the moment they arrive, and linked as `file://`
//! URLs; the adapter that copies one to the other side reads it from there, and reads
//! nothing outside that folder.

use std::path::{Component, Path, PathBuf};

/// The `file://` URL of a kept file.
pub fn url_of(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// The kept file a `file://` URL names, when it is one inside `folder`; `None` for
/// another URL. An error for a `file://` URL outside the folder.
pub fn path_of(url: &str, folder: &Path) -> Option<Result<PathBuf, String>> {
    let path = Path::new(url.strip_prefix("file://")?);
    let inside = path.is_absolute()
        && !path.components().any(|c| matches!(c, Component::ParentDir))
        && path.starts_with(folder);
    Some(if inside {
        Ok(path.to_path_buf())
    } else {
        Err(format!("`{url}` is not a file relaydesk kept"))
    })
}

/// The bytes of the kept file `url` names, or `None` inside the result when it is
/// larger than `max` bytes; `None` when `url` is not a kept file's (`file://`) URL.
pub async fn read(url: &str, folder: &Path, max: u64) -> Option<Result<Option<Vec<u8>>, String>> {
    let path = match path_of(url, folder)? {
        Ok(path) => path,
        Err(e) => return Some(Err(e)),
    };
    Some(match tokio::fs::read(&path).await {
        Ok(bytes) => Ok((bytes.len() as u64 <= max).then_some(bytes)),
        Err(e) => Err(format!("kept file {}: {e}", path.display())),
    })
}

/// A kept file's name: unique per message and attachment, and safe on any file system.
pub fn name_for(message: &str, index: usize, name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    let safe = safe.trim_start_matches('.');
    let digits: String = message
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    format!("{digits}-{index}-{safe}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_inside_the_folder_are_read() {
        let folder = Path::new("/srv/relaydesk/files");
        let kept = url_of(&folder.join("1-0-a.png"));
        assert_eq!(path_of(&kept, folder), Some(Ok(folder.join("1-0-a.png"))));
        assert!(matches!(
            path_of("file:///etc/passwd", folder),
            Some(Err(_))
        ));
        assert!(matches!(
            path_of("file:///srv/relaydesk/files/../../../etc/passwd", folder),
            Some(Err(_))
        ));
        assert_eq!(path_of("https://cdn.example/a.png", folder), None);
    }

    #[test]
    fn kept_names_are_safe() {
        assert_eq!(name_for("123", 0, "../../x y.png"), "123-0-_.._x_y.png");
        assert_eq!(name_for("1", 2, "로그.txt"), "1-2-로그.txt");
    }
}
