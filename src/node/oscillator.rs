//! Render thread: oscillator (Web Audio's OscillatorNode): sine, and band-limited square,
//! sawtooth and triangle from shared wavetables; sample-accurate start and stop. Changing
//! the shape while it sounds crossfades from the old shape over 10 ms, so it never clicks.

use super::{params_for, NodeType};
use crate::dsp::oscillator::{read, tables, WaveTables, Waveform};
use crate::graph::{
    Bound, ChannelRule, EngineConfig, ErrorCode, NodeSpec, ParamSpec, RenderError, SettingKind, SettingSpec,
    SettingValue,
};
use crate::render::{AudioBuf, Param, ParamValues, ProcessContext, Processor, Status, GLIDE_SECONDS};
use crate::QUANTUM;

/// Detune's nominal range in cents: ±1200·log2(FLT_MAX), as in Web Audio.
pub const DETUNE_LIMIT: f32 = 153_600.0;

const PARAMS: [ParamSpec; 2] = [
    ParamSpec::new("frequency", 440.0, Bound::MinusNyquist, Bound::Nyquist),
    ParamSpec::new("detune", 0.0, Bound::Value(-DETUNE_LIMIT), Bound::Value(DETUNE_LIMIT)),
];
const TYPE_SETTING: u8 = 0;
const START: u8 = 1;
const STOP: u8 = 2;
const SETTINGS: [SettingSpec; 3] = [
    SettingSpec::new("type", SettingKind::Choice { choices: &Waveform::NAMES }),
    SettingSpec::new("start", SettingKind::Time),
    SettingSpec::new("stop", SettingKind::Time),
];

pub const SPEC: NodeSpec = NodeSpec {
    name: "oscillator",
    factory: "createOscillator",
    inputs: 0,
    channels: ChannelRule::Mono,
    params: &PARAMS,
    settings: &SETTINGS,
    tail_seconds: f64::INFINITY,
    source: true,
    ..NodeSpec::EFFECT
};
pub const TYPE: NodeType =
    NodeType { spec: &SPEC, build: |config, _| Box::new(Oscillator::new(config)), memory: super::fixed_memory };

/// The previous shape, still heard while a shape change fades in. `None` tables: sine.
#[derive(Clone, Copy, Debug)]
struct ShapeFade {
    from: Option<&'static WaveTables>,
    frames_left: u32,
}

/// One sample of a shape at `phase`: sine computed, other shapes read from `table`.
#[inline]
fn shape_sample(tables: Option<&'static WaveTables>, table: Option<&[f32]>, phase: f64) -> f32 {
    match tables {
        None => (core::f64::consts::TAU * phase).sin() as f32,
        Some(_) => table.map_or(0.0, |tab| read(tab, phase)),
    }
}

/// A periodic source with `frequency` and `detune` parameters.
#[derive(Debug)]
pub struct Oscillator {
    params: [Param; 2],
    waveform: Waveform,
    tables: Option<&'static WaveTables>,
    fade: Option<ShapeFade>,
    fade_frames: u32,
    sounding: bool,
    phase: f64,
    start_frame: Option<u64>,
    stop_frame: Option<u64>,
    sample_rate: f64,
}

impl Oscillator {
    pub fn new(config: &EngineConfig) -> Self {
        // Normally a no-op (the engine's builder makes them first); it keeps a shape change on
        // the render path from ever building tables.
        crate::dsp::oscillator::prepare_all();
        let sample_rate = f64::from(config.sample_rate);
        Self {
            params: params_for(&PARAMS, config),
            waveform: Waveform::Sine,
            tables: None,
            fade: None,
            fade_frames: ((GLIDE_SECONDS * sample_rate).round() as u32).max(1),
            sounding: false,
            phase: 0.0,
            start_frame: None,
            stop_frame: None,
            sample_rate,
        }
    }

    fn frame_of(&self, time: f64) -> u64 {
        (time * self.sample_rate).ceil() as u64
    }
}

impl Processor for Oscillator {
    fn reset(&mut self) {
        self.phase = 0.0;
    }

    fn process(&mut self, _inputs: &[&AudioBuf], outputs: &mut [AudioBuf], cx: &ProcessContext<'_>) -> Status {
        let output = &mut outputs[0];
        let [frequency, detune] = &mut self.params;
        let frequency = frequency.render(cx.time, cx.sample_rate);
        let detune = detune.render(cx.time, cx.sample_rate);
        let end = cx.frame + QUANTUM as u64;
        let first = self.start_frame.map_or(end, |s| s.max(cx.frame));
        let last = self.stop_frame.map_or(end, |s| s.min(end));
        if first >= last {
            output.set_silent(1);
            return Status::Normal;
        }
        let (from, to) = ((first - cx.frame) as usize, (last - cx.frame) as usize);
        let out = output.channel_mut(0);
        out[..from].fill(0.0);
        out[to..].fill(0.0);

        let sr = self.sample_rate;
        let constant_hz = match (frequency, detune) {
            (ParamValues::Constant(f), ParamValues::Constant(d)) => Some(f64::from(f) * (f64::from(d) / 1200.0).exp2()),
            _ => None,
        };
        let mut phase = self.phase;
        let mut table = match (self.tables, constant_hz) {
            (Some(t), Some(hz)) => t.table_for(hz, sr),
            _ => None,
        };
        for (i, sample) in out.iter_mut().enumerate().take(to).skip(from) {
            let hz =
                constant_hz.unwrap_or_else(|| f64::from(frequency.at(i)) * (f64::from(detune.at(i)) / 1200.0).exp2());
            if constant_hz.is_none() {
                table = self.tables.and_then(|t| t.table_for(hz, sr));
            }
            let mut value = shape_sample(self.tables, table, phase);
            if let Some(fade) = &mut self.fade {
                let old = shape_sample(fade.from, fade.from.and_then(|t| t.table_for(hz, sr)), phase);
                let weight = fade.frames_left as f32 / self.fade_frames as f32;
                value += (old - value) * weight;
                fade.frames_left -= 1;
                if fade.frames_left == 0 {
                    self.fade = None;
                }
            }
            *sample = value;
            phase += hz / sr;
            phase -= phase.floor();
        }
        self.phase = phase;
        self.sounding = true;
        output.set_audible(1);
        Status::Normal
    }

    fn params(&mut self) -> &mut [Param] {
        &mut self.params
    }

    fn configure(&mut self, setting: u8, value: &mut SettingValue) -> Result<(), RenderError> {
        match (setting, &*value) {
            (TYPE_SETTING, &SettingValue::Choice(index)) => {
                let w = Waveform::from_index(index)
                    .ok_or(RenderError::new(ErrorCode::BadSetting, "unknown oscillator type"))?;
                if self.sounding && w != self.waveform {
                    self.fade = Some(ShapeFade { from: self.tables, frames_left: self.fade_frames });
                }
                self.waveform = w;
                self.tables = (w != Waveform::Sine).then(|| tables(w));
            }
            (START, &SettingValue::Time(t)) => self.start_frame = Some(self.frame_of(t)),
            (STOP, &SettingValue::Time(t)) => self.stop_frame = Some(self.frame_of(t)),
            _ => return Err(RenderError::new(ErrorCode::BadSetting, "an oscillator takes a type, start and stop")),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::dsp::oscillator::Waveform;
    use crate::offline::OfflineRenderer;

    /// Frequency from the mean spacing of upward zero crossings (interpolated).
    fn measured_frequency(signal: &[f32], sample_rate: f64) -> f64 {
        let mut crossings = Vec::new();
        for i in 1..signal.len() {
            let (a, b) = (signal[i - 1], signal[i]);
            if a < 0.0 && b >= 0.0 {
                crossings.push((i - 1) as f64 + f64::from(a / (a - b)));
            }
        }
        let periods = (crossings.len() - 1) as f64;
        sample_rate * periods / (crossings[crossings.len() - 1] - crossings[0])
    }

    #[test]
    fn every_waveform_sounds_at_the_set_frequency() {
        for (waveform, hz) in [
            (Waveform::Sine, 440.0),
            (Waveform::Sawtooth, 123.4),
            (Waveform::Square, 1000.0),
            (Waveform::Triangle, 2500.0),
        ] {
            let mut g = OfflineRenderer::new(48_000.0);
            let osc = g.add("oscillator").unwrap();
            g.choose(osc, "type", Waveform::NAMES[waveform as usize]).unwrap();
            g.set(osc, "frequency", hz as f32).unwrap();
            g.start(osc, 0.0).unwrap();
            g.connect(osc, g.destination()).unwrap();
            let left = g.render_frames(48_000).remove(0);
            let measured = measured_frequency(&left, 48_000.0);
            assert!((measured - hz).abs() / hz < 1e-4, "{waveform:?}: {measured} Hz, wanted {hz}");
            let peak = left.iter().fold(0f32, |m, v| m.max(v.abs()));
            assert!(peak > 0.9 && peak < 1.1, "{waveform:?} peak {peak}");
        }
    }

    #[test]
    fn detune_raises_by_cents_and_sine_matches_formula() {
        let mut g = OfflineRenderer::new(48_000.0);
        let osc = g.add("oscillator").unwrap();
        g.set(osc, "frequency", 300.0).unwrap();
        g.set(osc, "detune", 1200.0).unwrap();
        g.start(osc, 0.0).unwrap();
        g.connect(osc, g.destination()).unwrap();
        let left = g.render_frames(4800).remove(0);
        for (n, &v) in left.iter().enumerate() {
            let expected = (core::f64::consts::TAU * 600.0 * n as f64 / 48_000.0).sin();
            assert!((f64::from(v) - expected).abs() < 1e-4, "frame {n}: {v} vs {expected}");
        }
    }

    #[test]
    fn changing_shape_while_sounding_crossfades_instead_of_jumping() {
        // 100 Hz: a period is 480 frames, and after 8 quanta the phase is 0.133, where sine
        // (0.74) and triangle (0.53) differ by 0.21, fifteen times a natural step of either.
        let mut g = OfflineRenderer::new(48_000.0);
        let osc = g.add("oscillator").unwrap();
        g.set(osc, "frequency", 100.0).unwrap();
        g.start(osc, 0.0).unwrap();
        g.connect(osc, g.destination()).unwrap();
        let mut out = g.render_frames(8 * 128).remove(0);
        g.choose(osc, "type", "triangle").unwrap();
        out.extend(g.render_frames(4800).remove(0));
        let natural = core::f32::consts::TAU * 100.0 / 48_000.0;
        let max_step = out.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0, f32::max);
        assert!(max_step < 1.5 * natural, "largest step {max_step}, a sine's own is {natural}");
        // After the fade it is the triangle: at phase ¼ it peaks at 1.
        let quarter = out.len() - 480 + 120 - (out.len() % 480);
        assert!((out[quarter] - 1.0).abs() < 0.02, "{}", out[quarter]);
    }

    #[test]
    fn start_and_stop_are_sample_accurate() {
        let mut g = OfflineRenderer::new(48_000.0);
        let osc = g.add("oscillator").unwrap();
        g.choose(osc, "type", "square").unwrap();
        g.set(osc, "frequency", 100.0).unwrap();
        g.start(osc, 200.0 / 48_000.0).unwrap();
        g.stop(osc, 300.0 / 48_000.0).unwrap();
        g.connect(osc, g.destination()).unwrap();
        let left = g.render_frames(512).remove(0);
        assert!(left[..200].iter().all(|&v| v == 0.0));
        assert!(left[201..300].iter().all(|&v| v.abs() > 0.5));
        assert!(left[300..].iter().all(|&v| v == 0.0));
    }
}
