//! Both sides: typed errors with a stable code. The control side's [`EngineError`] carries
//! the node and parameter it is about; the render side's [`RenderError`] holds no heap, so it
//! can be raised inside `render()`.

use super::NodeId;
use core::fmt;
use serde::{Deserialize, Serialize};

/// A stable, machine-readable reason for a refusal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorCode {
    /// The node id was removed, never existed, or its slot was reused.
    StaleNode,
    /// No node kind has that name.
    UnknownKind,
    /// The connection would close a cycle that no delay breaks.
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
    /// The node does not take that setting, or not that value of it.
    BadSetting,
    /// A command batch that could not be decoded.
    Decode,
    /// A parameter's automation timeline is full.
    QueueFull,
    /// An automation event that Web Audio refuses where it stands (it overlaps a value curve).
    NotSupported,
    /// Sample data larger than the engine's memory budget.
    TooLarge,
    /// The render side disagreed with the control side about the graph (never expected).
    Desync,
    /// A node failed while rendering; it is silenced and the rest plays on.
    NodeFailed,
    /// NaN or infinite samples reached a node's input; they were replaced by silence.
    BadSamples,
    /// The workstation model refused an edit or a project file (the message says why).
    Session,
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
            ErrorCode::NotSupported => "NotSupported",
            ErrorCode::TooLarge => "TooLarge",
            ErrorCode::Desync => "Desync",
            ErrorCode::NodeFailed => "NodeFailed",
            ErrorCode::BadSamples => "BadSamples",
            ErrorCode::Session => "Session",
        }
    }
}

/// A refused operation: a code, what it concerns, and a sentence for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EngineError {
    pub code: ErrorCode,
    /// The node the refusal is about, as JS sees its id.
    pub node: Option<u32>,
    /// The parameter the refusal is about, by name.
    pub param: Option<String>,
    pub message: String,
}

impl EngineError {
    #[cold]
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, node: None, param: None, message: message.into() }
    }

    /// The same error, saying which node it concerns.
    pub fn at_node(mut self, id: NodeId) -> Self {
        self.node = Some(id.to_bits());
        self
    }

    /// The same error, saying which parameter it concerns.
    pub fn at_param(mut self, name: &str) -> Self {
        self.param = Some(name.to_string());
        self
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

impl RenderError {
    #[cold]
    pub const fn new(code: ErrorCode, what: &'static str) -> Self {
        Self { code, what }
    }
}

impl From<RenderError> for EngineError {
    fn from(e: RenderError) -> Self {
        EngineError::new(e.code, e.what)
    }
}
