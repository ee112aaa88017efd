//! Render thread: oscillator (Web Audio's OscillatorNode): sine, square, sawtooth, triangle and
//! custom waves (`setPeriodicWave`), each read from band-limited tables the way browsers build
//! them — three pitch ranges an octave, crossfaded by pitch — so every partial below Nyquist
//! sounds, none above it does, and a sweep changes brightness smoothly. Sample-accurate start
//! and stop. A shape change while sounding crossfades from the old shape over 10 ms.

use super::{params_for, NodeType, SourceClock};
use crate::dsp::periodic_wave::{read, PeriodicWave, Waveform};
use crate::graph::{
    Bound, EngineConfig, EngineError, ErrorCode, NodeSpec, ParamSpec, RenderError, SettingKind, SettingSpec,
    SettingValue,
};
use crate::render::{AudioBuf, Param, ParamValues, ProcessContext, Processor, Status, GLIDE_SECONDS};

/// Detune's nominal range in cents: ±1200·log2(FLT_MAX), as in Web Audio.
pub const DETUNE_LIMIT: f32 = 153_600.0;

const PARAMS: [ParamSpec; 2] = [
    ParamSpec::new("frequency", 440.0, Bound::MinusNyquist, Bound::Nyquist).log_control(20.0, 5000.0),
    ParamSpec::new("detune", 0.0, Bound::Value(-DETUNE_LIMIT), Bound::Value(DETUNE_LIMIT)).control(-1200.0, 1200.0),
];
const TYPE_SETTING: u8 = 0;
const CLOCK: u8 = 1;
const WAVE: u8 = 3;
/// The `type` choice a custom wave shows.
const CUSTOM: u8 = 4;
const SETTINGS: [SettingSpec; 4] = [
    SettingSpec::new("type", SettingKind::Choice { choices: &Waveform::NAMES }),
    SettingSpec::new("start", SettingKind::Time),
    SettingSpec::new("stop", SettingKind::Time),
    SettingSpec::new("periodicWave", SettingKind::Wave),
];

pub const SPEC: NodeSpec = NodeSpec {
    name: "oscillator",
    factory: "createOscillator",
    params: &PARAMS,
    settings: &SETTINGS,
    ..NodeSpec::SOURCE
};
pub const TYPE: NodeType = NodeType {
    spec: &SPEC,
    build: |config, _| Box::new(Oscillator::new(config)),
    memory: super::fixed_memory,
    prepare: prepare_setting,
};

/// Control side: a custom wave's coefficients become its tables here, so the render side
/// only moves them in; `type = 'custom'` alone is refused, as in Web Audio.
fn prepare_setting(setting: u8, value: SettingValue, cx: &super::Prepare<'_>) -> Result<SettingValue, EngineError> {
    match (setting, value) {
        (WAVE, SettingValue::Wave { real, imag, normalize }) => {
            let wave = PeriodicWave::from_coefficients(&real, &imag, cx.config.sample_rate, normalize);
            Ok(SettingValue::Tables(wave.to_wire()))
        }
        (TYPE_SETTING, SettingValue::Choice(CUSTOM)) => Err(EngineError::new(
            ErrorCode::BadSetting,
            "type 'custom' is set by setPeriodicWave(), not by assigning it",
        )),
        (_, value) => Ok(value),
    }
}

/// Which wave a shape reads.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Source {
    Builtin(&'static PeriodicWave),
    Custom,
    PreviousCustom,
}

/// The custom wave, and the one before it while a change crossfades.
#[derive(Debug, Default)]
struct CustomWaves {
    current: Option<PeriodicWave>,
    previous: Option<PeriodicWave>,
}

impl CustomWaves {
    fn get(&self, source: Source) -> Option<&PeriodicWave> {
        match source {
            Source::Builtin(wave) => Some(wave),
            Source::Custom => self.current.as_ref(),
            Source::PreviousCustom => self.previous.as_ref(),
        }
    }
}

/// A periodic source with `frequency` and `detune` parameters.
#[derive(Debug)]
pub struct Oscillator {
    params: [Param; 2],
    clock: SourceClock,
    shape: u8,
    source: Source,
    waves: CustomWaves,
    /// The shape still heard while a change fades in, and for how many more frames.
    fade: Option<(Source, u32)>,
    fade_frames: u32,
    sounding: bool,
    /// Where in the table the next sample is read, in table frames (as browsers keep it).
    index: f64,
    sample_rate: f32,
}

impl Oscillator {
    pub fn new(config: &EngineConfig) -> Self {
        let sample_rate = config.sample_rate;
        Self {
            params: params_for(&PARAMS, config),
            clock: SourceClock::new(config),
            shape: 0,
            source: Source::Builtin(PeriodicWave::builtin(Waveform::Sine, sample_rate)),
            waves: CustomWaves::default(),
            fade: None,
            fade_frames: ((GLIDE_SECONDS * f64::from(sample_rate)).round() as u32).max(1),
            sounding: false,
            index: 0.0,
            sample_rate,
        }
    }

    fn switch_to(&mut self, source: Source) {
        if self.sounding && source != self.source {
            self.fade = Some((self.source, self.fade_frames));
        }
        self.source = source;
    }
}

/// One sample of `wave` at table position `index` for a fundamental of `hz`.
#[inline]
fn sample(wave: &PeriodicWave, hz: f32, index: f64) -> f32 {
    let (higher, lower, share) = wave.tables_for(hz);
    let (h, l) = (read(higher, index), read(lower, index));
    (1.0 - share) * h + share * l
}

impl Processor for Oscillator {
    fn reset(&mut self) {
        self.index = 0.0;
    }

    fn process(&mut self, _inputs: &[&AudioBuf], outputs: &mut [AudioBuf], cx: &ProcessContext) -> Status {
        let output = &mut outputs[0];
        let [frequency, detune] = &mut self.params;
        let frequency = frequency.render(cx.time, cx.sample_rate);
        let detune = detune.render(cx.time, cx.sample_rate);
        let Some(range) = self.clock.sounding(cx) else {
            output.set_silent(1);
            return self.clock.status(cx);
        };
        let Some(wave) = self.waves.get(self.source) else {
            output.set_silent(1);
            return Status::Normal;
        };
        let out = output.channel_mut(0);
        out[..range.start].fill(0.0);
        out[range.end..].fill(0.0);
        let nyquist = self.sample_rate / 2.0;
        let hz_at = |i: usize| {
            let hz = match detune {
                ParamValues::Constant(0.0) => frequency.at(i),
                _ => frequency.at(i) * (detune.at(i) / 1200.0).exp2(),
            };
            hz.clamp(-nyquist, nyquist)
        };
        let size = wave.size() as f64;
        let rate_scale = wave.size() as f32 / self.sample_rate;
        let fade_from = self.fade.and_then(|(from, _)| self.waves.get(from));
        let mut fade_left = self.fade.map_or(0, |(_, left)| left);
        let mut index = self.index;
        for (i, slot) in out.iter_mut().enumerate().take(range.end).skip(range.start) {
            let hz = hz_at(i);
            let mut value = sample(wave, hz, index);
            if let (Some(old), true) = (fade_from, fade_left > 0) {
                let weight = fade_left as f32 / self.fade_frames as f32;
                value += (sample(old, hz, index) - value) * weight;
                fade_left -= 1;
            }
            *slot = value;
            index += f64::from(hz * rate_scale);
            index -= (index / size).floor() * size;
        }
        self.index = index;
        self.fade = self.fade.filter(|_| fade_left > 0).map(|(from, _)| (from, fade_left));
        self.sounding = true;
        output.set_audible(1);
        self.clock.status(cx)
    }

    fn params(&mut self) -> &mut [Param] {
        &mut self.params
    }

    fn configure(&mut self, setting: u8, value: &mut SettingValue) -> Result<(), RenderError> {
        match (setting, &mut *value) {
            (TYPE_SETTING, &mut SettingValue::Choice(index)) => {
                let w = Waveform::from_index(index)
                    .ok_or(RenderError::new(ErrorCode::BadSetting, "unknown oscillator type"))?;
                self.shape = index;
                self.switch_to(Source::Builtin(PeriodicWave::builtin(w, self.sample_rate)));
                Ok(())
            }
            (WAVE, SettingValue::Tables(data)) => {
                let wave = PeriodicWave::from_wire(core::mem::take(data), self.sample_rate)
                    .ok_or(RenderError::new(ErrorCode::BadSetting, "the wave's tables do not fit this engine"))?;
                // The wave before last goes back into the command, to be dropped off the render
                // path; the last one stays for the crossfade.
                if let Some(old) = self.waves.previous.take() {
                    *value = SettingValue::Tables(old.into_wire_storage());
                }
                self.waves.previous = self.waves.current.replace(wave);
                if self.source == Source::Custom {
                    self.fade = self
                        .fade
                        .map(|(from, left)| (if from == Source::Custom { Source::PreviousCustom } else { from }, left));
                    if self.sounding {
                        self.fade = Some((Source::PreviousCustom, self.fade_frames));
                    }
                } else {
                    self.switch_to(Source::Custom);
                }
                self.shape = CUSTOM;
                Ok(())
            }
            _ if SourceClock::owns(setting, CLOCK) => self.clock.configure(setting, value, CLOCK),
            _ => Err(RenderError::new(ErrorCode::BadSetting, "an oscillator takes a type, a wave, start and stop")),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::dsp::periodic_wave::Waveform;
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
