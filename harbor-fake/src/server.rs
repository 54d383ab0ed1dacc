//! The accept loop: HTTP/1.1 over plain TCP or TLS, with connection-level faults.
//!
//! axum's own `serve` cannot drop a connection without answering, so connections are served
//! here with hyper directly. The router marks a response with a [`ConnectionFault`] when the
//! request drew one; this layer then fails the service call (hyper closes the connection
//! without a response) or cuts the body short.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use bytes::Bytes;
use http::{HeaderValue, Request, Response, header};
use http_body::Frame;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

/// A connection-level fault, attached to a response as an extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConnectionFault {
    Reset,
    Truncate,
}

/// How long in-flight requests may finish after shutdown is requested.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// Serves `router` on `listener` until `shutdown` turns true.
pub(crate) async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    break;
                }
            }
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        tracing::warn!(%error, "accepting a connection failed");
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let router = router.clone();
                let shutdown = shutdown.clone();
                let tls = tls.clone();
                connections.spawn(async move {
                    let served = match tls {
                        Some(acceptor) => match acceptor.accept(stream).await {
                            Ok(stream) => serve_connection(stream, router, shutdown).await,
                            Err(error) => {
                                tracing::debug!(%error, %peer, "TLS handshake failed");
                                return;
                            }
                        },
                        None => serve_connection(stream, router, shutdown).await,
                    };
                    if let Err(error) = served {
                        tracing::debug!(%error, %peer, "connection ended with an error");
                    }
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::debug!("aborting connections still open after the grace period");
    }
}

async fn serve_connection<S>(
    stream: S,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), hyper::Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let tower = TowerToHyperService::new(router.clone());
        async move {
            let Ok(response) = hyper::service::Service::call(&tower, request).await;
            apply_connection_fault(response).await
        }
    });
    let connection = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => result,
        _ = shutdown.changed() => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    }
}

/// The error that makes hyper close a connection without answering.
#[derive(Debug)]
struct InjectedReset;

impl std::fmt::Display for InjectedReset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("injected connection reset")
    }
}

impl std::error::Error for InjectedReset {}

async fn apply_connection_fault(response: Response<Body>) -> Result<Response<Body>, InjectedReset> {
    match response.extensions().get::<ConnectionFault>().copied() {
        None => Ok(response),
        Some(ConnectionFault::Reset) => Err(InjectedReset),
        Some(ConnectionFault::Truncate) => {
            let (mut parts, body) = response.into_parts();
            let bytes = match body.collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(_) => Bytes::new(),
            };
            // An empty answer cannot be cut short; announce one byte that never comes.
            let announced = bytes.len().max(1);
            parts
                .headers
                .insert(header::CONTENT_LENGTH, HeaderValue::from(announced));
            let sent = bytes.slice(..bytes.len() / 2);
            Ok(Response::from_parts(
                parts,
                Body::new(TruncatedBody::new(sent)),
            ))
        }
    }
}

/// Sends part of a body, waits so that it reaches the client, then fails so that hyper
/// closes the connection with the announced length unmet.
struct TruncatedBody {
    part: Option<Bytes>,
    pause: Pin<Box<tokio::time::Sleep>>,
}

impl TruncatedBody {
    fn new(part: Bytes) -> Self {
        Self {
            part: Some(part),
            pause: Box::pin(tokio::time::sleep(Duration::from_millis(20))),
        }
    }
}

impl http_body::Body for TruncatedBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        if let Some(part) = self.part.take()
            && !part.is_empty()
        {
            return Poll::Ready(Some(Ok(Frame::data(part))));
        }
        match self.pause.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) => Poll::Ready(Some(Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "injected truncated body",
            )))),
        }
    }
}
