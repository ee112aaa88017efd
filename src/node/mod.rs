//! Render thread: the node kinds. Each file holds one kind whole — its [`NodeSpec`], its
//! processor and its tests — and [`REGISTRY`] lists the files. Adding a kind touches its
//! file and one registry line.

mod analyser;
mod automation;
mod biquad;
mod clip;
mod compressor;
mod constant;
mod convolver;
mod delay;
mod drums;
mod envelope;
mod gain;
mod host;
mod io;
mod keys_sampler;
mod lfo;
mod limiter;
mod merger;
mod noise;
mod oscillator;
mod panner;
mod part;
mod reverb;
mod sampler;
mod sequence;
mod source;
mod splitter;
mod synth;
mod waveshaper;

pub use biquad::Biquad;
pub use constant::ConstantSource;
pub use delay::Delay;
pub use drums::{pad_setting, PadSetting, PAD_LEVEL_DB, PAD_TUNE};
pub use gain::Gain;
pub use host::{Built, Host, Refusal};
pub use io::{Destination, ExternalInput};
pub use oscillator::Oscillator;
pub use panner::StereoPanner;
pub use source::SourceClock;

use crate::graph::{
    EngineConfig, EngineError, ErrorCode, KindRef, NewNode, NodeSpec, ParamSpec, SettingValue, WireCommand,
};
use crate::render::{BuiltNode, Engine, Param, Processor, RenderCommand};

/// Settings a node is made with, by index (validated by the control side).
pub type Options<'a> = &'a [(u8, SettingValue)];

/// A node kind: what it is, and how to build one.
#[derive(Clone, Copy, Debug)]
pub struct NodeType {
    pub spec: &'static NodeSpec,
    /// Builds and prepares a processor. Allocates: never called on the render path.
    pub build: fn(&EngineConfig, Options<'_>) -> Box<dyn Processor>,
    /// Bytes of sample memory a node made with these options allocates (delay lines, buffers),
    /// counted against the engine's budget before it is made.
    pub memory: fn(&EngineConfig, Options<'_>) -> usize,
    /// Turns a checked setting value into the form the processor takes, on the control side:
    /// heavy work (a custom wave's tables, an impulse response's spectra) is done here, so the
    /// render side only moves the result in.
    pub prepare: fn(u8, SettingValue, &Prepare<'_>) -> Result<SettingValue, EngineError>,
}

/// What a kind's `prepare` may know besides the value: the engine, and the node's flag settings
/// as last given (bit `i` for setting `i`), since one setting can shape another's preparation
/// (a convolver's `normalize` its `buffer`).
#[derive(Clone, Copy, Debug)]
pub struct Prepare<'a> {
    pub config: &'a EngineConfig,
    pub flags: u64,
}

impl Prepare<'_> {
    pub fn flag(&self, setting: u8) -> bool {
        self.flags & (1 << setting) != 0
    }
}

/// Where the song is, for nodes that play on its timeline (synths, audio clips): from context
/// frame `at` on, song frame `position` plays (when `playing`), looping `[loop_start,
/// loop_end)` when that is not empty.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Transport {
    pub at: u64,
    pub playing: bool,
    pub position: u64,
    pub loop_start: u64,
    pub loop_end: u64,
}

impl Transport {
    /// The song frame sounding at context frame `frame` (at or after `at`), through the loop.
    /// A transport that arrives late (its node was made while the song played) is caught up
    /// this way.
    pub fn song_frame(&self, frame: u64) -> u64 {
        let song = self.position + frame.saturating_sub(self.at);
        let (a, b) = (self.loop_start, self.loop_end);
        if b > a && self.position < b && song >= b {
            a + (song - a) % (b - a)
        } else {
            song
        }
    }
}

/// For kinds that take their settings as they come.
pub fn as_given(_setting: u8, value: SettingValue, _cx: &Prepare<'_>) -> Result<SettingValue, EngineError> {
    Ok(value)
}

/// For kinds whose memory does not depend on their options.
pub fn fixed_memory(_config: &EngineConfig, _options: Options<'_>) -> usize {
    0
}

/// Every node kind the engine builds, in wire order (a kind travels as its index here).
/// The first two are the engine's own ends of the graph.
pub static REGISTRY: &[NodeType] = &[
    io::DESTINATION, // the engine's output
    io::INPUT,       // the audio the engine is given
    oscillator::TYPE,
    gain::TYPE,
    biquad::TYPE,
    panner::TYPE,
    constant::TYPE,
    delay::TYPE,
    noise::TYPE,
    splitter::TYPE,
    merger::TYPE,
    waveshaper::TYPE,
    envelope::TYPE,
    lfo::TYPE,
    sampler::TYPE,
    analyser::TYPE,
    convolver::TYPE,
    reverb::TYPE,
    limiter::TYPE,
    compressor::TYPE,
    synth::TYPE,
    drums::TYPE,
    keys_sampler::TYPE,
    clip::TYPE,
    automation::TYPE,
    part::OUT,
    part::IN,
];

/// Registry index of the destination node.
pub const DESTINATION: u16 = 0;
/// Registry index of the external input node.
pub const INPUT: u16 = 1;

/// The number option `setting` was made with, if any.
pub fn number_option(options: Options<'_>, setting: u8) -> Option<f64> {
    options.iter().find_map(|(s, v)| match v {
        SettingValue::Number(n) if *s == setting && n.is_finite() => Some(*n),
        _ => None,
    })
}

/// The kind called `name` and its wire form.
pub fn find(name: &str) -> Option<(KindRef, &'static NodeType)> {
    REGISTRY.iter().enumerate().find(|(_, t)| t.spec.name == name).map(|(i, t)| (KindRef::Registered(i as u16), t))
}

/// The registered kind at wire index `index`.
pub fn registered(index: u16) -> Option<&'static NodeType> {
    REGISTRY.get(usize::from(index))
}

/// A kind's parameters at their defaults, sized for `config`.
fn params_for<const N: usize>(specs: &[ParamSpec; N], config: &EngineConfig) -> [Param; N] {
    core::array::from_fn(|i| Param::new(&specs[i], config))
}

/// Turns a wire command into a render command, building the processor of a new node. Off the
/// render path: this is where nodes are allowed to allocate.
pub fn build_command(config: &EngineConfig, command: WireCommand) -> Result<RenderCommand, EngineError> {
    command.map_node(|id, NewNode { kind, options }| match kind {
        KindRef::Registered(index) => {
            let node_type = registered(index).ok_or_else(|| {
                EngineError::new(ErrorCode::UnknownKind, format!("no node kind has wire index {index}")).at_node(id)
            })?;
            Ok(BuiltNode { ports: node_type.spec.ports(), processor: (node_type.build)(config, &options) })
        }
        KindRef::Custom { .. } => {
            Err(EngineError::new(ErrorCode::UnknownKind, "custom nodes are built from Rust, not sent by kind")
                .at_node(id))
        }
    })
}

/// An engine with the registry's destination and input nodes, and every shared table built.
pub fn engine(config: EngineConfig) -> Engine {
    for waveform in crate::dsp::periodic_wave::Waveform::ALL {
        crate::dsp::periodic_wave::PeriodicWave::builtin(waveform, config.sample_rate);
    }
    let end = |index: u16| {
        let node_type = registered(index).expect("the registry starts with the engine's own nodes");
        BuiltNode { ports: node_type.spec.ports(), processor: (node_type.build)(&config, &[]) }
    };
    Engine::new(config, end(DESTINATION), end(INPUT))
}
