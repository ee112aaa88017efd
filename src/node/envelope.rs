//! Render thread: ADSR envelope. Its `gate` parameter opens it (above 0.5) and closes it:
//! attack rises linearly to 1, decay and release fall exponentially (to within 0.1% of their
//! goal in the time given), sustain holds. A new gate restarts the attack from wherever the
//! level is (so it never clicks); with `legato` on, a gate that reopens while the envelope
//! still sounds goes back to the sustain level without a new attack. The output is the level,
//! for a gain's `gain` or any parameter.

use super::{params_for, NodeType};
use crate::graph::{
    Bound, ChannelRule, EngineConfig, ErrorCode, NodeSpec, ParamSpec, RenderError, SettingKind, SettingSpec,
    SettingValue,
};
use crate::render::{AudioBuf, Param, ProcessContext, Processor, Status};
use crate::QUANTUM;

const PARAMS: [ParamSpec; 5] = [
    ParamSpec::new("attack", 0.01, Bound::Value(0.0), Bound::Value(60.0)).k_rate(),
    ParamSpec::new("decay", 0.1, Bound::Value(0.0), Bound::Value(60.0)).k_rate(),
    ParamSpec::new("sustain", 0.7, Bound::Value(0.0), Bound::Value(1.0)).k_rate(),
    ParamSpec::new("release", 0.3, Bound::Value(0.0), Bound::Value(60.0)).k_rate(),
    ParamSpec::new("gate", 0.0, Bound::Value(0.0), Bound::Value(1.0)),
];
const SETTINGS: [SettingSpec; 1] = [SettingSpec::new("legato", SettingKind::Flag).with_default(0.0)];

pub const SPEC: NodeSpec = NodeSpec {
    name: "envelope",
    factory: "createEnvelope",
    inputs: 0,
    channels: ChannelRule::Mono,
    params: &PARAMS,
    settings: &SETTINGS,
    tail_seconds: 60.0,
    ..NodeSpec::EFFECT
};
pub const TYPE: NodeType = NodeType {
    spec: &SPEC,
    build: |config, _| Box::new(Envelope::new(config)),
    memory: super::fixed_memory,
    prepare: super::as_given,
};

/// ln(1000): an exponential segment of this many time constants ends within 0.1% of its goal.
pub(super) const SEGMENT_TIME_CONSTANTS: f64 = 6.907_755;
/// Below this the release is over and the envelope is silent.
pub(super) const FLOOR: f64 = 1e-5;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Stage {
    Idle,
    Attack,
    Decay,
    Sustain,
    Release,
}

/// An ADSR envelope generator.
#[derive(Debug)]
pub struct Envelope {
    params: [Param; 5],
    sample_rate: f64,
    stage: Stage,
    /// In f64: an f32 level stops short of its goal where one step is below half an ulp.
    level: f64,
    gate_open: bool,
    legato: bool,
}

impl Envelope {
    pub fn new(config: &EngineConfig) -> Self {
        Self {
            params: params_for(&PARAMS, config),
            sample_rate: f64::from(config.sample_rate),
            stage: Stage::Idle,
            level: 0.0,
            gate_open: false,
            legato: false,
        }
    }
}

/// Per-sample factor of an exponential segment lasting `seconds`.
fn coefficient(seconds: f32, sample_rate: f64) -> f64 {
    if seconds <= 0.0 {
        return 0.0;
    }
    (-SEGMENT_TIME_CONSTANTS / (f64::from(seconds) * sample_rate)).exp()
}

impl Processor for Envelope {
    fn reset(&mut self) {
        self.stage = Stage::Idle;
        self.level = 0.0;
        self.gate_open = false;
    }

    fn process(&mut self, _inputs: &[&AudioBuf], outputs: &mut [AudioBuf], cx: &ProcessContext) -> Status {
        let output = &mut outputs[0];
        let [attack, decay, sustain, release, gate] = &mut self.params;
        let attack = attack.render(cx.time, cx.sample_rate).at(0);
        let decay = decay.render(cx.time, cx.sample_rate).at(0);
        let sustain = sustain.render(cx.time, cx.sample_rate).at(0);
        let release = release.render(cx.time, cx.sample_rate).at(0);
        let gate = gate.render(cx.time, cx.sample_rate);
        let attack_step = if attack <= 0.0 { 1.0 } else { 1.0 / (f64::from(attack) * self.sample_rate) };
        let sustain = f64::from(sustain);
        let (decay_k, release_k) = (coefficient(decay, self.sample_rate), coefficient(release, self.sample_rate));
        if self.stage == Stage::Idle && !self.gate_open && gate.at(0) <= 0.5 && gate.at(QUANTUM - 1) <= 0.5 {
            // Nothing to do unless the gate opens somewhere in this quantum.
            let opens = (0..QUANTUM).any(|i| gate.at(i) > 0.5);
            if !opens {
                output.set_silent(1);
                return Status::Normal;
            }
        }
        let out = output.channel_mut(0);
        for (i, sample) in out.iter_mut().enumerate() {
            let open = gate.at(i) > 0.5;
            if open && !self.gate_open {
                self.stage = if self.legato && self.stage != Stage::Idle { Stage::Decay } else { Stage::Attack };
            } else if !open && self.gate_open && self.stage != Stage::Idle {
                self.stage = Stage::Release;
            }
            self.gate_open = open;
            match self.stage {
                Stage::Idle => self.level = 0.0,
                Stage::Attack => {
                    self.level += attack_step;
                    if self.level >= 1.0 {
                        self.level = 1.0;
                        self.stage = Stage::Decay;
                    }
                }
                Stage::Decay => {
                    self.level = sustain + (self.level - sustain) * decay_k;
                    if (self.level - sustain).abs() < FLOOR {
                        self.stage = Stage::Sustain;
                    }
                }
                Stage::Sustain => self.level = sustain,
                Stage::Release => {
                    self.level *= release_k;
                    if self.level < FLOOR {
                        self.level = 0.0;
                        self.stage = Stage::Idle;
                    }
                }
            }
            *sample = self.level as f32;
        }
        output.set_audible(1);
        Status::Normal
    }

    fn params(&mut self) -> &mut [Param] {
        &mut self.params
    }

    fn configure(&mut self, setting: u8, value: &mut SettingValue) -> Result<(), RenderError> {
        match (setting, &*value) {
            (0, &SettingValue::Flag(on)) => {
                self.legato = on;
                Ok(())
            }
            _ => Err(RenderError::new(ErrorCode::BadSetting, "an envelope takes a legato flag")),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::graph::{AutomationEvent, SettingValue};
    use crate::offline::OfflineRenderer;

    const SR: f32 = 48_000.0;

    fn envelope(gates: &[(f64, f32)], legato: bool, frames: usize) -> Vec<f32> {
        let mut g = OfflineRenderer::new(SR);
        let env = g.add("envelope").unwrap();
        g.set(env, "attack", 0.01).unwrap();
        g.set(env, "decay", 0.05).unwrap();
        g.set(env, "sustain", 0.5).unwrap();
        g.set(env, "release", 0.1).unwrap();
        g.configure(env, "legato", SettingValue::Flag(legato)).unwrap();
        for &(time, value) in gates {
            g.automate(env, "gate", AutomationEvent::SetValueAtTime { value, time }).unwrap();
        }
        g.connect(env, g.destination()).unwrap();
        g.render_frames(frames).remove(0)
    }

    #[test]
    fn attack_decay_sustain_release_take_their_times() {
        let out = envelope(&[(0.0, 1.0), (0.3, 0.0)], false, 48_000);
        assert!((out[239] - 0.5).abs() < 0.01, "half way up the 10 ms attack: {}", out[239]);
        assert!((out[479] - 1.0).abs() < 1e-6, "top at 10 ms: {}", out[479]);
        // Decay: within 0.1% of the way to sustain after 50 ms.
        assert!((out[480 + 2400] - 0.5).abs() < 0.5 * 0.0015, "{}", out[480 + 2400]);
        assert_eq!(out[12_000], 0.5, "sustain");
        let release = 14_400;
        assert!(out[release + 4800] < 0.5 * 0.0011 && out[release + 4800] > 0.0, "{}", out[release + 4800]);
        assert!(out[release + 9600..].iter().all(|&v| v == 0.0), "silent once released");
    }

    #[test]
    fn a_retrigger_starts_from_the_current_level_and_legato_skips_the_attack() {
        let gates = [(0.0, 1.0), (0.2, 0.0), (0.25, 1.0)];
        let out = envelope(&gates, false, 14_400);
        let at = 12_000;
        let step = (out[at] - out[at - 1]).abs();
        assert!(step < 0.003, "no jump at the retrigger: {step}");
        let peak = out[at..].iter().fold(0f32, |m, &v| m.max(v));
        assert_eq!(peak, 1.0, "a new attack to the top");
        let legato = envelope(&gates, true, 14_400);
        let peak = legato[at..].iter().fold(0f32, |m, &v| m.max(v));
        assert!(peak <= 0.5 + 1e-6, "legato returns to sustain without an attack: peak {peak}");
        assert!((legato[14_399] - 0.5).abs() < 1e-3, "{}", legato[14_399]);
        assert_eq!(legato[..at], out[..at], "the same until the gate reopens");
    }
}
