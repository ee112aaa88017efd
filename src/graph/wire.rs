//! Both sides: the one enum of changes from control to render, and its wire form (postcard
//! bytes, decoded off the render path).

use super::{AutomationEvent, Edge, EngineError, ErrorCode, NodeId, RenderError};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Which kind a new node is, on the wire: a registered kind by its index in the registry,
/// or a processor supplied from Rust (tests, benchmarks) that never crosses the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KindRef {
    Registered(u16),
    Custom { inputs: u8, outputs: u8 },
}

/// A new node on the wire: its kind, and the settings it is made with (a delay's
/// `maxDelayTime`), so that whatever they size is allocated when the node is built.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewNode {
    pub kind: KindRef,
    pub options: Vec<(u8, SettingValue)>,
}

/// The value of a node setting, in the form its [`super::SettingKind`] describes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SettingValue {
    Choice(u8),
    Time(f64),
    Number(f64),
    Flag(bool),
    Samples {
        sample_rate: f32,
        channels: Vec<Vec<f32>>,
    },
    /// A buffer the render host was sent before (see [`StoreOp`]), by its number: how a
    /// node's samples cross, once however many nodes play them.
    Stored(u32),
    Curve(Vec<f32>),
    /// Fourier coefficients of a custom wave, as the page gives them.
    Wave {
        real: Vec<f32>,
        imag: Vec<f32>,
        normalize: bool,
    },
    /// A custom wave's band-limited tables, as the control side prepares them from `Wave`.
    Tables(Vec<f32>),
    /// Notes on the song timeline, in song frames (an instrument's clips, compiled).
    Sequence(Vec<SequencedNote>),
    /// An automation lane on the song timeline: values at song frames, in frame order.
    Breakpoints(Vec<Breakpoint>),
    /// Where the song is: from context frame `at` on, song frame `position` plays (when
    /// `playing`), looping `[loop_start, loop_end)` when that is not empty.
    Transport {
        at: u64,
        playing: bool,
        position: u64,
        loop_start: u64,
        loop_end: u64,
    },
    /// A note played now, from a keyboard (`velocity` 0 releases it).
    Note {
        key: u8,
        velocity: u8,
    },
    /// A stored buffer as the render host hands it to a node (never on the wire).
    #[serde(skip)]
    Buffer(Arc<SampleData>),
    /// What a processor made from a value off the render path, to take in as it is (never on
    /// the wire). Variants that never travel come last: serde numbers the others as they stand.
    #[serde(skip)]
    Prepared(Prepared),
}

/// Channels of samples at a rate: a decoded sound, shared by every node that plays it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SampleData {
    pub sample_rate: f32,
    pub channels: Vec<Vec<f32>>,
}

impl SampleData {
    pub fn frames(&self) -> usize {
        self.channels.first().map_or(0, Vec::len)
    }

    /// Channel `ch` at `position` frames (within the sample), read between frames by linear
    /// interpolation; the last frame holds.
    pub fn read(&self, ch: usize, position: f64) -> f64 {
        let data = &self.channels[ch];
        let first = position as usize;
        let share = position - first as f64;
        let a = f64::from(data[first]);
        let b = data.get(first + 1).map_or(a, |&v| f64::from(v));
        (1.0 - share) * a + share * b
    }
}

/// Buffer data on its way to the render host, outside any command and in pieces, so no one
/// message carries (or makes the audio thread decode) megabytes. The host keeps each buffer
/// until a batch forgets it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum StoreOp {
    /// Room for buffer `buffer`: `channels` channels of `frames` frames.
    Begin { buffer: u32, sample_rate: f32, channels: u8, frames: u32 },
    /// The next samples of one channel, from frame `offset` (the pieces come in order).
    Fill { buffer: u32, channel: u8, offset: u32, data: Vec<f32> },
}

/// One trip from control to render: buffer pieces first, then the commands (which may name
/// those buffers), then the buffers no command needs any more.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Batch {
    pub store: Vec<StoreOp>,
    pub commands: Vec<WireCommand>,
    pub forget: Vec<u32>,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.store.is_empty() && self.commands.is_empty() && self.forget.is_empty()
    }
}

/// One note of a [`SettingValue::Sequence`], in song frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SequencedNote {
    pub start: u64,
    pub length: u64,
    pub key: u8,
    pub velocity: u8,
}

/// One point of a [`SettingValue::Breakpoints`] lane.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Breakpoint {
    pub frame: u64,
    pub value: f32,
}

/// A processor's own form of a setting, made where allocation is allowed.
#[derive(Default)]
pub struct Prepared(pub Option<Box<dyn core::any::Any + Send>>);

impl core::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(if self.0.is_some() { "Prepared(..)" } else { "Prepared(empty)" })
    }
}

/// Never needed (prepared values live only on the render side, and are moved): a clone is empty.
impl Clone for Prepared {
    fn clone(&self) -> Self {
        Prepared(None)
    }
}

impl PartialEq for Prepared {
    fn eq(&self, _other: &Self) -> bool {
        false
    }
}

impl SettingValue {
    /// Numbers must be finite and times not negative. Allocation-free, so the render side can
    /// check again whatever reaches it (the control side checks everything else).
    pub fn check(&self) -> Result<(), RenderError> {
        match *self {
            SettingValue::Time(t) if !(t.is_finite() && t >= 0.0) => {
                Err(RenderError::new(ErrorCode::OutOfRange, "a time must be finite and not negative"))
            }
            SettingValue::Number(v) if !v.is_finite() => {
                Err(RenderError::new(ErrorCode::NonFinite, "a setting's number must be finite"))
            }
            _ => Ok(()),
        }
    }
}

/// Every change the control side can make to the render side, in one enum.
///
/// `N` is how a new node travels: a [`NewNode`] on the wire, a built processor once it
/// reaches the render side.
#[derive(Debug, Serialize, Deserialize)]
pub enum Command<N> {
    AddNode {
        id: NodeId,
        node: N,
    },
    RemoveNode {
        id: NodeId,
    },
    Connect(Edge),
    Disconnect(Edge),
    /// Remove every connection leaving this node.
    DisconnectOutputs {
        id: NodeId,
    },
    /// Set a parameter's value now; a running node glides there without a click.
    SetValue {
        id: NodeId,
        param: u8,
        value: f32,
    },
    Automate {
        id: NodeId,
        param: u8,
        event: AutomationEvent,
    },
    Configure {
        id: NodeId,
        setting: u8,
        value: SettingValue,
    },
    /// Start or stop measuring peak and RMS of the node's output for the page.
    Meter {
        id: NodeId,
        on: bool,
    },
}

impl<N> Command<N> {
    /// The same command with its node payload turned into another form.
    pub fn map_node<M, E>(self, build: impl FnOnce(NodeId, N) -> Result<M, E>) -> Result<Command<M>, E> {
        Ok(match self {
            Command::AddNode { id, node } => Command::AddNode { id, node: build(id, node)? },
            Command::RemoveNode { id } => Command::RemoveNode { id },
            Command::Connect(e) => Command::Connect(e),
            Command::Disconnect(e) => Command::Disconnect(e),
            Command::DisconnectOutputs { id } => Command::DisconnectOutputs { id },
            Command::SetValue { id, param, value } => Command::SetValue { id, param, value },
            Command::Automate { id, param, event } => Command::Automate { id, param, event },
            Command::Configure { id, setting, value } => Command::Configure { id, setting, value },
            Command::Meter { id, on } => Command::Meter { id, on },
        })
    }

    /// The node the command is about (for a connection, the one it arrives at).
    pub fn node(&self) -> NodeId {
        match self {
            Command::AddNode { id, .. }
            | Command::RemoveNode { id }
            | Command::DisconnectOutputs { id }
            | Command::SetValue { id, .. }
            | Command::Automate { id, .. }
            | Command::Configure { id, .. }
            | Command::Meter { id, .. } => *id,
            Command::Connect(e) | Command::Disconnect(e) => e.to,
        }
    }
}

/// Wire form of a command, as the control side sends it to the render side.
pub type WireCommand = Command<NewNode>;

/// Serializes a batch for the trip to the worklet.
pub fn encode_batch(batch: &Batch) -> Vec<u8> {
    postcard::to_allocvec(batch).expect("batches always serialize")
}

/// Reads a batch back; a corrupt batch is an error, never a panic.
pub fn decode_batch(bytes: &[u8]) -> Result<Batch, EngineError> {
    postcard::from_bytes(bytes)
        .map_err(|e| EngineError::new(ErrorCode::Decode, format!("command batch could not be decoded: {e}")))
}
