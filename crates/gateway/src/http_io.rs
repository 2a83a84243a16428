//! The TCP stream the HTTP server reads and writes through. It passes every
//! byte on unchanged, with one exception: a response actix-http's h1
//! dispatcher writes by itself, before any service or middleware has seen a
//! request (a 400 for a malformed head or body framing, a 408 for a head
//! that did not arrive in time, a 431 for a head over its 128 KiB buffer or
//! with more than 96 header fields), which it writes with an empty body.
//! Those are replaced by a complete response with the same status and the
//! API's one JSON error shape, `{"error": {"code", "message", "request_id"}}`.
//!
//! Recognising them is safe because the application never answers a 400,
//! 408 or 431 with an empty body: every error it answers with is an
//! [`crate::error::ApiError`] rendered as JSON (handlers take no body or
//! query extractors; the path extractor's errors are `ApiError`s too), and
//! the dispatcher writes `content-length: 0` right after the status line
//! only for an empty body. Every other write costs a prefix compare.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// How long a client has to send a request head (actix-web's default,
/// which `HttpServer` used); after it the dispatcher answers 408.
pub(crate) const REQUEST_HEAD_TIMEOUT: Duration = Duration::from_secs(5);

/// The stream with the dispatcher's empty error answers made JSON.
pub(crate) struct JsonErrors<S> {
    inner: S,
    peer: Option<SocketAddr>,
    /// A replacement not yet all taken by the socket.
    pending: Option<Replacement>,
}

struct Replacement {
    bytes: Vec<u8>,
    written: usize,
    /// How many bytes of the dispatcher's buffer it stands for: reported as
    /// written once the whole replacement is in the socket, so that the
    /// dispatcher cannot drop the connection (it does so right after a
    /// parse error, once its buffer is empty) with part of it unsent.
    stands_for: usize,
}

impl<S> JsonErrors<S> {
    pub(crate) fn new(inner: S, peer: Option<SocketAddr>) -> Self {
        JsonErrors { inner, peer, pending: None }
    }
}

impl<S: AsyncWrite + Unpin> JsonErrors<S> {
    /// Writes what is left of the replacement; ready when nothing is.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some(replacement) = self.pending.as_mut() else { return Poll::Ready(Ok(())) };
        while replacement.written < replacement.bytes.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &replacement.bytes[replacement.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            replacement.written += n;
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for JsonErrors<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for JsonErrors<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.pending.is_none() {
            let Some(refused) = Refused::recognise(buf) else {
                return Pin::new(&mut this.inner).poll_write(cx, buf);
            };
            this.pending = Some(refused.replacement(&buf[..refused.head_len], this.peer));
        }
        // Pending until the socket has taken all of it: the dispatcher offers
        // the same buffer again (nothing of it was reported written).
        ready!(this.poll_pending(cx))?;
        let replaced = this.pending.take().map_or(0, |r| r.stands_for);
        Poll::Ready(Ok(replaced.min(buf.len())))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A response head the dispatcher wrote for a request it refused itself.
#[derive(Debug, PartialEq, Eq)]
struct Refused {
    status: u16,
    /// The head's length, through its closing blank line (there is no body).
    head_len: usize,
}

/// The longest status line the dispatcher writes for these
/// (`HTTP/1.1 431 Request Header Fields Too Large`), with room to spare.
const MAX_STATUS_LINE: usize = 64;
/// Its whole head: the status line, `content-length`, `connection`, `date`.
const MAX_HEAD: usize = 512;

impl Refused {
    fn recognise(buf: &[u8]) -> Option<Refused> {
        // The one check every write pays for.
        if !(buf.starts_with(b"HTTP/1.1 4") || buf.starts_with(b"HTTP/1.0 4")) {
            return None;
        }
        let status = match buf.get(9..13)? {
            b"400 " => 400,
            b"408 " => 408,
            b"431 " => 431,
            _ => return None,
        };
        // An empty body: the encoder writes `content-length: 0` first, right
        // after the status line; an error of ours has a length above zero.
        let line_end = find(&buf[..buf.len().min(MAX_STATUS_LINE)], b"\r\n")?;
        let after = buf.get(line_end + 2..)?;
        let empty = after.get(..19).is_some_and(|line| line.eq_ignore_ascii_case(b"content-length: 0\r\n"));
        if !empty {
            return None;
        }
        let head_end = find(&buf[line_end..buf.len().min(MAX_HEAD)], b"\r\n\r\n")?;
        Some(Refused { status, head_len: line_end + head_end + 4 })
    }

    fn code_and_message(&self) -> (&'static str, String) {
        match self.status {
            400 => (
                "invalid_request",
                "the request is not valid HTTP: a malformed request line, header field or body framing, \
                 or an HTTP/1.1 request without a Host header"
                    .into(),
            ),
            408 => (
                "request_timeout",
                format!("the request head did not arrive within {} s", REQUEST_HEAD_TIMEOUT.as_secs()),
            ),
            _ => (
                "header_fields_too_large",
                format!(
                    "the request head is over 128 KiB or has more than 96 header fields; at most {} \
                     header fields and {} bytes of header fields are accepted",
                    crate::guard::MAX_HEADER_FIELDS,
                    crate::guard::MAX_HEADER_BYTES
                ),
            ),
        }
    }

    /// The same status line, a JSON body, `connection: close` (the
    /// dispatcher closes the connection after these), and the original's
    /// other header fields (its `date`).
    fn replacement(&self, head: &[u8], peer: Option<SocketAddr>) -> Replacement {
        let request_id = uuid::Uuid::new_v4().simple().to_string();
        let (code, message) = self.code_and_message();
        tracing::debug!(%request_id, status = self.status, ?peer, "the HTTP parser refused a request head");
        let body = serde_json::json!({"error": {"code": code, "message": message, "request_id": request_id}});
        let body = serde_json::to_vec(&body).expect("a JSON value serialises");

        let mut lines = head[..head.len() - 4].split(|&b| b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l));
        let status_line = lines.next().unwrap_or_default();
        let mut bytes = Vec::with_capacity(head.len() + 160 + body.len());
        bytes.extend_from_slice(status_line);
        bytes.extend_from_slice(b"\r\ncontent-type: application/json\r\n");
        bytes.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
        bytes.extend_from_slice(b"connection: close\r\n");
        bytes.extend_from_slice(format!("{}: {request_id}\r\n", crate::request_id::HEADER).as_bytes());
        for line in lines {
            let name = line.split(|&b| b == b':').next().unwrap_or_default();
            if !(name.eq_ignore_ascii_case(b"content-length") || name.eq_ignore_ascii_case(b"connection")) {
                bytes.extend_from_slice(line);
                bytes.extend_from_slice(b"\r\n");
            }
        }
        bytes.extend_from_slice(b"\r\n");
        bytes.extend_from_slice(&body);
        Replacement { bytes, written: 0, stands_for: head.len() }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    const DATE: &str = "date: Tue, 05 May 2026 10:00:00 GMT\r\n";

    fn dispatcher(status: &str, connection: &str) -> Vec<u8> {
        format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\n{connection}{DATE}\r\n").into_bytes()
    }

    #[test]
    fn only_the_dispatchers_own_empty_answers_are_recognised() {
        for (status, code) in [("400 Bad Request", 400), ("408 Request Timeout", 408)] {
            let head = dispatcher(status, "connection: close\r\n");
            assert_eq!(Refused::recognise(&head), Some(Refused { status: code, head_len: head.len() }), "{status}");
        }
        let head = dispatcher("431 Request Header Fields Too Large", "");
        assert_eq!(Refused::recognise(&head), Some(Refused { status: 431, head_len: head.len() }));
        // What follows the head is not part of it.
        let mut more = head.clone();
        more.extend_from_slice(b"HTTP/1.1 200 OK\r\n");
        assert_eq!(Refused::recognise(&more).map(|r| r.head_len), Some(head.len()));

        let json = format!(
            "HTTP/1.1 400 Bad Request\r\ncontent-length: 57\r\ncontent-type: application/json\r\n{DATE}\r\n{{}}"
        );
        for other in [
            json.as_bytes().to_vec(),
            dispatcher("404 Not Found", ""),
            dispatcher("413 Payload Too Large", ""),
            dispatcher("200 OK", ""),
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n".to_vec(),
            b"HTTP/1.1 400".to_vec(),
            b"HTTP/1.1 100 Continue\r\n\r\n".to_vec(),
            b"{\"error\":{}}".to_vec(),
            Vec::new(),
        ] {
            assert_eq!(Refused::recognise(&other), None, "{}", String::from_utf8_lossy(&other));
        }
    }

    /// Reads one response off `client` to its end.
    async fn read_all(mut client: tokio::io::DuplexStream) -> String {
        let mut received = Vec::new();
        client.read_to_end(&mut received).await.unwrap();
        String::from_utf8(received).unwrap()
    }

    #[tokio::test]
    async fn the_replacement_is_a_whole_json_response_even_through_a_narrow_socket() {
        // A 7-byte pipe: every write is partial and most of them wait.
        let (server, client) = tokio::io::duplex(7);
        let mut io = JsonErrors::new(server, None);
        let head = dispatcher("431 Request Header Fields Too Large", "");
        let writing = async move {
            let n = io.write(&head).await.unwrap();
            assert_eq!(n, head.len(), "reported as the dispatcher's whole buffer, once it is all sent");
            io.shutdown().await.unwrap();
        };
        let ((), received) = tokio::join!(writing, read_all(client));
        let (head, body) = received.split_once("\r\n\r\n").unwrap();
        let mut lines = head.split("\r\n");
        assert_eq!(lines.next(), Some("HTTP/1.1 431 Request Header Fields Too Large"));
        let fields: Vec<&str> = lines.collect();
        assert!(fields.contains(&"content-type: application/json"), "{head}");
        assert!(fields.contains(&"connection: close"), "{head}");
        assert!(fields.contains(&DATE.trim_end()), "{head}");
        assert!(fields.contains(&format!("content-length: {}", body.len()).as_str()), "{head}");
        assert_eq!(fields.iter().filter(|f| f.starts_with("content-length")).count(), 1, "{head}");
        let body: serde_json::Value = serde_json::from_str(body).unwrap();
        let id = body["error"]["request_id"].as_str().unwrap();
        assert_eq!(body["error"]["code"], "header_fields_too_large", "{body}");
        assert!(id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
        assert!(fields.contains(&format!("x-request-id: {id}").as_str()), "{head}");
    }

    #[tokio::test]
    async fn every_other_write_passes_unchanged() {
        let (server, client) = tokio::io::duplex(1024);
        let mut io = JsonErrors::new(server, None);
        let ours = format!("HTTP/1.1 400 Bad Request\r\ncontent-length: 2\r\n{DATE}\r\n{{}}");
        let writing = async move {
            io.write_all(ours.as_bytes()).await.unwrap();
            io.write_all(b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\n").await.unwrap();
            io.shutdown().await.unwrap();
        };
        let ((), received) = tokio::join!(writing, read_all(client));
        assert_eq!(
            received,
            format!(
                "HTTP/1.1 400 Bad Request\r\ncontent-length: 2\r\n{DATE}\r\n{{}}\
                 HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\n"
            )
        );
    }
}
