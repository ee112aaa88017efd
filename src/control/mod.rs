//! Control side: the command language, node kinds and their parameters, validation and planning.
//!
//! Everything a page or a test can ask of the engine is one [`Command`]. The
//! [`Controller`] validates each request against its own copy of the graph, hands out
//! node ids, and only then records the command; the render side applies the commands it is
//! given at the next quantum boundary.
#![forbid(unsafe_code)]

mod controller;
mod error;
pub mod graph;

pub use controller::Controller;
pub use error::{EngineError, ErrorCode, RenderError};
pub use graph::Topology;

use serde::{Deserialize, Serialize};

/// A node's generational id: a slot index and the slot's generation when the node was made.
/// A removed node's id never reaches another node: the slot's generation moves on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
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

/// One connection: `from`'s output `output` feeds `to`'s input `input`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edge {
    pub from: NodeId,
    pub output: u8,
    pub to: NodeId,
    pub input: u8,
}

/// Every kind of node the engine can build.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NodeKind {
    /// Mixes everything connected to it into the engine's stereo output. One per engine.
    Destination,
    /// The audio arriving at the engine from outside (the worklet's input). One per engine.
    Input,
    Oscillator,
    Gain,
    Biquad,
    StereoPanner,
    /// A processor supplied from Rust (tests, benchmarks); never crosses the wire.
    Custom {
        inputs: u8,
        outputs: u8,
    },
}

/// How a bound of a parameter's nominal range is given.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Bound {
    Value(f32),
    Nyquist,
    MinusNyquist,
}

impl Bound {
    pub fn resolve(self, sample_rate: f32) -> f32 {
        match self {
            Bound::Value(v) => v,
            Bound::Nyquist => sample_rate / 2.0,
            Bound::MinusNyquist => -sample_rate / 2.0,
        }
    }
}

/// A parameter's name, default and nominal range (Web Audio's values).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParamSpec {
    pub name: &'static str,
    pub default: f32,
    pub min: Bound,
    pub max: Bound,
}

/// Detune's nominal range in cents: ±1200·log2(FLT_MAX), as in Web Audio.
pub const DETUNE_LIMIT: f32 = 153_600.0;
/// Biquad gain's upper bound in dB: 40·log10(FLT_MAX), as in Web Audio.
pub const BIQUAD_GAIN_LIMIT: f32 = 1541.0;

const fn spec(name: &'static str, default: f32, min: Bound, max: Bound) -> ParamSpec {
    ParamSpec { name, default, min, max }
}

const OSCILLATOR_PARAMS: [ParamSpec; 2] = [
    spec("frequency", 440.0, Bound::MinusNyquist, Bound::Nyquist),
    spec("detune", 0.0, Bound::Value(-DETUNE_LIMIT), Bound::Value(DETUNE_LIMIT)),
];
const GAIN_PARAMS: [ParamSpec; 1] = [spec("gain", 1.0, Bound::Value(f32::MIN), Bound::Value(f32::MAX))];
const BIQUAD_PARAMS: [ParamSpec; 4] = [
    spec("frequency", 350.0, Bound::Value(0.0), Bound::Nyquist),
    spec("detune", 0.0, Bound::Value(-DETUNE_LIMIT), Bound::Value(DETUNE_LIMIT)),
    spec("Q", 1.0, Bound::Value(f32::MIN), Bound::Value(f32::MAX)),
    spec("gain", 0.0, Bound::Value(f32::MIN), Bound::Value(BIQUAD_GAIN_LIMIT)),
];
const PANNER_PARAMS: [ParamSpec; 1] = [spec("pan", 0.0, Bound::Value(-1.0), Bound::Value(1.0))];

impl NodeKind {
    /// The kind for a Web Audio-style name (`"oscillator"`, `"biquad"`, ...).
    pub fn from_name(name: &str) -> Result<Self, EngineError> {
        Ok(match name {
            "oscillator" => NodeKind::Oscillator,
            "gain" => NodeKind::Gain,
            "biquad" => NodeKind::Biquad,
            "stereo-panner" => NodeKind::StereoPanner,
            _ => {
                return Err(EngineError::new(
                    ErrorCode::UnknownKind,
                    format!("unknown node kind '{name}' (known: oscillator, gain, biquad, stereo-panner)"),
                ))
            }
        })
    }

    /// (inputs, outputs).
    pub fn ports(self) -> (u8, u8) {
        match self {
            NodeKind::Destination => (1, 1),
            NodeKind::Input | NodeKind::Oscillator => (0, 1),
            NodeKind::Gain | NodeKind::Biquad | NodeKind::StereoPanner => (1, 1),
            NodeKind::Custom { inputs, outputs } => (inputs, outputs),
        }
    }

    pub fn params(self) -> &'static [ParamSpec] {
        match self {
            NodeKind::Oscillator => &OSCILLATOR_PARAMS,
            NodeKind::Gain => &GAIN_PARAMS,
            NodeKind::Biquad => &BIQUAD_PARAMS,
            NodeKind::StereoPanner => &PANNER_PARAMS,
            NodeKind::Destination | NodeKind::Input | NodeKind::Custom { .. } => &[],
        }
    }

    pub fn param_index(self, name: &str) -> Option<u8> {
        self.params().iter().position(|p| p.name == name).map(|i| i as u8)
    }
}

/// Oscillator shapes (Web Audio's names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Waveform {
    Sine,
    Square,
    Sawtooth,
    Triangle,
}

impl Waveform {
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "sine" => Waveform::Sine,
            "square" => Waveform::Square,
            "sawtooth" => Waveform::Sawtooth,
            "triangle" => Waveform::Triangle,
            _ => return None,
        })
    }
}

/// The eight Web Audio biquad types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FilterType {
    Lowpass,
    Highpass,
    Bandpass,
    Lowshelf,
    Highshelf,
    Peaking,
    Notch,
    Allpass,
}

impl FilterType {
    pub const ALL: [FilterType; 8] = [
        FilterType::Lowpass,
        FilterType::Highpass,
        FilterType::Bandpass,
        FilterType::Lowshelf,
        FilterType::Highshelf,
        FilterType::Peaking,
        FilterType::Notch,
        FilterType::Allpass,
    ];

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            FilterType::Lowpass => "lowpass",
            FilterType::Highpass => "highpass",
            FilterType::Bandpass => "bandpass",
            FilterType::Lowshelf => "lowshelf",
            FilterType::Highshelf => "highshelf",
            FilterType::Peaking => "peaking",
            FilterType::Notch => "notch",
            FilterType::Allpass => "allpass",
        }
    }
}

/// A node setting that is not a parameter.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Setting {
    Waveform(Waveform),
    FilterType(FilterType),
    /// Start a source at this context time (seconds).
    Start(f64),
    /// Stop a source at this context time (seconds).
    Stop(f64),
}

/// One entry of a parameter's automation timeline (Web Audio's AudioParam methods).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum AutomationEvent {
    SetValueAtTime { value: f32, time: f64 },
    LinearRampToValueAtTime { value: f32, time: f64 },
    ExponentialRampToValueAtTime { value: f32, time: f64 },
    SetTargetAtTime { target: f32, time: f64, time_constant: f64 },
    CancelScheduledValues { time: f64 },
}

impl AutomationEvent {
    pub fn time(&self) -> f64 {
        match *self {
            AutomationEvent::SetValueAtTime { time, .. }
            | AutomationEvent::LinearRampToValueAtTime { time, .. }
            | AutomationEvent::ExponentialRampToValueAtTime { time, .. }
            | AutomationEvent::SetTargetAtTime { time, .. }
            | AutomationEvent::CancelScheduledValues { time } => time,
        }
    }

    /// Web Audio's argument checks: finite numbers, no negative time, exponential targets
    /// not zero, time constants not negative. Allocation-free, so the render side can
    /// check again whatever reaches it.
    pub fn check(&self) -> Result<(), RenderError> {
        let (value, time, extra): (f32, f64, f64) = match *self {
            AutomationEvent::SetValueAtTime { value, time }
            | AutomationEvent::LinearRampToValueAtTime { value, time } => (value, time, 0.0),
            AutomationEvent::ExponentialRampToValueAtTime { value, time } => {
                if value == 0.0 {
                    return Err(RenderError {
                        code: ErrorCode::OutOfRange,
                        what: "exponentialRampToValueAtTime needs a non-zero value",
                    });
                }
                (value, time, 0.0)
            }
            AutomationEvent::SetTargetAtTime { target, time, time_constant } => (target, time, time_constant),
            AutomationEvent::CancelScheduledValues { time } => (0.0, time, 0.0),
        };
        if !value.is_finite() || !time.is_finite() || !extra.is_finite() {
            return Err(RenderError { code: ErrorCode::NonFinite, what: "automation values and times must be finite" });
        }
        if time < 0.0 || extra < 0.0 {
            return Err(RenderError { code: ErrorCode::OutOfRange, what: "automation times must not be negative" });
        }
        Ok(())
    }

    /// [`AutomationEvent::check`] for the control side.
    pub fn validate(&self) -> Result<(), EngineError> {
        self.check().map_err(EngineError::from)
    }
}

impl Setting {
    /// Start and stop times must be finite and not negative. Allocation-free.
    pub fn check(&self) -> Result<(), RenderError> {
        match *self {
            Setting::Start(t) | Setting::Stop(t) if !t.is_finite() || t < 0.0 => Err(RenderError {
                code: ErrorCode::OutOfRange,
                what: "start/stop time must be finite and not negative",
            }),
            _ => Ok(()),
        }
    }
}

/// Every change the control side can make to the render side, in one enum.
///
/// `N` is how a new node travels: [`NodeKind`] on the wire (serialized by the control
/// side), a built `Box<dyn Processor>` once it reaches the render side.
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
        setting: Setting,
    },
}

impl<N> Command<N> {
    /// The same command with its node payload turned into another form.
    pub fn map_node<M>(self, build: impl FnOnce(N) -> M) -> Command<M> {
        match self {
            Command::AddNode { id, node } => Command::AddNode { id, node: build(node) },
            Command::RemoveNode { id } => Command::RemoveNode { id },
            Command::Connect(e) => Command::Connect(e),
            Command::Disconnect(e) => Command::Disconnect(e),
            Command::DisconnectOutputs { id } => Command::DisconnectOutputs { id },
            Command::SetValue { id, param, value } => Command::SetValue { id, param, value },
            Command::Automate { id, param, event } => Command::Automate { id, param, event },
            Command::Configure { id, setting } => Command::Configure { id, setting },
        }
    }
}

/// Wire form of a batch of commands, as the control side sends it to the render side.
pub type WireCommand = Command<NodeKind>;

/// Serializes a batch for the trip to the worklet.
pub fn encode_batch(commands: &[WireCommand]) -> Vec<u8> {
    postcard::to_allocvec(commands).expect("commands always serialize")
}

/// Reads a batch back; a corrupt batch is an error, never a panic.
pub fn decode_batch(bytes: &[u8]) -> Result<Vec<WireCommand>, EngineError> {
    postcard::from_bytes(bytes)
        .map_err(|e| EngineError::new(ErrorCode::Decode, format!("command batch could not be decoded: {e}")))
}

/// Capacities and rate, fixed when an engine is made.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EngineConfig {
    pub sample_rate: f32,
    pub max_nodes: usize,
    pub max_edges: usize,
    /// Commands that may wait between two quanta.
    pub max_pending_commands: usize,
    /// Automation events one parameter can hold.
    pub max_automation_events: usize,
}

impl EngineConfig {
    pub fn new(sample_rate: f32) -> Self {
        Self { sample_rate, max_nodes: 2048, max_edges: 4096, max_pending_commands: 4096, max_automation_events: 64 }
    }
}
