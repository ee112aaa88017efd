//! Both sides: what the control side and the render side share and neither owns — node ids,
//! the arena that hands them out, the topology and its plan, typed errors, node descriptors,
//! parameter timelines and the wire format. Nothing here knows the node catalogue, and
//! nothing here allocates after construction on the paths the render side uses.

mod arena;
mod describe;
mod error;
mod timeline;
mod topology;
mod wire;

pub use arena::Arena;
pub use describe::{Bound, ChannelRule, Control, NodeSpec, ParamSpec, Rate, SettingKind, SettingSpec};
pub use error::{EngineError, ErrorCode, RenderError};
pub use timeline::{AutomationEvent, Event, Timeline};
pub use topology::{InEdge, Ports, Topology};
pub use wire::{
    decode_batch, encode_batch, Batch, Breakpoint, Command, KindRef, NewNode, Prepared, SampleData, SequencedNote,
    SettingValue, StoreOp, WireCommand,
};

use serde::{Deserialize, Serialize};

/// A node's generational id: a slot index and the slot's generation when the node was made.
/// A removed node's id never reaches another node: the slot's generation moves on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NodeId {
    pub index: u16,
    pub generation: u16,
}

impl NodeId {
    /// Packs the id into one number for JS (`generation << 16 | index`).
    pub fn to_bits(self) -> u32 {
        (u32::from(self.generation) << 16) | u32::from(self.index)
    }

    pub fn from_bits(bits: u32) -> Self {
        Self { index: bits as u16, generation: (bits >> 16) as u16 }
    }
}

/// Input numbers at and above this address a parameter (`PARAM_INPUT + index`), as
/// Web Audio's `connect(audioParam)` does.
pub const PARAM_INPUT: u8 = 128;

/// One connection: `from`'s output `output` feeds `to`'s input `input` (an audio input below
/// [`PARAM_INPUT`], a parameter from it on).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Edge {
    pub from: NodeId,
    pub output: u8,
    pub to: NodeId,
    pub input: u8,
}

impl Edge {
    /// The parameter this connection modulates, if it goes into one.
    pub fn param(&self) -> Option<u8> {
        self.input.checked_sub(PARAM_INPUT)
    }
}

/// Node outputs that can be metered at once.
pub const MAX_METERS: usize = 64;

/// Capacities and rate, fixed when an engine is made.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EngineConfig {
    pub sample_rate: f32,
    pub max_nodes: usize,
    pub max_edges: usize,
    /// Automation events one parameter's timeline can hold.
    pub max_automation_events: usize,
    /// Bytes of sample memory (delay lines, buffers, impulse responses) all nodes together may
    /// hold; what would go past it is refused with `TooLarge`.
    pub memory_budget: usize,
}

impl EngineConfig {
    pub fn new(sample_rate: f32) -> Self {
        Self { sample_rate, max_nodes: 2048, max_edges: 4096, max_automation_events: 256, memory_budget: 256 << 20 }
    }
}
