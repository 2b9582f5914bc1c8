//! A fake SMTP server on 127.0.0.1: the part of RFC 5321 that a submission client uses
//! (EHLO, AUTH PLAIN and LOGIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT) over plain TCP, so
//! that lettre inside relaydesk sends real mail to it.
//!
//! The server runs on its own tokio runtime on a background thread; everything public
//! here is synchronous. It accepts any login and records it, and it can be told to refuse
//! transactions, temporarily (451 after DATA) or permanently (550 at RCPT).

mod mime;

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpStream;

/// Longer command or text lines end the session with a 500: RFC 5321 allows 512 and
/// 1000 octets, this is lenient but bounds what a client can make the fake hold.
const MAX_LINE: usize = 64 * 1024;
/// Larger messages are read to their end and refused with a 552.
const MAX_MESSAGE: usize = 32 * 1024 * 1024;

/// A fake SMTP server on a free port of 127.0.0.1, stopped and joined when dropped.
pub struct FakeSmtp {
    port: u16,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// A message the fake accepted: its envelope and its content as the client sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The reverse path of `MAIL FROM`, without angle brackets ("" for `<>`).
    pub from: String,
    /// The forward paths of the accepted `RCPT TO`s, in order, without angle brackets.
    pub to: Vec<String>,
    /// The raw DATA, dot-unstuffed, line ends (CRLF) kept, the final "." line left out.
    pub data: String,
}

impl Received {
    /// The value of the first header called `name` (case-insensitive), unfolded and
    /// trimmed; `None` when the message has no such header.
    pub fn header(&self, name: &str) -> Option<String> {
        mime::header(&self.data, name)
    }

    /// The decoded text/plain part (of a multipart message, or the body of a message
    /// with no or a text/plain Content-Type), line breaks as `\n`; "" when there is none.
    pub fn text(&self) -> String {
        mime::part(&self.data, "text/plain").unwrap_or_default()
    }

    /// The decoded text/html part, line breaks as `\n`; "" when there is none.
    pub fn html(&self) -> String {
        mime::part(&self.data, "text/html").unwrap_or_default()
    }

    /// The Subject with its RFC 2047 encoded-words decoded; "" when there is none.
    pub fn subject(&self) -> String {
        self.header("subject")
            .map(|s| mime::decode_words(&s))
            .unwrap_or_default()
    }
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    logins: Vec<(String, String)>,
    refuse_temporarily: usize,
    refuse_permanently: bool,
    refused: usize,
}

impl FakeSmtp {
    /// Binds 127.0.0.1 on a free port and serves SMTP there until dropped.
    pub fn start() -> FakeSmtp {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap_or_else(|e| panic!("fake smtp: bind: {e}"));
        listener
            .set_nonblocking(true)
            .unwrap_or_else(|e| panic!("fake smtp: nonblocking: {e}"));
        let port = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("fake smtp: address: {e}"))
            .port();
        let shared = Arc::new(Shared::default());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("fake-smtp".to_owned())
            .spawn({
                let shared = Arc::clone(&shared);
                move || serve(listener, shared, stopped)
            })
            .unwrap_or_else(|e| panic!("fake smtp: thread: {e}"));
        FakeSmtp {
            port,
            shared,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// The port it listens on, on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Messages accepted so far: those whose final "." got a 250, in that order.
    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().received.clone()
    }

    /// Waits (up to `timeout`) until at least `n` messages were accepted and returns them
    /// all; panics with what it has otherwise.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        while state.received.len() < n {
            let now = Instant::now();
            if now >= deadline {
                let got = state.received.clone();
                drop(state);
                panic!(
                    "fake smtp: waited {timeout:?} for {n} messages, {} arrived: {got:#?}",
                    got.len()
                );
            }
            state = self
                .shared
                .changed
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        state.received.clone()
    }

    /// The next `n` transactions are refused with a temporary 451 at the end of DATA,
    /// after the data was read; their messages are not recorded.
    pub fn refuse_temporarily(&self, n: usize) {
        self.shared.lock().refuse_temporarily = n;
    }

    /// Every later transaction is refused with a permanent 550 at RCPT TO, until
    /// [`FakeSmtp::accept_all`].
    pub fn refuse_permanently(&self) {
        self.shared.lock().refuse_permanently = true;
    }

    /// Ends [`FakeSmtp::refuse_permanently`] and any temporary refusals still to come.
    pub fn accept_all(&self) {
        let mut state = self.shared.lock();
        state.refuse_permanently = false;
        state.refuse_temporarily = 0;
    }

    /// How many transactions were refused so far (a 451, 550 or 552 each, counted once
    /// per transaction).
    pub fn refused(&self) -> usize {
        self.shared.lock().refused
    }

    /// The credentials of every AUTH so far, as (username, password), in order.
    pub fn logins(&self) -> Vec<(String, String)> {
        self.shared.lock().logins.clone()
    }
}

impl Drop for FakeSmtp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    stopped: tokio::sync::oneshot::Receiver<()>,
) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("fake smtp: tokio runtime: {e}"));
    rt.block_on(async move {
        let listener = match tokio::net::TcpListener::from_std(listener) {
            Ok(listener) => listener,
            Err(e) => {
                eprintln!("fake smtp: cannot listen: {e}");
                return;
            }
        };
        let accept = async {
            loop {
                match listener.accept().await {
                    Ok((stream, _)) => {
                        tokio::spawn(session(stream, Arc::clone(&shared)));
                    }
                    // Out of descriptors, say: wait rather than spin.
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                }
            }
        };
        tokio::select! {
            () = accept => {}
            _ = stopped => {}
        }
    });
    // Sessions still open are dropped with the runtime.
    rt.shutdown_timeout(Duration::from_millis(200));
}

async fn session(stream: TcpStream, shared: Arc<Shared>) {
    let (read, write) = stream.into_split();
    let mut session = Session {
        reader: BufReader::new(read),
        writer: write,
        shared,
        transaction: Transaction::default(),
        authenticated: false,
    };
    // A write or read error means the client went away: nothing to report.
    let _ = session.run().await;
}

#[derive(Default)]
struct Transaction {
    from: Option<String>,
    to: Vec<String>,
    /// Already counted in [`State::refused`].
    refused: bool,
}

enum Line {
    Full(Vec<u8>),
    TooLong,
}

struct Session<R> {
    reader: R,
    writer: OwnedWriteHalf,
    shared: Arc<Shared>,
    transaction: Transaction,
    authenticated: bool,
}

impl<R: AsyncBufRead + Unpin> Session<R> {
    async fn run(&mut self) -> std::io::Result<()> {
        self.reply("220 127.0.0.1 fake SMTP ready").await?;
        while let Some(line) = self.command_line().await? {
            let (verb, arg) = match line.split_once(' ') {
                Some((verb, arg)) => (verb, arg.trim()),
                None => (line.as_str(), ""),
            };
            match verb.to_ascii_uppercase().as_str() {
                "EHLO" | "HELO" if arg.is_empty() => {
                    self.reply("501 5.5.4 a domain or address is needed")
                        .await?
                }
                "EHLO" => {
                    self.transaction = Transaction::default();
                    let greeting = format!("250-127.0.0.1 greets {arg}");
                    self.reply_lines(&[&greeting, "250-AUTH PLAIN LOGIN", "250-8BITMIME"])
                        .await?;
                    self.reply("250 SMTPUTF8").await?
                }
                "HELO" => {
                    self.transaction = Transaction::default();
                    self.reply(&format!("250 127.0.0.1 greets {arg}")).await?
                }
                "AUTH" => {
                    if !self.auth(arg).await? {
                        return Ok(());
                    }
                }
                "MAIL" => self.mail(arg).await?,
                "RCPT" => self.rcpt(arg).await?,
                "DATA" => {
                    if !self.data().await? {
                        return Ok(());
                    }
                }
                "RSET" => {
                    self.transaction = Transaction::default();
                    self.reply("250 2.0.0 OK").await?
                }
                "NOOP" => self.reply("250 2.0.0 OK").await?,
                "QUIT" => {
                    self.reply("221 2.0.0 bye").await?;
                    return Ok(());
                }
                _ => self.reply("500 5.5.2 command not recognized").await?,
            }
        }
        Ok(())
    }

    /// Returns false when the client went away during the exchange.
    async fn auth(&mut self, arg: &str) -> std::io::Result<bool> {
        if self.authenticated {
            self.reply("503 5.5.1 already authenticated").await?;
            return Ok(true);
        }
        let mut words = arg.split_whitespace();
        let mechanism = words.next().unwrap_or("").to_ascii_uppercase();
        let initial = words.next().map(str::to_owned);
        let credentials = match mechanism.as_str() {
            "PLAIN" => {
                let response = match initial {
                    // RFC 4954: "=" is an empty initial response.
                    Some(r) if r == "=" => String::new(),
                    Some(r) => r,
                    None => match self.challenge("334 ").await? {
                        Some(r) => r,
                        None => return Ok(false),
                    },
                };
                if response == "*" {
                    self.reply("501 5.7.0 authentication cancelled").await?;
                    return Ok(true);
                }
                decode(&response).and_then(|plain| {
                    let mut fields = plain.split(|&b| b == 0);
                    let (_authzid, user, password) =
                        (fields.next()?, fields.next()?, fields.next()?);
                    fields
                        .next()
                        .is_none()
                        .then(|| (text(user), text(password)))
                })
            }
            "LOGIN" => {
                let user = match initial {
                    Some(r) => r,
                    None => match self.challenge("334 VXNlcm5hbWU6").await? {
                        Some(r) => r,
                        None => return Ok(false),
                    },
                };
                if user == "*" {
                    self.reply("501 5.7.0 authentication cancelled").await?;
                    return Ok(true);
                }
                let Some(password) = self.challenge("334 UGFzc3dvcmQ6").await? else {
                    return Ok(false);
                };
                if password == "*" {
                    self.reply("501 5.7.0 authentication cancelled").await?;
                    return Ok(true);
                }
                decode(&user)
                    .zip(decode(&password))
                    .map(|(u, p)| (text(&u), text(&p)))
            }
            "" => {
                self.reply("501 5.5.4 a mechanism is needed").await?;
                return Ok(true);
            }
            _ => {
                self.reply("504 5.5.4 unrecognized authentication type")
                    .await?;
                return Ok(true);
            }
        };
        match credentials {
            Some(credentials) => {
                self.shared.lock().logins.push(credentials);
                self.authenticated = true;
                self.reply("235 2.7.0 authentication successful").await?
            }
            None => self.reply("501 5.5.2 cannot decode the response").await?,
        }
        Ok(true)
    }

    async fn challenge(&mut self, prompt: &str) -> std::io::Result<Option<String>> {
        self.reply(prompt).await?;
        self.command_line().await
    }

    async fn mail(&mut self, arg: &str) -> std::io::Result<()> {
        if self.transaction.from.is_some() {
            return self.reply("503 5.5.1 a transaction is already open").await;
        }
        match after_keyword(arg, "FROM:").and_then(path) {
            Some(from) => {
                self.transaction.from = Some(from);
                self.reply("250 2.1.0 OK").await
            }
            None => self.reply("501 5.5.4 syntax: MAIL FROM:<address>").await,
        }
    }

    async fn rcpt(&mut self, arg: &str) -> std::io::Result<()> {
        if self.transaction.from.is_none() {
            return self.reply("503 5.5.1 MAIL first").await;
        }
        let Some(to) = after_keyword(arg, "TO:")
            .and_then(path)
            .filter(|to| !to.is_empty())
        else {
            return self.reply("501 5.5.4 syntax: RCPT TO:<address>").await;
        };
        let refuse = {
            let mut state = self.shared.lock();
            if state.refuse_permanently && !self.transaction.refused {
                state.refused += 1;
                self.transaction.refused = true;
            }
            state.refuse_permanently
        };
        if refuse {
            return self
                .reply(&format!("550 5.1.1 <{to}>: mailbox unavailable"))
                .await;
        }
        self.transaction.to.push(to);
        self.reply("250 2.1.5 OK").await
    }

    /// Returns false when the client went away, or sent a line too long, during DATA.
    async fn data(&mut self) -> std::io::Result<bool> {
        if self.transaction.from.is_none() {
            self.reply("503 5.5.1 MAIL first").await?;
            return Ok(true);
        }
        if self.transaction.to.is_empty() {
            self.reply("554 5.5.1 no valid recipients").await?;
            return Ok(true);
        }
        self.reply("354 end data with <CR><LF>.<CR><LF>").await?;
        let mut data = Vec::new();
        let mut too_big = false;
        loop {
            let line = match read_line(&mut self.reader).await? {
                Some(Line::Full(line)) => line,
                Some(Line::TooLong) => {
                    self.reply("500 5.5.6 line too long").await?;
                    return Ok(false);
                }
                None => return Ok(false),
            };
            if line == b".\r\n" || line == b".\n" {
                break;
            }
            let line = line.strip_prefix(b".").unwrap_or(&line);
            if data.len() + line.len() > MAX_MESSAGE {
                too_big = true;
            } else if !too_big {
                data.extend_from_slice(line);
            }
        }
        let transaction = std::mem::take(&mut self.transaction);
        let reply = {
            let mut state = self.shared.lock();
            if too_big {
                state.refused += 1;
                "552 5.3.4 message too big"
            } else if state.refuse_temporarily > 0 {
                state.refuse_temporarily -= 1;
                state.refused += 1;
                "451 4.3.0 try again later"
            } else {
                state.received.push(Received {
                    from: transaction.from.unwrap_or_default(),
                    to: transaction.to,
                    data: text(&data),
                });
                self.shared.changed.notify_all();
                "250 2.0.0 OK: queued"
            }
        };
        self.reply(reply).await?;
        Ok(true)
    }

    /// The next command line without its line end; `None` when the client is gone or
    /// sent a line too long (then told so).
    async fn command_line(&mut self) -> std::io::Result<Option<String>> {
        match read_line(&mut self.reader).await? {
            Some(Line::Full(line)) => {
                Ok(Some(text(&line).trim_end_matches(['\r', '\n']).to_owned()))
            }
            Some(Line::TooLong) => {
                self.reply("500 5.5.6 line too long").await?;
                Ok(None)
            }
            None => Ok(None),
        }
    }

    async fn reply(&mut self, line: &str) -> std::io::Result<()> {
        self.reply_lines(&[line]).await
    }

    async fn reply_lines(&mut self, lines: &[&str]) -> std::io::Result<()> {
        let mut out = String::new();
        for line in lines {
            out.push_str(line);
            out.push_str("\r\n");
        }
        self.writer.write_all(out.as_bytes()).await
    }
}

/// One line with its line end; `None` at the end of the stream, a line cut short by it
/// included.
async fn read_line<R: AsyncBufRead + Unpin>(reader: &mut R) -> std::io::Result<Option<Line>> {
    let mut line = Vec::new();
    let n = (&mut *reader)
        .take(MAX_LINE as u64)
        .read_until(b'\n', &mut line)
        .await?;
    Ok(if line.ends_with(b"\n") {
        Some(Line::Full(line))
    } else if n == MAX_LINE {
        Some(Line::TooLong)
    } else {
        None
    })
}

/// `arg` after `keyword` (ASCII, case-insensitive).
fn after_keyword<'a>(arg: &'a str, keyword: &str) -> Option<&'a str> {
    let head = arg.get(..keyword.len())?;
    if head.eq_ignore_ascii_case(keyword) {
        arg.get(keyword.len()..)
    } else {
        None
    }
}

/// The address of a `<path>` followed by optional parameters (`BODY=8BITMIME`); a bare
/// address is taken too.
fn path(rest: &str) -> Option<String> {
    let rest = rest.trim_start();
    match rest.strip_prefix('<') {
        Some(inner) => inner.find('>').map(|end| inner[..end].to_owned()),
        None => rest.split_whitespace().next().map(str::to_owned),
    }
}

fn decode(b64: &str) -> Option<Vec<u8>> {
    STANDARD.decode(b64.trim()).ok()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpStream;

    use super::*;

    /// A raw SMTP client over a blocking socket.
    struct Client {
        reader: BufReader<TcpStream>,
        writer: TcpStream,
    }

    impl Client {
        fn connect(smtp: &FakeSmtp) -> Client {
            let stream = TcpStream::connect(("127.0.0.1", smtp.port())).expect("connect");
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .expect("timeout");
            let mut client = Client {
                reader: BufReader::new(stream.try_clone().expect("clone")),
                writer: stream,
            };
            let greeting = client.reply();
            assert!(greeting.starts_with("220 "), "{greeting}");
            client
        }

        /// Sends `line` (CRLF added) and returns the whole reply, lines joined by '\n'.
        fn send(&mut self, line: &str) -> String {
            self.send_raw(format!("{line}\r\n").as_bytes())
        }

        fn send_raw(&mut self, bytes: &[u8]) -> String {
            self.writer.write_all(bytes).expect("write");
            self.reply()
        }

        fn reply(&mut self) -> String {
            let mut lines = Vec::new();
            loop {
                let mut line = String::new();
                self.reader.read_line(&mut line).expect("read");
                assert!(
                    line.ends_with("\r\n"),
                    "cut reply: {line:?} after {lines:?}"
                );
                let line = line.trim_end().to_owned();
                let last = line.as_bytes().get(3) != Some(&b'-');
                lines.push(line);
                if last {
                    return lines.join("\n");
                }
            }
        }

        /// Sends one message and returns the reply to its final ".".
        fn transaction(&mut self, from: &str, to: &str, data: &str) -> String {
            let mail = self.send(&format!("MAIL FROM:<{from}>"));
            assert!(mail.starts_with("250"), "{mail}");
            let rcpt = self.send(&format!("RCPT TO:<{to}>"));
            assert!(rcpt.starts_with("250"), "{rcpt}");
            let data_reply = self.send("DATA");
            assert!(data_reply.starts_with("354"), "{data_reply}");
            self.send_raw(format!("{data}.\r\n").as_bytes())
        }

        /// True once the server has closed the connection.
        fn closed(&mut self) -> bool {
            let mut rest = Vec::new();
            self.reader.read_to_end(&mut rest).is_ok() && rest.is_empty()
        }
    }

    fn code(reply: &str) -> &str {
        reply.get(..3).unwrap_or(reply)
    }

    #[test]
    fn ehlo_advertises_auth_8bitmime_and_smtputf8() {
        let smtp = FakeSmtp::start();
        let mut c = Client::connect(&smtp);
        let ehlo = c.send("EHLO client.example");
        let lines: Vec<&str> = ehlo.lines().collect();
        assert!(lines.iter().all(|l| l.starts_with("250")), "{ehlo}");
        for wanted in ["AUTH PLAIN LOGIN", "8BITMIME", "SMTPUTF8"] {
            assert!(
                lines.iter().any(|l| l.get(4..) == Some(wanted)),
                "{wanted} in {ehlo}"
            );
        }
        assert_eq!(code(&c.send("HELO client.example")), "250");
        assert_eq!(code(&c.send("NOOP")), "250");
        assert_eq!(code(&c.send("QUIT")), "221");
        assert!(c.closed());
    }

    #[test]
    fn a_message_is_recorded_dot_unstuffed_with_its_envelope() {
        let smtp = FakeSmtp::start();
        let mut c = Client::connect(&smtp);
        c.send("EHLO client.example");
        assert_eq!(
            code(&c.send("MAIL FROM:<bot@example.com> BODY=8BITMIME SMTPUTF8")),
            "250"
        );
        assert_eq!(code(&c.send("RCPT TO:<a@example.com>")), "250");
        assert_eq!(code(&c.send("rcpt to: <b@example.com>")), "250");
        assert_eq!(code(&c.send("DATA")), "354");
        let reply = c.send_raw(b"Subject: hi\r\n\r\n..starts with a dot\r\n\xed\x95\x9c\r\n.\r\n");
        assert_eq!(code(&reply), "250");
        let got = smtp.wait_for(1, Duration::from_secs(5));
        assert_eq!(
            got,
            vec![Received {
                from: "bot@example.com".into(),
                to: vec!["a@example.com".into(), "b@example.com".into()],
                data: "Subject: hi\r\n\r\n.starts with a dot\r\n한\r\n".into(),
            }]
        );
        assert_eq!(got[0].subject(), "hi");
        assert_eq!(got[0].text(), ".starts with a dot\n한\n");

        // The transaction is over: a second one starts from MAIL again.
        assert_eq!(code(&c.send("RCPT TO:<a@example.com>")), "503");
        assert_eq!(
            code(&c.transaction("", "c@example.com", "Subject: two\r\n\r\nx\r\n")),
            "250"
        );
        assert_eq!(smtp.received()[1].from, "");
        assert_eq!(smtp.refused(), 0);
        assert_eq!(code(&c.send("QUIT")), "221");
    }

    #[test]
    fn rset_drops_the_open_transaction() {
        let smtp = FakeSmtp::start();
        let mut c = Client::connect(&smtp);
        c.send("EHLO client.example");
        c.send("MAIL FROM:<bot@example.com>");
        c.send("RCPT TO:<a@example.com>");
        assert_eq!(code(&c.send("RSET")), "250");
        assert_eq!(code(&c.send("DATA")), "503");
        assert_eq!(code(&c.send("MAIL FROM:<bot@example.com>")), "250");
        assert_eq!(code(&c.send("MAIL FROM:<bot@example.com>")), "503");
        assert_eq!(code(&c.send("DATA")), "554");
    }

    #[test]
    fn every_login_is_accepted_and_recorded() {
        let smtp = FakeSmtp::start();
        let plain = |user: &str, password: &str| STANDARD.encode(format!("\0{user}\0{password}"));

        let mut c = Client::connect(&smtp);
        c.send("EHLO client.example");
        assert_eq!(
            code(&c.send(&format!("AUTH PLAIN {}", plain("ann", "pw1")))),
            "235"
        );
        assert_eq!(
            code(&c.send(&format!("AUTH PLAIN {}", plain("ann", "pw1")))),
            "503"
        );

        let mut c = Client::connect(&smtp);
        c.send("EHLO client.example");
        assert_eq!(c.send("AUTH PLAIN"), "334");
        assert_eq!(code(&c.send(&plain("bob", "pw 2"))), "235");

        let mut c = Client::connect(&smtp);
        c.send("EHLO client.example");
        assert_eq!(c.send("auth login"), "334 VXNlcm5hbWU6");
        assert_eq!(c.send(&STANDARD.encode("카이")), "334 UGFzc3dvcmQ6");
        assert_eq!(code(&c.send(&STANDARD.encode("pw3"))), "235");

        let mut c = Client::connect(&smtp);
        c.send("EHLO client.example");
        assert_eq!(c.send("AUTH PLAIN"), "334");
        assert_eq!(code(&c.send("*")), "501");
        assert_eq!(code(&c.send("AUTH PLAIN not-base64!")), "501");
        assert_eq!(
            code(&c.send(&format!("AUTH PLAIN {}", STANDARD.encode("no nul")))),
            "501"
        );
        assert_eq!(code(&c.send("AUTH CRAM-MD5")), "504");
        assert_eq!(code(&c.send("AUTH")), "501");

        assert_eq!(
            smtp.logins(),
            vec![
                ("ann".into(), "pw1".into()),
                ("bob".into(), "pw 2".into()),
                ("카이".into(), "pw3".into()),
            ]
        );
    }

    #[test]
    fn temporary_refusals_come_after_the_data_and_record_nothing() {
        let smtp = FakeSmtp::start();
        smtp.refuse_temporarily(2);
        let mut c = Client::connect(&smtp);
        c.send("EHLO client.example");
        let message = "Subject: retry\r\n\r\nbody\r\n";
        assert_eq!(
            code(&c.transaction("bot@example.com", "a@example.com", message)),
            "451"
        );
        assert_eq!(
            code(&c.transaction("bot@example.com", "a@example.com", message)),
            "451"
        );
        assert!(smtp.received().is_empty());
        assert_eq!(
            code(&c.transaction("bot@example.com", "a@example.com", message)),
            "250"
        );
        assert_eq!(smtp.received().len(), 1);
        assert_eq!(smtp.refused(), 2);
    }

    #[test]
    fn permanent_refusals_come_at_rcpt_until_accept_all() {
        let smtp = FakeSmtp::start();
        smtp.refuse_permanently();
        let mut c = Client::connect(&smtp);
        c.send("EHLO client.example");
        c.send("MAIL FROM:<bot@example.com>");
        assert_eq!(code(&c.send("RCPT TO:<a@example.com>")), "550");
        assert_eq!(code(&c.send("RCPT TO:<b@example.com>")), "550");
        assert_eq!(code(&c.send("DATA")), "554");
        c.send("RSET");
        c.send("MAIL FROM:<bot@example.com>");
        assert_eq!(code(&c.send("RCPT TO:<a@example.com>")), "550");
        assert_eq!(smtp.refused(), 2);

        smtp.accept_all();
        c.send("RSET");
        let reply = c.transaction("bot@example.com", "a@example.com", "Subject: ok\r\n\r\n");
        assert_eq!(code(&reply), "250");
        assert_eq!(smtp.received().len(), 1);
        assert_eq!(smtp.refused(), 2);
    }

    #[test]
    fn bad_input_gets_an_error_reply_and_never_stops_the_server() {
        let smtp = FakeSmtp::start();
        let mut c = Client::connect(&smtp);
        assert_eq!(code(&c.send("FROB")), "500");
        assert_eq!(code(&c.send("")), "500");
        assert_eq!(code(&c.send_raw(b"\xff\xfe\x00 \x80\r\n")), "500");
        assert_eq!(code(&c.send("EHLO")), "501");
        assert_eq!(code(&c.send("MAIL")), "501");
        assert_eq!(code(&c.send("MAIL FROM")), "501");
        // A keyword cut in the middle of a character.
        assert_eq!(code(&c.send("MAIL FRO\u{d55c}:<x@example.com>")), "501");
        assert_eq!(code(&c.send("RCPT TO:<a@example.com>")), "503");
        assert_eq!(code(&c.send("MAIL FROM:<bot@example.com")), "501");
        assert_eq!(code(&c.send("MAIL FROM:<bot@example.com>")), "250");
        assert_eq!(code(&c.send("RCPT TO:<>")), "501");
        // A line over the limit is answered and the connection closed.
        let long = vec![b'A'; MAX_LINE];
        assert_eq!(code(&c.send_raw(&long)), "500");
        assert!(c.closed());

        // A client that leaves in the middle of DATA leaves nothing behind.
        let mut c = Client::connect(&smtp);
        c.send("MAIL FROM:<bot@example.com>");
        c.send("RCPT TO:<a@example.com>");
        c.send("DATA");
        c.writer
            .write_all(b"Subject: cut\r\n\r\npart")
            .expect("write");
        drop(c);

        let mut c = Client::connect(&smtp);
        let reply = c.transaction("bot@example.com", "a@example.com", "Subject: fine\r\n\r\n");
        assert_eq!(code(&reply), "250");
        assert_eq!(smtp.received().len(), 1);
        assert_eq!(smtp.received()[0].subject(), "fine");
    }

    #[test]
    #[should_panic(expected = "for 1 messages, 0 arrived")]
    fn wait_for_panics_with_what_arrived() {
        let smtp = FakeSmtp::start();
        smtp.wait_for(1, Duration::from_millis(50));
    }

    #[test]
    fn dropping_stops_the_server() {
        let smtp = FakeSmtp::start();
        let port = smtp.port();
        drop(smtp);
        assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
    }
}
