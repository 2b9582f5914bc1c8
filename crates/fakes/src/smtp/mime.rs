//! Reading a received message the way a mail client would: headers (RFC 5322 unfolding),
//! encoded-words (RFC 2047), multipart bodies and their transfer encodings (RFC 2045,
//! 2046). Lenient: what cannot be decoded is returned as it is.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

/// Nested multiparts deeper than this are not searched.
const MAX_DEPTH: usize = 8;

/// The first header called `name` (case-insensitive) of `data`, unfolded and trimmed.
pub(super) fn header(data: &str, name: &str) -> Option<String> {
    headers(split(data).0)
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, value)| value)
}

/// The decoded body of the first part of type `mime` (e.g. "text/plain"), line breaks as
/// `\n`; a message with no Content-Type counts as text/plain.
pub(super) fn part(data: &str, mime: &str) -> Option<String> {
    find(data, mime, 0)
}

/// `value` with its encoded-words decoded; the white space between two adjacent
/// encoded-words is dropped, and their bytes are joined before being read as UTF-8, so
/// a character split across two words survives.
pub(super) fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut run: Vec<u8> = Vec::new();
    let mut in_run = false;
    let mut literal = String::new();
    let mut rest = value;
    while !rest.is_empty() {
        if let Some((bytes, len)) = encoded_word(rest) {
            if !(in_run && literal.chars().all(char::is_whitespace)) {
                out.push_str(&String::from_utf8_lossy(&run));
                run.clear();
                out.push_str(&literal);
            }
            literal.clear();
            run.extend(bytes);
            in_run = true;
            rest = &rest[len..];
        } else {
            let mut chars = rest.chars();
            if let Some(c) = chars.next() {
                literal.push(c);
            }
            rest = chars.as_str();
        }
    }
    out.push_str(&String::from_utf8_lossy(&run));
    out.push_str(&literal);
    out
}

/// `=?charset?B|Q?text?=` at the start of `s`: its bytes and its length in `s`.
fn encoded_word(s: &str) -> Option<(Vec<u8>, usize)> {
    let body = s.strip_prefix("=?")?;
    let charset_end = body.find('?')?;
    let after_charset = &body[charset_end + 1..];
    let encoding = after_charset.get(..1)?;
    let encoded = after_charset.get(1..)?.strip_prefix('?')?;
    let end = encoded.find("?=")?;
    let encoded = &encoded[..end];
    if charset_end == 0 || encoded.contains(|c: char| c.is_whitespace()) {
        return None;
    }
    let bytes = match encoding {
        "B" | "b" => STANDARD.decode(encoded).ok()?,
        "Q" | "q" => quoted_printable(encoded, true),
        _ => return None,
    };
    // "=?" + charset + "?" + encoding + "?" + text + "?="
    Some((bytes, 2 + charset_end + 3 + end + 2))
}

fn find(data: &str, mime: &str, depth: usize) -> Option<String> {
    let (head, body) = split(data);
    let headers = headers(head);
    let get = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let (kind, params) = content_type(get("content-type").unwrap_or("text/plain"));
    if kind.starts_with("multipart/") {
        if depth >= MAX_DEPTH {
            return None;
        }
        let boundary = params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("boundary"))
            .map(|(_, v)| v.as_str())?;
        return parts(body, boundary)
            .into_iter()
            .find_map(|p| find(p, mime, depth + 1));
    }
    if kind != mime {
        return None;
    }
    let encoding = get("content-transfer-encoding")
        .unwrap_or("7bit")
        .to_ascii_lowercase();
    let bytes = match encoding.as_str() {
        "base64" => {
            let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            STANDARD
                .decode(compact)
                .unwrap_or_else(|_| body.as_bytes().to_vec())
        }
        "quoted-printable" => quoted_printable(body, false),
        _ => body.as_bytes().to_vec(),
    };
    Some(String::from_utf8_lossy(&bytes).replace("\r\n", "\n"))
}

/// The header block and the body, split at the first empty line.
fn split(data: &str) -> (&str, &str) {
    if let Some(body) = data
        .strip_prefix("\r\n")
        .or_else(|| data.strip_prefix('\n'))
    {
        return ("", body);
    }
    match (data.find("\r\n\r\n"), data.find("\n\n")) {
        (Some(crlf), Some(lf)) if lf < crlf => (&data[..lf], &data[lf + 2..]),
        (Some(crlf), _) => (&data[..crlf], &data[crlf + 4..]),
        (None, Some(lf)) => (&data[..lf], &data[lf + 2..]),
        (None, None) => (data, ""),
    }
}

/// (name, value) of each header, continuation lines joined without their line break.
fn headers(head: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = out.last_mut() {
                value.push_str(line);
            }
        } else if let Some((name, value)) = line.split_once(':') {
            out.push((name.trim().to_owned(), value.to_owned()));
        }
    }
    for (_, value) in &mut out {
        *value = value.trim().to_owned();
    }
    out
}

/// The lowercased type of a Content-Type value and its parameters, quotes removed.
fn content_type(value: &str) -> (String, Vec<(String, String)>) {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    for c in value.chars() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    fields.push(field);
    let kind = fields[0].trim().to_ascii_lowercase();
    let params = fields[1..]
        .iter()
        .filter_map(|f| f.split_once('='))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    (kind, params)
}

/// The body parts between `--boundary` lines, each without the line break that belongs
/// to the delimiter after it.
fn parts<'a>(body: &'a str, boundary: &str) -> Vec<&'a str> {
    let open = format!("--{boundary}");
    let close = format!("--{boundary}--");
    let mut parts = Vec::new();
    let mut start: Option<usize> = None;
    let mut pos = 0;
    for line in body.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\r', '\n', ' ', '\t']);
        if bare == open || bare == close {
            if let Some(start) = start {
                let part = &body[start..pos];
                let part = part
                    .strip_suffix("\r\n")
                    .or_else(|| part.strip_suffix('\n'))
                    .unwrap_or(part);
                parts.push(part);
            }
            if bare == close {
                return parts;
            }
            start = Some(pos + line.len());
        }
        pos += line.len();
    }
    // No closing delimiter: the last part runs to the end.
    if let Some(start) = start {
        parts.push(&body[start..]);
    }
    parts
}

/// Decodes quoted-printable (RFC 2045) or, with `q`, the Q encoding of encoded-words,
/// where "_" stands for a space and there are no soft line breaks.
fn quoted_printable(text: &str, q: bool) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'=' if !q && bytes[i + 1..].starts_with(b"\r\n") => i += 3,
            b'=' if !q && bytes[i + 1..].starts_with(b"\n") => i += 2,
            b'=' => match bytes.get(i + 1..i + 3).and_then(hex) {
                Some(byte) => {
                    out.push(byte);
                    i += 3;
                }
                None => {
                    out.push(b'=');
                    i += 1;
                }
            },
            b'_' if q => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

fn hex(pair: &[u8]) -> Option<u8> {
    let digit = |b: u8| char::from(b).to_digit(16);
    match pair {
        [high, low] => Some((digit(*high)? * 16 + digit(*low)?) as u8),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALTERNATIVE: &str = "From: Support <support@example.com>\r\n\
        Subject: =?utf-8?b?66y47J2Y?=\r\n \
        =?utf-8?q?_=EB=8B=B5=EB=B3=80?=\r\n\
        MIME-Version: 1.0\r\n\
        Content-Type: multipart/alternative;\r\n \
        boundary=\"b1;x\"\r\n\
        \r\n\
        preamble\r\n\
        --b1;x\r\n\
        Content-Type: text/plain; charset=utf-8\r\n\
        Content-Transfer-Encoding: quoted-printable\r\n\
        \r\n\
        =EC=95=88=EB=85=95=ED=95=98=EC=84=B8=EC=9A=94. a =3D b, a long line that is=\r\n \
        soft-broken\r\n\
        second line\r\n\
        \r\n\
        --b1;x\r\n\
        Content-Type: text/html; charset=utf-8\r\n\
        Content-Transfer-Encoding: base64\r\n\
        \r\n\
        PHA+7JWI64WVPC9w\r\nPgo=\r\n\
        --b1;x--\r\n\
        epilogue\r\n";

    #[test]
    fn headers_are_found_case_insensitively_and_unfolded() {
        assert_eq!(
            header(ALTERNATIVE, "content-type").as_deref(),
            Some("multipart/alternative; boundary=\"b1;x\"")
        );
        assert_eq!(
            header(ALTERNATIVE, "FROM").as_deref(),
            Some("Support <support@example.com>")
        );
        assert_eq!(header(ALTERNATIVE, "To"), None);
        // Body lines that look like headers are not headers.
        assert_eq!(header(ALTERNATIVE, "Content-Transfer-Encoding"), None);
    }

    #[test]
    fn encoded_words_decode_and_adjacent_ones_join() {
        let subject = header(ALTERNATIVE, "subject").unwrap_or_default();
        assert_eq!(decode_words(&subject), "문의 답변");
        // A character split over two words.
        assert_eq!(
            decode_words("=?UTF-8?B?7J2Y?= =?UTF-8?Q?=EB=AC=B8?="),
            "의문"
        );
        assert_eq!(
            decode_words("Re: =?utf-8?q?caf=C3=A9?= and more"),
            "Re: café and more"
        );
        assert_eq!(decode_words("plain = text ?= =?x"), "plain = text ?= =?x");
        assert_eq!(
            decode_words("=?utf-8?b?not base64?="),
            "=?utf-8?b?not base64?="
        );
        assert_eq!(decode_words("=??b?YQ==?="), "=??b?YQ==?=");
    }

    #[test]
    fn parts_decode_from_quoted_printable_and_base64() {
        assert_eq!(
            part(ALTERNATIVE, "text/plain").as_deref(),
            Some("안녕하세요. a = b, a long line that is soft-broken\nsecond line\n")
        );
        assert_eq!(
            part(ALTERNATIVE, "text/html").as_deref(),
            Some("<p>안녕</p>\n")
        );
        assert_eq!(part(ALTERNATIVE, "image/png"), None);
    }

    #[test]
    fn a_message_without_content_type_is_text() {
        let data = "Subject: hi\r\n\r\nline one\r\nline two\r\n";
        assert_eq!(
            part(data, "text/plain").as_deref(),
            Some("line one\nline two\n")
        );
        assert_eq!(part(data, "text/html"), None);
        assert_eq!(
            part("\r\nonly a body", "text/plain").as_deref(),
            Some("only a body")
        );
        assert_eq!(part("", "text/plain").as_deref(), Some(""));
    }

    #[test]
    fn nested_and_broken_multiparts_do_not_fail() {
        let nested = "Content-Type: multipart/mixed; boundary=outer\r\n\r\n\
            --outer\r\n\
            Content-Type: multipart/alternative; boundary=inner\r\n\r\n\
            --inner\r\n\
            Content-Type: text/plain\r\n\r\n\
            inside\r\n\
            --inner--\r\n\
            --outer--\r\n";
        assert_eq!(part(nested, "text/plain").as_deref(), Some("inside"));
        let unterminated = "Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n\r\nrest";
        assert_eq!(part(unterminated, "text/plain").as_deref(), Some("rest"));
        assert_eq!(
            part("Content-Type: multipart/alternative\r\n\r\nx", "text/plain"),
            None
        );
        assert_eq!(quoted_printable("=", false), b"=");
        assert_eq!(quoted_printable("=4", false), b"=4");
        assert_eq!(quoted_printable("=+1=3d", false), b"=+1=");
        assert_eq!(quoted_printable("=\u{d55c}", false), "=\u{d55c}".as_bytes());
    }
}
