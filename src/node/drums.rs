//! Render thread: the workstation's drum kit, an instrument that synthesises its drums, as the
//! classic drum machines do, on the General MIDI drum keys (36 kick, 38 snare, 42 closed
//! hi-hat, …; [`KEYS`]). Each hit is a one-shot: a pitched sine falling to its note (kick,
//! toms), filtered noise (snare, clap, hats, cymbals), or six detuned square waves for the
//! metal (hats, cymbals, cowbell), each with its own decay; a note's length does not matter,
//! and a closed or pedal hi-hat chokes an open one. Notes come from the shared sequence player
//! (`sequence`, `transport`, `note`), so drums land on the exact frame as the synth's notes do.
//! Any pad can play a sample instead (`"pad36"`, a stored buffer, so kits sharing a sample hold
//! one copy): from its start to its end, at its own pitch moved by `tune`, its channels mixed to
//! one, scaled by velocity and `gain`; `decay` and `tone` shape only the synthesised drums.
//! Each pad has its own level (`"level36"`, dB) and tuning (`"tune36"`, semitones added to the
//! kit's `tune`), whether it plays its sample or its synthesised drum.

use super::envelope::SEGMENT_TIME_CONSTANTS;
use super::sequence::{check_sequence, free_voice, prepare_sequence, Events, Player, Slot, Voices, PLAYED};
use super::synth::wave;
use super::{params_for, NodeType, Prepare};
use crate::dsp::biquad::{Coefficients, Design, FilterType};
use crate::graph::{
    Bound, ChannelRule, EngineConfig, EngineError, ErrorCode, NodeSpec, ParamSpec, RenderError, SampleData,
    SettingKind, SettingSpec, SettingValue,
};
use crate::render::{AudioBuf, Param, ProcessContext, Processor, Status};
use core::ops::Range;
use std::sync::Arc;

/// Hits sounding at once; another steals the oldest.
const VOICES: usize = 16;

const PARAMS: [ParamSpec; 4] = [
    ParamSpec::new("gain", 0.8, Bound::Value(0.0), Bound::Value(1.0)).k_rate().control(0.0, 1.0),
    ParamSpec::new("tune", 0.0, Bound::Value(-24.0), Bound::Value(24.0)).k_rate().control(-12.0, 12.0),
    ParamSpec::new("decay", 1.0, Bound::Value(0.1), Bound::Value(8.0)).k_rate().log_control(0.25, 4.0),
    ParamSpec::new("tone", 0.5, Bound::Value(0.0), Bound::Value(1.0)).k_rate().control(0.0, 1.0),
];
/// Where its [`PLAYED`] settings start; the pads' samples follow them, then their levels, then
/// their tunings.
const SEQUENCE: u8 = 0;
const FIRST_PAD: u8 = PLAYED.len() as u8;
const FIRST_LEVEL: u8 = FIRST_PAD + PADS as u8;
const FIRST_TUNE: u8 = FIRST_LEVEL + PADS as u8;

/// A pad's level, in dB.
pub const PAD_LEVEL_DB: (f64, f64) = (-60.0, 12.0);
/// A pad's tuning, in semitones.
pub const PAD_TUNE: (f64, f64) = (-24.0, 24.0);

/// The keys that sound, by their General MIDI names (the others are silent), and the settings
/// of each one's pad (`"pad36"`, `"level36"`, `"tune36"`), in the same order.
macro_rules! pads {
    ($(($key:literal, $name:literal)),* $(,)?) => {
        pub const KEYS: &[(u8, &str)] = &[$(($key, $name)),*];
        const SETTINGS: &[SettingSpec] = &[
            PLAYED[0],
            PLAYED[1],
            PLAYED[2],
            $(SettingSpec::new(concat!("pad", $key), SettingKind::Samples { stored: true }),)*
            $(SettingSpec::new(concat!("level", $key), SettingKind::Number { min: PAD_LEVEL_DB.0, max: PAD_LEVEL_DB.1 })
                .with_default(0.0),)*
            $(SettingSpec::new(concat!("tune", $key), SettingKind::Number { min: PAD_TUNE.0, max: PAD_TUNE.1 })
                .with_default(0.0),)*
        ];
        const _: () = assert!(PLAYED.len() == 3, "the pads follow the three played settings");
    };
}

pads![
    (35, "Kick 2"),
    (36, "Kick"),
    (37, "Rim"),
    (38, "Snare"),
    (39, "Clap"),
    (40, "Snare 2"),
    (41, "Low floor tom"),
    (42, "Closed hat"),
    (43, "High floor tom"),
    (44, "Pedal hat"),
    (45, "Low tom"),
    (46, "Open hat"),
    (47, "Low mid tom"),
    (48, "High mid tom"),
    (49, "Crash"),
    (50, "High tom"),
    (51, "Ride"),
    (53, "Ride bell"),
    (55, "Splash"),
    (56, "Cowbell"),
    (57, "Crash 2"),
    (59, "Ride 2"),
];

/// Pads, one a named key.
const PADS: usize = KEYS.len();

/// What a pad's setting gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PadSetting {
    Sample,
    Level,
    Tune,
}

/// The setting that gives key `key`'s pad its sample, level or tuning, if the key is a drum.
pub fn pad_setting(key: u8, what: PadSetting) -> Option<String> {
    let prefix = match what {
        PadSetting::Sample => "pad",
        PadSetting::Level => "level",
        PadSetting::Tune => "tune",
    };
    KEYS.iter().any(|&(k, _)| k == key).then(|| format!("{prefix}{key}"))
}

pub const SPEC: NodeSpec = NodeSpec {
    name: "drums",
    factory: "createDrums",
    inputs: 0,
    channels: ChannelRule::Mono,
    params: &PARAMS,
    settings: SETTINGS,
    tail_seconds: f64::INFINITY,
    keys: KEYS,
    ..NodeSpec::EFFECT
};
pub const TYPE: NodeType =
    NodeType { spec: &SPEC, build: |config, _| Box::new(Drums::new(config)), memory: super::fixed_memory, prepare };

fn prepare(setting: u8, value: SettingValue, _: &Prepare<'_>) -> Result<SettingValue, EngineError> {
    check_sequence(setting, SEQUENCE, value)
}

/// The 808's six hi-hat and cymbal oscillators, in Hz.
const METAL: [f64; 6] = [205.3, 304.4, 369.6, 522.7, 540.0, 800.0];

/// What one drum is made of, before the kit's knobs: decays as seconds to fall 60 dB, levels
/// linear.
#[derive(Clone, Copy, Debug)]
struct Recipe {
    /// A sine falling from `top` to `base` Hz (time constant `sweep`), decaying over `ring`.
    sine: f64,
    top: f64,
    base: f64,
    sweep: f64,
    ring: f64,
    /// Noise and metal through one filter, decaying over `hiss`.
    noise: f64,
    metal: f64,
    /// The metal's pitch: 1 gives the 808's oscillators.
    metal_pitch: f64,
    filter: FilterType,
    cutoff: f64,
    q: f64,
    hiss: f64,
    /// A clap's three quick bursts before its tail.
    bursts: bool,
    /// Ends open hi-hats (closed and pedal hats).
    chokes: bool,
    /// Choked by a closed or pedal hat (the open hat).
    choked: bool,
}

const QUIET: Recipe = Recipe {
    sine: 0.0,
    top: 0.0,
    base: 0.0,
    sweep: 1.0,
    ring: 0.01,
    noise: 0.0,
    metal: 0.0,
    metal_pitch: 1.0,
    filter: FilterType::Highpass,
    cutoff: 1000.0,
    q: 0.0,
    hiss: 0.01,
    bursts: false,
    chokes: false,
    choked: false,
};

/// The drum on key `key`, if it has one.
fn recipe(key: u8) -> Option<Recipe> {
    let tom = |hz: f64| Recipe {
        sine: 0.7,
        top: hz * 1.6,
        base: hz,
        sweep: 0.05,
        ring: 0.9,
        noise: 0.06,
        hiss: 0.15,
        ..QUIET
    };
    let hat = |hiss: f64| Recipe {
        noise: 0.35,
        metal: 0.25,
        filter: FilterType::Highpass,
        cutoff: 7000.0,
        q: 3.0,
        hiss,
        ..QUIET
    };
    let cymbal = |hiss: f64, metal: f64| Recipe {
        noise: 0.3,
        metal,
        metal_pitch: 1.5,
        filter: FilterType::Highpass,
        cutoff: 4500.0,
        q: 0.0,
        hiss,
        ..QUIET
    };
    Some(match key {
        35 | 36 => Recipe {
            sine: 1.0,
            top: 150.0,
            base: if key == 35 { 42.0 } else { 50.0 },
            sweep: 0.03,
            ring: if key == 35 { 1.0 } else { 0.8 },
            noise: 0.08,
            filter: FilterType::Lowpass,
            cutoff: 3000.0,
            hiss: 0.015,
            ..QUIET
        },
        37 => Recipe {
            sine: 0.6,
            top: 1700.0,
            base: 1700.0,
            ring: 0.05,
            noise: 0.3,
            filter: FilterType::Bandpass,
            cutoff: 2500.0,
            q: 2.0,
            hiss: 0.05,
            ..QUIET
        },
        38 | 40 => Recipe {
            sine: 0.5,
            top: 330.0,
            base: 185.0,
            sweep: 0.01,
            ring: 0.25,
            noise: 0.8,
            filter: FilterType::Bandpass,
            cutoff: if key == 38 { 2500.0 } else { 3200.0 },
            q: 0.7,
            hiss: 0.35,
            ..QUIET
        },
        39 => Recipe {
            noise: 1.6,
            filter: FilterType::Bandpass,
            cutoff: 1100.0,
            q: 1.5,
            hiss: 0.35,
            bursts: true,
            ..QUIET
        },
        41 | 43 | 45 | 47 | 48 | 50 => tom(440.0 * ((f64::from(key) - 69.0) / 12.0).exp2()),
        42 => Recipe { chokes: true, ..hat(0.12) },
        44 => Recipe { chokes: true, ..hat(0.08) },
        46 => Recipe { choked: true, ..hat(0.8) },
        49 | 57 => cymbal(2.5, 0.15),
        55 => cymbal(1.2, 0.15),
        51 | 59 => Recipe { cutoff: 5500.0, q: 2.0, ..cymbal(2.0, 0.35) },
        53 => Recipe { metal_pitch: 2.0, cutoff: 3000.0, q: 4.0, filter: FilterType::Bandpass, ..cymbal(1.5, 1.2) },
        56 => Recipe {
            metal: 0.9,
            metal_pitch: 540.0 / METAL[4],
            filter: FilterType::Bandpass,
            cutoff: 800.0,
            q: 2.0,
            hiss: 0.4,
            ..QUIET
        },
        _ => return None,
    })
}

/// The knobs as one quantum reads them.
#[derive(Clone, Copy, Debug)]
struct Shape {
    gain: f32,
    /// Frequency ratio from `tune`.
    pitch: f64,
    /// Scales every decay time.
    decay: f64,
    /// Scales the noise filter's frequency, an octave down to an octave up.
    brightness: f64,
}

/// Levels below this end a hit (-80 dB).
const END: f64 = 1e-4;

/// The sine's fade-in at the start of a hit, in frames, so it starts with a step no bigger than
/// one frame's worth of the fade (and is not silent on its first frame).
const FADE_IN: f64 = 24.0;

#[derive(Clone, Copy, Debug)]
struct Voice {
    sounding: bool,
    started: u64,
    velocity: f64,
    age: f64,
    recipe: Recipe,
    /// Per-frame decay multipliers and the current levels.
    ring_step: f64,
    ring: f64,
    hiss_step: f64,
    hiss: f64,
    sweep_step: f64,
    sweep: f64,
    top: f64,
    base: f64,
    phase: f64,
    metal_phases: [f64; 6],
    metal_increments: [f64; 6],
    coeffs: Coefficients,
    filter: [f64; 4],
    seed: u32,
    /// The pad whose sample this hit plays ([`PADS`]: none, it is synthesised), where in the
    /// sample it is (in the sample's frames), how far it moves a frame, and its level and
    /// per-frame decay (1 until a hi-hat is choked).
    pad: usize,
    position: f64,
    rate: f64,
    level: f64,
    level_step: f64,
}

/// A hit is never waited on: it rings out whatever its note does.
impl Slot for Voice {
    fn idle(&self) -> bool {
        !self.sounding
    }

    fn releasing(&self) -> Option<f64> {
        None
    }

    fn started(&self) -> u64 {
        self.started
    }

    fn waiting(&self) -> Option<(u8, u64, u32)> {
        None
    }

    fn set_note(&mut self, _note: u32) {}

    fn release(&mut self) {}
}

impl Voice {
    const IDLE: Voice = Voice {
        sounding: false,
        started: 0,
        velocity: 0.0,
        age: 0.0,
        recipe: QUIET,
        ring_step: 0.0,
        ring: 0.0,
        hiss_step: 0.0,
        hiss: 0.0,
        sweep_step: 0.0,
        sweep: 0.0,
        top: 0.0,
        base: 0.0,
        phase: 0.0,
        metal_phases: [0.0; 6],
        metal_increments: [0.0; 6],
        coeffs: Coefficients::gain(1.0),
        filter: [0.0; 4],
        seed: 1,
        pad: PADS,
        position: 0.0,
        rate: 0.0,
        level: 0.0,
        level_step: 1.0,
    };

    /// One frame of the pad's sample, its channels mixed to the kit's one, read between
    /// frames as the sampler reads, and silent past its end.
    fn play_sample(&mut self, sample: &SampleData) -> f64 {
        if self.position >= sample.frames() as f64 || self.level < END {
            self.sounding = false;
            return 0.0;
        }
        let channels = sample.channels.len();
        let sum: f64 = (0..channels).map(|ch| sample.read(ch, self.position)).sum();
        let out = sum / channels as f64 * self.level * self.velocity;
        self.position += self.rate;
        self.level *= self.level_step;
        out
    }

    fn noise(&mut self) -> f64 {
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 17;
        self.seed ^= self.seed << 5;
        f64::from(self.seed) / f64::from(u32::MAX) * 2.0 - 1.0
    }

    fn sample(&mut self, sample_rate: f64, pads: &[Arc<SampleData>; PADS]) -> f64 {
        if let Some(sample) = pads.get(self.pad) {
            return self.play_sample(sample);
        }
        let r = self.recipe;
        let mut out = 0.0;
        if r.sine > 0.0 {
            let hz = self.base + (self.top - self.base) * self.sweep;
            let fade = ((self.age + 1.0) / FADE_IN).min(1.0);
            out += r.sine * self.ring * fade * (core::f64::consts::TAU * self.phase).sin();
            self.phase = (self.phase + hz / sample_rate).fract();
            self.sweep *= self.sweep_step;
            self.ring *= self.ring_step;
        }
        if r.noise > 0.0 || r.metal > 0.0 {
            let mut x = r.noise * self.noise();
            if r.metal > 0.0 {
                let mut metal = 0.0;
                for (phase, increment) in self.metal_phases.iter_mut().zip(self.metal_increments) {
                    metal += wave(1, *phase, increment);
                    *phase = (*phase + increment).fract();
                }
                x += r.metal * metal / 6.0;
            }
            let c = self.coeffs;
            let [x1, x2, y1, y2] = self.filter;
            let y = c.b0 * x + c.b1 * x1 + c.b2 * x2 - c.a1 * y1 - c.a2 * y2;
            self.filter = [x, x1, y, y1].map(|v| if v.abs() < 1e-30 { 0.0 } else { v });
            let level = if r.bursts && self.age < 0.03 * sample_rate {
                // Three hand claps 10 ms apart, each dying in a few milliseconds.
                let since = self.age % (0.01 * sample_rate);
                (-since / (0.003 * sample_rate)).exp()
            } else {
                self.hiss
            };
            out += y * level;
            if !r.bursts || self.age >= 0.03 * sample_rate {
                self.hiss *= self.hiss_step;
            }
        }
        self.age += 1.0;
        if self.ring < END && self.hiss < END {
            self.sounding = false;
        }
        out * self.velocity
    }
}

/// A choked hit's level multiplier per frame: closed fast, not cut, 60 dB down in 20 ms.
fn choke_step(sample_rate: f64) -> f64 {
    (-SEGMENT_TIME_CONSTANTS / (0.02 * sample_rate)).exp()
}

/// The kit's hits.
#[derive(Debug)]
struct Kit {
    voices: [Voice; VOICES],
    sample_rate: f64,
    /// Each pad's own sample, in [`KEYS`]' order; an empty one leaves its drum synthesised.
    pads: [Arc<SampleData>; PADS],
    /// Each pad's level (linear) and pitch (a frequency ratio), in [`KEYS`]' order.
    pad_gain: [f64; PADS],
    pad_pitch: [f64; PADS],
}

impl Voices for Kit {
    type Shape = Shape;

    fn note_on(&mut self, key: u8, velocity: u8, _note: u32, now: u64, _song_start: u64, shape: &Shape) {
        let Some(mut r) = recipe(key) else { return };
        let sr = self.sample_rate;
        if r.chokes {
            for v in self.voices.iter_mut().filter(|v| v.sounding && v.recipe.choked) {
                v.hiss_step = choke_step(sr);
                v.level_step = v.hiss_step;
            }
        }
        let index = free_voice(&self.voices);
        let Some(pad) = KEYS.iter().position(|&(k, _)| k == key) else { return };
        let velocity = f64::from(velocity) / 127.0 * self.pad_gain[pad];
        let pitch = shape.pitch * self.pad_pitch[pad];
        if self.pads[pad].frames() > 0 {
            // A sample plays at its own pitch, moved by the tunings; the choke keeps working on it.
            let rate = f64::from(self.pads[pad].sample_rate) / sr * pitch;
            self.voices[index] = Voice {
                sounding: true,
                started: now,
                velocity,
                recipe: Recipe { chokes: r.chokes, choked: r.choked, ..QUIET },
                pad,
                rate,
                level: 1.0,
                ..Voice::IDLE
            };
            return;
        }
        r.cutoff = (r.cutoff * shape.brightness).min(sr * 0.45);
        let per_frame = |seconds: f64| (-SEGMENT_TIME_CONSTANTS / (seconds * shape.decay * sr).max(1.0)).exp();
        let metal_hz = |hz: f64| hz * r.metal_pitch * pitch / sr;
        let design = Design { kind: r.filter, frequency: r.cutoff, detune: 0.0, q: r.q, gain_db: 0.0 };
        self.voices[index] = Voice {
            sounding: true,
            started: now,
            velocity,
            age: 0.0,
            recipe: r,
            ring_step: per_frame(r.ring),
            ring: if r.sine > 0.0 { 1.0 } else { 0.0 },
            hiss_step: per_frame(r.hiss),
            hiss: if r.noise > 0.0 || r.metal > 0.0 { 1.0 } else { 0.0 },
            // The sweep keeps its own time: the drum's pitch falls as fast at any decay.
            sweep_step: (-1.0 / (r.sweep * sr)).exp(),
            sweep: 1.0,
            top: r.top * pitch,
            base: r.base * pitch,
            phase: 0.25,
            // The 808's oscillators run free: a hit finds them anywhere in their cycles.
            metal_phases: [0.05, 0.31, 0.17, 0.62, 0.44, 0.83],
            metal_increments: METAL.map(metal_hz),
            coeffs: design.coefficients(sr),
            filter: [0.0; 4],
            seed: 0x9E37_79B9 ^ (u32::from(key) << 16) ^ (now as u32),
            ..Voice::IDLE
        };
        if self.voices[index].seed == 0 {
            self.voices[index].seed = 1;
        }
    }

    /// A hit rings out whatever its note's length.
    fn note_off(&mut self, _key: u8, _note: u32) {}

    /// The song stopped or moved: synthesised hits ring out (they last seconds at most); a
    /// pad's sample, which may be a long one, fades as a closed hat chokes an open one, so it
    /// does not play on after Stop or pile its copies up over a loop.
    fn release_all(&mut self) {
        let fade = choke_step(self.sample_rate);
        for v in self.voices.iter_mut().filter(|v| v.sounding && v.pad < PADS) {
            v.level_step = fade;
        }
    }

    fn holds(&self, _note: u32) -> bool {
        false
    }

    fn rekey(&mut self, _events: &Events, _frame: u64) {}

    fn render(&mut self, out: &mut AudioBuf, span: Range<usize>, shape: &Shape) {
        let out = &mut out.channel_mut(0)[span];
        for voice in self.voices.iter_mut().filter(|v| v.sounding) {
            for sample in out.iter_mut() {
                *sample += voice.sample(self.sample_rate, &self.pads) as f32 * shape.gain;
                if !voice.sounding {
                    break;
                }
            }
        }
    }

    fn all_idle(&self) -> bool {
        !self.voices.iter().any(|v| v.sounding)
    }
}

/// A drum kit playing a sequence on the song's timeline.
#[derive(Debug)]
pub struct Drums {
    params: [Param; 4],
    kit: Kit,
    player: Player,
}

impl Drums {
    pub fn new(config: &EngineConfig) -> Self {
        let sample_rate = f64::from(config.sample_rate);
        Self {
            params: params_for(&PARAMS, config),
            kit: Kit {
                voices: [Voice::IDLE; VOICES],
                sample_rate,
                pads: core::array::from_fn(|_| Arc::default()),
                pad_gain: [1.0; PADS],
                pad_pitch: [1.0; PADS],
            },
            player: Player::new(sample_rate),
        }
    }

    fn shape(&mut self, cx: &ProcessContext) -> Shape {
        let [gain, tune, decay, tone] =
            core::array::from_fn(|i| f64::from(self.params[i].render(cx.time, cx.sample_rate).at(0)));
        Shape { gain: gain as f32, pitch: (tune / 12.0).exp2(), decay, brightness: ((tone - 0.5) * 2.0).exp2() }
    }
}

impl Processor for Drums {
    fn reset(&mut self) {
        self.kit.voices = [Voice::IDLE; VOICES];
    }

    fn process(&mut self, _inputs: &[&AudioBuf], outputs: &mut [AudioBuf], cx: &ProcessContext) -> Status {
        let shape = self.shape(cx);
        self.player.process(&mut self.kit, &shape, &mut outputs[0], cx.frame, 1);
        Status::Normal
    }

    fn params(&mut self) -> &mut [Param] {
        &mut self.params
    }

    fn as_any_mut(&mut self) -> Option<&mut dyn core::any::Any> {
        Some(self)
    }

    fn prepare_setting(&self, setting: u8, value: &mut SettingValue) {
        prepare_sequence(setting, SEQUENCE, value);
    }

    fn configure(&mut self, setting: u8, value: &mut SettingValue) -> Result<(), RenderError> {
        if let Some(done) = self.player.configure(setting, SEQUENCE, value, &mut self.kit) {
            return done;
        }
        let pad = usize::from(setting.wrapping_sub(FIRST_PAD));
        match value {
            SettingValue::Buffer(buffer) if pad < PADS => {
                // Hits playing the old sample stop; it goes back in the command, to be dropped
                // off the render path.
                for v in self.kit.voices.iter_mut().filter(|v| v.pad == pad) {
                    v.sounding = false;
                    v.pad = PADS;
                }
                core::mem::swap(&mut self.kit.pads[pad], buffer);
                Ok(())
            }
            // The control side checked the ranges. A hit already sounding keeps how it began.
            &mut SettingValue::Number(db) if (FIRST_LEVEL..FIRST_TUNE).contains(&setting) => {
                self.kit.pad_gain[usize::from(setting - FIRST_LEVEL)] = 10f64.powf(db / 20.0);
                Ok(())
            }
            &mut SettingValue::Number(semitones) if (FIRST_TUNE..FIRST_TUNE + PADS as u8).contains(&setting) => {
                self.kit.pad_pitch[usize::from(setting - FIRST_TUNE)] = (semitones / 12.0).exp2();
                Ok(())
            }
            _ => Err(RenderError::new(ErrorCode::BadSetting, "a drum kit does not take that setting")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::KEYS;
    use crate::analysis::sound_starts;
    use crate::graph::{NodeId, SequencedNote, SettingValue};
    use crate::offline::OfflineRenderer;

    const SR: f32 = 48_000.0;

    /// A kit into the destination, playing `notes` from the song's start.
    fn kit(notes: &[(u64, u8, u8)], knobs: &[(&str, f32)]) -> (OfflineRenderer, NodeId) {
        let mut g = OfflineRenderer::new(SR);
        let d = g.add("drums").unwrap();
        for (name, value) in knobs {
            g.set(d, name, *value).unwrap();
        }
        let sequence =
            notes.iter().map(|&(start, key, velocity)| SequencedNote { start, length: 100, key, velocity }).collect();
        g.configure(d, "sequence", SettingValue::Sequence(sequence)).unwrap();
        let transport = SettingValue::Transport { at: 0, playing: true, position: 0, loop_start: 0, loop_end: 0 };
        g.configure(d, "transport", transport).unwrap();
        g.connect(d, g.destination()).unwrap();
        (g, d)
    }

    fn play(notes: &[(u64, u8, u8)], knobs: &[(&str, f32)], frames: usize) -> Vec<f32> {
        kit(notes, knobs).0.render_frames(frames).remove(0)
    }

    fn rms(samples: &[f32]) -> f64 {
        (samples.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / samples.len() as f64).sqrt()
    }

    /// The mean frequency of a sound, from how much its first difference carries: for a sine of
    /// `f` Hz the ratio of their energies is (2 sin(π f / rate))².
    fn mean_hz(samples: &[f32]) -> f64 {
        let diff: Vec<f32> = samples.windows(2).map(|w| w[1] - w[0]).collect();
        let ratio = (rms(&diff) / rms(samples)).min(2.0);
        (ratio / 2.0).asin() * f64::from(SR) / core::f64::consts::PI
    }

    #[test]
    fn every_named_key_sounds_from_its_exact_frame_and_rings_out_and_the_others_are_silent() {
        for &(key, name) in KEYS {
            let out = play(&[(1000, key, 127)], &[], 48_000 * 5);
            assert!(out[..1000].iter().all(|v| *v == 0.0), "{name}: silent before its note");
            assert_ne!(out[1000], 0.0, "{name}: sounds on its note's first frame");
            let peak = out.iter().fold(0f32, |m, v| m.max(v.abs()));
            assert!(peak > 0.05 && peak < 1.5, "{name}: peak {peak}");
            assert!(out.iter().all(|v| v.is_finite()));
            assert!(out[48_000 * 4..].iter().all(|v| *v == 0.0), "{name}: over within four seconds");
        }
        for key in [0, 34, 52, 60, 127] {
            assert!(play(&[(1000, key, 127)], &[], 4800).iter().all(|v| *v == 0.0), "key {key} is not a drum");
        }
    }

    #[test]
    fn hits_land_on_the_exact_frames_of_the_sequence_at_any_note_length() {
        let out = play(&[(1000, 42, 100), (11_003, 42, 100), (21_999, 42, 100)], &[("decay", 0.25)], 30_000);
        assert_eq!(sound_starts(&out, 500), [1000, 11_003, 21_999]);
    }

    #[test]
    fn each_drum_sounds_in_its_register() {
        let hz = |key: u8| {
            let out = play(&[(0, key, 127)], &[], 4800);
            mean_hz(&out)
        };
        let (kick, snare, hat, crash) = (hz(36), hz(38), hz(42), hz(49));
        assert!(kick < 200.0, "kick around {kick} Hz");
        assert!((300.0..5000.0).contains(&snare), "snare around {snare} Hz");
        assert!(hat > 5000.0, "closed hat around {hat} Hz");
        assert!(crash > 4000.0, "crash around {crash} Hz");
    }

    #[test]
    fn velocity_scales_a_hit_and_gain_scales_the_kit() {
        let loud = play(&[(0, 38, 127)], &[], 9600);
        let soft = play(&[(0, 38, 64)], &[], 9600);
        let quiet = play(&[(0, 38, 127)], &[("gain", 0.4)], 9600);
        for i in 0..9600 {
            let l = f64::from(loud[i]);
            assert!((f64::from(soft[i]) - l * 64.0 / 127.0).abs() < 1e-6, "velocity at frame {i}");
            assert!((f64::from(quiet[i]) - l * 0.5).abs() < 1e-6, "gain at frame {i}");
        }
    }

    #[test]
    fn a_closed_hat_chokes_an_open_one() {
        let (open, closed) = ((1000, 46, 110), (5800, 42, 110));
        let alone = play(&[open], &[], 20_000);
        let choked = play(&[open, closed], &[], 20_000);
        let window = 5800 + 2400..5800 + 9600;
        let (a, c) = (rms(&alone[window.clone()]), rms(&choked[window]));
        assert!(c < 0.35 * a, "50–200 ms after the closed hat: {c} with it against {a} without");
        assert_eq!(alone[..5800], choked[..5800], "nothing changes before the closed hat");
    }

    #[test]
    fn tune_moves_a_tom_by_semitones_and_decay_lengthens_a_hit() {
        let pitch = |tune: f32| {
            let out = play(&[(0, 45, 127)], &[("tune", tune)], 24_000);
            let late = &out[14_400..24_000];
            let crossings = late.windows(2).filter(|w| w[0] < 0.0 && w[1] >= 0.0).count();
            crossings as f64 / (late.len() as f64 / f64::from(SR))
        };
        let (base, octave) = (pitch(0.0), pitch(12.0));
        assert!((base - 110.0).abs() < 3.0, "the low tom rings at {base} Hz");
        assert!((octave / base - 2.0).abs() < 0.03, "an octave up: {octave} against {base} Hz");
        let length = |decay: f32| {
            let out = play(&[(0, 36, 127)], &[("decay", decay)], 48_000 * 4);
            out.iter().rposition(|v| v.abs() > 1e-3).unwrap()
        };
        let (short, long) = (length(0.5), length(2.0));
        assert!((long as f64 / short as f64 - 4.0).abs() < 0.4, "decay 2 against 0.5: {long} and {short} frames");
    }

    #[test]
    fn a_live_note_plays_at_once_and_a_hit_rings_through_a_stop() {
        let (mut g, d) = kit(&[], &[]);
        g.configure(d, "note", SettingValue::Note { key: 38, velocity: 100 }).unwrap();
        assert!(g.render_frames(128).remove(0).iter().any(|v| *v != 0.0), "the live snare sounds in the first quantum");
        // A kick at frame 2000, the song stopped at 2304: it rings on exactly as if the song
        // had gone on.
        let ringing = |stop: bool| {
            let (mut g, d) = kit(&[(2000, 36, 127)], &[]);
            let first = g.render_frames(1024).remove(0);
            if stop {
                let at = SettingValue::Transport { at: 2304, playing: false, position: 0, loop_start: 0, loop_end: 0 };
                g.configure(d, "transport", at).unwrap();
            }
            [first, g.render_frames(24_000).remove(0)].concat()
        };
        let (stopped, played) = (ringing(true), ringing(false));
        assert!(rms(&stopped[2304..4800]) > 0.1, "the kick sounds after the stop");
        assert_eq!(stopped, played);
    }

    /// A kit playing `notes`, with `pads` given their samples (`(key, rate, channels)`) first.
    fn kit_with_pads(
        notes: &[(u64, u8, u8)],
        pads: &[(u8, f32, Vec<Vec<f32>>)],
        knobs: &[(&str, f32)],
        frames: usize,
    ) -> Vec<f32> {
        let (mut g, d) = kit(notes, knobs);
        for (key, sample_rate, channels) in pads {
            let setting = super::pad_setting(*key, super::PadSetting::Sample).expect("a drum key");
            g.configure(d, &setting, SettingValue::Samples { sample_rate: *sample_rate, channels: channels.clone() })
                .unwrap();
        }
        g.render_frames(frames).remove(0)
    }

    #[test]
    fn a_pad_with_a_sample_plays_it_from_the_hits_frame_and_the_other_pads_stay_synthesised() {
        let sample: Vec<f32> = (0..300).map(|i| ((i * 37 % 101) as f32 / 50.0 - 1.0) * 0.9).collect();
        let notes = [(1000, 36, 127), (1200, 38, 100), (5003, 36, 64)];
        let out = kit_with_pads(&notes, &[(36, SR, vec![sample.clone()])], &[("gain", 0.5)], 12_000);
        let snare_alone = kit_with_pads(&[(1200, 38, 100)], &[], &[("gain", 0.5)], 12_000);
        for i in 0..12_000usize {
            let kick = |start: usize, velocity: f64| {
                i.checked_sub(start)
                    .and_then(|at| sample.get(at))
                    .map_or(0.0, |v| f64::from(*v) * velocity / 127.0 * 0.5)
            };
            let wanted = kick(1000, 127.0) + kick(5003, 64.0) + f64::from(snare_alone[i]);
            assert!((f64::from(out[i]) - wanted).abs() < 1e-6, "frame {i}: {} against {wanted}", out[i]);
        }
        assert!(rms(&snare_alone[1200..4000]) > 0.01, "the snare is synthesised and sounds");
    }

    #[test]
    fn a_pads_sample_is_mixed_to_one_channel_and_played_at_its_rate_moved_by_tune() {
        let left: Vec<f32> = (0..400).map(|i| i as f32 / 400.0).collect();
        let right: Vec<f32> = (0..400).map(|i| -(i as f32) / 800.0).collect();
        let mono: Vec<f32> = left.iter().zip(&right).map(|(l, r)| (l + r) / 2.0).collect();
        // At half the engine's rate the sample moves half a frame a frame; an octave up by
        // `tune` doubles that, back to one.
        let slow = kit_with_pads(
            &[(0, 42, 127)],
            &[(42, SR / 2.0, vec![left.clone(), right.clone()])],
            &[("gain", 1.0)],
            1000,
        );
        let tuned = kit_with_pads(
            &[(0, 42, 127)],
            &[(42, SR / 2.0, vec![left, right])],
            &[("gain", 1.0), ("tune", 12.0)],
            1000,
        );
        for (i, played) in slow[..798].iter().enumerate() {
            let at = i / 2;
            let wanted = if i % 2 == 0 { mono[at] } else { (mono[at] + mono[at + 1]) / 2.0 };
            assert!((played - wanted).abs() < 1e-6, "half rate, frame {i}: {played} against {wanted}");
        }
        assert!(slow[801..].iter().all(|v| *v == 0.0), "over after 800 frames");
        for (i, (played, wanted)) in tuned.iter().zip(&mono).enumerate() {
            assert!((played - wanted).abs() < 1e-6, "an octave up, frame {i}");
        }
        assert!(tuned[400..].iter().all(|v| *v == 0.0), "over after 400 frames");
    }

    #[test]
    fn an_emptied_pad_is_synthesised_again_and_a_closed_hat_chokes_an_open_hats_sample() {
        let plain = play(&[(100, 36, 127)], &[], 9600);
        let emptied =
            kit_with_pads(&[(100, 36, 127)], &[(36, SR, vec![vec![0.5; 50]]), (36, SR, vec![Vec::new()])], &[], 9600);
        assert_eq!(plain, emptied);
        let open = vec![vec![0.5; 20_000]];
        let alone = kit_with_pads(&[(0, 46, 127)], &[(46, SR, open.clone())], &[("gain", 1.0)], 20_000);
        // The pedal hat plays a silent sample, so only the open hat is heard.
        let pads = [(46, SR, open), (44, SR, vec![vec![0.0]])];
        let choked = kit_with_pads(&[(0, 46, 127), (4000, 44, 127)], &pads, &[("gain", 1.0)], 20_000);
        assert!(alone.iter().all(|v| (*v - 0.5).abs() < 1e-6), "the open hat's sample plays whole");
        assert_eq!(alone[..4000], choked[..4000]);
        assert!(choked[4000 + 1200..].iter().all(|v| v.abs() < 1e-4), "over 60 dB down 25 ms after the pedal hat");
        assert!(rms(&choked[4000..4000 + 240]) > 0.1, "faded, not cut");
    }

    #[test]
    fn a_pads_sample_fades_when_the_song_stops_where_a_synthesised_hit_rings_on() {
        let pads = [(36, SR, vec![vec![0.5; 48_000]])];
        let (mut g, d) = kit(&[(100, 36, 127), (100, 38, 127)], &[("gain", 1.0)]);
        g.configure(d, "pad36", SettingValue::Samples { sample_rate: SR, channels: pads[0].2.clone() }).unwrap();
        let first = g.render_frames(2048).remove(0);
        let stop = SettingValue::Transport { at: 2048, playing: false, position: 0, loop_start: 0, loop_end: 0 };
        g.configure(d, "transport", stop).unwrap();
        let after = g.render_frames(9600).remove(0);
        let snare_alone = kit_with_pads(&[(100, 38, 127)], &[], &[("gain", 1.0)], 2048 + 9600);
        let kick = |i: usize| f64::from([&first[..], &after[..]].concat()[i] - snare_alone[i]);
        assert!((kick(2047) - 0.5).abs() < 1e-6, "the sample plays until the stop");
        assert!(kick(2048 + 480).abs() < 0.5 * 0.04, "30 dB down 10 ms after: {}", kick(2048 + 480));
        assert!(kick(2048 + 48) > 0.3, "faded, not cut: 3 dB down 1 ms after ({})", kick(2048 + 48));
        assert!((2048 + 1440..2048 + 9600).all(|i| kick(i) == 0.0), "over 30 ms after the stop");
    }

    #[test]
    fn a_hit_is_the_same_whatever_its_notes_length() {
        let hat = |length: u64| {
            let mut g = OfflineRenderer::new(SR);
            let d = g.add("drums").unwrap();
            let note = SequencedNote { start: 500, length, key: 46, velocity: 90 };
            g.configure(d, "sequence", SettingValue::Sequence(vec![note])).unwrap();
            let transport = SettingValue::Transport { at: 0, playing: true, position: 0, loop_start: 0, loop_end: 0 };
            g.configure(d, "transport", transport).unwrap();
            g.connect(d, g.destination()).unwrap();
            g.render_frames(48_000).remove(0)
        };
        let short = hat(1);
        assert!(rms(&short[500..20_000]) > 0.01);
        assert_eq!(short, hat(100));
        assert_eq!(short, hat(40_000));
    }

    /// A kit playing `notes` with `settings` given before it starts.
    fn kit_set(notes: &[(u64, u8, u8)], settings: &[(&str, SettingValue)], knobs: &[(&str, f32)]) -> Vec<f32> {
        let (mut g, d) = kit(notes, knobs);
        for (name, value) in settings {
            g.configure(d, name, value.clone()).unwrap();
        }
        g.render_frames(24_000).remove(0)
    }

    #[test]
    fn a_pads_level_scales_its_hits_alone_and_its_tuning_adds_to_the_kits() {
        let notes = [(100, 45, 127), (9000, 38, 100)];
        let tom = [(100, 45, 127)];
        let snare = [(9000, 38, 100)];
        let plain = kit_set(&notes, &[], &[]);
        let quieter = kit_set(&notes, &[("level45", SettingValue::Number(-6.0))], &[]);
        let (tom_alone, snare_alone) = (kit_set(&tom, &[], &[]), kit_set(&snare, &[], &[]));
        let factor = 10f64.powf(-6.0 / 20.0);
        for i in 0..24_000 {
            // The hits add: the tom scaled by −6 dB, the snare as it was.
            let wanted = f64::from(tom_alone[i]) * factor + f64::from(snare_alone[i]);
            assert!((f64::from(quieter[i]) - wanted).abs() < 1e-6, "frame {i}: {} against {wanted}", quieter[i]);
        }
        assert!(rms(&plain[100..8000]) > 0.05, "the tom sounds");
        // A pad tuned an octave up is the whole kit tuned so, for that drum, bit for bit.
        let octave = SettingValue::Number(12.0);
        assert_eq!(kit_set(&tom, &[("tune45", octave.clone())], &[]), kit_set(&tom, &[], &[("tune", 12.0)]));
        assert_eq!(kit_set(&snare, &[("tune45", octave.clone())], &[]), snare_alone, "another pad's tuning");
        // The two tunings add up: up a fifth on the pad and down a fifth on the kit is level.
        let fifths = kit_set(&tom, &[("tune45", SettingValue::Number(7.0))], &[("tune", -7.0)]);
        let hz = |samples: &[f32]| mean_hz(&samples[100..4000]);
        assert!((hz(&fifths) / hz(&tom_alone) - 1.0).abs() < 1e-3, "{} Hz against {} Hz", hz(&fifths), hz(&tom_alone));
        // And a pad's sample follows its pad's level and tuning.
        let sample: Vec<f32> = (0..800).map(|i| (i as f32 * 0.05).sin() * 0.5).collect();
        let with_sample = |extra: &[(&str, SettingValue)], knobs: &[(&str, f32)]| {
            let mut settings =
                vec![("pad45", SettingValue::Samples { sample_rate: SR, channels: vec![sample.clone()] })];
            settings.extend(extra.iter().cloned());
            kit_set(&tom, &settings, knobs)
        };
        assert_eq!(with_sample(&[("tune45", octave)], &[]), with_sample(&[], &[("tune", 12.0)]));
        let (loud, soft) = (with_sample(&[], &[]), with_sample(&[("level45", SettingValue::Number(-12.0))], &[]));
        let factor = 10f64.powf(-12.0 / 20.0);
        for i in 0..1000 {
            assert!((f64::from(soft[i]) - f64::from(loud[i]) * factor).abs() < 1e-7, "sample frame {i}");
        }
    }

    #[test]
    fn a_pads_level_and_tuning_outside_their_ranges_are_refused() {
        let (mut g, d) = kit(&[], &[]);
        for (name, value) in [("level36", 12.5), ("level36", -61.0), ("tune36", 24.5), ("level36", f64::NAN)] {
            assert!(g.configure(d, name, SettingValue::Number(value)).is_err(), "{name} = {value}");
        }
        assert!(g.configure(d, "level52", SettingValue::Number(0.0)).is_err(), "key 52 is no drum");
        g.configure(d, "level36", SettingValue::Number(12.0)).unwrap();
        g.configure(d, "tune59", SettingValue::Number(-24.0)).unwrap();
    }
}
