//! Attachments of the request form: their type read from their first bytes, never from
//! their name, and kept where the adapters read kept files, so that they are copied to
//! the ticket's thread like a chat's files.

use std::path::Path;

use relaydesk_core::adapter::FileRef;
use relaydesk_core::files;

/// Why a file was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Larger than `[web].max_upload_mb`.
    TooLarge,
    /// Not an image, a PDF, text or a zip.
    WrongType,
}

/// The type of `bytes`, when it is one the form takes: an image, a PDF, a zip, or text
/// (UTF-8 without control characters beyond tabs and line ends).
pub(crate) fn accepted_type(bytes: &[u8]) -> Option<&'static str> {
    if let Some(kind) = infer::get(bytes) {
        let mime = kind.mime_type();
        let taken = kind.matcher_type() == infer::MatcherType::Image
            || mime == "application/pdf"
            || mime == "application/zip";
        return taken.then_some(mime);
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let plain = text
        .chars()
        .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'));
    (plain && !bytes.is_empty()).then_some("text/plain")
}

/// Checks one uploaded file.
pub(crate) fn check(bytes: &[u8], max: usize) -> Result<&'static str, Refused> {
    if bytes.len() > max {
        return Err(Refused::TooLarge);
    }
    accepted_type(bytes).ok_or(Refused::WrongType)
}

/// Keeps a checked file in `folder` under a name unique to the request and its place
/// among the attachments; its reference, as a chat file's.
pub(crate) async fn keep(
    folder: &Path,
    request: &str,
    index: usize,
    name: &str,
    mime: &str,
    bytes: &[u8],
) -> std::io::Result<FileRef> {
    tokio::fs::create_dir_all(folder).await?;
    let folder = std::path::absolute(folder)?;
    let path = folder.join(files::name_for(request, index, name));
    tokio::fs::write(&path, bytes).await?;
    Ok(FileRef {
        name: name.to_string(),
        url: files::url_of(&path),
        size: bytes.len() as u64,
        mime: Some(mime.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_read_from_the_bytes() {
        let png = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0];
        assert_eq!(accepted_type(&png), Some("image/png"));
        assert_eq!(accepted_type(b"%PDF-1.7\n"), Some("application/pdf"));
        assert_eq!(accepted_type(b"PK\x03\x04rest"), Some("application/zip"));
        assert_eq!(
            accepted_type("log line\n두 번째 줄\n".as_bytes()),
            Some("text/plain")
        );
        // An executable named `photo.png` is still an executable.
        assert_eq!(
            accepted_type(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0"),
            None
        );
        assert_eq!(accepted_type(b"MZ\x90\0\x03\0\0\0"), None);
        assert_eq!(accepted_type(&[0, 1, 2, 3, 0xff]), None);
        assert_eq!(check(b"%PDF-1.7", 4), Err(Refused::TooLarge));
    }
}
