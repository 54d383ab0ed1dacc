//! A tiny HTTP server that answers with exactly the bytes a test gives it,
//! for answers no well-behaved server library would send: bodies cut short,
//! lying lengths, silence, bytes that are not HTTP at all.

use std::{
    io,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    task::{JoinHandle, JoinSet},
};

/// What the server does with one request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// Sends these bytes, then closes the connection.
    Bytes(Vec<u8>),
    /// Sends these bytes, then keeps the connection open and says nothing
    /// more, for a minute.
    BytesThenSilence(Vec<u8>),
    /// Closes the connection without a word.
    Close,
}

/// A request as the server saw it.
#[derive(Clone, Debug, Default)]
pub struct Seen {
    pub method: String,
    /// The path and query, as sent.
    pub target: String,
    /// Header names in lower case, with their values.
    pub headers: Vec<(String, String)>,
}

impl Seen {
    /// The value of a query parameter, if present.
    pub fn query(&self, name: &str) -> Option<String> {
        let url = harbor_users::Url::parse(&format!("http://server{}", self.target)).ok()?;
        url.query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    }

    /// The path without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// Whether a header with this (lower-case) name was sent.
    pub fn has_header(&self, name: &str) -> bool {
        self.headers.iter().any(|(key, _)| key == name)
    }
}

type Answer = dyn Fn(&Seen) -> Reply + Send + Sync;

/// A running server; dropping it stops it and closes its connections.
pub struct RawServer {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: JoinHandle<()>,
}

impl RawServer {
    /// Serves `answer` on a free port of 127.0.0.1, one request per
    /// connection.
    pub async fn start(
        answer: impl Fn(&Seen) -> Reply + Send + Sync + 'static,
    ) -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let answer: Arc<Answer> = Arc::new(answer);
        let log = seen.clone();
        let task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            while let Ok((socket, _)) = listener.accept().await {
                connections.spawn(serve(socket, answer.clone(), log.clone()));
            }
        });
        Ok(Self { url, seen, task })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<Seen> {
        self.seen
            .lock()
            .map(|seen| seen.clone())
            .unwrap_or_default()
    }

    /// How many requests were received.
    pub fn count(&self) -> usize {
        self.seen.lock().map(|seen| seen.len()).unwrap_or_default()
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(mut socket: TcpStream, answer: Arc<Answer>, seen: Arc<Mutex<Vec<Seen>>>) {
    let Some(request) = read_request(&mut socket).await else {
        return;
    };
    let reply = answer(&request);
    if let Ok(mut seen) = seen.lock() {
        seen.push(request);
    }
    match reply {
        Reply::Bytes(bytes) => {
            let _ = socket.write_all(&bytes).await;
            let _ = socket.shutdown().await;
        }
        Reply::BytesThenSilence(bytes) => {
            let _ = socket.write_all(&bytes).await;
            let _ = socket.flush().await;
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
        Reply::Close => {}
    }
}

/// Reads one request head and its body (by `Content-Length`), so that
/// closing the socket afterwards does not reset it under unread data.
async fn read_request(socket: &mut TcpStream) -> Option<Seen> {
    let mut buffer = Vec::new();
    let mut chunk = [0_u8; 4096];
    let head_end = loop {
        if let Some(end) = buffer.windows(4).position(|window| window == b"\r\n\r\n") {
            break end + 4;
        }
        if buffer.len() > 64 * 1024 {
            return None;
        }
        let read = socket.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(chunk.get(..read)?);
    };

    let head = String::from_utf8_lossy(buffer.get(..head_end)?).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let target = request_line.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();

    let length = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| value.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body_read = buffer.len() - head_end;
    while body_read < length {
        let read = socket.read(&mut chunk).await.ok()?;
        if read == 0 {
            break;
        }
        body_read += read;
    }
    Some(Seen {
        method,
        target,
        headers,
    })
}

/// A complete HTTP/1.1 answer: status line, the headers given, a
/// `Content-Length` for `body` unless a length or transfer encoding is
/// among the headers, and `Connection: close`.
pub fn http(status: u16, headers: &[(&str, &str)], body: impl AsRef<[u8]>) -> Vec<u8> {
    let body = body.as_ref();
    let mut answer = format!("HTTP/1.1 {status} Status\r\nconnection: close\r\n");
    let framed = headers.iter().any(|(name, _)| {
        name.eq_ignore_ascii_case("content-length")
            || name.eq_ignore_ascii_case("transfer-encoding")
    });
    if !framed {
        answer.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    for (name, value) in headers {
        answer.push_str(&format!("{name}: {value}\r\n"));
    }
    answer.push_str("\r\n");
    let mut bytes = answer.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// A 200 with a JSON body.
pub fn json(body: impl AsRef<[u8]>) -> Reply {
    Reply::Bytes(http(200, &[("content-type", "application/json")], body))
}
