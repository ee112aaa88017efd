//! Control side: typed errors with a stable code, shown to JS as `code: message`.

use core::fmt;

/// A stable, machine-readable reason for a refusal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ErrorCode {
    /// The node id was removed, never existed, or its slot was reused.
    StaleNode,
    /// No node kind has that name.
    UnknownKind,
    /// The connection would close a cycle.
    Cycle,
    /// The fixed node capacity is used up.
    NodeCapacity,
    /// The fixed connection capacity is used up.
    EdgeCapacity,
    /// Output or input index out of range for the node.
    BadPort,
    /// The node has no parameter with that name or index.
    BadParam,
    /// A NaN or infinite number where a finite one is needed.
    NonFinite,
    /// A value outside what the operation accepts (a negative time, a zero exponential target).
    OutOfRange,
    /// Disconnecting a connection that does not exist.
    NotConnected,
    /// The destination and input nodes belong to the engine and cannot be removed.
    Protected,
    /// The node does not take that setting.
    BadSetting,
    /// A command batch that could not be decoded.
    Decode,
    /// A queue with fixed capacity (commands, automation events) is full.
    QueueFull,
    /// The render side disagreed with the control side about the graph.
    Desync,
    /// A node failed while rendering; it is silenced and the rest plays on.
    NodeFailed,
}

impl ErrorCode {
    /// The code's name, as JS sees it in `error.code`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::StaleNode => "StaleNode",
            ErrorCode::UnknownKind => "UnknownKind",
            ErrorCode::Cycle => "Cycle",
            ErrorCode::NodeCapacity => "NodeCapacity",
            ErrorCode::EdgeCapacity => "EdgeCapacity",
            ErrorCode::BadPort => "BadPort",
            ErrorCode::BadParam => "BadParam",
            ErrorCode::NonFinite => "NonFinite",
            ErrorCode::OutOfRange => "OutOfRange",
            ErrorCode::NotConnected => "NotConnected",
            ErrorCode::Protected => "Protected",
            ErrorCode::BadSetting => "BadSetting",
            ErrorCode::Decode => "Decode",
            ErrorCode::QueueFull => "QueueFull",
            ErrorCode::Desync => "Desync",
            ErrorCode::NodeFailed => "NodeFailed",
        }
    }
}

/// A refused operation: a code and a sentence for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineError {
    pub code: ErrorCode,
    pub message: String,
}

impl EngineError {
    #[cold]
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for EngineError {}

/// Render-side form of an error: no heap, so it can be raised inside `render()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RenderError {
    pub code: ErrorCode,
    pub what: &'static str,
}

impl From<RenderError> for EngineError {
    fn from(e: RenderError) -> Self {
        EngineError::new(e.code, e.what)
    }
}
