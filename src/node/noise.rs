//! Render thread: noise source — white, pink (−3 dB per octave) or brown (−6 dB per octave),
//! from `start()` to `stop()`. Deterministic per node (a fixed seed), so a render repeats.

use super::{NodeType, SourceClock};
use crate::graph::{EngineConfig, ErrorCode, NodeSpec, RenderError, SettingKind, SettingSpec, SettingValue};
use crate::render::{AudioBuf, ProcessContext, Processor, Status};

const COLOURS: [&str; 3] = ["white", "pink", "brown"];
const TYPE_SETTING: u8 = 0;
const SETTINGS: [SettingSpec; 3] = [
    SettingSpec::new("type", SettingKind::Choice { choices: &COLOURS }),
    SettingSpec::new("start", SettingKind::Time),
    SettingSpec::new("stop", SettingKind::Time),
];

pub const SPEC: NodeSpec = NodeSpec { name: "noise", factory: "createNoise", settings: &SETTINGS, ..NodeSpec::SOURCE };
pub const TYPE: NodeType = NodeType {
    spec: &SPEC,
    build: |config, _| Box::new(Noise::new(config)),
    memory: super::fixed_memory,
    prepare: super::as_given,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Colour {
    White,
    Pink,
    Brown,
}

/// A noise generator.
#[derive(Debug)]
pub struct Noise {
    clock: SourceClock,
    colour: Colour,
    state: u32,
    pink: [f32; 7],
    brown: f32,
}

impl Noise {
    pub fn new(config: &EngineConfig) -> Self {
        Self { clock: SourceClock::new(config), colour: Colour::White, state: 0x9e37_79b9, pink: [0.0; 7], brown: 0.0 }
    }

    /// Uniform in [-1, 1) (xorshift32).
    #[inline]
    fn white(&mut self) -> f32 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 17;
        self.state ^= self.state << 5;
        (self.state as f32 / u32::MAX as f32) * 2.0 - 1.0
    }

    #[inline]
    fn next(&mut self) -> f32 {
        let w = self.white();
        match self.colour {
            Colour::White => w,
            Colour::Pink => {
                // Paul Kellet's weighting of seven one-pole filters: within 0.05 dB of −3 dB
                // per octave above 9 Hz at 44.1 kHz.
                let b = &mut self.pink;
                b[0] = 0.99886 * b[0] + w * 0.055_517_9;
                b[1] = 0.99332 * b[1] + w * 0.075_075_9;
                b[2] = 0.96900 * b[2] + w * 0.153_852;
                b[3] = 0.86650 * b[3] + w * 0.310_485_6;
                b[4] = 0.55000 * b[4] + w * 0.532_952_2;
                b[5] = -0.7616 * b[5] - w * 0.016_898;
                let out = b[0] + b[1] + b[2] + b[3] + b[4] + b[5] + b[6] + w * 0.5362;
                b[6] = w * 0.115_926;
                out * 0.11
            }
            Colour::Brown => {
                // Integrated white noise, leaking slowly so it cannot wander off.
                self.brown = (self.brown + 0.02 * w) * 0.998;
                self.brown
            }
        }
    }
}

impl Processor for Noise {
    fn process(&mut self, _inputs: &[&AudioBuf], outputs: &mut [AudioBuf], cx: &ProcessContext) -> Status {
        let output = &mut outputs[0];
        let Some(range) = self.clock.sounding(cx) else {
            output.set_silent(1);
            return self.clock.status(cx);
        };
        let out = output.channel_mut(0);
        out[..range.start].fill(0.0);
        out[range.end..].fill(0.0);
        for sample in &mut out[range] {
            *sample = self.next();
        }
        output.set_audible(1);
        self.clock.status(cx)
    }

    fn configure(&mut self, setting: u8, value: &mut SettingValue) -> Result<(), RenderError> {
        match (setting, &*value) {
            (TYPE_SETTING, &SettingValue::Choice(c)) => {
                self.colour = match c {
                    0 => Colour::White,
                    1 => Colour::Pink,
                    2 => Colour::Brown,
                    _ => return Err(RenderError::new(ErrorCode::BadSetting, "unknown noise colour")),
                };
                Ok(())
            }
            _ => self.clock.configure(setting, value, 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::offline::OfflineRenderer;
    use realfft::RealFftPlanner;

    /// Mean power in octave bands 200–400 Hz … 6.4–12.8 kHz, in dB, from averaged spectra.
    fn octave_slope(colour: &str) -> Vec<f64> {
        let mut g = OfflineRenderer::new(48_000.0);
        let n = g.add("noise").unwrap();
        g.choose(n, "type", colour).unwrap();
        g.start(n, 0.0).unwrap();
        g.connect(n, g.destination()).unwrap();
        let signal = g.render_frames(48_000 * 4).remove(0);
        let size = 4096;
        let fft = RealFftPlanner::<f64>::new().plan_fft_forward(size);
        let mut power = vec![0.0; size / 2 + 1];
        for block in signal.chunks_exact(size) {
            let mut input: Vec<f64> = block
                .iter()
                .enumerate()
                .map(|(i, &v)| f64::from(v) * (0.5 - 0.5 * (core::f64::consts::TAU * i as f64 / size as f64).cos()))
                .collect();
            let mut spectrum = fft.make_output_vec();
            fft.process(&mut input, &mut spectrum).unwrap();
            for (p, c) in power.iter_mut().zip(&spectrum) {
                *p += c.norm_sqr();
            }
        }
        let bin = 48_000.0 / size as f64;
        (0..6)
            .map(|k| {
                let (lo, hi) = (200.0 * f64::from(1 << k), 400.0 * f64::from(1 << k));
                let bins = (lo / bin) as usize..(hi / bin) as usize;
                let count = bins.len() as f64;
                10.0 * (power[bins].iter().sum::<f64>() / count).log10()
            })
            .collect()
    }

    #[test]
    fn each_colour_has_its_slope_per_octave() {
        for (colour, slope) in [("white", 0.0), ("pink", -3.0), ("brown", -6.0)] {
            let bands = octave_slope(colour);
            for w in bands.windows(2) {
                let step = w[1] - w[0];
                assert!((step - slope).abs() < 0.8, "{colour}: octave step {step:.2} dB, wanted {slope} ({bands:?})");
            }
        }
    }

    #[test]
    fn it_stays_within_full_scale() {
        for colour in ["white", "pink", "brown"] {
            let mut g = OfflineRenderer::new(48_000.0);
            let n = g.add("noise").unwrap();
            g.choose(n, "type", colour).unwrap();
            g.start(n, 0.0).unwrap();
            g.connect(n, g.destination()).unwrap();
            let out = g.render_frames(48_000 * 2).remove(0);
            let peak = out.iter().fold(0f32, |m, v| m.max(v.abs()));
            let rms = (out.iter().map(|v| f64::from(v * v)).sum::<f64>() / out.len() as f64).sqrt();
            assert!(peak <= 1.0 && rms > 0.05, "{colour}: peak {peak}, RMS {rms}");
        }
    }
}
