//! Control side (main thread, Workers, native): reading and writing the files a workstation
//! takes in and gives out — WAV audio and Standard MIDI Files (and, natively, compressed audio
//! to analyse). Nothing here runs on the audio
//! thread; every reader checks what it is told against what is there before it allocates.

#[cfg(not(target_arch = "wasm32"))]
pub mod decode;
pub mod midi;
pub mod wav;

use core::fmt;

/// What kind of problem a file had, for code that reacts (the page words its message by it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatErrorKind {
    /// Not this kind of file at all.
    NotThisFormat,
    /// The file ends before what its headers promise.
    Truncated,
    /// A valid file in a variant this reader does not take (a WAV codec, say).
    Unsupported,
    /// Headers that contradict themselves or hold impossible values.
    Invalid,
    /// More than the reader's limit would have to be held in memory.
    TooLarge,
}

/// A file that could not be read or written, with a message naming what was wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatError {
    pub kind: FormatErrorKind,
    pub message: String,
}

impl FormatError {
    pub fn new(kind: FormatErrorKind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into() }
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FormatError {}
