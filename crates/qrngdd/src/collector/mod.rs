//! The collector: reads entropy sources on the internal network, health-tests and mixes their output,
//! and pushes signed packets to the gateway. It only makes outgoing connections: it has no listening
//! socket, so nothing on the gateway's side can reach it.
//!
//! Push outcomes and what is done with the bytes (each byte is sent in at most one *accepted* packet):
//!
//! | gateway answer | action |
//! |---|---|
//! | 2xx | done |
//! | transport error, 429, 5xx (not 507) | the *same* signed packet is retried with exponential backoff; it is never re-signed, since the gateway may have stored it |
//! | 409 on a retry | an earlier attempt was stored: done |
//! | 409 on a first attempt, with `X-Qrngdd-Last-Sequence` ahead of ours | our sequence fell behind (clock stepped back): the sequence jumps past the gateway's mark and the bytes are sent again |
//! | 507 (no room; nothing stored), or 400 `predates_start` (gateway just restarted), when no earlier attempt of the packet may have been stored | the bytes go back to the local buffer, pushing pauses (backoff) and they are sent later under a new sequence number |
//! | the same, when an earlier attempt may have been stored (it failed after the request could have reached the gateway, or a 5xx came from something other than our gateway) | the bytes are dropped (zeroized) and counted in [`Totals::maybe_stored`]: a gateway may already have served them, and a re-signed copy would serve them twice |
//! | other 4xx, or retries exhausted | the bytes are dropped (zeroized) and the failure logged |
//!
//! An attempt certainly stored nothing when it got an answer from our gateway (a refusal, which names
//! its reason), or when it failed before the request could reach the gateway (no connection, TLS
//! failure, timeout while connecting or sending the headers). Connecting and sending the headers each
//! have their own short timeout (`QRNG_CONNECT_TIMEOUT_MS`), so that a gateway that stops answering (a
//! blackholed host) is known within seconds to have stored nothing, and its bytes go to the next gateway.
//!
//! ## Several gateways
//!
//! With several push URLs (`QRNG_PUSH_URL=u1,u2,…`, one HMAC key each), every packet goes to exactly
//! one gateway, taken in turn, signed with that gateway's key and numbered from that gateway's own
//! sequence (so each gateway sees consecutive numbers, and a packet captured on its way to one gateway is
//! refused by the others: their keys differ). A gateway that certainly stored nothing (no connection,
//! or a refusal it named: full, busy, rate-limited) is marked down for a backoff (doubling up to
//! [`MAX_BACKOFF`]) and the *same bytes* go to the next gateway at once, under that gateway's key and
//! sequence: no byte is lost and none can be stored twice. A packet whose outcome is unknown (the
//! connection broke after the request could have arrived) is never sent to another gateway: it is
//! retried on its own gateway only, to learn whether it was stored, and as soon as that gateway cannot say
//! so (a single retry that cannot connect is enough, as is a restart, 507 or exhausted retries), its
//! bytes are dropped and counted in [`Totals::maybe_stored`]. When every
//! gateway is down or full, the bytes stay in the local buffer and pushing pauses until the earliest
//! gateway's backoff ends.

mod mix;
pub mod sequence;
pub mod sources;

pub use mix::{HKDF_SALT, Mixing, mix};
pub use sequence::SequenceSource;
pub use sources::{QuantisAppliance, TestCounter, http_agent};

use crate::config::CollectorConfig;
use qres::entropy::{EntropySource, Monitored};
use qres::qrngdd::{CONTENT_TYPE, EntropyPacket, HmacKey, unix_nanos_now};
use qres::rng::HealthStatus;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use zeroize::{Zeroize, Zeroizing};

/// Longest pause between retries.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Totals of a collector run.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    /// Bytes read from the sources (after mixing).
    pub fetched: u64,
    /// Payload bytes in accepted packets.
    pub pushed: u64,
    /// Packets accepted.
    pub packets: u64,
    /// Payload bytes dropped (refused packets, exhausted retries).
    pub dropped: u64,
    /// Pushes refused for lack of room (507).
    pub no_room: u64,
    /// Payload bytes dropped (also counted in `dropped`) rather than re-signed, because an earlier attempt
    /// of their packet may have been stored: a retry was refused as `predates_start` or 507 after an
    /// attempt whose outcome is unknown.
    pub maybe_stored: u64,
}

enum PushResult {
    Accepted,
    NoRoom(Zeroizing<Vec<u8>>),
    /// Several gateways: this one certainly stored nothing and cannot take the packet now (down, busy or
    /// rate-limited); send these bytes to another gateway.
    Unsent(Zeroizing<Vec<u8>>),
    /// Not stored; send these bytes again now (under a new sequence number).
    Requeue(Zeroizing<Vec<u8>>),
    Dropped,
    /// Dropped because an earlier attempt may have been stored.
    MaybeStored,
}

/// Largest forward jump of the sequence taken from a gateway's 409 answer (2^50: about three days of the
/// millisecond epoch); a larger hint is ignored rather than trusted.
pub const MAX_SEQUENCE_JUMP: u64 = 1 << 50;

/// One gateway the collector pushes to.
struct Target {
    url: String,
    key: HmacKey,
    /// This gateway's own sequence numbers.
    sequence: SequenceSource,
    /// Not pushed to before this instant (down or full).
    not_before: Instant,
    /// The current pause after a failure (zero when healthy).
    backoff: Duration,
}

impl Target {
    fn available(&self, now: Instant) -> bool {
        now >= self.not_before
    }

    /// Marks the gateway unusable for a backoff doubling from `min` up to [`MAX_BACKOFF`].
    fn pause(&mut self, min: Duration) {
        self.backoff = next_backoff(self.backoff, min);
        self.not_before = Instant::now() + jitter(self.backoff);
    }

    fn healthy(&mut self) {
        self.backoff = Duration::ZERO;
        self.not_before = Instant::now();
    }
}

/// A configured collector.
pub struct Collector {
    config: CollectorConfig,
    sources: Vec<Monitored<Box<dyn EntropySource>>>,
    agent: ureq::Agent,
    /// The gateways, taken in turn from `next_target`.
    targets: Vec<Target>,
    next_target: usize,
    /// Mixed bytes waiting to be pushed (zeroized as they leave and on drop).
    buffer: Zeroizing<Vec<u8>>,
    stop: Arc<AtomicBool>,
    totals: Totals,
    push_backoff: Duration,
    fetch_backoff: Duration,
    /// Consecutive 409-and-jump requeues (bounded, so a confused gateway cannot keep us in a loop).
    requeued: u32,
}

impl core::fmt::Debug for Collector {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Collector").field("sources", &self.sources.len()).field("totals", &self.totals).finish()
    }
}

impl Collector {
    /// A collector reading the sources of `config`.
    pub fn from_config(config: CollectorConfig) -> Result<Self, String> {
        let mut sources: Vec<Box<dyn EntropySource>> = Vec::new();
        if !config.appliance_urls.is_empty() {
            let agent =
                http_agent(config.appliance_ca.as_deref(), Duration::from_secs(30), config.connect_timeout, false)?;
            for url in &config.appliance_urls {
                sources.push(Box::new(QuantisAppliance::new(url, agent.clone(), config.min_entropy_per_byte)));
            }
        }
        for path in &config.quantis_devices {
            sources.push(sources::device_source(path, config.min_entropy_per_byte)?);
        }
        for name in &config.other_sources {
            sources.push(sources::named_source(name, config.min_entropy_per_byte, config.allow_insecure_test_source)?);
        }
        Self::new(config, sources)
    }

    /// A collector reading `sources` (any [`EntropySource`]); each is wrapped in SP 800-90B health tests.
    pub fn new(config: CollectorConfig, sources: Vec<Box<dyn EntropySource>>) -> Result<Self, String> {
        if sources.is_empty() {
            return Err("no entropy source".into());
        }
        if sources.len() > 1 && config.mixing == Mixing::None {
            return Err("several sources need xor or hkdf mixing".into());
        }
        let sources =
            sources.into_iter().map(Monitored::new).collect::<Result<Vec<_>, _>>().map_err(|e| e.to_string())?;
        if config.push_urls.is_empty() || config.push_urls.len() != config.hmac_keys.len() {
            return Err("one HMAC key per push URL is needed".into());
        }
        let push_ca =
            if config.push_urls.iter().any(|u| u.starts_with("https://")) { config.push_ca.as_deref() } else { None };
        let agent = http_agent(push_ca, Duration::from_secs(30), config.connect_timeout, config.require_pq_tls)?;
        let ms = u64::try_from(unix_nanos_now() / 1_000_000).map_err(|_| "the clock is before 1970")?;
        let mut targets = Vec::with_capacity(config.push_urls.len());
        for (i, (url, key)) in config.push_urls.iter().zip(&config.hmac_keys).enumerate() {
            let file = config.sequence_file.as_ref().map(|f| sequence_file_for(f, i));
            let sequence = SequenceSource::new(ms, file).map_err(|e| format!("sequence file: {e}"))?;
            targets.push(Target {
                url: url.clone(),
                key: key.clone(),
                sequence,
                not_before: Instant::now(),
                backoff: Duration::ZERO,
            });
        }
        Ok(Self {
            push_backoff: Duration::ZERO,
            fetch_backoff: Duration::ZERO,
            requeued: 0,
            config,
            sources,
            agent,
            targets,
            next_target: 0,
            buffer: Zeroizing::new(Vec::new()),
            stop: Arc::new(AtomicBool::new(false)),
            totals: Totals::default(),
        })
    }

    /// The flag that stops [`run`](Self::run) (set it from a signal handler).
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }

    /// The totals so far.
    pub fn totals(&self) -> Totals {
        self.totals
    }

    /// Runs until the stop flag is set (then pushes what is buffered), `QRNG_MAX_BYTES` have been pushed,
    /// or every source has failed its health tests (an error).
    pub fn run(&mut self) -> Result<Totals, String> {
        tracing::info!(
            sources = ?self.sources.iter().map(|s| s.name().to_owned()).collect::<Vec<_>>(),
            mixing = ?self.config.mixing,
            gateways = ?self.targets.iter().map(|t| format!("{} (key {})", t.url, t.key.fingerprint())).collect::<Vec<_>>(),
            "qrngdd-collector started"
        );
        let mut next_fetch = Instant::now();
        let mut next_push = Instant::now() + self.config.push_interval;
        let mut next_report = Instant::now() + Duration::from_secs(60);
        let result = loop {
            if self.stop.load(Ordering::Relaxed) {
                tracing::info!("stop requested: pushing what is buffered");
                self.push_all();
                break Ok(self.totals);
            }
            if self.config.max_bytes > 0 && self.totals.pushed >= self.config.max_bytes {
                break Ok(self.totals);
            }
            if self.sources.is_empty() {
                self.push_all();
                break Err("every entropy source failed its health tests".into());
            }
            let now = Instant::now();
            if now >= next_fetch {
                if self.buffer.len() + self.config.fetch_chunk_size <= self.config.buffer_size {
                    self.fetch_round();
                }
                next_fetch = Instant::now() + self.config.fetch_interval.max(self.fetch_backoff);
            }
            if now >= next_push {
                let ready = !self.buffer.is_empty();
                if ready {
                    self.push_all();
                }
                next_push = Instant::now() + self.config.push_interval.max(self.push_backoff);
            }
            if now >= next_report {
                tracing::info!(totals = ?self.totals, buffered = self.buffer.len(), "collector totals");
                next_report = now + Duration::from_secs(60);
            }
            let wake = next_fetch.min(next_push).min(next_report);
            let nap = wake.saturating_duration_since(Instant::now()).min(Duration::from_millis(50));
            if !nap.is_zero() {
                std::thread::sleep(nap);
            }
        };
        tracing::info!(totals = ?self.totals, "qrngdd-collector stopped");
        result
    }

    /// Reads one chunk from every source, drops sources that failed their health tests, mixes what was
    /// read and appends it to the local buffer.
    fn fetch_round(&mut self) {
        let n = self.config.fetch_chunk_size;
        let mut chunks = Vec::with_capacity(self.sources.len());
        let mut failed = Vec::new();
        for (i, src) in self.sources.iter_mut().enumerate() {
            let mut chunk = vec![0u8; n];
            match src.fill(&mut chunk) {
                Ok(()) => chunks.push(chunk),
                Err(e) => {
                    let stopped = matches!(src.health(), HealthStatus::Failed(_));
                    tracing::error!(source = src.name(), error = %e, stopped, "entropy source failed");
                    if stopped {
                        failed.push(i);
                    }
                }
            }
        }
        for i in failed.into_iter().rev() {
            let s = self.sources.remove(i);
            tracing::error!(source = s.name(), "source removed after a health-test failure");
        }
        if chunks.is_empty() {
            self.fetch_backoff = next_backoff(self.fetch_backoff, self.config.initial_backoff);
            tracing::warn!(backoff = ?self.fetch_backoff, "no source delivered; backing off");
            return;
        }
        self.fetch_backoff = Duration::ZERO;
        if chunks.len() < self.sources.len() {
            tracing::warn!(
                delivered = chunks.len(),
                configured = self.sources.len(),
                "mixing the sources that delivered"
            );
        }
        match mix(self.config.mixing, &chunks) {
            Ok(mut out) => {
                self.totals.fetched += out.len() as u64;
                self.buffer.extend_from_slice(&out);
                out.zeroize();
            }
            Err(e) => tracing::error!(error = e, "mixing failed"),
        }
        for c in &mut chunks {
            c.zeroize();
        }
    }

    /// Pushes the buffer in packets of at most `QRNG_PACKET_MAX_BYTES`, each to the next available gateway,
    /// until it is empty or no gateway can take a packet now.
    fn push_all(&mut self) {
        while !self.buffer.is_empty() {
            let now = Instant::now();
            let count = self.targets.len();
            let Some(t) = (0..count).map(|k| (self.next_target + k) % count).find(|&i| self.targets[i].available(now))
            else {
                // Every gateway is down or full: keep the bytes and wait for the first to come back.
                let wait = self
                    .targets
                    .iter()
                    .map(|t| t.not_before)
                    .min()
                    .map_or(MAX_BACKOFF, |at| at.saturating_duration_since(now));
                self.push_backoff = wait.min(MAX_BACKOFF);
                tracing::warn!(backoff = ?self.push_backoff, "no gateway can take a packet now; keeping the bytes");
                return;
            };
            let n = self.buffer.len().min(self.config.packet_max_bytes);
            let data = self.buffer[..n].to_vec();
            let rest = self.buffer.len() - n;
            self.buffer.copy_within(n.., 0);
            self.buffer[rest..].zeroize();
            self.buffer.truncate(rest);
            match self.push(t, data) {
                PushResult::Accepted => {
                    self.requeued = 0;
                    self.totals.packets += 1;
                    self.totals.pushed += n as u64;
                    self.push_backoff = Duration::ZERO;
                    self.targets[t].healthy();
                    self.next_target = (t + 1) % count;
                }
                PushResult::NoRoom(data) => {
                    self.totals.no_room += 1;
                    self.buffer.splice(0..0, data.iter().copied());
                    self.targets[t].pause(self.config.initial_backoff.max(Duration::from_secs(1)));
                    tracing::warn!(
                        gateway = %self.targets[t].url,
                        backoff = ?self.targets[t].backoff,
                        "gateway cannot take the packet now (buffer full, or just started); keeping the bytes and backing off"
                    );
                }
                PushResult::Unsent(data) => {
                    self.buffer.splice(0..0, data.iter().copied());
                    self.targets[t].pause(self.config.initial_backoff);
                    tracing::warn!(
                        gateway = %self.targets[t].url,
                        backoff = ?self.targets[t].backoff,
                        "gateway unavailable and certainly stored nothing; its packets go to the other gateways"
                    );
                }
                PushResult::Requeue(data) => {
                    self.buffer.splice(0..0, data.iter().copied());
                    self.requeued += 1;
                    if self.requeued > 3 {
                        tracing::error!(gateway = %self.targets[t].url, "the gateway keeps refusing our sequence numbers; pausing it");
                        self.requeued = 0;
                        self.targets[t].backoff = MAX_BACKOFF;
                        self.targets[t].not_before = Instant::now() + MAX_BACKOFF;
                    }
                }
                PushResult::Dropped => {
                    self.totals.dropped += n as u64;
                    self.targets[t].pause(self.config.initial_backoff);
                }
                PushResult::MaybeStored => {
                    self.totals.dropped += n as u64;
                    self.totals.maybe_stored += n as u64;
                    self.targets[t].pause(self.config.initial_backoff);
                }
            }
            if self.stop.load(Ordering::Relaxed) && self.totals.dropped > 0 {
                return;
            }
        }
    }

    /// Signs `data` under the next sequence number of gateway `t` and sends it there, with retries (see
    /// the module table). With several gateways, an attempt that certainly stored nothing returns the bytes
    /// at once ([`PushResult::Unsent`]) for another gateway, instead of waiting for this one.
    fn push(&mut self, t: usize, data: Vec<u8>) -> PushResult {
        let len = data.len();
        let several = self.targets.len() > 1;
        let target = &mut self.targets[t];
        let seq = match target.sequence.allocate() {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "cannot reserve a sequence number; dropping the bytes");
                let mut data = data;
                data.zeroize();
                return PushResult::Dropped;
            }
        };
        let mut packet = match EntropyPacket::sign(&target.key, seq, data, unix_nanos_now()) {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "cannot sign a packet");
                return PushResult::Dropped;
            }
        };
        let body = match packet.encode() {
            Ok(b) => Zeroizing::new(b),
            Err(e) => {
                tracing::error!(error = %e, "cannot encode a packet");
                return PushResult::Dropped;
            }
        };
        let mut backoff = self.config.initial_backoff.min(MAX_BACKOFF);
        // Whether an attempt so far may have been stored by a gateway (its outcome is unknown).
        let mut maybe_stored = false;
        for attempt in 0..=self.config.max_retries {
            if attempt > 0 {
                // Sleep in slices so that a stop request is not held up by a long backoff; once stopping,
                // one more attempt is made and then the bytes are given up.
                let until = Instant::now() + jitter(backoff);
                while Instant::now() < until && !self.stop.load(Ordering::Relaxed) {
                    std::thread::sleep((until - Instant::now()).min(Duration::from_millis(50)));
                }
                backoff = next_backoff(backoff, Duration::ZERO);
                if self.stop.load(Ordering::Relaxed) && attempt > 1 {
                    tracing::error!(sequence = seq, bytes = len, "stopping: push abandoned; the bytes are dropped");
                    return PushResult::Dropped;
                }
            }
            let resp = self.agent.post(&target.url).header("Content-Type", CONTENT_TYPE).send(&body[..]);
            let (status, last_hint, reason) = match resp {
                Ok(mut r) => {
                    let status = r.status().as_u16();
                    let hint = r
                        .headers()
                        .get(crate::gateway::LAST_SEQUENCE_HEADER)
                        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
                    let reason = r
                        .headers()
                        .get(crate::gateway::REASON_HEADER)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned();
                    if !(200..300).contains(&status) {
                        let text = r.body_mut().with_config().limit(4096).read_to_string().unwrap_or_default();
                        tracing::warn!(sequence = seq, status, answer = %text.trim(), attempt, "push refused");
                    }
                    (status, hint, reason)
                }
                Err(e) => {
                    let unsent = certainly_unsent(&e);
                    tracing::warn!(gateway = %target.url, sequence = seq, error = %e, attempt, unsent, "push failed");
                    if several && unsent {
                        if !maybe_stored {
                            target.sequence.unallocate(seq);
                            return PushResult::Unsent(std::mem::take(&mut packet.data));
                        }
                        // An earlier attempt may have been stored, and this gateway cannot be reached to
                        // say whether it was: the bytes may never go to another gateway.
                        tracing::error!(
                            gateway = %target.url,
                            sequence = seq,
                            bytes = len,
                            "an earlier attempt of this packet may have been stored; its bytes are dropped, never re-signed"
                        );
                        packet.data.zeroize();
                        return PushResult::MaybeStored;
                    }
                    maybe_stored |= !unsent;
                    continue;
                }
            };
            match status {
                200..=299 => {
                    tracing::debug!(sequence = seq, bytes = len, "packet accepted");
                    return PushResult::Accepted;
                }
                409 if attempt > 0 => {
                    tracing::info!(sequence = seq, "a previous attempt of this packet was stored");
                    return PushResult::Accepted;
                }
                // Our sequence fell behind the gateway's record of this key (a clock stepped back without a
                // sequence file). Nothing was stored: continue above the gateway's mark and send the bytes
                // again under a new number.
                409 if last_hint.is_some_and(|l| l >= seq && l - seq < MAX_SEQUENCE_JUMP) => {
                    let last = last_hint.unwrap_or(seq);
                    tracing::warn!(sequence = seq, gateway_last = last, "sequence behind the gateway's; jumping ahead");
                    if let Err(e) = target.sequence.advance_past(last) {
                        tracing::error!(error = %e, "cannot move the sequence forward");
                        return PushResult::Dropped;
                    }
                    return PushResult::Requeue(std::mem::take(&mut packet.data));
                }
                // No room (507), or the gateway started less than its skew allowance ago and refuses
                // packets signed before then (this packet can never be accepted there). Nothing was stored
                // by this attempt; if no earlier one may have been either, keep the bytes for later (a new
                // sequence number). Otherwise a previous gateway instance may have stored and served them:
                // drop them rather than re-sign them.
                s if s == 507 || (s == 400 && reason == "predates_start") => {
                    if maybe_stored {
                        tracing::error!(
                            sequence = seq,
                            bytes = len,
                            status,
                            reason = %reason,
                            attempt,
                            "an earlier attempt of this packet may have been stored; its bytes are dropped, never re-signed"
                        );
                        packet.data.zeroize();
                        return PushResult::MaybeStored;
                    }
                    return PushResult::NoRoom(std::mem::take(&mut packet.data));
                }
                429 | 500..=599 => {
                    // Our gateway names the reason of every refusal (and stored nothing); a 5xx without one
                    // comes from something in between (a proxy), which may have passed the packet on.
                    let unknown = status >= 500 && reason.is_empty();
                    if several && !unknown && !maybe_stored {
                        target.sequence.unallocate(seq);
                        return PushResult::Unsent(std::mem::take(&mut packet.data));
                    }
                    maybe_stored |= unknown;
                    continue;
                }
                _ => {
                    tracing::error!(sequence = seq, status, bytes = len, "packet refused; its bytes are dropped");
                    return PushResult::Dropped;
                }
            }
        }
        if maybe_stored {
            tracing::error!(
                sequence = seq,
                bytes = len,
                "push retries exhausted after an attempt that may have been stored; its bytes are dropped, never re-signed"
            );
            packet.data.zeroize();
            return PushResult::MaybeStored;
        }
        tracing::error!(sequence = seq, bytes = len, "push retries exhausted; the bytes are dropped");
        PushResult::Dropped
    }
}

/// The sequence file of gateway `i`: `QRNG_SEQUENCE_FILE` itself for the first, `<file>.<i>` for the
/// others (each gateway has its own key and so its own sequence).
pub fn sequence_file_for(file: &std::path::Path, i: usize) -> std::path::PathBuf {
    if i == 0 {
        file.to_owned()
    } else {
        let mut name = file.as_os_str().to_owned();
        name.push(format!(".{i}"));
        name.into()
    }
}

/// Whether a failed attempt certainly never reached the gateway's push handler: no connection, a TLS
/// failure, or a timeout before the request headers were sent.
fn certainly_unsent(e: &ureq::Error) -> bool {
    use ureq::Timeout;
    match e {
        ureq::Error::HostNotFound
        | ureq::Error::ConnectionFailed
        | ureq::Error::BadUri(_)
        | ureq::Error::RequireHttpsOnly(_)
        | ureq::Error::TlsRequired
        | ureq::Error::Tls(_)
        | ureq::Error::Pem(_)
        | ureq::Error::Rustls(_) => true,
        ureq::Error::Timeout(t) => matches!(t, Timeout::Resolve | Timeout::Connect | Timeout::SendRequest),
        ureq::Error::Io(io) => matches!(io.kind(), std::io::ErrorKind::ConnectionRefused),
        _ => false,
    }
}

/// The pause after one more failure: `current` doubled, at least `min`, and at most [`MAX_BACKOFF`]
/// (also when `min` is larger: `QRNG_INITIAL_BACKOFF_MS` may exceed it).
fn next_backoff(current: Duration, min: Duration) -> Duration {
    current.saturating_mul(2).max(min).min(MAX_BACKOFF)
}

/// `d` plus up to 50 % random jitter.
fn jitter(d: Duration) -> Duration {
    let mut b = [0u8; 2];
    let _ = getrandom::fill(&mut b);
    d + d.mul_f64(f64::from(u16::from_le_bytes(b)) / 65_536.0 / 2.0)
}

/// Registers SIGTERM and SIGINT to set `flag`.
pub fn stop_on_signals(flag: &Arc<AtomicBool>) -> std::io::Result<()> {
    signal_hook::flag::register(signal_hook::consts::SIGTERM, flag.clone())?;
    signal_hook::flag::register(signal_hook::consts::SIGINT, flag.clone())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_bounds_even_when_the_minimum_exceeds_the_cap() {
        let ms = Duration::from_millis;
        assert_eq!(next_backoff(Duration::ZERO, ms(100)), ms(100));
        assert_eq!(next_backoff(ms(100), ms(100)), ms(200));
        assert_eq!(next_backoff(ms(20_000), ms(100)), MAX_BACKOFF);
        // QRNG_INITIAL_BACKOFF_MS allows up to 60 s, above MAX_BACKOFF: no panic, the cap holds.
        assert_eq!(next_backoff(Duration::ZERO, ms(60_000)), MAX_BACKOFF);
        assert_eq!(next_backoff(MAX_BACKOFF, ms(60_000)), MAX_BACKOFF);
        assert_eq!(next_backoff(Duration::MAX, Duration::ZERO), MAX_BACKOFF);
    }
}
