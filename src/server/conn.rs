//! The connections of `paperdex serve`: an accept loop over hyper's HTTP/1 connections in
//! place of `axum::serve`, which sets no timer, so a client that never finishes its request
//! held a connection (and a file descriptor) forever.
//!
//! - A request's headers must arrive within `header_timeout` of the connection being ready
//!   for them: hyper's timer starts when the connection is accepted and again when a response
//!   has been written, so it bounds idle keep-alive connections too (from hyper 1.5 on), and
//!   a client dripping bytes gets no extension.
//! - A response the client stops reading ends its connection after `send_timeout` without
//!   progress (as nginx's `send_timeout`).
//! - At most `max_connections` are open, fewer when `RLIMIT_NOFILE` is lower. One more
//!   closes the connection that has waited longest for a request (idle or half-sent) rather
//!   than waiting in the kernel's queue behind it: a flood of idle connections then costs
//!   other idle connections, never the requests being answered or the ones that come next.
//!   So does running out of file descriptors anyway (`EMFILE` from accept).
//! - Shutdown stops accepting, closes connections without a request in flight at once and
//!   gives the requests in flight `shutdown_grace` to finish.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::Router;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::Service;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify, Semaphore};

use super::http::ServerOptions;

/// Largest request head (request line and headers) hyper buffers before answering 431
/// itself; paperdex's own limits (`http::MAX_URI_BYTES`, `http::MAX_HEADER_BYTES`) are
/// below it, so their JSON errors come first. Also bounds a connection's read buffer (512
/// half-sent heads: 64 MiB), where hyper's default is about 400 KB.
pub const MAX_HEAD_BYTES: usize = 128 * 1024;

/// File descriptors kept for the rest of the process (index files, the runtime, stdio) when
/// `RLIMIT_NOFILE` bounds the number of connections.
const FD_RESERVE: usize = 64;

/// How long the accept loop waits when accepting failed for lack of resources and no idle
/// connection could be closed to free one.
const ACCEPT_RETRY: Duration = Duration::from_millis(50);

/// How often a stopping connection without a request in flight is checked for.
const STOP_TICK: Duration = Duration::from_millis(20);

/// `max` lowered so that connections cannot use up `RLIMIT_NOFILE`.
pub fn connection_limit(max: usize) -> usize {
    let max = max.max(1);
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes into the struct it is given.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0
            && limit.rlim_cur != libc::RLIM_INFINITY
        {
            let room = usize::try_from(limit.rlim_cur)
                .unwrap_or(usize::MAX)
                .saturating_sub(FD_RESERVE);
            return max.min(room.max(1));
        }
    }
    max
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets the requests in flight
/// finish within `opts.shutdown_grace`. Returns how many connections were still busy when
/// the grace ended (they are dropped with the runtime).
pub async fn serve(
    router: Router,
    opts: &ServerOptions,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> io::Result<usize> {
    let max = connection_limit(opts.max_connections);
    let permits = Arc::new(Semaphore::new(max));
    let open = Arc::new(Registry::new());
    let (stop, stopping) = watch::channel(false);
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(opts.header_timeout)
        .max_buf_size(MAX_HEAD_BYTES);
    let service = TowerToHyperService::new(router);
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) if is_connection_error(&e) => continue,
                // Out of file descriptors or memory: free what the connection idle longest
                // holds, else wait a moment (as hyper 0.14's server did, without closing).
                Err(_) => {
                    let wait = match open.close_idlest() {
                        Some(conn) => conn.closed_within(ACCEPT_RETRY),
                        None => Box::pin(tokio::time::sleep(ACCEPT_RETRY)),
                    };
                    tokio::select! {
                        () = &mut shutdown => break,
                        () = wait => continue,
                    }
                }
            },
        };
        let permit = match permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                open.close_idlest();
                tokio::select! {
                    () = &mut shutdown => break,
                    permit = permits.clone().acquire_owned() => {
                        permit.expect("the semaphore is never closed")
                    }
                }
            }
        };
        let entry = open.add();
        let conn = entry.conn.clone();
        let io = TokioIo::new(SendTimeout::new(stream, opts.send_timeout));
        let router = service.clone();
        let tracked = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
            let busy = Busy::new(&conn);
            let response = router.call(req);
            async move {
                let response = match response.await {
                    Ok(response) => response,
                    Err(never) => match never {},
                };
                Ok::<_, Infallible>(response.map(|body| TrackedBody { body, _busy: busy }))
            }
        });
        let connection = http.serve_connection(io, tracked);
        let mut stopping = stopping.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let conn = entry.conn.clone();
            let _entry = entry;
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => return,
                () = conn.close.notified() => {}
                _ = stopping.wait_for(|stop| *stop) => {}
            }
            // A connection idle or half-sent has nothing to lose and closes now; a request in
            // flight finishes (hyper then closes, keep-alive being off).
            if !conn.is_busy() {
                return;
            }
            connection.as_mut().graceful_shutdown();
            loop {
                tokio::select! {
                    _ = connection.as_mut() => return,
                    () = tokio::time::sleep(STOP_TICK) => {
                        if !conn.is_busy() {
                            return;
                        }
                    }
                }
            }
        });
    }
    drop(listener);
    let _ = stop.send(true);
    let all = u32::try_from(max).unwrap_or(u32::MAX);
    let finished = tokio::time::timeout(opts.shutdown_grace, permits.acquire_many(all)).await;
    Ok(match finished {
        Ok(_) => 0,
        Err(_) => max - permits.available_permits(),
    })
}

/// Errors of one connection that never concern the listener (axum and hyper 0.14 alike).
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// One open connection as the accept loop sees it.
struct Conn {
    /// Requests whose response is not yet handed to hyper whole.
    busy: AtomicUsize,
    /// When it last became idle, in ms after `epoch` (accepted, or a response finished).
    idle_since: AtomicU64,
    epoch: Instant,
    /// Asked to close (chosen once, so one new connection closes one old one).
    closing: AtomicBool,
    close: Notify,
    closed: Notify,
}

impl Conn {
    fn is_busy(&self) -> bool {
        self.busy.load(Ordering::Acquire) > 0
    }

    /// Resolves when the connection has closed, or after `limit`.
    fn closed_within(self: Arc<Self>, limit: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(async move {
            let _ = tokio::time::timeout(limit, self.closed.notified()).await;
        })
    }
}

/// The open connections.
struct Registry {
    epoch: Instant,
    next_id: AtomicU64,
    open: Mutex<HashMap<u64, Arc<Conn>>>,
}

impl Registry {
    fn new() -> Registry {
        Registry {
            epoch: Instant::now(),
            next_id: AtomicU64::new(0),
            open: Mutex::new(HashMap::new()),
        }
    }

    fn add(self: &Arc<Self>) -> Entry {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let conn = Arc::new(Conn {
            busy: AtomicUsize::new(0),
            idle_since: AtomicU64::new(millis(self.epoch)),
            epoch: self.epoch,
            closing: AtomicBool::new(false),
            close: Notify::new(),
            closed: Notify::new(),
        });
        self.lock().insert(id, conn.clone());
        Entry {
            id,
            conn,
            registry: self.clone(),
        }
    }

    /// Asks the connection that has waited longest for a request to close; none if every
    /// connection has a request in flight.
    fn close_idlest(&self) -> Option<Arc<Conn>> {
        let open = self.lock();
        let idlest = open
            .values()
            .filter(|c| !c.is_busy() && !c.closing.load(Ordering::Relaxed))
            .min_by_key(|c| c.idle_since.load(Ordering::Relaxed))?;
        idlest.closing.store(true, Ordering::Relaxed);
        idlest.close.notify_one();
        Some(idlest.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Conn>>> {
        // The map stays consistent whatever panicked while holding it.
        self.open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A connection's place in the registry, given up when its task ends.
struct Entry {
    id: u64,
    conn: Arc<Conn>,
    registry: Arc<Registry>,
}

impl Drop for Entry {
    fn drop(&mut self) {
        self.registry.lock().remove(&self.id);
        self.conn.closed.notify_one();
    }
}

fn millis(epoch: Instant) -> u64 {
    u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Marks a connection busy from the moment its request reaches the router until the response
/// body has been handed to hyper whole (it is dropped with the body).
struct Busy(Arc<Conn>);

impl Busy {
    fn new(conn: &Arc<Conn>) -> Busy {
        conn.busy.fetch_add(1, Ordering::AcqRel);
        Busy(conn.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0
            .idle_since
            .store(millis(self.0.epoch), Ordering::Relaxed);
        self.0.busy.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A response body that keeps its connection marked busy.
struct TrackedBody {
    body: Body,
    _busy: Busy,
}

impl http_body::Body for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// A TCP stream whose writes fail with `TimedOut` once they have made no progress for the
/// timeout: a client that stops reading cannot hold its connection.
struct SendTimeout {
    stream: TcpStream,
    timeout: Duration,
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl SendTimeout {
    fn new(stream: TcpStream, timeout: Duration) -> SendTimeout {
        SendTimeout {
            stream,
            timeout,
            stalled: None,
        }
    }

    fn watch<T>(&mut self, cx: &mut Context<'_>, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if poll.is_ready() {
            self.stalled = None;
            return poll;
        }
        let timeout = self.timeout;
        let stalled = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match stalled.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client stopped reading its response",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for SendTimeout {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for SendTimeout {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.stream).poll_write(cx, buf);
        self.watch(cx, poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.watch(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
