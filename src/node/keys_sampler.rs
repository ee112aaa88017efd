//! Render thread: the workstation's sampler, an instrument that plays one sample across the
//! keys. At its `root` key the sample plays at its own speed; each semitone above or below is
//! 2^(1/12) faster or slower (read between frames by linear interpolation, as the buffer source
//! reads). In `gate` mode a note's release fades it (a piano or a pad); in `one-shot` mode a hit
//! plays to the sample's end whatever its length (a drum or a vocal chop). Notes come from the
//! shared sequence player (`sequence`, `transport`, `note`), the sample as a stored buffer
//! (`buffer`), so eight tracks of one sample hold one copy.

use super::envelope::{Stage, SEGMENT_TIME_CONSTANTS};
use super::sequence::{
    check_sequence, enveloped_slot, free_voice, prepare_sequence, rekey, Events, Player, Slot, Voices, PLAYED,
};
use super::{params_for, NodeType, Prepare};
use crate::graph::{
    Bound, ChannelRule, EngineConfig, EngineError, ErrorCode, NodeSpec, ParamSpec, RenderError, SampleData,
    SettingKind, SettingSpec, SettingValue,
};
use crate::render::{AudioBuf, Param, ProcessContext, Processor, Status};
use crate::MAX_CHANNELS;
use core::ops::Range;
use std::sync::Arc;

/// Notes sounding at once; another steals the quietest releasing one, else the oldest.
const VOICES: usize = 16;

const PARAMS: [ParamSpec; 4] = [
    ParamSpec::new("gain", 0.8, Bound::Value(0.0), Bound::Value(2.0)).k_rate().control(0.0, 1.0),
    ParamSpec::new("root", 60.0, Bound::Value(0.0), Bound::Value(127.0)).k_rate().control(24.0, 96.0),
    ParamSpec::new("attack", 0.002, Bound::Value(0.0), Bound::Value(10.0)).k_rate().control(0.0, 1.0),
    ParamSpec::new("release", 0.1, Bound::Value(0.0), Bound::Value(10.0)).k_rate().control(0.0, 4.0),
];
const MODES: [&str; 2] = ["gate", "one-shot"];
const MODE: u8 = 0;
const BUFFER: u8 = 1;
/// Where its [`PLAYED`] settings start.
const SEQUENCE: u8 = 2;
const SETTINGS: [SettingSpec; 5] = [
    SettingSpec::new("mode", SettingKind::Choice { choices: &MODES }),
    SettingSpec::new("buffer", SettingKind::Samples { stored: true }),
    PLAYED[0],
    PLAYED[1],
    PLAYED[2],
];

pub const SPEC: NodeSpec = NodeSpec {
    name: "sampler",
    factory: "createSampler",
    inputs: 0,
    channels: ChannelRule::FollowsInput,
    params: &PARAMS,
    settings: &SETTINGS,
    tail_seconds: f64::INFINITY,
    ..NodeSpec::EFFECT
};
pub const TYPE: NodeType = NodeType {
    spec: &SPEC,
    build: |config, _| Box::new(KeysSampler::new(config)),
    memory: super::fixed_memory,
    prepare,
};

fn prepare(setting: u8, value: SettingValue, _: &Prepare<'_>) -> Result<SettingValue, EngineError> {
    check_sequence(setting, SEQUENCE, value)
}

/// Levels below this end a released note (-80 dB).
const END: f64 = 1e-4;

/// How fast a one-shot fades when the song stops or jumps (a long sample would otherwise play
/// on after Stop, and a loop would pile its copies up).
const CUT_SECONDS: f64 = 0.02;

#[derive(Clone, Copy, Debug)]
struct Voice {
    stage: Stage,
    key: u8,
    note: u32,
    started: u64,
    song_start: u64,
    velocity: f64,
    level: f64,
    /// Read position in buffer frames, and frames per output frame.
    position: f64,
    step: f64,
    /// Fading out over [`CUT_SECONDS`] rather than its release (a one-shot the song left).
    cut: bool,
}

enveloped_slot!(Voice);

impl Voice {
    const IDLE: Voice = Voice {
        stage: Stage::Idle,
        key: 0,
        note: 0,
        started: 0,
        song_start: 0,
        velocity: 0.0,
        level: 0.0,
        position: 0.0,
        step: 1.0,
        cut: false,
    };
}

/// The knobs as one quantum reads them.
#[derive(Clone, Copy, Debug)]
struct Shape {
    gain: f64,
    root: f64,
    attack_step: f64,
    release_step: f64,
    cut_step: f64,
}

/// The sampler's notes and its sample.
#[derive(Debug)]
struct Bank {
    voices: [Voice; VOICES],
    buffer: Arc<SampleData>,
    sample_rate: f64,
    one_shot: bool,
}

impl Bank {
    fn read(&self, ch: usize, position: f64) -> f64 {
        self.buffer.read(ch, position)
    }
}

impl Voices for Bank {
    type Shape = Shape;

    fn note_on(&mut self, key: u8, velocity: u8, note: u32, now: u64, song_start: u64, shape: &Shape) {
        if self.buffer.frames() == 0 {
            return;
        }
        let index = free_voice(&self.voices);
        let rate = f64::from(self.buffer.sample_rate) / self.sample_rate;
        self.voices[index] = Voice {
            stage: Stage::Attack,
            key,
            note,
            started: now,
            song_start,
            velocity: f64::from(velocity) / 127.0,
            level: 0.0,
            position: 0.0,
            step: rate * ((f64::from(key) - shape.root) / 12.0).exp2(),
            cut: false,
        };
    }

    fn note_off(&mut self, key: u8, note: u32) {
        if self.one_shot {
            return;
        }
        for v in &mut self.voices {
            if matches!(v.stage, Stage::Attack | Stage::Sustain) && v.key == key && v.note == note {
                v.stage = Stage::Release;
            }
        }
    }

    /// The song stopped or moved: held notes release; one-shots fade quickly.
    fn release_all(&mut self) {
        let cut = self.one_shot;
        for v in self.voices.iter_mut().filter(|v| v.stage != Stage::Idle) {
            v.stage = Stage::Release;
            v.cut |= cut;
        }
    }

    fn holds(&self, note: u32) -> bool {
        !self.one_shot && self.voices.iter().any(|v| v.waiting().is_some_and(|(.., n)| n == note))
    }

    fn rekey(&mut self, events: &Events, frame: u64) {
        if !self.one_shot {
            rekey(&mut self.voices, events, frame);
        }
    }

    /// A stereo sample's right channel is read first from the voices as they stand, then the
    /// left moves them on, so both channels read the same frames.
    fn render(&mut self, out: &mut AudioBuf, span: Range<usize>, shape: &Shape) {
        if self.buffer.channels.len() > 1 {
            self.render_channel(&mut out.channel_mut(1)[span.clone()], 1, shape, false);
        }
        self.render_channel(&mut out.channel_mut(0)[span], 0, shape, true);
    }

    fn all_idle(&self) -> bool {
        self.voices.iter().all(|v| v.stage == Stage::Idle)
    }
}

impl Bank {
    /// Adds channel `ch` of every sounding voice into `out`; `advance` moves the voices on (the
    /// last channel rendered does, so every channel reads the same frames).
    fn render_channel(&mut self, out: &mut [f32], ch: usize, shape: &Shape, advance: bool) {
        let frames = self.buffer.frames() as f64;
        let ch = ch.min(self.buffer.channels.len().saturating_sub(1));
        for v in 0..self.voices.len() {
            let mut voice = self.voices[v];
            if voice.stage == Stage::Idle {
                continue;
            }
            for sample in out.iter_mut() {
                if voice.position >= frames {
                    voice = Voice::IDLE;
                    break;
                }
                match voice.stage {
                    Stage::Attack => {
                        voice.level += shape.attack_step;
                        if voice.level >= 1.0 {
                            voice.level = 1.0;
                            voice.stage = Stage::Sustain;
                        }
                    }
                    Stage::Release => {
                        voice.level *= if voice.cut { shape.cut_step } else { shape.release_step };
                        if voice.level < END {
                            voice = Voice::IDLE;
                            break;
                        }
                    }
                    Stage::Decay | Stage::Sustain | Stage::Idle => {}
                }
                *sample += (self.read(ch, voice.position) * voice.level * voice.velocity * shape.gain) as f32;
                voice.position += voice.step;
            }
            if advance {
                self.voices[v] = voice;
            }
        }
    }
}

/// A sampler playing a sequence on the song's timeline.
#[derive(Debug)]
pub struct KeysSampler {
    params: [Param; 4],
    bank: Bank,
    player: Player,
}

impl KeysSampler {
    pub fn new(config: &EngineConfig) -> Self {
        let sample_rate = f64::from(config.sample_rate);
        Self {
            params: params_for(&PARAMS, config),
            bank: Bank { voices: [Voice::IDLE; VOICES], buffer: Arc::default(), sample_rate, one_shot: false },
            player: Player::new(sample_rate),
        }
    }

    fn shape(&mut self, cx: &ProcessContext) -> Shape {
        let [gain, root, attack, release] =
            core::array::from_fn(|i| f64::from(self.params[i].render(cx.time, cx.sample_rate).at(0)));
        let sr = self.bank.sample_rate;
        Shape {
            gain,
            root,
            attack_step: 1.0 / (attack * sr).max(1.0),
            release_step: (-SEGMENT_TIME_CONSTANTS / (release * sr).max(1.0)).exp(),
            cut_step: (-SEGMENT_TIME_CONSTANTS / (CUT_SECONDS * sr)).exp(),
        }
    }
}

impl Processor for KeysSampler {
    fn reset(&mut self) {
        self.bank.voices = [Voice::IDLE; VOICES];
    }

    fn process(&mut self, _inputs: &[&AudioBuf], outputs: &mut [AudioBuf], cx: &ProcessContext) -> Status {
        let shape = self.shape(cx);
        let channels = self.bank.buffer.channels.len().clamp(1, MAX_CHANNELS);
        self.player.process(&mut self.bank, &shape, &mut outputs[0], cx.frame, channels);
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
        if let Some(done) = self.player.configure(setting, SEQUENCE, value, &mut self.bank) {
            return done;
        }
        match (setting, value) {
            (MODE, &mut SettingValue::Choice(i)) => {
                // Notes started in the other mode fade out: their bookkeeping is that mode's.
                if self.bank.one_shot != (i == 1) {
                    for v in self.bank.voices.iter_mut().filter(|v| v.stage != Stage::Idle) {
                        (v.stage, v.cut) = (Stage::Release, true);
                    }
                }
                self.bank.one_shot = i == 1;
            }
            (BUFFER, SettingValue::Buffer(buffer)) => {
                // Notes playing the old sample stop; the old buffer goes back into the command,
                // to be dropped off the render path.
                self.bank.voices = [Voice::IDLE; VOICES];
                core::mem::swap(&mut self.bank.buffer, buffer);
            }
            _ => return Err(RenderError::new(ErrorCode::BadSetting, "a sampler does not take that setting")),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::graph::{NodeId, SequencedNote, SettingValue};
    use crate::offline::OfflineRenderer;

    const SR: f32 = 48_000.0;

    /// A sampler with `channels` of the sample at `rate`, playing `notes` (start, length, key)
    /// from the song's start.
    fn sampler(
        channels: Vec<Vec<f32>>,
        rate: f32,
        notes: &[(u64, u64, u8)],
        knobs: &[(&str, f32)],
    ) -> (OfflineRenderer, NodeId) {
        let mut g = OfflineRenderer::new(SR);
        let s = g.add("sampler").unwrap();
        for (name, value) in knobs {
            g.set(s, name, *value).unwrap();
        }
        g.configure(s, "buffer", SettingValue::Samples { sample_rate: rate, channels }).unwrap();
        let sequence =
            notes.iter().map(|&(start, length, key)| SequencedNote { start, length, key, velocity: 127 }).collect();
        g.configure(s, "sequence", SettingValue::Sequence(sequence)).unwrap();
        let transport = SettingValue::Transport { at: 0, playing: true, position: 0, loop_start: 0, loop_end: 0 };
        g.configure(s, "transport", transport).unwrap();
        g.connect(s, g.destination()).unwrap();
        (g, s)
    }

    /// A sample no two frames of which are alike.
    fn wiggle(frames: usize, seed: f32) -> Vec<f32> {
        (0..frames).map(|i| ((i as f32 * 0.37 + seed).sin() * 0.5 + 0.3 * (i as f32 * 0.011).cos()) * 0.9).collect()
    }

    #[test]
    fn the_root_key_plays_the_sample_from_the_notes_frame_at_its_own_speed() {
        let sample = wiggle(1000, 0.0);
        let (mut g, _) = sampler(vec![sample.clone()], SR, &[(500, 3000, 60)], &[("attack", 0.0), ("gain", 1.0)]);
        let out = g.render_frames(4000).remove(0);
        assert!(out[..500].iter().all(|v| *v == 0.0), "silent before the note");
        for (i, v) in sample.iter().enumerate() {
            assert_eq!(out[500 + i], *v, "frame {i} of the sample");
        }
        assert!(out[1500..].iter().all(|v| *v == 0.0), "silent after the sample's end");
    }

    #[test]
    fn a_semitone_is_a_twelfth_of_an_octave_and_the_samples_own_rate_counts() {
        let sample = wiggle(2000, 1.0);
        let up = sampler(vec![sample.clone()], SR, &[(0, 3000, 72)], &[("attack", 0.0), ("gain", 1.0)])
            .0
            .render_frames(1200);
        for i in 0..900 {
            assert!((up[0][i] - sample[2 * i]).abs() < 1e-6, "an octave up reads every other frame ({i})");
        }
        let (mut g, _) =
            sampler(vec![sample.clone()], SR, &[(0, 3000, 67)], &[("attack", 0.0), ("gain", 1.0), ("root", 60.0)]);
        let fifth = g.render_frames(1200).remove(0);
        let step = (7.0f64 / 12.0).exp2();
        for i in [10usize, 333, 1000] {
            let at = i as f64 * step;
            let (k, share) = (at as usize, at.fract());
            let expected = (1.0 - share) * f64::from(sample[k]) + share * f64::from(sample[k + 1]);
            assert!((f64::from(fifth[i]) - expected).abs() < 1e-6, "a fifth up at frame {i}");
        }
        // A sample recorded at 24 kHz plays at half a frame per frame of a 48 kHz engine.
        let slow = sampler(vec![sample.clone()], 24_000.0, &[(0, 3000, 60)], &[("attack", 0.0), ("gain", 1.0)])
            .0
            .render_frames(1200);
        for i in 0..500 {
            assert_eq!(slow[0][2 * i], sample[i], "the 24 kHz sample at frame {i}");
        }
    }

    #[test]
    fn gate_mode_fades_at_the_release_and_one_shot_plays_to_the_end() {
        let tone: Vec<f32> = (0..48_000).map(|i| (i as f32 * 0.05).sin() * 0.5).collect();
        let notes = [(0, 4800, 60)];
        let knobs = [("release", 0.05)];
        let gate = sampler(vec![tone.clone()], SR, &notes, &knobs).0.render_frames(30_000).remove(0);
        let peak = |s: &[f32]| s.iter().fold(0f32, |m, v| m.max(v.abs()));
        assert!(peak(&gate[4000..4800]) > 0.3, "held until the note ends");
        assert!(peak(&gate[4800 + 3600..]) == 0.0, "released to silence 75 ms after it");
        let (mut g, s) = sampler(vec![tone], SR, &notes, &knobs);
        g.choose(s, "mode", "one-shot").unwrap();
        let shot = g.render_frames(30_000).remove(0);
        assert!(peak(&shot[25_000..30_000]) > 0.3, "a one-shot plays on past its note");
    }

    #[test]
    fn a_one_shot_fades_when_the_song_stops_and_a_mode_change_fades_what_sounds() {
        let tone: Vec<f32> = (0..96_000).map(|i| (i as f32 * 0.05).sin() * 0.5).collect();
        let peak = |s: &[f32]| s.iter().fold(0f32, |m, v| m.max(v.abs()));
        let (mut g, s) = sampler(vec![tone.clone()], SR, &[(0, 100, 60)], &[]);
        g.choose(s, "mode", "one-shot").unwrap();
        let before = g.render_frames(9600).remove(0);
        assert!(peak(&before[9000..]) > 0.3, "a one-shot plays past its note");
        let stop = SettingValue::Transport { at: 9600, playing: false, position: 0, loop_start: 0, loop_end: 0 };
        g.configure(s, "transport", stop).unwrap();
        let after = g.render_frames(4800).remove(0);
        assert!(peak(&after[..128]) > 0.1, "it fades rather than cuts");
        assert_eq!(peak(&after[1600..]), 0.0, "and is gone within 35 ms of the stop");
        assert!(g.engine().output().is_silent(), "then the sampler costs nothing");

        let (mut g, s) = sampler(vec![tone], SR, &[(0, 60_000, 60)], &[]);
        let held = g.render_frames(4800).remove(0);
        assert!(peak(&held[4000..]) > 0.3);
        g.choose(s, "mode", "one-shot").unwrap();
        assert_eq!(peak(&g.render_frames(4800).remove(0)[1600..]), 0.0, "a mode change fades the held note");
    }

    #[test]
    fn a_stereo_sample_plays_in_stereo_and_no_sample_is_silence() {
        let (left, right) = (wiggle(800, 0.0), wiggle(800, 2.0));
        let (mut g, _) =
            sampler(vec![left.clone(), right.clone()], SR, &[(100, 2000, 60)], &[("attack", 0.0), ("gain", 1.0)]);
        let out = g.render_frames(1200);
        for i in 0..800 {
            assert_eq!((out[0][100 + i], out[1][100 + i]), (left[i], right[i]), "frame {i}");
        }
        let mut g = OfflineRenderer::new(SR);
        let s = g.add("sampler").unwrap();
        g.configure(s, "note", SettingValue::Note { key: 60, velocity: 100 }).unwrap();
        g.connect(s, g.destination()).unwrap();
        assert!(g.render_frames(1000).iter().flatten().all(|v| *v == 0.0));
        assert_eq!(g.engine().error_count(), 0);
    }
}
