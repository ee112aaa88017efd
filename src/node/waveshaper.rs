//! Render thread: waveshaper (Web Audio's WaveShaperNode): each sample mapped through a curve
//! by the spec's interpolation, optionally at 2× or 4× the rate so the new harmonics alias less.
//! A new curve arrives whole in a setting and is swapped in; the old one is dropped off the
//! render path.

use super::NodeType;
use crate::dsp::resample::{Downsampler, Upsampler};
use crate::graph::{EngineConfig, ErrorCode, NodeSpec, RenderError, SettingKind, SettingSpec, SettingValue};
use crate::render::{AudioBuf, ProcessContext, Processor, Status};
use crate::{MAX_CHANNELS, QUANTUM};

const OVERSAMPLE: [&str; 3] = ["none", "2x", "4x"];
const CURVE: u8 = 0;
const OVERSAMPLE_SETTING: u8 = 1;
const SETTINGS: [SettingSpec; 2] = [
    SettingSpec::new("curve", SettingKind::Curve),
    SettingSpec::new("oversample", SettingKind::Choice { choices: &OVERSAMPLE }),
];

pub const SPEC: NodeSpec =
    NodeSpec { name: "waveshaper", factory: "createWaveShaper", settings: &SETTINGS, ..NodeSpec::EFFECT };
pub const TYPE: NodeType = NodeType {
    spec: &SPEC,
    build: |_config: &EngineConfig, _| Box::new(WaveShaper::new()),
    memory: super::fixed_memory,
    prepare: super::as_given,
};

/// The spec's curve lookup: `x` in [-1, 1] spans the curve, beyond it the end values hold.
#[inline]
pub fn shape(curve: &[f32], x: f32) -> f32 {
    let n = curve.len();
    let v = (n - 1) as f64 / 2.0 * (f64::from(x) + 1.0);
    if v.is_nan() {
        return curve[(n - 1) / 2];
    }
    if v <= 0.0 {
        return curve[0];
    }
    if v >= (n - 1) as f64 {
        return curve[n - 1];
    }
    let k = v.floor();
    let f = (v - k) as f32;
    let k = k as usize;
    (1.0 - f) * curve[k] + f * curve[k + 1]
}

/// Up- and down-samplers for one channel at one factor.
#[derive(Debug)]
struct Oversampler {
    up: Upsampler,
    down: Downsampler,
}

/// A waveshaper.
#[derive(Debug)]
pub struct WaveShaper {
    curve: Vec<f32>,
    factor: usize,
    twice: [Oversampler; MAX_CHANNELS],
    four: [Oversampler; MAX_CHANNELS],
    high: [f32; 4 * QUANTUM],
    /// Quanta of silence since the input stopped; the oversampling filters ring out first.
    silent_quanta: u32,
}

impl WaveShaper {
    pub fn new() -> Self {
        let make = |factor| {
            core::array::from_fn(|_| Oversampler { up: Upsampler::new(factor), down: Downsampler::new(factor) })
        };
        Self {
            curve: Vec::new(),
            factor: 1,
            twice: make(2),
            four: make(4),
            high: [0.0; 4 * QUANTUM],
            silent_quanta: u32::MAX,
        }
    }
}

impl Default for WaveShaper {
    fn default() -> Self {
        Self::new()
    }
}

impl Processor for WaveShaper {
    fn reset(&mut self) {
        for o in self.twice.iter_mut().chain(&mut self.four) {
            o.up.reset();
            o.down.reset();
        }
    }

    fn process(&mut self, inputs: &[&AudioBuf], outputs: &mut [AudioBuf], _cx: &ProcessContext) -> Status {
        let output = &mut outputs[0];
        let input = inputs[0];
        let channels = input.channels();
        if input.is_silent() {
            self.silent_quanta = self.silent_quanta.saturating_add(1);
            // A curve that maps 0 elsewhere still sounds on silence, as in Web Audio.
            let rest = self.curve.is_empty() || shape(&self.curve, 0.0) == 0.0;
            if rest && self.silent_quanta > 2 {
                output.set_silent(channels);
                return Status::Normal;
            }
        } else {
            self.silent_quanta = 0;
        }
        if self.curve.is_empty() {
            output.copy_from(input, channels);
            return Status::Normal;
        }
        for ch in 0..channels {
            let src = if input.is_silent() { &[0.0; QUANTUM] } else { input.channel(ch) };
            let dst = output.channel_mut(ch);
            match self.factor {
                1 => {
                    for (d, &s) in dst.iter_mut().zip(src) {
                        *d = shape(&self.curve, s);
                    }
                }
                factor => {
                    let o = if factor == 2 { &mut self.twice[ch] } else { &mut self.four[ch] };
                    let high = &mut self.high[..factor * QUANTUM];
                    o.up.process(src, high);
                    for v in high.iter_mut() {
                        *v = shape(&self.curve, *v);
                    }
                    o.down.process(high, dst);
                }
            }
        }
        output.set_audible(channels);
        Status::Normal
    }

    fn configure(&mut self, setting: u8, value: &mut SettingValue) -> Result<(), RenderError> {
        match (setting, value) {
            (CURVE, SettingValue::Curve(curve)) => {
                // The old curve goes back in the command, to be dropped off the render path.
                core::mem::swap(&mut self.curve, curve);
                Ok(())
            }
            (OVERSAMPLE_SETTING, &mut SettingValue::Choice(c)) if c < 3 => {
                self.factor = [1, 2, 4][usize::from(c)];
                Ok(())
            }
            _ => Err(RenderError::new(ErrorCode::BadSetting, "a waveshaper takes a curve and an oversample choice")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::shape;
    use crate::graph::{ErrorCode, SettingValue};
    use crate::offline::OfflineRenderer;

    #[test]
    fn the_curve_lookup_follows_the_spec() {
        let curve = [-1.0, 0.0, 0.5];
        assert_eq!(shape(&curve, -1.0), -1.0);
        assert_eq!(shape(&curve, 0.0), 0.0);
        assert_eq!(shape(&curve, 0.5), 0.25);
        assert_eq!(shape(&curve, 1.0), 0.5);
        assert_eq!(shape(&curve, 7.0), 0.5, "beyond the ends the end values hold");
        assert_eq!(shape(&curve, -3.0), -1.0);
        assert_eq!(shape(&curve, -0.5), -0.5);
    }

    #[test]
    fn a_curve_shapes_the_signal_and_bad_curves_are_refused() {
        let mut g = OfflineRenderer::new(48_000.0);
        let src = g.add("constant-source").unwrap();
        g.set(src, "offset", 0.5).unwrap();
        g.start(src, 0.0).unwrap();
        let ws = g.add("waveshaper").unwrap();
        g.configure(ws, "curve", SettingValue::Curve(vec![0.0, 0.0, 1.0])).unwrap();
        g.connect(src, ws).unwrap();
        g.connect(ws, g.destination()).unwrap();
        assert!(g.render_frames(256)[0].iter().all(|&v| v == 0.5));
        let short = g.configure(ws, "curve", SettingValue::Curve(vec![1.0])).unwrap_err();
        assert_eq!(short.code, ErrorCode::BadSetting);
        let nan = g.configure(ws, "curve", SettingValue::Curve(vec![0.0, f32::NAN])).unwrap_err();
        assert_eq!(nan.code, ErrorCode::NonFinite);
        g.configure(ws, "curve", SettingValue::Curve(vec![])).unwrap();
        assert!(g.render_frames(256)[0].iter().all(|&v| v == 0.5), "an empty curve passes the signal through");
    }

    #[test]
    fn oversampling_lowers_aliasing_of_a_hard_clip() {
        // A 5 kHz sine clipped hard makes odd harmonics at 15, 25, 35 kHz…; at 48 kHz those
        // above 24 kHz fold back to 23, 13, 3 kHz. Oversampling must cut that energy.
        let aliased = |oversample: &str| {
            let mut g = OfflineRenderer::new(48_000.0);
            let osc = g.add("oscillator").unwrap();
            g.set(osc, "frequency", 5_000.0).unwrap();
            g.start(osc, 0.0).unwrap();
            let boost = g.add("gain").unwrap();
            g.set(boost, "gain", 4.0).unwrap();
            let ws = g.add("waveshaper").unwrap();
            g.configure(
                ws,
                "curve",
                SettingValue::Curve((0..1025).map(|i| (i as f32 / 512.0 - 1.0).clamp(-0.25, 0.25) * 4.0).collect()),
            )
            .unwrap();
            g.choose(ws, "oversample", oversample).unwrap();
            for (a, b) in [(osc, boost), (boost, ws), (ws, g.destination())] {
                g.connect(a, b).unwrap();
            }
            let out = g.render_frames(48_000).remove(0);
            // Energy at 3 kHz (the 7th harmonic folded) relative to the 5 kHz fundamental.
            let tone = |hz: f64| {
                let (mut re, mut im) = (0.0, 0.0);
                for (i, &v) in out[4800..].iter().enumerate() {
                    let w = core::f64::consts::TAU * hz * (i + 4800) as f64 / 48_000.0;
                    re += f64::from(v) * w.cos();
                    im += f64::from(v) * w.sin();
                }
                re.hypot(im)
            };
            20.0 * (tone(3_000.0) / tone(5_000.0)).log10()
        };
        let (none, twice, four) = (aliased("none"), aliased("2x"), aliased("4x"));
        assert!(none > -40.0, "without oversampling the fold-back is plain: {none:.1} dB");
        assert!(twice < none - 20.0 && four < none - 20.0, "none {none:.1} dB, 2× {twice:.1} dB, 4× {four:.1} dB");
    }
}
