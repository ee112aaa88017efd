//! Render thread: low-frequency oscillator for modulation: `offset + depth × shape(phase)`,
//! running from the moment it is made. Shapes are drawn exactly (not band-limited: at LFO rates
//! an edge is the point); `random` holds a new random value each cycle (sample and hold).

use super::{params_for, NodeType};
use crate::graph::{
    Bound, ChannelRule, EngineConfig, ErrorCode, NodeSpec, ParamSpec, RenderError, SettingKind, SettingSpec,
    SettingValue,
};
use crate::render::{AudioBuf, Param, ProcessContext, Processor, Status};

const SHAPES: [&str; 5] = ["sine", "triangle", "square", "sawtooth", "random"];
const PARAMS: [ParamSpec; 3] = [
    ParamSpec::new("frequency", 5.0, Bound::Value(0.0), Bound::Value(1000.0)).log_control(0.05, 50.0),
    ParamSpec::new("depth", 1.0, Bound::Value(f32::MIN), Bound::Value(f32::MAX)).control(0.0, 1000.0),
    ParamSpec::new("offset", 0.0, Bound::Value(f32::MIN), Bound::Value(f32::MAX)).control(-1000.0, 1000.0),
];
const SETTINGS: [SettingSpec; 1] = [SettingSpec::new("type", SettingKind::Choice { choices: &SHAPES })];

pub const SPEC: NodeSpec = NodeSpec {
    name: "lfo",
    factory: "createLfo",
    inputs: 0,
    channels: ChannelRule::Mono,
    params: &PARAMS,
    settings: &SETTINGS,
    tail_seconds: f64::INFINITY,
    ..NodeSpec::EFFECT
};
pub const TYPE: NodeType = NodeType {
    spec: &SPEC,
    build: |config, _| Box::new(Lfo::new(config)),
    memory: super::fixed_memory,
    prepare: super::as_given,
};

/// A modulation oscillator.
#[derive(Debug)]
pub struct Lfo {
    params: [Param; 3],
    shape: u8,
    phase: f64,
    held: f32,
    random: u32,
    sample_rate: f64,
}

impl Lfo {
    pub fn new(config: &EngineConfig) -> Self {
        Self {
            params: params_for(&PARAMS, config),
            shape: 0,
            phase: 0.0,
            held: 0.0,
            random: 0x2545_f491,
            sample_rate: f64::from(config.sample_rate),
        }
    }
}

/// The next value in [-1, 1) of a xorshift32 sequence.
fn next_random(state: &mut u32) -> f32 {
    *state ^= *state << 13;
    *state ^= *state >> 17;
    *state ^= *state << 5;
    (*state as f32 / u32::MAX as f32) * 2.0 - 1.0
}

/// One of the shapes at `phase` ∈ [0, 1), peaking at ±1; sine and triangle start at 0 rising.
#[inline]
pub fn shape_at(shape: u8, phase: f64) -> f32 {
    let p = phase as f32;
    match shape {
        0 => (core::f64::consts::TAU * phase).sin() as f32,
        1 => {
            if p < 0.25 {
                4.0 * p
            } else if p < 0.75 {
                2.0 - 4.0 * p
            } else {
                4.0 * p - 4.0
            }
        }
        2 => {
            if p < 0.5 {
                1.0
            } else {
                -1.0
            }
        }
        _ => 2.0 * p - 1.0,
    }
}

impl Processor for Lfo {
    fn reset(&mut self) {
        self.phase = 0.0;
    }

    fn process(&mut self, _inputs: &[&AudioBuf], outputs: &mut [AudioBuf], cx: &ProcessContext) -> Status {
        let output = &mut outputs[0];
        let [frequency, depth, offset] = &mut self.params;
        let frequency = frequency.render(cx.time, cx.sample_rate);
        let depth = depth.render(cx.time, cx.sample_rate);
        let offset = offset.render(cx.time, cx.sample_rate);
        let out = output.channel_mut(0);
        for (i, sample) in out.iter_mut().enumerate() {
            let value = if self.shape == 4 { self.held } else { shape_at(self.shape, self.phase) };
            *sample = offset.at(i) + depth.at(i) * value;
            self.phase += f64::from(frequency.at(i)) / self.sample_rate;
            if self.phase >= 1.0 {
                self.phase -= self.phase.floor();
                if self.shape == 4 {
                    self.held = next_random(&mut self.random);
                }
            }
        }
        output.set_audible(1);
        Status::Normal
    }

    fn params(&mut self) -> &mut [Param] {
        &mut self.params
    }

    fn configure(&mut self, setting: u8, value: &mut SettingValue) -> Result<(), RenderError> {
        match (setting, &*value) {
            (0, &SettingValue::Choice(c)) if usize::from(c) < SHAPES.len() => {
                self.shape = c;
                if c == 4 {
                    self.held = next_random(&mut self.random);
                }
                Ok(())
            }
            _ => Err(RenderError::new(ErrorCode::BadSetting, "an LFO takes a shape")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::shape_at;
    use crate::offline::OfflineRenderer;

    #[test]
    fn shapes_have_their_values_at_the_quarters() {
        for (shape, expected) in [
            (0u8, [0.0, 1.0, 0.0, -1.0]),
            (1, [0.0, 1.0, 0.0, -1.0]),
            (2, [1.0, 1.0, -1.0, -1.0]),
            (3, [-1.0, -0.5, 0.0, 0.5]),
        ] {
            for (k, want) in expected.iter().enumerate() {
                let got = shape_at(shape, k as f64 / 4.0);
                assert!((got - want).abs() < 1e-6, "shape {shape} at {k}/4: {got}");
            }
        }
    }

    #[test]
    fn depth_and_offset_scale_a_wave_at_its_rate() {
        let mut g = OfflineRenderer::new(48_000.0);
        let lfo = g.add("lfo").unwrap();
        g.set(lfo, "frequency", 10.0).unwrap();
        g.set(lfo, "depth", 0.25).unwrap();
        g.set(lfo, "offset", 0.5).unwrap();
        g.connect(lfo, g.destination()).unwrap();
        let out = g.render_frames(48_000).remove(0);
        assert!((out[1200] - 0.75).abs() < 1e-4 && (out[3600] - 0.25).abs() < 1e-4, "{} {}", out[1200], out[3600]);
        let peak = out.iter().fold(0f32, |m, &v| m.max(v));
        assert!((peak - 0.75).abs() < 1e-4);
        let rises = out.windows(2).filter(|w| w[0] < 0.5 && w[1] >= 0.5).count();
        assert_eq!(rises, 9, "ten cycles in a second: the first starts at 0.5, nine more rise through it");
    }

    #[test]
    fn random_holds_a_value_per_cycle() {
        let mut g = OfflineRenderer::new(48_000.0);
        let lfo = g.add("lfo").unwrap();
        g.choose(lfo, "type", "random").unwrap();
        g.set(lfo, "frequency", 100.0).unwrap();
        g.connect(lfo, g.destination()).unwrap();
        let out = g.render_frames(4800).remove(0);
        let changes = out.windows(2).filter(|w| w[0] != w[1]).count();
        assert!((9..=10).contains(&changes), "{changes} changes in ten cycles");
        assert!(out.iter().all(|v| v.abs() <= 1.0));
    }
}
