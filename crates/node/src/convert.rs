//! Errors crossing N-API: every core error reaches JS with its stable `code`.

use polyp2p_core::Error as CoreError;

/// Error whose JS `code` is a stable string.
pub type JsError = napi::Error<String>;

pub fn core_err(e: CoreError) -> JsError {
    napi::Error::new(e.code().to_string(), e.to_string())
}
