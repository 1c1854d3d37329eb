//! The accept loop: plain HTTP/1.1 or TLS 1.3, a cap on open connections (per source address, and in
//! all: at the cap, the connection idle for longest is closed to make room for a new one), header-read
//! and write timeouts
//! (a peer that sends its request slowly, or stops reading its answer, is cut off), and graceful shutdown
//! (stop accepting, let requests in flight finish within the grace period).

use super::io::{OnTimeout, WriteDeadline};
use super::{Gateway, router};
use crate::limits::PerAddress;
use crate::metrics::ConnectionClose;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt as _;

/// TLS handshakes that failed (for example a TLS 1.2-only client), counted for `/metrics`.
pub static TLS_HANDSHAKE_FAILURES: AtomicU64 = AtomicU64::new(0);

/// Completed TLS handshakes whose key exchange was the post-quantum hybrid `X25519MLKEM768`.
pub static TLS_HANDSHAKES_PQ: AtomicU64 = AtomicU64::new(0);

/// Completed TLS handshakes with a classical key exchange only.
pub static TLS_HANDSHAKES_CLASSICAL: AtomicU64 = AtomicU64::new(0);

const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `gateway` on `listener` until `shutdown` completes, then drains connections for at most the
/// configured grace period.
pub async fn serve(
    gateway: Arc<Gateway>,
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let app = router(gateway.clone());
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(gateway.config().max_connections));
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(gateway.config().header_timeout)
        .keep_alive(true)
        .max_buf_size(64 * 1024);
    let on_write_timeout: OnTimeout = {
        let gw = gateway.clone();
        Arc::new(move || gw.metrics().connection_closed(ConnectionClose::WriteTimeout))
    };
    let per_address = PerAddress::new(gateway.config().max_connections_per_address);
    let registry = Arc::new(Registry::default());
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: pause instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(address) = per_address.try_acquire(peer.ip()) else {
            gateway.metrics().connection_closed(ConnectionClose::AddressLimit);
            tracing::warn!(target: "qrngdd::audit", peer = %peer, reason = "address_limit", "connection refused");
            drop(stream);
            continue;
        };
        // At the cap: close the connection idle for longest (no request in progress) to make room, then
        // wait for its place (or any other) to come free.
        let permit = match slots.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                if registry.shed_oldest_idle() {
                    gateway.metrics().connection_closed(ConnectionClose::ShedIdle);
                }
                tokio::select! {
                    p = slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
                    () = &mut shutdown => break,
                }
            }
        };
        let _ = stream.set_nodelay(true);
        let stream = WriteDeadline::new(stream, gateway.config().write_timeout, on_write_timeout.clone());
        let state = registry.open();
        let svc = connection_service(gateway.clone(), app.clone(), peer, state.clone());
        let registry = registry.clone();
        let http = http.clone();
        let watcher = graceful.watcher();
        let tls = tls.clone();
        tokio::spawn(async move {
            let serve = async {
                match tls {
                    None => {
                        let _ = watcher.watch(http.serve_connection(TokioIo::new(stream), svc)).await;
                    }
                    Some(acceptor) => match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(s)) => {
                            let group = s.get_ref().1.negotiated_key_exchange_group().map(|g| g.name());
                            if group == Some(rustls::NamedGroup::X25519MLKEM768) {
                                TLS_HANDSHAKES_PQ.fetch_add(1, Ordering::Relaxed);
                            } else {
                                TLS_HANDSHAKES_CLASSICAL.fetch_add(1, Ordering::Relaxed);
                            }
                            let _ = watcher.watch(http.serve_connection(TokioIo::new(s), svc)).await;
                        }
                        Ok(Err(e)) => tls_refused(peer, &e.to_string()),
                        Err(_) => tls_refused(peer, "handshake timed out"),
                    },
                }
            };
            tokio::select! {
                () = serve => {}
                () = state.shed.notified() => tracing::debug!(peer = %peer, "idle connection closed to make room"),
            }
            registry.close(state.id);
            drop(permit);
            drop(address);
        });
    }
    drop(listener);
    tracing::info!(connections = graceful.count(), "shutting down: no new connections; draining");
    let grace = gateway.config().shutdown_grace;
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all connections closed"),
        () = tokio::time::sleep(grace) => tracing::warn!(?grace, "grace period over; closing remaining connections"),
    }
    Ok(())
}

/// The service of one connection. `GET /api/random`, the endpoint under load, is answered directly
/// (no routing, no extractors, no per-request extension for the peer address); everything else goes
/// through the axum router with the peer address as `ConnectInfo`.
fn connection_service(
    gateway: Arc<Gateway>,
    app: axum::Router,
    peer: SocketAddr,
    state: Arc<ConnState>,
) -> impl hyper::service::Service<
    Request<Incoming>,
    Response = axum::response::Response,
    Error = std::convert::Infallible,
    Future = impl Future<Output = Result<axum::response::Response, std::convert::Infallible>> + Send,
> + Clone {
    hyper::service::service_fn(move |mut req: Request<Incoming>| {
        let started = Instant::now();
        let busy = Busy::start(&state);
        let hot = req.method() == axum::http::Method::GET && req.uri().path() == "/api/random";
        let fast = hot.then(|| super::handlers::random_response(&gateway, peer, req.uri().query(), req.headers()));
        let app = app.clone();
        let gateway = gateway.clone();
        async move {
            let _busy = busy;
            match fast {
                Some(r) => {
                    gateway.metrics().request_latency(crate::metrics::ROUTE_RANDOM, started.elapsed());
                    Ok(r)
                }
                None => {
                    let route = crate::metrics::latency_route(req.uri().path());
                    req.extensions_mut().insert(ConnectInfo(peer));
                    let r = app.oneshot(req).await;
                    gateway.metrics().request_latency(route, started.elapsed());
                    r
                }
            }
        }
    })
}

/// The open connections, so that the accept loop can close the one idle for longest when at the cap.
#[derive(Default)]
struct Registry {
    next: AtomicU64,
    open: Mutex<HashMap<u64, Arc<ConnState>>>,
}

/// One connection's state as the registry sees it.
struct ConnState {
    id: u64,
    /// Requests in progress.
    in_flight: AtomicU32,
    /// When the connection last became idle (opened, or its last request done).
    idle_since: Mutex<Instant>,
    /// Notified to close the connection.
    shed: Notify,
}

impl Registry {
    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<ConnState>>> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn open(&self) -> Arc<ConnState> {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let state = Arc::new(ConnState {
            id,
            in_flight: AtomicU32::new(0),
            idle_since: Mutex::new(Instant::now()),
            shed: Notify::new(),
        });
        self.table().insert(id, state.clone());
        state
    }

    fn close(&self, id: u64) {
        self.table().remove(&id);
    }

    /// Closes the connection idle for longest (taking it out of the table); `false` if none is idle.
    fn shed_oldest_idle(&self) -> bool {
        let mut t = self.table();
        let oldest = t
            .values()
            .filter(|c| c.in_flight.load(Ordering::Relaxed) == 0)
            .min_by_key(|c| *c.idle_since.lock().unwrap_or_else(|p| p.into_inner()))
            .map(|c| c.id);
        match oldest.and_then(|id| t.remove(&id)) {
            Some(c) => {
                // `notify_one` keeps the wake-up if the task is not waiting yet.
                c.shed.notify_one();
                true
            }
            None => false,
        }
    }
}

/// Marks a request in progress on a connection for as long as it lives.
struct Busy(Arc<ConnState>);

impl Busy {
    fn start(state: &Arc<ConnState>) -> Self {
        state.in_flight.fetch_add(1, Ordering::Relaxed);
        Self(state.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::Relaxed) == 1 {
            *self.0.idle_since.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
        }
    }
}

fn tls_refused(peer: SocketAddr, detail: &str) {
    TLS_HANDSHAKE_FAILURES.fetch_add(1, Ordering::Relaxed);
    tracing::warn!(target: "qrngdd::audit", peer = %peer, reason = "tls_handshake", detail, "connection refused");
}

/// Resolves on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received"),
        () = term => tracing::info!("SIGTERM received"),
    }
}
