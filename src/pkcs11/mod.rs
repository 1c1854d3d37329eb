//! PKCS#11 (feature `pkcs11`, crate `cryptoki`), all in one place: [`Pkcs11Token`] opens a token by label
//! and logs in; [`Pkcs11Wrapper`] wraps keysets with a key that never leaves the token; [`Pkcs11Source`]
//! is the token's generator (`C_GenerateRandom`) as an entropy source.
//!
//! A module (the `.so`) is loaded and `C_Initialize`d once per process and kept for the process's
//! lifetime, so several tokens, wrappers and sources can share it. Slots are found by token label, never by
//! number (numbers change; SoftHSM's are random). Tested against SoftHSM2.
//!
//! ```no_run
//! use qres::pkcs11::{Pkcs11Config, Pkcs11Token};
//! let token = Pkcs11Token::open(&Pkcs11Config::new("/usr/lib/softhsm/libsofthsm2.so", "qres", b"1234"))?;
//! # Ok::<(), qres::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::secret::SecretBytes;
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::session::{Session, SessionState, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

mod source;
mod wrapper;

pub use source::Pkcs11Source;
pub use wrapper::Pkcs11Wrapper;

/// Where the token is and how to log in.
#[derive(Clone)]
pub struct Pkcs11Config {
    /// The PKCS#11 module, e.g. `/usr/lib/softhsm/libsofthsm2.so`.
    pub module: PathBuf,
    /// The token's label.
    pub token_label: String,
    /// The user PIN.
    pub pin: SecretBytes,
}

impl Pkcs11Config {
    /// A configuration.
    pub fn new(module: impl Into<PathBuf>, token_label: impl Into<String>, pin: &[u8]) -> Self {
        Self { module: module.into(), token_label: token_label.into(), pin: SecretBytes::from_slice(pin) }
    }
}

impl core::fmt::Debug for Pkcs11Config {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Pkcs11Config")
            .field("module", &self.module)
            .field("token_label", &self.token_label)
            .field("pin", &"<redacted>")
            .finish()
    }
}

const HINT: &str = "the module path, that the token with this label exists and is initialized, and the PIN";

pub(crate) fn unavailable(what: &str, detail: impl core::fmt::Display) -> Error {
    Error::KeyStoreUnavailable { store: format!("PKCS#11 {what}"), detail: detail.to_string(), hint: HINT }
}

/// Loads and initializes `module` once per process.
fn context(module: &Path) -> Result<Pkcs11> {
    static CONTEXTS: OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> = OnceLock::new();
    let mut contexts = CONTEXTS.get_or_init(Default::default).lock().unwrap_or_else(|p| p.into_inner());
    if let Some(c) = contexts.get(module) {
        return Ok(c.clone());
    }
    let ctx = Pkcs11::new(module).map_err(|e| unavailable(&format!("module {}", module.display()), e))?;
    match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) => {}
        Err(cryptoki::error::Error::Pkcs11(cryptoki::error::RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => return Err(unavailable(&format!("module {}", module.display()), e)),
    }
    contexts.insert(module.to_path_buf(), ctx.clone());
    Ok(ctx)
}

/// Sessions kept open for reuse, at most.
const MAX_IDLE_SESSIONS: usize = 8;
/// Attempts of one operation across recoveries (re-login, new sessions, re-initializing the module).
const ATTEMPTS: usize = 5;

/// A failure inside [`Pkcs11Token::run`]: a token error (which may be recovered from) or a qres error
/// (returned as it is).
pub(crate) enum Failure {
    /// What the token said.
    Token(cryptoki::error::Error),
    /// A qres error (for example a refused key, or an opaque decryption failure).
    Qres(Error),
}

impl From<cryptoki::error::Error> for Failure {
    fn from(e: cryptoki::error::Error) -> Self {
        Self::Token(e)
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Self::Qres(e)
    }
}

/// What to do after a token error.
enum Recovery {
    /// Not a session problem: report it.
    None,
    /// The user is not logged in (someone logged out, or every session was closed): log in again.
    Login,
    /// The session is gone (closed, token removed or reset, module finalized): open another.
    Reopen,
    /// An object handle became invalid (handles are dropped at a logout or reset): the operation finds
    /// its objects again.
    Retry,
}

fn recovery(e: &cryptoki::error::Error) -> Recovery {
    use cryptoki::error::RvError as Rv;
    match e {
        cryptoki::error::Error::Pkcs11(Rv::UserNotLoggedIn, _) => Recovery::Login,
        cryptoki::error::Error::Pkcs11(
            Rv::SessionHandleInvalid
            | Rv::SessionClosed
            | Rv::DeviceRemoved
            | Rv::TokenNotPresent
            | Rv::TokenNotRecognized
            | Rv::CryptokiNotInitialized,
            _,
        ) => Recovery::Reopen,
        cryptoki::error::Error::Pkcs11(Rv::ObjectHandleInvalid | Rv::KeyHandleInvalid, _) => Recovery::Retry,
        _ => Recovery::None,
    }
}

/// Whether `e` means a lost login or session, which [`Pkcs11Token::run`] recovers from.
pub(crate) fn needs_session(e: &cryptoki::error::Error) -> bool {
    matches!(recovery(e), Recovery::Login | Recovery::Reopen)
}

/// One token, reached through a pool of logged-in sessions that survives a token reset.
///
/// Operations take a session from the pool (or open one) and give it back, so threads work in parallel on
/// separate sessions. When the token reports `CKR_USER_NOT_LOGGED_IN` (someone logged out, or every
/// session was closed) the token logs in again; when a session is gone (`CKR_SESSION_HANDLE_INVALID`,
/// `CKR_SESSION_CLOSED`, the token removed or re-initialized, or the module finalized by other code in the
/// process) it drops every pooled session, initializes the module again if needed, finds the slot again
/// by label, opens a new session, logs in and retries the operation; an object handle that became
/// invalid is looked up again. Five attempts in all. Object
/// handles do not survive such a reset (and may then name other objects): users of the token check the
/// handles they keep before each use (as [`Pkcs11Wrapper`] does).
/// Sessions whose handles the token has invalidated are forgotten without `C_CloseSession`, since after
/// a module re-initialization their numbers may belong to new sessions.
pub struct Pkcs11Token {
    label: String,
    module: PathBuf,
    ctx: Pkcs11,
    pin: SecretBytes,
    slot: Mutex<Slot>,
    idle: Mutex<Vec<Session>>,
    /// Counts the recoveries that reopened sessions (for logs and tests).
    resets: AtomicU64,
    /// Held while recovering, so that threads meeting the same reset do not initialize the module and
    /// search the slots at the same time.
    recovering: Mutex<()>,
}

impl core::fmt::Debug for Pkcs11Token {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Pkcs11Token")
            .field("label", &self.label)
            .field("module", &self.module)
            .field("slot", &self.slot.lock().unwrap_or_else(|p| p.into_inner()).id())
            .finish_non_exhaustive()
    }
}

/// Finds the one slot whose token carries `label`.
fn find_slot(ctx: &Pkcs11, label: &str) -> Result<Slot> {
    let what = format!("token {label:?}");
    let slots = match ctx.get_slots_with_token() {
        // Other code in the process finalized the module: initialize it again.
        Err(cryptoki::error::Error::Pkcs11(cryptoki::error::RvError::CryptokiNotInitialized, _)) => {
            match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
                Ok(())
                | Err(cryptoki::error::Error::Pkcs11(cryptoki::error::RvError::CryptokiAlreadyInitialized, _)) => {}
                Err(e) => return Err(unavailable(&what, e)),
            }
            ctx.get_slots_with_token()
        }
        other => other,
    }
    .map_err(|e| unavailable(&what, e))?;
    let matching: Vec<Slot> =
        slots.into_iter().filter(|s| ctx.get_token_info(*s).is_ok_and(|i| i.label().trim_end() == label)).collect();
    match matching.as_slice() {
        [slot] => Ok(*slot),
        [] => Err(unavailable(&what, "no slot holds a token with this label")),
        _ => Err(unavailable(&what, "several tokens carry this label; labels must be unique")),
    }
}

impl Pkcs11Token {
    /// Finds the token by label (exactly one token must carry it), opens a read-write session and logs in
    /// as the user. The PIN is kept (zeroized on drop) to log in again after a token reset.
    ///
    /// PKCS#11 login state belongs to the process: once any session of this process has logged in to the
    /// token, the module reports "already logged in" and **the PIN given here is not checked again**. Do
    /// not rely on this call to authenticate different callers within one process.
    pub fn open(config: &Pkcs11Config) -> Result<Arc<Self>> {
        let ctx = context(&config.module)?;
        std::str::from_utf8(config.pin.as_bytes()).map_err(|_| Error::InvalidInput("the PIN must be UTF-8"))?;
        let slot = find_slot(&ctx, &config.token_label)?;
        let token = Self {
            label: config.token_label.clone(),
            module: config.module.clone(),
            ctx,
            pin: config.pin.clone(),
            slot: Mutex::new(slot),
            idle: Mutex::new(Vec::new()),
            resets: AtomicU64::new(0),
            recovering: Mutex::new(()),
        };
        let session = token.new_session().map_err(|e| token.login_error(e))?;
        token.give_back(session);
        Ok(Arc::new(token))
    }

    /// The token's label.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// How many times sessions were reopened after the token invalidated them (a reset, a removal, the
    /// module finalized).
    pub fn resets(&self) -> u64 {
        self.resets.load(Ordering::Relaxed)
    }

    fn login(&self, session: &Session) -> cryptoki::error::Result<()> {
        // Checked to be UTF-8 in `open`.
        let pin = AuthPin::from(String::from_utf8_lossy(self.pin.as_bytes()).into_owned());
        match session.login(UserType::User, Some(&pin)) {
            Err(cryptoki::error::Error::Pkcs11(cryptoki::error::RvError::UserAlreadyLoggedIn, _)) => Ok(()),
            other => other,
        }
    }

    /// Opens a read-write session on the current slot and logs in.
    fn new_session(&self) -> cryptoki::error::Result<Session> {
        let slot = *self.slot.lock().unwrap_or_else(|p| p.into_inner());
        let session = self.ctx.open_rw_session(slot)?;
        self.login(&session)?;
        Ok(session)
    }

    fn take(&self) -> cryptoki::error::Result<Session> {
        let pooled = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        match pooled {
            Some(s) => Ok(s),
            None => self.new_session(),
        }
    }

    fn give_back(&self, session: Session) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < MAX_IDLE_SESSIONS {
            idle.push(session);
        }
    }

    /// After the token invalidated a session: forget every pooled session (without closing: their
    /// handles may be reused), initialize the module again if it was finalized, and find the slot again
    /// by label (a re-initialized token may sit in another slot).
    fn reset(&self, cause: &cryptoki::error::Error) -> Result<()> {
        let _recovering = self.recovering.lock().unwrap_or_else(|p| p.into_inner());
        for stale in self.idle.lock().unwrap_or_else(|p| p.into_inner()).drain(..) {
            std::mem::forget(stale);
        }
        // `find_slot` initializes the module again if it was finalized.
        let slot = find_slot(&self.ctx, &self.label)?;
        *self.slot.lock().unwrap_or_else(|p| p.into_inner()) = slot;
        self.resets.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(target: "qres::keystore", store = "pkcs11", token = %self.label, cause = %cause, "PKCS#11 sessions reopened");
        Ok(())
    }

    /// Runs `f` on a logged-in session, recovering from a lost login or session as described in the
    /// [type docs](Self); `operation` names it in errors.
    pub(crate) fn run<T>(&self, operation: &str, mut f: impl FnMut(&Session) -> Result<T, Failure>) -> Result<T> {
        let mut last = None;
        for _ in 0..ATTEMPTS {
            let session = match self.take() {
                Ok(s) => s,
                Err(e) => match recovery(&e) {
                    Recovery::None => return Err(self.login_error(e)),
                    _ => {
                        self.reset(&e)?;
                        last = Some(e);
                        continue;
                    }
                },
            };
            match f(&session) {
                Ok(v) => {
                    self.give_back(session);
                    return Ok(v);
                }
                Err(Failure::Qres(e)) => {
                    self.give_back(session);
                    return Err(e);
                }
                Err(Failure::Token(e)) => match recovery(&e) {
                    Recovery::None => {
                        self.give_back(session);
                        return Err(self.error(operation, e));
                    }
                    Recovery::Login => {
                        tracing::warn!(target: "qres::keystore", store = "pkcs11", token = %self.label, "logged out: logging in again");
                        match self.login(&session) {
                            Ok(()) => self.give_back(session),
                            Err(l) if matches!(recovery(&l), Recovery::None) => return Err(self.login_error(l)),
                            Err(l) => {
                                std::mem::forget(session);
                                self.reset(&l)?;
                            }
                        }
                        last = Some(e);
                    }
                    Recovery::Reopen => {
                        std::mem::forget(session);
                        self.reset(&e)?;
                        last = Some(e);
                    }
                    Recovery::Retry => {
                        self.give_back(session);
                        last = Some(e);
                    }
                },
            }
        }
        Err(match last {
            Some(e) => self.error(&format!("{operation} (after {ATTEMPTS} attempts)"), e),
            None => unavailable(&format!("token {:?}", self.label), "no attempt was made"),
        })
    }

    /// Fails with `CKR_USER_NOT_LOGGED_IN` (so that [`run`](Self::run) logs in again and retries) when
    /// `session` is not logged in as the user. Private objects are invisible then: a search that finds
    /// nothing must not be taken for an absent key.
    pub(crate) fn require_login(&self, session: &Session) -> Result<(), Failure> {
        match session.get_session_info()?.session_state() {
            SessionState::RoUser | SessionState::RwUser => Ok(()),
            _ => Err(Failure::Token(cryptoki::error::Error::Pkcs11(
                cryptoki::error::RvError::UserNotLoggedIn,
                cryptoki::context::Function::FindObjects,
            ))),
        }
    }

    /// A login failure: a refused PIN is access denied.
    fn login_error(&self, e: cryptoki::error::Error) -> Error {
        use cryptoki::error::RvError as Rv;
        match e {
            cryptoki::error::Error::Pkcs11(
                Rv::PinIncorrect | Rv::PinInvalid | Rv::PinLocked | Rv::UserPinNotInitialized,
                _,
            ) => Error::KeyStoreAccessDenied {
                store: format!("PKCS#11 token {:?}", self.label),
                detail: "the token refused the PIN".into(),
                hint: "the user PIN (and that it is not locked)",
            },
            e => unavailable(&format!("token {:?}", self.label), e),
        }
    }

    pub(crate) fn error(&self, operation: &str, e: cryptoki::error::Error) -> Error {
        unavailable(&format!("token {:?}", self.label), format!("{operation}: {e}"))
    }
}
