//! PKCS#11 tokens (feature `pkcs11`, crate `cryptoki`): opening a token by label and logging in, shared by
//! [`Pkcs11Wrapper`](crate::keys::pkcs11::Pkcs11Wrapper) (keysets wrapped by a key that never leaves the
//! token) and [`Pkcs11Source`](crate::entropy::Pkcs11Source) (`C_GenerateRandom`).
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
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

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

/// An open, logged-in session on one token. Operations are serialized on the session.
pub struct Pkcs11Token {
    label: String,
    slot: Slot,
    session: Mutex<Session>,
}

impl core::fmt::Debug for Pkcs11Token {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Pkcs11Token").field("label", &self.label).field("slot", &self.slot.id()).finish()
    }
}

impl Pkcs11Token {
    /// Finds the token by label (exactly one token must carry it), opens a read-write session and logs in
    /// as the user.
    ///
    /// PKCS#11 login state belongs to the process: once any session of this process has logged in to the
    /// token, the module reports "already logged in" and **the PIN given here is not checked again**. Do
    /// not rely on this call to authenticate different callers within one process.
    pub fn open(config: &Pkcs11Config) -> Result<Arc<Self>> {
        let ctx = context(&config.module)?;
        let what = format!("token {:?}", config.token_label);
        let slots = ctx.get_slots_with_token().map_err(|e| unavailable(&what, e))?;
        let matching: Vec<Slot> = slots
            .into_iter()
            .filter(|s| ctx.get_token_info(*s).is_ok_and(|i| i.label().trim_end() == config.token_label))
            .collect();
        let slot = match matching.as_slice() {
            [slot] => *slot,
            [] => return Err(unavailable(&what, "no slot holds a token with this label")),
            _ => return Err(unavailable(&what, "several tokens carry this label; labels must be unique")),
        };
        let session = ctx.open_rw_session(slot).map_err(|e| unavailable(&what, e))?;
        let pin =
            std::str::from_utf8(config.pin.as_bytes()).map_err(|_| Error::InvalidInput("the PIN must be UTF-8"))?;
        match session.login(UserType::User, Some(&AuthPin::from(pin.to_owned()))) {
            Ok(()) => {}
            Err(cryptoki::error::Error::Pkcs11(cryptoki::error::RvError::UserAlreadyLoggedIn, _)) => {}
            Err(cryptoki::error::Error::Pkcs11(
                cryptoki::error::RvError::PinIncorrect
                | cryptoki::error::RvError::PinInvalid
                | cryptoki::error::RvError::PinLocked,
                _,
            )) => {
                return Err(Error::KeyStoreAccessDenied {
                    store: format!("PKCS#11 {what}"),
                    detail: "the token refused the PIN".into(),
                    hint: "the user PIN (and that it is not locked)",
                });
            }
            Err(e) => return Err(unavailable(&what, e)),
        }
        Ok(Arc::new(Self { label: config.token_label.clone(), slot, session: Mutex::new(session) }))
    }

    /// The token's label.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The logged-in session (locked for the duration of one operation).
    pub(crate) fn session(&self) -> MutexGuard<'_, Session> {
        self.session.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn error(&self, operation: &str, e: cryptoki::error::Error) -> Error {
        unavailable(&format!("token {:?}", self.label), format!("{operation}: {e}"))
    }
}
