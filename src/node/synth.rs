//! Render thread: the workstation's instrument, a polyphonic subtractive synth. Sixteen
//! voices, each two band-limited oscillators a few cents apart → a resonant lowpass (the Web
//! Audio biquad's formulas) swept by the voice's envelope → an ADSR amplifier. It plays the
//! notes of its `sequence` on the song timeline its `transport` gives, sample-accurately and
//! with no message per note, and notes played live through `note`. A new note takes a free
//! voice, else the quietest releasing one, else the oldest.

// Voices step through the envelope node's stages, with its segment shape and floor.
use super::envelope::{Stage, FLOOR, SEGMENT_TIME_CONSTANTS};
use super::sequence::{
    check_sequence, enveloped_slot, free_voice, prepare_sequence, rekey, Events, Player, Slot, Voices, PLAYED,
};
use super::{params_for, NodeType, Prepare};
use crate::dsp::biquad::{Coefficients, Design, FilterType};
use crate::graph::{
    Bound, ChannelRule, EngineConfig, EngineError, ErrorCode, NodeSpec, ParamSpec, RenderError, SettingKind,
    SettingSpec, SettingValue,
};
use crate::render::{AudioBuf, Param, ProcessContext, Processor, Status};
use core::ops::Range;

/// Voices sounding at once; a seventeenth note steals one.
pub const VOICES: usize = 16;

const PARAMS: [ParamSpec; 9] = [
    ParamSpec::new("gain", 0.3, Bound::Value(0.0), Bound::Value(1.0)).k_rate().control(0.0, 1.0),
    ParamSpec::new("cutoff", 1800.0, Bound::Value(20.0), Bound::Value(20_000.0)).k_rate().log_control(20.0, 20_000.0),
    ParamSpec::new("resonance", 3.0, Bound::Value(-20.0), Bound::Value(30.0)).k_rate().control(-10.0, 24.0),
    ParamSpec::new("envAmount", 2.5, Bound::Value(0.0), Bound::Value(8.0)).k_rate().control(0.0, 8.0),
    ParamSpec::new("attack", 0.005, Bound::Value(0.0), Bound::Value(10.0)).k_rate().control(0.0, 2.0),
    ParamSpec::new("decay", 0.25, Bound::Value(0.0), Bound::Value(10.0)).k_rate().control(0.0, 4.0),
    ParamSpec::new("sustain", 0.6, Bound::Value(0.0), Bound::Value(1.0)).k_rate().control(0.0, 1.0),
    ParamSpec::new("release", 0.25, Bound::Value(0.0), Bound::Value(10.0)).k_rate().control(0.0, 4.0),
    ParamSpec::new("detune", 8.0, Bound::Value(0.0), Bound::Value(100.0)).k_rate().control(0.0, 50.0),
];
const WAVEFORMS: [&str; 4] = ["sawtooth", "square", "triangle", "sine"];
const WAVEFORM: u8 = 0;
/// Where its [`PLAYED`] settings start.
const SEQUENCE: u8 = 1;
const SETTINGS: [SettingSpec; 4] =
    [SettingSpec::new("waveform", SettingKind::Choice { choices: &WAVEFORMS }), PLAYED[0], PLAYED[1], PLAYED[2]];

pub const SPEC: NodeSpec = NodeSpec {
    name: "synth",
    factory: "createSynth",
    inputs: 0,
    channels: ChannelRule::Mono,
    params: &PARAMS,
    settings: &SETTINGS,
    tail_seconds: f64::INFINITY,
    ..NodeSpec::EFFECT
};
pub const TYPE: NodeType =
    NodeType { spec: &SPEC, build: |config, _| Box::new(Synth::new(config)), memory: super::fixed_memory, prepare };

/// Control side: a sequence is checked and sorted.
fn prepare(setting: u8, value: SettingValue, _: &Prepare<'_>) -> Result<SettingValue, EngineError> {
    check_sequence(setting, SEQUENCE, value)
}

/// Frames between filter coefficient updates while an envelope sweeps the cutoff.
const FILTER_STEP: usize = 32;

/// One quantum's envelope and filter settings, from the parameters.
#[derive(Clone, Copy, Debug)]
struct Shape {
    attack_step: f64,
    decay_coeff: f64,
    release_coeff: f64,
    sustain: f64,
    cutoff: f64,
    resonance: f64,
    env_amount: f64,
    detune_ratio: f64,
    waveform: u8,
    gain: f32,
}

#[derive(Clone, Copy, Debug)]
struct Voice {
    stage: Stage,
    level: f64,
    key: u8,
    note: u32,
    velocity: f32,
    /// When it began, for stealing the oldest.
    started: u64,
    /// The song frame its note of the sequence began at (for a live note, unused).
    song_start: u64,
    phases: [f64; 2],
    increments: [f64; 2],
    filter: [f64; 4],
    coeffs: Coefficients,
}

enveloped_slot!(Voice);

impl Voice {
    const IDLE: Voice = Voice {
        stage: Stage::Idle,
        level: 0.0,
        key: 0,
        note: 0,
        velocity: 0.0,
        started: 0,
        song_start: 0,
        phases: [0.0; 2],
        increments: [0.0; 2],
        filter: [0.0; 4],
        coeffs: Coefficients::gain(1.0),
    };

    fn envelope_step(&mut self, s: &Shape) -> f64 {
        match self.stage {
            Stage::Idle => {}
            Stage::Attack => {
                self.level += s.attack_step;
                if self.level >= 1.0 {
                    self.level = 1.0;
                    self.stage = Stage::Decay;
                }
            }
            Stage::Decay => {
                self.level = s.sustain + (self.level - s.sustain) * s.decay_coeff;
                if (self.level - s.sustain).abs() < 1e-6 {
                    self.stage = Stage::Sustain;
                }
            }
            Stage::Sustain => self.level = s.sustain,
            Stage::Release => {
                self.level *= s.release_coeff;
                if self.level < FLOOR {
                    *self = Voice::IDLE;
                }
            }
        }
        self.level
    }

    fn design_filter(&mut self, s: &Shape, sample_rate: f64) {
        let frequency = (s.cutoff * (s.env_amount * self.level).exp2()).min(sample_rate * 0.45);
        let design = Design { kind: FilterType::Lowpass, frequency, detune: 0.0, q: s.resonance, gain_db: 0.0 };
        self.coeffs = design.coefficients(sample_rate);
    }
}

/// PolyBLEP: the step correction that takes the aliasing out of a naive saw or square.
#[inline]
fn blep(phase: f64, increment: f64) -> f64 {
    if phase < increment {
        let t = phase / increment;
        2.0 * t - t * t - 1.0
    } else if phase > 1.0 - increment {
        let t = (phase - 1.0) / increment;
        t * t + 2.0 * t + 1.0
    } else {
        0.0
    }
}

#[inline]
pub(super) fn wave(waveform: u8, phase: f64, increment: f64) -> f64 {
    match waveform {
        0 => 2.0 * phase - 1.0 - blep(phase, increment),
        1 => {
            let naive = if phase < 0.5 { 1.0 } else { -1.0 };
            naive + blep(phase, increment) - blep((phase + 0.5).fract(), increment)
        }
        2 => 4.0 * (phase - 0.5).abs() - 1.0,
        _ => (core::f64::consts::TAU * phase).sin(),
    }
}

/// A polyphonic synth playing a sequence on the song's timeline.
#[derive(Debug)]
pub struct Synth {
    params: [Param; 9],
    waveform: u8,
    voices: Bank,
    player: Player,
}

/// The synth's voices.
#[derive(Debug)]
struct Bank {
    voices: [Voice; VOICES],
    sample_rate: f64,
}

impl Synth {
    pub fn new(config: &EngineConfig) -> Self {
        let sample_rate = f64::from(config.sample_rate);
        Self {
            params: params_for(&PARAMS, config),
            waveform: 0,
            voices: Bank { voices: [Voice::IDLE; VOICES], sample_rate },
            player: Player::new(sample_rate),
        }
    }

    /// This quantum's envelope and filter settings, and the output gain.
    fn shape(&mut self, cx: &ProcessContext) -> Shape {
        let values: [f64; 9] =
            core::array::from_fn(|i| f64::from(self.params[i].render(cx.time, cx.sample_rate).at(0)));
        let [gain, cutoff, resonance, env_amount, attack, decay, sustain, release, detune] = values;
        let sr = self.voices.sample_rate;
        let per_frame = |seconds: f64| (-SEGMENT_TIME_CONSTANTS / (seconds * sr).max(1.0)).exp();
        Shape {
            attack_step: 1.0 / (attack * sr).max(1.0),
            decay_coeff: per_frame(decay),
            release_coeff: per_frame(release),
            sustain,
            cutoff,
            resonance,
            env_amount,
            detune_ratio: (detune / 1200.0).exp2(),
            waveform: self.waveform,
            gain: gain as f32,
        }
    }
}

impl Voices for Bank {
    type Shape = Shape;

    fn note_on(&mut self, key: u8, velocity: u8, note: u32, now: u64, song_start: u64, shape: &Shape) {
        let index = free_voice(&self.voices);
        let frequency = 440.0 * ((f64::from(key) - 69.0) / 12.0).exp2();
        let increment = frequency / self.sample_rate;
        let voice = &mut self.voices[index];
        // A stolen voice keeps its level, phases and filter: the new note starts from there
        // without a click.
        voice.stage = Stage::Attack;
        voice.key = key;
        voice.note = note;
        voice.velocity = f32::from(velocity) / 127.0;
        voice.started = now;
        voice.song_start = song_start;
        voice.increments = [increment, increment * shape.detune_ratio];
    }

    fn note_off(&mut self, key: u8, note: u32) {
        for v in &mut self.voices {
            if v.stage != Stage::Idle && v.stage != Stage::Release && v.key == key && v.note == note {
                v.stage = Stage::Release;
            }
        }
    }

    fn release_all(&mut self) {
        for v in &mut self.voices {
            if v.stage != Stage::Idle {
                v.stage = Stage::Release;
            }
        }
    }

    fn holds(&self, note: u32) -> bool {
        self.voices.iter().any(|v| v.waiting().is_some_and(|(.., n)| n == note))
    }

    fn rekey(&mut self, events: &Events, frame: u64) {
        rekey(&mut self.voices, events, frame);
    }

    fn render(&mut self, out: &mut AudioBuf, span: Range<usize>, shape: &Shape) {
        let out = &mut out.channel_mut(0)[span];
        let gain = shape.gain;
        for voice in self.voices.iter_mut().filter(|v| v.stage != Stage::Idle) {
            for chunk in out.chunks_mut(FILTER_STEP) {
                voice.design_filter(shape, self.sample_rate);
                let c = voice.coeffs;
                let [mut x1, mut x2, mut y1, mut y2] = voice.filter;
                for sample in chunk.iter_mut() {
                    let [p0, p1] = voice.phases;
                    let [i0, i1] = voice.increments;
                    let x = 0.5 * (wave(shape.waveform, p0, i0) + wave(shape.waveform, p1, i1));
                    voice.phases = [(p0 + i0).fract(), (p1 + i1).fract()];
                    let y = c.b0 * x + c.b1 * x1 + c.b2 * x2 - c.a1 * y1 - c.a2 * y2;
                    (x2, x1, y2, y1) = (x1, x, y1, y);
                    let level = voice.envelope_step(shape);
                    *sample += (y * level) as f32 * voice.velocity * gain;
                    if voice.stage == Stage::Idle {
                        break;
                    }
                }
                if voice.stage == Stage::Idle {
                    break;
                }
                // The filter's history is kept out of the subnormal range as it rings down.
                voice.filter = [x1, x2, y1, y2].map(|v| if v.abs() < 1e-30 { 0.0 } else { v });
            }
        }
    }

    fn all_idle(&self) -> bool {
        self.voices.iter().all(|v| v.stage == Stage::Idle)
    }
}

impl Processor for Synth {
    fn reset(&mut self) {
        self.voices.voices = [Voice::IDLE; VOICES];
    }

    fn process(&mut self, _inputs: &[&AudioBuf], outputs: &mut [AudioBuf], cx: &ProcessContext) -> Status {
        let shape = self.shape(cx);
        self.player.process(&mut self.voices, &shape, &mut outputs[0], cx.frame, 1);
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
        if let Some(done) = self.player.configure(setting, SEQUENCE, value, &mut self.voices) {
            return done;
        }
        match (setting, value) {
            (WAVEFORM, &mut SettingValue::Choice(i)) => self.waveform = i.min(3),
            _ => return Err(RenderError::new(ErrorCode::BadSetting, "a synth does not take that setting")),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{Stage, Synth, VOICES};
    use crate::analysis::sound_starts;
    use crate::graph::{ErrorCode, NodeId, SequencedNote, SettingValue};
    use crate::offline::OfflineRenderer;

    const SR: f32 = 48_000.0;

    fn note(start: u64, length: u64, key: u8) -> SequencedNote {
        SequencedNote { start, length, key, velocity: 100 }
    }

    fn transport(at: u64, playing: bool, position: u64, loop_start: u64, loop_end: u64) -> SettingValue {
        SettingValue::Transport { at, playing, position, loop_start, loop_end }
    }

    /// A synth with a short release (silent again within a few hundred frames), triangle
    /// waves (non-zero from a voice's first sample), into the destination.
    fn synth(g: &mut OfflineRenderer, notes: Vec<SequencedNote>) -> NodeId {
        let s = g.add("synth").unwrap();
        g.choose(s, "waveform", "triangle").unwrap();
        g.set(s, "release", 0.005).unwrap();
        g.configure(s, "sequence", SettingValue::Sequence(notes)).unwrap();
        g.connect(s, g.destination()).unwrap();
        s
    }

    #[test]
    fn notes_start_on_the_exact_frames_of_the_sequence() {
        let mut g = OfflineRenderer::new(SR);
        let s = synth(&mut g, vec![note(1000, 2000, 60), note(5003, 1500, 64), note(9999, 1000, 67)]);
        g.configure(s, "transport", transport(0, true, 0, 0, 0)).unwrap();
        let out = g.render_frames(14_000).remove(0);
        assert_eq!(sound_starts(&out, 500), [1000, 5003, 9999]);
    }

    #[test]
    fn a_transport_started_mid_song_and_mid_quantum_plays_from_its_position() {
        let mut g = OfflineRenderer::new(SR);
        let s = synth(&mut g, vec![note(1000, 500, 60), note(3000, 500, 62)]);
        // From context frame 700 (inside the sixth quantum), song frame 2500 plays: the second
        // note is 500 song frames ahead, at context frame 1200; the first never sounds.
        g.configure(s, "transport", transport(700, true, 2500, 0, 0)).unwrap();
        let out = g.render_frames(4000).remove(0);
        assert_eq!(sound_starts(&out, 500), [1200]);
    }

    #[test]
    fn a_loop_region_repeats_its_notes_at_the_loop_length() {
        let mut g = OfflineRenderer::new(SR);
        let s = synth(&mut g, vec![note(100, 200, 72), note(6000, 100, 40)]);
        g.configure(s, "transport", transport(0, true, 0, 0, 4800)).unwrap();
        let out = g.render_frames(15_000).remove(0);
        assert_eq!(sound_starts(&out, 500), [100, 4900, 9700, 14_500], "the note past the loop end never plays");
    }

    #[test]
    fn a_note_sounds_at_its_pitch() {
        let mut g = OfflineRenderer::new(SR);
        let s = synth(&mut g, vec![note(0, 48_000, 69)]);
        g.choose(s, "waveform", "sine").unwrap();
        g.set(s, "detune", 0.0).unwrap();
        g.configure(s, "transport", transport(0, true, 0, 0, 0)).unwrap();
        let out = g.render_frames(48_000).remove(0);
        let steady = &out[4800..43_200];
        let rises: Vec<f64> = steady
            .windows(2)
            .enumerate()
            .filter(|(_, w)| w[0] < 0.0 && w[1] >= 0.0)
            .map(|(i, w)| i as f64 + f64::from(w[0] / (w[0] - w[1])))
            .collect();
        let period = (rises[rises.len() - 1] - rises[0]) / (rises.len() - 1) as f64;
        let hz = f64::from(SR) / period;
        assert!((hz - 440.0).abs() < 0.05, "A4 at {hz} Hz");
    }

    #[test]
    fn stopping_releases_every_voice_into_silence() {
        let mut g = OfflineRenderer::new(SR);
        let s = synth(&mut g, vec![note(0, 96_000, 60), note(0, 96_000, 67)]);
        g.configure(s, "transport", transport(0, true, 0, 0, 0)).unwrap();
        g.render_frames(12_000);
        g.configure(s, "transport", transport(12_000, false, 0, 0, 0)).unwrap();
        let out = g.render_frames(4800).remove(0);
        assert!(out[..64].iter().any(|v| v.abs() > 1e-3), "still sounding as the stop arrives");
        // A 5 ms release is over well within 50 ms.
        assert!(out[2400..].iter().all(|v| *v == 0.0), "silent after the release");
    }

    #[test]
    fn live_notes_play_and_release() {
        let mut g = OfflineRenderer::new(SR);
        let s = synth(&mut g, Vec::new());
        g.configure(s, "note", SettingValue::Note { key: 60, velocity: 90 }).unwrap();
        let held = g.render_frames(4800).remove(0);
        assert!(held[0] != 0.0 && held[4000..].iter().any(|v| v.abs() > 0.01), "the note sounds from the next quantum");
        g.configure(s, "note", SettingValue::Note { key: 60, velocity: 0 }).unwrap();
        let released = g.render_frames(4800).remove(0);
        assert!(released[2400..].iter().all(|v| *v == 0.0));
    }

    /// Plays `notes` from frame 0 (`live` held from frame 1280, if given); at frame 4800 `change`
    /// (if any) arrives as the new sequence. Renders `frames` in all; returns the output and the
    /// keys sounding at frame 10 000.
    fn play_then_change(
        notes: &[SequencedNote],
        live: Option<u8>,
        change: Option<Vec<SequencedNote>>,
        frames: usize,
    ) -> (Vec<f32>, Vec<u8>) {
        let mut g = OfflineRenderer::new(SR);
        let s = synth(&mut g, notes.to_vec());
        g.configure(s, "transport", transport(0, true, 0, 0, 0)).unwrap();
        let mut out = g.render_frames(1280).remove(0);
        if let Some(key) = live {
            g.configure(s, "note", SettingValue::Note { key, velocity: 90 }).unwrap();
        }
        out.extend(g.render_frames(3520).remove(0));
        if let Some(notes) = change {
            g.configure(s, "sequence", SettingValue::Sequence(notes)).unwrap();
        }
        out.extend(g.render_frames(5200).remove(0));
        let synth = g.engine_mut().processor_mut(s).and_then(|p| p.as_any_mut()).unwrap();
        let voices = &synth.downcast_mut::<Synth>().unwrap().voices.voices;
        let mut keys: Vec<u8> = voices.iter().filter(|v| v.stage != Stage::Idle).map(|v| v.key).collect();
        keys.sort_unstable();
        out.extend(g.render_frames(frames - 10_000).remove(0));
        (out, keys)
    }

    #[test]
    fn a_sequence_arriving_while_notes_sound_keeps_the_ones_it_still_holds() {
        let (held, other) = (note(0, 20_000, 60), note(0, 20_000, 67));
        // [60, 67] and a live 48.
        let render = |change| play_then_change(&[held, other], Some(48), change, 40_000);
        let (unchanged, keys) = render(None);
        assert_eq!(keys, [48, 60, 67]);
        // Overdubbed: a note before the song's position (heard from the next pass, not late
        // now) and one ahead; 60 and 67 sit at other indices now.
        let (overdubbed, keys) = render(Some(vec![note(100, 200, 72), held, other, note(30_000, 1000, 64)]));
        assert_eq!(keys, [48, 60, 67]);
        // Up to two quanta before the one the note ahead begins in (an event splits a quantum's
        // rendering, which moves where the voices' filters are updated in it).
        assert!(overdubbed[..29_696] == unchanged[..29_696], "the change is not heard before the note ahead");
        assert!(overdubbed[30_000..31_000] != unchanged[30_000..31_000], "the note ahead plays");
        // Without 67, its voice is released; 60 and the live note sound on.
        let (removed, keys) = render(Some(vec![held]));
        assert_eq!(keys, [48, 60]);
        assert!(removed[..4800] == unchanged[..4800] && removed[4800..20_000] != unchanged[4800..20_000]);
        // And 60, still held by the new sequence, ends at its off there.
        assert!(
            removed[21_000..].iter().zip(&unchanged[21_000..]).all(|(a, b)| a == b),
            "only the live 48 is left in both"
        );
    }

    #[test]
    fn notes_of_one_key_that_overlap_each_keep_their_own_voice_through_a_new_sequence() {
        let (long, short) = (note(0, 20_000, 60), note(1000, 7000, 60));
        let render = |change| play_then_change(&[long, short], None, change, 24_800).0;
        let unchanged = render(None);
        // An overdub adds a short 60 that began and ended before the song's position: the long
        // note is not mistaken for it and cut, and each voice still ends at its own off.
        let overdubbed = render(Some(vec![long, note(2000, 1000, 60), short]));
        assert!(overdubbed == unchanged, "nothing heard changes");
        // Without the short note, only its voice ends.
        let without_short = render(Some(vec![long]));
        assert!(without_short[..4800] == unchanged[..4800]);
        assert!(without_short[4800..8000] != unchanged[4800..8000], "the short note ended early");
        assert!(without_short[9000..20_000].iter().any(|v| v.abs() > 0.01), "the long one sounds on");
    }

    #[test]
    fn a_note_new_to_the_sequence_that_began_just_before_it_arrived_starts_at_once() {
        let short = note(0, 100, 40);
        let render = |change| play_then_change(&[short], None, change, 12_000);
        let (unchanged, keys) = render(None);
        assert!(keys.is_empty() && unchanged[4800..].iter().all(|v| *v == 0.0), "nothing sounds after the short note");
        // At frame 4800, new notes begun 1000 frames before (within the 50 ms, 2400 frames: it
        // starts at once), 4000 before (too long ago: it waits for the song to come round) and
        // 100 before but already over.
        let late = note(3800, 10_000, 60);
        let (changed, keys) = render(Some(vec![short, note(800, 9000, 64), late, note(4700, 50, 67)]));
        assert_eq!(keys, [60], "only the note begun just before sounds");
        assert!(changed[..4800] == unchanged[..4800], "nothing is heard before the sequence arrives");
        assert!(changed[4800..4928].iter().any(|v| v.abs() > 1e-3), "it starts in the quantum the sequence arrives in");
    }

    #[test]
    fn a_note_the_song_skipped_is_not_chased_but_one_written_just_after_the_loop_jumped_back_is() {
        // The song starts at frame 4000, in the middle of a note of the sequence: that note is
        // not played, and a sequence arriving with it again (and a new one) does not start it.
        let mut g = OfflineRenderer::new(SR);
        let skipped = note(3800, 10_000, 60);
        let s = synth(&mut g, vec![skipped]);
        g.configure(s, "transport", transport(0, true, 4000, 0, 0)).unwrap();
        assert!(g.render_frames(480).remove(0).iter().all(|v| *v == 0.0));
        g.configure(s, "sequence", SettingValue::Sequence(vec![skipped, note(4100, 10_000, 62)])).unwrap();
        g.render_frames(480);
        let synth_of = |g: &mut OfflineRenderer| {
            let p = g.engine_mut().processor_mut(s).and_then(|p| p.as_any_mut()).unwrap();
            let voices = p.downcast_mut::<Synth>().unwrap().voices.voices;
            voices.iter().filter(|v| v.stage != Stage::Idle).map(|v| v.key).collect::<Vec<_>>()
        };
        assert_eq!(synth_of(&mut g), [62], "the new note, not the skipped one");

        // Looping 1000–5800: 600 frames after the jump back, a note at the loop's start arrives
        // (an overdub released just before the jump): it plays from then, 600 frames late,
        // rather than a pass later. A note from before the loop's start is not chased.
        let mut g = OfflineRenderer::new(SR);
        let s = synth(&mut g, Vec::new());
        g.configure(s, "transport", transport(0, true, 0, 1000, 5800)).unwrap();
        let before = g.render_frames(6400).remove(0);
        assert!(before.iter().all(|v| *v == 0.0));
        g.configure(s, "sequence", SettingValue::Sequence(vec![note(900, 4000, 50), note(1000, 2000, 60)])).unwrap();
        let after = g.render_frames(1024).remove(0);
        assert!(after[..128].iter().any(|v| v.abs() > 1e-3), "the loop's first note sounds at once");
        assert_eq!(synth_of(&mut g), [60]);
    }

    #[test]
    fn a_seventeenth_note_steals_the_oldest_voice() {
        let mut g = OfflineRenderer::new(SR);
        let notes = (0..20u8).map(|k| note(u64::from(k) * 10, 48_000, 40 + k)).collect();
        let s = synth(&mut g, notes);
        g.configure(s, "transport", transport(0, true, 0, 0, 0)).unwrap();
        let out = g.render_frames(2400).remove(0);
        assert!(out.iter().all(|v| v.is_finite() && v.abs() < 16.0));
        let synth = g
            .engine_mut()
            .processor_mut(s)
            .and_then(|p| p.as_any_mut())
            .and_then(|a| a.downcast_mut::<Synth>())
            .unwrap();
        let keys: Vec<u8> = synth.voices.voices.iter().filter(|v| v.stage != Stage::Idle).map(|v| v.key).collect();
        assert_eq!(keys.len(), VOICES);
        assert!((44..60).all(|k| keys.contains(&k)), "the four oldest (40–43) were stolen: {keys:?}");
    }

    #[test]
    fn bad_sequences_and_transports_are_refused() {
        let mut g = OfflineRenderer::new(SR);
        let s = g.add("synth").unwrap();
        let e = g.configure(s, "sequence", SettingValue::Sequence(vec![note(0, 10, 200)])).unwrap_err();
        assert_eq!(e.code, ErrorCode::OutOfRange);
        let e = g.configure(s, "sequence", SettingValue::Sequence(vec![note(0, 0, 60)])).unwrap_err();
        assert_eq!(e.code, ErrorCode::OutOfRange);
        let e = g.configure(s, "transport", transport(0, true, 0, 500, 100)).unwrap_err();
        assert_eq!(e.code, ErrorCode::OutOfRange);
        let e = g.configure(s, "note", SettingValue::Note { key: 128, velocity: 1 }).unwrap_err();
        assert_eq!(e.code, ErrorCode::OutOfRange);
    }
}
