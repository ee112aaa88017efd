//! Both sides: what a node kind is, as data. Each node file declares one [`NodeSpec`]; the
//! control side validates against it, the render side sizes parameters from it, and JS
//! builds its node classes from [`NodeSpec::describe`], so nothing is listed twice.

use serde::Serialize;

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

/// Web Audio's automation rate: one value per frame, or one per quantum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rate {
    ARate,
    KRate,
}

/// A parameter's name, default, nominal range and rate (Web Audio's values), and the range a
/// control for it should offer (a gain's nominal range is all of f32; a knob is not).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParamSpec {
    pub name: &'static str,
    pub default: f32,
    pub min: Bound,
    pub max: Bound,
    pub rate: Rate,
    pub control: Option<Control>,
}

/// The range a control offers, and whether it moves logarithmically (frequencies, times).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Control {
    pub min: f32,
    pub max: f32,
    pub log: bool,
}

impl ParamSpec {
    pub const fn new(name: &'static str, default: f32, min: Bound, max: Bound) -> Self {
        Self { name, default, min, max, rate: Rate::ARate, control: None }
    }

    pub const fn k_rate(self) -> Self {
        Self { rate: Rate::KRate, ..self }
    }

    /// A control from `min` to `max`, linear.
    pub const fn control(self, min: f32, max: f32) -> Self {
        Self { control: Some(Control { min, max, log: false }), ..self }
    }

    /// A control from `min` to `max` (both positive), logarithmic.
    pub const fn log_control(self, min: f32, max: f32) -> Self {
        Self { control: Some(Control { min, max, log: true }), ..self }
    }
}

/// What a setting takes.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum SettingKind {
    /// One of these names (sent as its index).
    Choice { choices: &'static [&'static str] },
    /// A context time in seconds, finite and not negative (`start(when)`, `stop(when)`).
    Time,
    /// A number in `[min, max]`.
    Number { min: f64, max: f64 },
    /// On or off.
    Flag,
    /// Channels of samples at a sample rate (a decoded buffer, an impulse response).
    /// `stored`: the node plays the buffer as it is, so it may be given a stored buffer
    /// ([`super::SettingValue::Stored`]) that several nodes share; otherwise the control side
    /// prepares the samples into something else (a convolver's spectra).
    Samples { stored: bool },
    /// One array of numbers (a waveshaper curve).
    Curve,
    /// Real and imaginary Fourier coefficients (a custom oscillator wave).
    Wave,
    /// Notes on the song timeline (an instrument's clips).
    Sequence,
    /// Play, stop, position and loop of the song timeline.
    Transport,
    /// Values at song frames, joined by straight lines (an automation lane).
    Breakpoints,
    /// A note played now.
    Note,
}

/// A setting: something a node is told that is not a parameter.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SettingSpec {
    pub name: &'static str,
    #[serde(flatten)]
    pub kind: SettingKind,
    /// Only given when the node is made (`createDelay(maxDelayTime)`).
    #[serde(rename = "atCreation")]
    pub at_creation: bool,
    /// The value a number or flag setting has until it is given one (a flag: 0 or 1).
    #[serde(rename = "defaultValue")]
    pub default: Option<f64>,
}

impl SettingSpec {
    pub const fn new(name: &'static str, kind: SettingKind) -> Self {
        Self { name, kind, at_creation: false, default: None }
    }

    pub const fn at_creation(self) -> Self {
        Self { at_creation: true, ..self }
    }

    pub const fn with_default(self, value: f64) -> Self {
        Self { default: Some(value), ..self }
    }
}

/// How many channels a node's output has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChannelRule {
    /// As many as its input has (mono up to stereo).
    FollowsInput,
    Mono,
    Stereo,
}

/// One node kind, whole: ports, channels, parameters, settings, latency and tail.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NodeSpec {
    /// The kind's name on the wire and in JS (`"oscillator"`, `"delay"`).
    pub name: &'static str,
    /// The JS client's factory method (`"createOscillator"`).
    pub factory: &'static str,
    pub inputs: u8,
    pub outputs: u8,
    pub channels: ChannelRule,
    pub params: &'static [ParamSpec],
    pub settings: &'static [SettingSpec],
    /// Seconds between input and output that the node adds by design (a limiter's lookahead).
    pub latency_seconds: f64,
    /// Seconds it keeps sounding after its input goes silent (`f64::INFINITY`: until told).
    pub tail_seconds: f64,
    /// A scheduled source: `start()`/`stop()` once each, and an `ended` event.
    pub source: bool,
    /// Its output lags its input by at least one quantum inside a cycle, so a cycle through it
    /// is allowed (Web Audio's rule for `DelayNode`).
    pub breaks_cycles: bool,
    /// It keeps its recent input for the page to take (an analyser).
    pub captures: bool,
    /// The name of a value it reports to the page while metered (a compressor's `reduction`).
    pub reading: Option<&'static str>,
    /// Made by hosts for their own plumbing (a parted bounce's ends), never offered to JS:
    /// `describe()` leaves it out.
    pub internal: bool,
    /// The keys an instrument gives names to (a drum kit's drums), for a piano roll's rows.
    pub keys: &'static [(u8, &'static str)],
}

impl NodeSpec {
    /// One input, one output that follows the input's channels, nothing else: the start of
    /// most specs (`NodeSpec { name, factory, params, ..NodeSpec::EFFECT }`).
    pub const EFFECT: NodeSpec = NodeSpec {
        name: "",
        factory: "",
        inputs: 1,
        outputs: 1,
        channels: ChannelRule::FollowsInput,
        params: &[],
        settings: &[],
        latency_seconds: 0.0,
        tail_seconds: 0.0,
        source: false,
        breaks_cycles: false,
        captures: false,
        reading: None,
        internal: false,
        keys: &[],
    };

    /// No input, one mono output that plays until stopped: the start of the scheduled
    /// sources' specs (`start`/`stop` settings, `ended` when done).
    pub const SOURCE: NodeSpec = NodeSpec {
        inputs: 0,
        channels: ChannelRule::Mono,
        tail_seconds: f64::INFINITY,
        source: true,
        ..NodeSpec::EFFECT
    };

    /// The wiring of a node as the topology sees it.
    pub fn ports(&self) -> super::Ports {
        super::Ports {
            inputs: self.inputs,
            outputs: self.outputs,
            params: self.params.len() as u8,
            breaks_cycles: self.breaks_cycles,
        }
    }

    pub fn param_index(&self, name: &str) -> Option<u8> {
        self.params.iter().position(|p| p.name == name).map(|i| i as u8)
    }

    pub fn setting_index(&self, name: &str) -> Option<u8> {
        self.settings.iter().position(|s| s.name == name).map(|i| i as u8)
    }

    /// The kind as JS sees it, with Nyquist-relative bounds resolved at `sample_rate`.
    pub fn describe(&self, sample_rate: f32) -> NodeDescription {
        NodeDescription {
            name: self.name,
            factory: self.factory,
            inputs: self.inputs,
            outputs: self.outputs,
            channels: self.channels,
            params: self
                .params
                .iter()
                .map(|p| ParamDescription {
                    name: p.name,
                    default: p.default,
                    min: p.min.resolve(sample_rate),
                    max: p.max.resolve(sample_rate),
                    rate: p.rate,
                    control: p.control.unwrap_or(Control {
                        min: p.min.resolve(sample_rate).max(-1e6),
                        max: p.max.resolve(sample_rate).min(1e6),
                        log: false,
                    }),
                })
                .collect(),
            settings: self.settings.to_vec(),
            latency_seconds: self.latency_seconds,
            tail_seconds: if self.tail_seconds.is_finite() { Some(self.tail_seconds) } else { None },
            source: self.source,
            captures: self.captures,
            reading: self.reading,
            keys: self.keys.iter().map(|&(key, name)| KeyName { key, name }).collect(),
        }
    }
}

/// A key an instrument names (`{ key: 36, name: "Kick" }`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct KeyName {
    pub key: u8,
    pub name: &'static str,
}

/// [`ParamSpec`] with its bounds as numbers.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParamDescription {
    pub name: &'static str,
    #[serde(rename = "defaultValue")]
    pub default: f32,
    #[serde(rename = "minValue")]
    pub min: f32,
    #[serde(rename = "maxValue")]
    pub max: f32,
    #[serde(rename = "automationRate")]
    pub rate: Rate,
    pub control: Control,
}

/// [`NodeSpec`] as JS receives it from `describe()`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NodeDescription {
    pub name: &'static str,
    pub factory: &'static str,
    #[serde(rename = "numberOfInputs")]
    pub inputs: u8,
    #[serde(rename = "numberOfOutputs")]
    pub outputs: u8,
    pub channels: ChannelRule,
    pub params: Vec<ParamDescription>,
    pub settings: Vec<SettingSpec>,
    #[serde(rename = "latencySeconds")]
    pub latency_seconds: f64,
    /// `None`: rings until stopped.
    #[serde(rename = "tailSeconds")]
    pub tail_seconds: Option<f64>,
    pub source: bool,
    pub captures: bool,
    pub reading: Option<&'static str>,
    pub keys: Vec<KeyName>,
}
