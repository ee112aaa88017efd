//! Render thread: the node types. Each file holds one node's processor, its options and
//! its tests. Nodes allocate in `prepare`, clear in `reset`, and only touch memory in
//! `process`.

mod biquad;
mod gain;
mod io;
mod oscillator;
mod panner;

pub use biquad::Biquad;
pub use gain::Gain;
pub use io::{Destination, ExternalInput};
pub use oscillator::Oscillator;
pub use panner::StereoPanner;

use crate::control::{EngineConfig, ErrorCode, NodeKind, RenderError, Setting};
use crate::render::{AudioBuf, Param};

/// What a node reports after a quantum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Normal,
    /// The node cannot go on; the engine silences it and reports the reason.
    Error(&'static str),
}

/// Where and when a quantum is rendered.
#[derive(Clone, Copy, Debug)]
pub struct ProcessContext<'a> {
    pub sample_rate: f32,
    /// The first frame of this quantum on the context's clock.
    pub frame: u64,
    /// `frame` in seconds.
    pub time: f64,
    /// The audio arriving at the engine from outside.
    pub external_input: &'a AudioBuf,
}

/// A DSP node.
pub trait Processor: Send {
    /// Allocates whatever the node needs at this configuration. Called once, off the render path.
    fn prepare(&mut self, config: &EngineConfig);

    /// Forgets all signal state (filter memory, phase), keeping settings.
    fn reset(&mut self);

    /// Renders one quantum into `output` from `inputs` (one buffer per input port).
    fn process(&mut self, inputs: &[&AudioBuf], output: &mut AudioBuf, cx: &ProcessContext<'_>) -> Status;

    fn param_mut(&mut self, _index: u8) -> Option<&mut Param> {
        None
    }

    fn configure(&mut self, _setting: Setting) -> Result<(), RenderError> {
        Err(RenderError { code: ErrorCode::BadSetting, what: "the node does not take that setting" })
    }
}

impl core::fmt::Debug for dyn Processor {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("dyn Processor")
    }
}

/// A node ready for the render side: its kind (for the topology) and its processor.
#[derive(Debug)]
pub struct BuiltNode {
    pub kind: NodeKind,
    pub processor: Box<dyn Processor>,
}

/// Builds and prepares a node of a built-in kind. Allocates: control side only.
pub fn build(kind: NodeKind, config: &EngineConfig) -> Result<BuiltNode, RenderError> {
    let mut processor: Box<dyn Processor> = match kind {
        NodeKind::Destination => Box::new(Destination),
        NodeKind::Input => Box::new(ExternalInput),
        NodeKind::Oscillator => Box::new(Oscillator::new()),
        NodeKind::Gain => Box::new(Gain::new()),
        NodeKind::Biquad => Box::new(Biquad::new()),
        NodeKind::StereoPanner => Box::new(StereoPanner::new()),
        NodeKind::Custom { .. } => {
            return Err(RenderError {
                code: ErrorCode::UnknownKind,
                what: "custom nodes are built from Rust, not by kind",
            })
        }
    };
    processor.prepare(config);
    Ok(BuiltNode { kind, processor })
}

/// Sizes each of a node's parameters for `config`, in the order its kind lists them.
fn prepare_params(params: &mut [Param], kind: NodeKind, config: &EngineConfig) {
    for (param, spec) in params.iter_mut().zip(kind.params()) {
        param.prepare(spec, config);
    }
}

/// A kind's parameters at their defaults, unprepared.
fn new_params<const N: usize>(kind: NodeKind) -> [Param; N] {
    core::array::from_fn(|i| Param::new(&kind.params()[i]))
}
