//! Render thread: dynamics compressor with Web Audio's parameters (DynamicsCompressorNode's
//! threshold, knee, ratio, attack, release). The static curve is the one browsers use — linear
//! below the threshold, an exponential knee of `knee` dB whose slope reaches 1/ratio where it
//! ends, the ratio beyond it — with their automatic make-up gain (full-scale gain raised to
//! 0.6). The detector follows the peak level, attacking and releasing with the given times;
//! the audio is delayed 6 ms so the gain is ready for it. Web Audio does not specify the
//! detector; the test states how close it comes to Chromium's.

use super::{params_for, NodeType};
use crate::graph::{Bound, ChannelRule, EngineConfig, NodeSpec, ParamSpec};
use crate::render::{AudioBuf, Param, ProcessContext, Processor, Status};
use crate::{MAX_CHANNELS, QUANTUM};

const PRE_DELAY_SECONDS: f64 = 0.006;

const PARAMS: [ParamSpec; 5] = [
    ParamSpec::new("threshold", -24.0, Bound::Value(-100.0), Bound::Value(0.0)).k_rate(),
    ParamSpec::new("knee", 30.0, Bound::Value(0.0), Bound::Value(40.0)).k_rate(),
    ParamSpec::new("ratio", 12.0, Bound::Value(1.0), Bound::Value(20.0)).k_rate(),
    ParamSpec::new("attack", 0.003, Bound::Value(0.0), Bound::Value(1.0)).k_rate().log_control(0.0005, 1.0),
    ParamSpec::new("release", 0.25, Bound::Value(0.0), Bound::Value(1.0)).k_rate().log_control(0.01, 1.0),
];

pub const SPEC: NodeSpec = NodeSpec {
    name: "compressor",
    factory: "createDynamicsCompressor",
    channels: ChannelRule::FollowsInput,
    params: &PARAMS,
    latency_seconds: PRE_DELAY_SECONDS,
    tail_seconds: PRE_DELAY_SECONDS,
    reading: Some("reduction"),
    ..NodeSpec::EFFECT
};
pub const TYPE: NodeType = NodeType {
    spec: &SPEC,
    build: |config, _| Box::new(Compressor::new(config)),
    memory: super::fixed_memory,
    prepare: super::as_given,
};

fn db_to_linear(db: f64) -> f64 {
    10f64.powf(db / 20.0)
}

fn linear_to_db(x: f64) -> f64 {
    20.0 * x.max(1e-30).log10()
}

/// The static curve for one set of threshold, knee and ratio.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Curve {
    threshold: f64,
    knee_end: f64,
    knee_end_db: f64,
    knee_end_out_db: f64,
    slope: f64,
    k: f64,
    makeup: f64,
}

impl Curve {
    pub fn new(threshold_db: f64, knee_db: f64, ratio: f64) -> Self {
        let threshold = db_to_linear(threshold_db);
        let knee_end_db = threshold_db + knee_db;
        let knee_end = db_to_linear(knee_end_db);
        let slope = 1.0 / ratio.max(1.0);
        let knee =
            |x: f64, k: f64| if x < threshold { x } else { threshold + (1.0 - (-k * (x - threshold)).exp()) / k };
        // The k whose knee ends with the ratio's slope, by bisection in log k (as browsers do).
        let slope_at = |k: f64| {
            let (x, x2) = (knee_end, knee_end * 1.001);
            (linear_to_db(knee(x2, k)) - linear_to_db(knee(x, k))) / (linear_to_db(x2) - linear_to_db(x))
        };
        let k = if knee_db <= 0.0 || slope >= 1.0 {
            f64::INFINITY
        } else {
            let (mut lo, mut hi) = (0.1f64.ln(), 10_000f64.ln());
            for _ in 0..60 {
                let mid = 0.5 * (lo + hi);
                if slope_at(mid.exp()) > slope {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            (0.5 * (lo + hi)).exp()
        };
        let knee_end_out_db = if k.is_finite() { linear_to_db(knee(knee_end, k)) } else { threshold_db };
        let mut curve = Self { threshold, knee_end, knee_end_db, knee_end_out_db, slope, k, makeup: 1.0 };
        curve.makeup = (1.0 / curve.saturate(1.0)).powf(0.6);
        curve
    }

    /// The curve's output level for an input level (both linear), before make-up gain.
    pub fn saturate(&self, x: f64) -> f64 {
        if x < self.threshold {
            return x;
        }
        if self.k.is_finite() && x < self.knee_end {
            return self.threshold + (1.0 - (-self.k * (x - self.threshold)).exp()) / self.k;
        }
        let (from_db, at_db) = if self.k.is_finite() {
            (self.knee_end_db, self.knee_end_out_db)
        } else {
            (linear_to_db(self.threshold), linear_to_db(self.threshold))
        };
        db_to_linear(at_db + self.slope * (linear_to_db(x) - from_db))
    }

    /// The gain for a steady input of level `x`, make-up included.
    pub fn gain(&self, x: f64) -> f64 {
        if x <= 0.0 {
            return self.makeup;
        }
        self.saturate(x) / x * self.makeup
    }
}

/// The compressor's state.
#[derive(Debug)]
struct State {
    curve: Curve,
    settings: [f32; 3],
    envelope: f64,
    gain: f64,
    delay: [Vec<f32>; MAX_CHANNELS],
    head: usize,
    channels: usize,
    sample_rate: f64,
    silent_quanta: u32,
}

/// A compressor.
#[derive(Debug)]
pub struct Compressor {
    params: [Param; 5],
    state: State,
}

impl Compressor {
    pub fn new(config: &EngineConfig) -> Self {
        let sample_rate = f64::from(config.sample_rate);
        let frames = (PRE_DELAY_SECONDS * sample_rate).round() as usize;
        let state = State {
            curve: Curve::new(-24.0, 30.0, 12.0),
            settings: [-24.0, 30.0, 12.0],
            envelope: 0.0,
            gain: 1.0,
            delay: core::array::from_fn(|_| vec![0.0; frames.max(1)]),
            head: 0,
            channels: 1,
            sample_rate,
            silent_quanta: u32::MAX,
        };
        Self { params: params_for(&PARAMS, config), state }
    }
}

/// Per-sample factor of a one-pole smoother reaching 63% in `seconds`.
fn smoothing(seconds: f32, sample_rate: f64) -> f64 {
    if seconds <= 0.0 {
        0.0
    } else {
        (-1.0 / (f64::from(seconds) * sample_rate)).exp()
    }
}

impl Processor for Compressor {
    fn process(&mut self, inputs: &[&AudioBuf], outputs: &mut [AudioBuf], cx: &ProcessContext) -> Status {
        let output = &mut outputs[0];
        let input = inputs[0];
        let [threshold, knee, ratio, attack, release] = &mut self.params;
        let settings = [
            threshold.render(cx.time, cx.sample_rate).at(0),
            knee.render(cx.time, cx.sample_rate).at(0),
            ratio.render(cx.time, cx.sample_rate).at(0),
        ];
        let (attack, release) =
            (attack.render(cx.time, cx.sample_rate).at(0), release.render(cx.time, cx.sample_rate).at(0));
        let s = &mut self.state;
        if settings != s.settings {
            // A few exponentials and a bisection, once per change (k-rate parameters).
            s.curve = Curve::new(f64::from(settings[0]), f64::from(settings[1]), f64::from(settings[2]));
            s.settings = settings;
        }
        if input.is_silent() {
            s.silent_quanta = s.silent_quanta.saturating_add(1);
            if s.silent_quanta > 2 && s.envelope < 1e-9 {
                output.set_silent(s.channels);
                return Status::Normal;
            }
        } else {
            s.silent_quanta = 0;
            s.channels = input.channels();
        }
        let (attack_k, release_k) = (smoothing(attack, s.sample_rate), smoothing(release, s.sample_rate));
        let len = s.delay[0].len();
        for i in 0..QUANTUM {
            let level =
                (0..s.channels)
                    .fold(0f32, |m, ch| if input.is_silent() { m } else { m.max(input.channel(ch)[i].abs()) });
            let level = f64::from(level);
            // Peak detector: rises with the attack time, falls with the release time.
            let k = if level > s.envelope { attack_k } else { release_k };
            s.envelope = level + k * (s.envelope - level);
            if s.envelope < 1e-12 {
                s.envelope = 0.0;
            }
            let target = s.curve.gain(s.envelope);
            let k = if target < s.gain { attack_k } else { release_k };
            s.gain = target + k * (s.gain - target);
            for ch in 0..s.channels {
                let x = if input.is_silent() { 0.0 } else { input.channel(ch)[i] };
                let delayed = s.delay[ch][s.head];
                s.delay[ch][s.head] = x;
                output.channel_mut(ch)[i] = (f64::from(delayed) * s.gain) as f32;
            }
            s.head = (s.head + 1) % len;
        }
        output.set_audible(s.channels);
        Status::Normal
    }

    fn params(&mut self) -> &mut [Param] {
        &mut self.params
    }

    /// Web Audio's `reduction`: the gain the curve applies now, in dB (0 or below), without
    /// the make-up gain.
    fn reading(&self) -> Option<f32> {
        let s = &self.state;
        Some((20.0 * (s.gain / s.curve.makeup).max(1e-12).log10()).min(0.0) as f32)
    }
}

#[cfg(test)]
mod tests {
    use super::Curve;

    #[test]
    fn the_static_curve_is_linear_below_kneed_and_ratioed_above() {
        let c = Curve::new(-24.0, 30.0, 12.0);
        let db = |x: f64| 20.0 * x.log10();
        let at = |input_db: f64| db(c.saturate(10f64.powf(input_db / 20.0)));
        assert!((at(-40.0) + 40.0).abs() < 1e-9, "unchanged below the threshold");
        // Past the knee (−24 + 30 = +6 dB) every 12 dB in gives 1 dB out.
        let beyond = at(18.0) - at(6.0);
        assert!((beyond - 1.0).abs() < 0.01, "{beyond}");
        // Inside the knee the slope eases from 1 to 1/12.
        let (low, high) = (at(-20.0) - at(-22.0), at(0.0) - at(-2.0));
        assert!(low < 2.0 && low > 1.0 && high < low && high > 2.0 / 12.0, "{low} {high}");
        // Make-up gain: full scale in, (full-scale gain)^−0.6 boost.
        assert!((c.makeup - (1.0 / c.saturate(1.0)).powf(0.6)).abs() < 1e-12 && c.makeup > 1.0);
        let hard = Curve::new(-20.0, 0.0, 4.0);
        let step = db(hard.saturate(1.0)) - db(hard.saturate(0.1));
        assert!((step - 5.0).abs() < 1e-6, "a hard knee: 20 dB over the threshold comes out 5 dB over: {step}");
    }
}
