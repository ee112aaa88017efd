//! Render thread: an audio clip on the song timeline — a stretch of a sample (from `offset`
//! sample frames in) sounding from song frame `start` for `length` song frames while the
//! transport plays it. What it outputs is a function of the song frame alone, so a seek, a loop
//! jump or a clip moved while playing lands exactly. A sample at another rate is resampled as
//! it plays (4-point Hermite interpolation); clip edges get a 32-frame fade so a cut never
//! clicks. The clip's own `gain` scales it, and its fades (straight lines in amplitude) rise
//! over `fadeIn` frames from song frame `fadeInStart` and fall over `fadeOut` frames to song
//! frame `fadeOutEnd`: given as song frames, so every repeat of a looped clip, each a node of
//! its own, shares the one clip's fades.

use super::{params_for, NodeType, Transport};
use crate::graph::{
    ChannelRule, EngineConfig, ErrorCode, NodeSpec, RenderError, SampleData, SettingKind, SettingSpec, SettingValue,
};
use crate::render::{AudioBuf, Param, ProcessContext, Processor, Status};
use crate::{MAX_CHANNELS, QUANTUM};
use std::sync::Arc;

const BUFFER: u8 = 0;
const START: u8 = 1;
const LENGTH: u8 = 2;
const OFFSET: u8 = 3;
const TRANSPORT: u8 = 4;
const GAIN: u8 = 5;
const FADE_IN_START: u8 = 6;
const FADE_IN: u8 = 7;
const FADE_OUT_END: u8 = 8;
const FADE_OUT: u8 = 9;
const SETTINGS: [SettingSpec; 10] = [
    SettingSpec::new("buffer", SettingKind::Samples { stored: true }),
    SettingSpec::new("start", SettingKind::Number { min: 0.0, max: 9.0e15 }).with_default(0.0),
    SettingSpec::new("length", SettingKind::Number { min: 0.0, max: 9.0e15 }).with_default(0.0),
    SettingSpec::new("offset", SettingKind::Number { min: 0.0, max: 9.0e15 }).with_default(0.0),
    SettingSpec::new("transport", SettingKind::Transport),
    SettingSpec::new("gain", SettingKind::Number { min: 0.0, max: 64.0 }).with_default(1.0),
    SettingSpec::new("fadeInStart", SettingKind::Number { min: 0.0, max: 9.0e15 }).with_default(0.0),
    SettingSpec::new("fadeIn", SettingKind::Number { min: 0.0, max: 9.0e15 }).with_default(0.0),
    SettingSpec::new("fadeOutEnd", SettingKind::Number { min: 0.0, max: 9.0e15 }).with_default(0.0),
    SettingSpec::new("fadeOut", SettingKind::Number { min: 0.0, max: 9.0e15 }).with_default(0.0),
];
/// Frames of fade at each edge of a clip.
const EDGE_FADE: u64 = 32;
const _: () = assert!(EDGE_FADE <= QUANTUM as u64, "an offset change crossfades within one quantum");

pub const SPEC: NodeSpec = NodeSpec {
    name: "audio-clip",
    factory: "createAudioClip",
    inputs: 0,
    channels: ChannelRule::FollowsInput,
    params: &[],
    settings: &SETTINGS,
    tail_seconds: f64::INFINITY,
    ..NodeSpec::EFFECT
};
pub const TYPE: NodeType = NodeType {
    spec: &SPEC,
    build: |config, _| Box::new(AudioClip::new(config)),
    memory: super::fixed_memory,
    prepare: super::as_given,
};

#[derive(Debug)]
pub struct AudioClip {
    params: [Param; 0],
    sample_rate: f64,
    buffer: Arc<SampleData>,
    buffer_rate: f64,
    start: u64,
    length: u64,
    offset: f64,
    transport: Transport,
    pending: Option<Transport>,
    /// A stop heard while the song played: the context frame it came at and the transport it
    /// ended, so the clip fades over its last [`EDGE_FADE`] frames instead of cutting.
    stopped: Option<(u64, Transport)>,
    /// The offset played before a change that came while the song played (another take
    /// chosen): the next quantum crossfades from it over its first [`EDGE_FADE`] frames.
    offset_before: Option<f64>,
    gain: f32,
    /// The clip's fades in song frames: the fade-in's start and length, the fade-out's end and
    /// length (a length of 0: no fade).
    fade_in_start: u64,
    fade_in: u64,
    fade_out_end: u64,
    fade_out: u64,
}

impl AudioClip {
    pub fn new(config: &EngineConfig) -> Self {
        Self {
            params: params_for(&[], config),
            sample_rate: f64::from(config.sample_rate),
            buffer: Arc::default(),
            buffer_rate: f64::from(config.sample_rate),
            start: 0,
            length: 0,
            offset: 0.0,
            transport: Transport::default(),
            pending: None,
            stopped: None,
            offset_before: None,
            gain: 1.0,
            fade_in_start: 0,
            fade_in: 0,
            fade_out_end: 0,
            fade_out: 0,
        }
    }

    /// The clip's gain times its fades at song frame `song`.
    #[inline]
    fn envelope(&self, song: u64) -> f32 {
        let mut level = self.gain;
        if self.fade_in > 0 && song < self.fade_in_start + self.fade_in {
            level *= (song.saturating_sub(self.fade_in_start) as f64 / self.fade_in as f64) as f32;
        }
        if self.fade_out > 0 && song + self.fade_out > self.fade_out_end {
            level *= (self.fade_out_end.saturating_sub(song) as f64 / self.fade_out as f64) as f32;
        }
        level
    }

    /// Song frames `[from, to)` over which neither fade moves the level (it is the gain).
    fn level_span(&self) -> (u64, u64) {
        let from = if self.fade_in > 0 { self.fade_in_start + self.fade_in } else { 0 };
        let to = if self.fade_out > 0 { (self.fade_out_end + 1).saturating_sub(self.fade_out) } else { u64::MAX };
        (from, to)
    }

    /// The clip's sound at song frame `song` on channel `ch` (0 outside the clip or the sample),
    /// faded over its first and last [`EDGE_FADE`] frames, and in over `fade_in` frames.
    #[inline]
    fn sample_at(&self, ch: usize, song: u64, fade_in: u64, offset: f64) -> f32 {
        if song < self.start || song >= self.start + self.length {
            return 0.0;
        }
        let into = song - self.start;
        let left = self.start + self.length - song;
        let fade = into.min(left).min(fade_in).min(EDGE_FADE) as f32 / EDGE_FADE as f32;
        let position = offset + into as f64 * (self.buffer_rate / self.sample_rate);
        hermite(&self.buffer.channels[ch], position) * fade * self.envelope(song)
    }

    /// The clip's sound at song frame `song` (context frame `frame`) through the loop: over the
    /// [`EDGE_FADE`] frames after a jump back to the loop's start, what plays crossfades from
    /// the sound that would have gone on past the loop's end into the sound at its start (each
    /// side silent where the clip is not), so a jump through a clip does not click. A first
    /// pass into the loop plays straight on.
    #[inline]
    fn looped_sample(&self, t: &Transport, ch: usize, frame: u64, song: u64, offset: f64) -> f32 {
        let (a, b) = (t.loop_start, t.loop_end);
        let jumped = b > a && t.position < b && t.position + frame.saturating_sub(t.at) >= b;
        if !jumped || song >= a + EDGE_FADE {
            return self.sample_at(ch, song, EDGE_FADE, offset);
        }
        let since = song - a;
        let tail = (EDGE_FADE - since) as f32 / EDGE_FADE as f32;
        self.sample_at(ch, song, since, offset) + self.sample_at(ch, b + since, EDGE_FADE, offset) * tail
    }
}

/// How a quantum of a clip is rendered, decided once before any of its frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Quantum {
    /// Silent throughout: the song is stopped or its frames miss the clip. Most clips of a song
    /// are silent most of the time.
    Quiet,
    /// Plain playing from this song frame on, one frame after another: each frame is
    /// `sample_at` of its song frame, without the per-frame checks (the common case).
    Steady(u64),
    /// A transport change, a stop fade, an offset crossfade, a loop jump or the crossfade after
    /// one: frame by frame.
    General,
}

impl AudioClip {
    /// What the quantum from context frame `frame` is (`offset_changed`: the offset moved
    /// since the last quantum, so it crossfades).
    fn classify(&self, frame: u64, offset_changed: bool) -> Quantum {
        let quantum = QUANTUM as u64;
        let last = frame + quantum - 1;
        if self.stopped.is_some() || self.pending.is_some_and(|p| p.at <= last) {
            return Quantum::General;
        }
        let t = self.transport;
        if !t.playing || last < t.at {
            return Quantum::Quiet;
        }
        if frame < t.at {
            return Quantum::General;
        }
        let first = t.song_frame(frame);
        // A wrap inside the quantum would bring the last frame back below `first + 127`.
        if t.song_frame(last) != first + quantum - 1 {
            return Quantum::General;
        }
        // Just after a jump back, the sound from past the loop's end still crossfades out.
        let (a, b) = (t.loop_start, t.loop_end);
        let looping = b > a;
        let after_jump = looping && (a..a + EDGE_FADE).contains(&first);
        if !after_jump && (first + quantum <= self.start || first >= self.start + self.length) {
            return Quantum::Quiet;
        }
        // Steady frames are clear of that crossfade: before the loop's start no jump has
        // happened yet, and from EDGE_FADE past it none fades.
        let clear_of_jump = !looping || first + quantum <= a || first >= a + EDGE_FADE;
        if clear_of_jump && !offset_changed {
            Quantum::Steady(first)
        } else {
            Quantum::General
        }
    }
}

impl AudioClip {
    /// Frames `frames` of a [`Quantum::Steady`] quantum from song frame `first`, on channel
    /// `ch`. Where the sample plays at the engine's rate from a whole frame, unfaded frames are
    /// the sample's own times the clip's gain: those are copied so, with the bits `sample_at`
    /// gives (a read at a whole position times a fade of 1 times the gain), and only the edges
    /// and the clip's fades go frame by frame.
    fn steady(&self, ch: usize, first: u64, frames: core::ops::Range<usize>, out: &mut [f32; QUANTUM]) {
        let whole = self.buffer_rate == self.sample_rate && self.offset >= 0.0 && self.offset.fract() == 0.0;
        let end = self.start + self.length;
        let (level_from, level_to) = self.level_span();
        // Unfaded: EDGE_FADE or more frames from either end of the clip, and clear of its fades.
        let unfaded = if whole && self.length >= 2 * EDGE_FADE {
            let lo = (self.start + EDGE_FADE).max(level_from).saturating_sub(first).min(QUANTUM as u64) as usize;
            let hi = (end - EDGE_FADE + 1).min(level_to).saturating_sub(first).min(QUANTUM as u64) as usize;
            let lo = lo.max(frames.start);
            lo..hi.min(frames.end).max(lo)
        } else {
            frames.start..frames.start
        };
        for i in frames.start..unfaded.start {
            out[i] = self.sample_at(ch, first + i as u64, EDGE_FADE, self.offset);
        }
        let data = &self.buffer.channels[ch];
        // Past the sample's end stays silent, as `sample_at` reads it.
        let from = self.offset as u64 + (first + unfaded.start as u64 - self.start);
        if let Some(rest) = usize::try_from(from).ok().and_then(|from| data.get(from..)) {
            let copied = rest.len().min(unfaded.len());
            let into = &mut out[unfaded.start..unfaded.start + copied];
            if self.gain == 1.0 {
                into.copy_from_slice(&rest[..copied]);
            } else {
                for (o, v) in into.iter_mut().zip(&rest[..copied]) {
                    *o = v * self.gain;
                }
            }
        }
        for i in unfaded.end..frames.end {
            out[i] = self.sample_at(ch, first + i as u64, EDGE_FADE, self.offset);
        }
    }
}

/// `data` read at fractional `position` through the 4-point, 3rd-order Hermite curve; exact
/// at whole positions, 0 past either end.
#[inline]
fn hermite(data: &[f32], position: f64) -> f32 {
    // A cast truncates, which is the floor for the non-negative positions read here, and costs
    // far less than `floor` where that is a library call (x86-64 without SSE4.1).
    if !(position >= 0.0) || position as usize >= data.len() {
        return 0.0;
    }
    let i = position as usize;
    let t = (position - i as f64) as f32;
    let y1 = data[i];
    if t == 0.0 {
        return y1;
    }
    let at = |j: isize| {
        let j = i as isize + j;
        if j < 0 {
            0.0
        } else {
            data.get(j as usize).copied().unwrap_or(0.0)
        }
    };
    let (y0, y2, y3) = (at(-1), at(1), at(2));
    let c1 = 0.5 * (y2 - y0);
    let c2 = y0 - 2.5 * y1 + 2.0 * y2 - 0.5 * y3;
    let c3 = 0.5 * (y3 - y0) + 1.5 * (y1 - y2);
    ((c3 * t + c2) * t + c1) * t + y1
}

impl Processor for AudioClip {
    fn process(&mut self, _inputs: &[&AudioBuf], outputs: &mut [AudioBuf], cx: &ProcessContext) -> Status {
        let channels = self.buffer.channels.len().min(MAX_CHANNELS);
        let output = &mut outputs[0];
        let offset_before = self.offset_before.take();
        if channels == 0 {
            output.set_silent(1);
            return Status::Normal;
        }
        let kind = self.classify(cx.frame, offset_before.is_some());
        if kind == Quantum::Quiet {
            output.set_silent(channels);
            return Status::Normal;
        }
        for ch in 0..channels {
            output.channel_mut(ch).fill(0.0);
        }
        if let Quantum::Steady(first) = kind {
            let end = self.start + self.length;
            let from = self.start.saturating_sub(first).min(QUANTUM as u64) as usize;
            let to = end.saturating_sub(first).min(QUANTUM as u64) as usize;
            for ch in 0..channels {
                self.steady(ch, first, from..to, output.channel_mut(ch));
            }
            if from < to {
                output.set_audible(channels);
            } else {
                output.set_silent(channels);
            }
            return Status::Normal;
        }
        let mut sounded = false;
        for i in 0..QUANTUM {
            let frame = cx.frame + i as u64;
            if let Some(t) = self.pending.filter(|t| frame >= t.at) {
                let was = self.transport;
                if was.playing && frame >= was.at && !t.playing {
                    self.stopped = Some((frame, was));
                }
                self.transport = t;
                self.pending = None;
            }
            let t = self.transport;
            if !t.playing || frame < t.at {
                if let Some((at, was)) = self.stopped {
                    let since = frame - at;
                    if since >= EDGE_FADE {
                        self.stopped = None;
                        continue;
                    }
                    let song = was.song_frame(frame);
                    let fade = (EDGE_FADE - since) as f32 / EDGE_FADE as f32;
                    for ch in 0..channels {
                        output.channel_mut(ch)[i] = self.looped_sample(&was, ch, frame, song, self.offset) * fade;
                    }
                    sounded = true;
                }
                continue;
            }
            let song = t.song_frame(frame);
            let after_jump = t.loop_end > t.loop_start && song < t.loop_start + EDGE_FADE;
            if !after_jump && (song < self.start || song >= self.start + self.length) {
                continue;
            }
            for ch in 0..channels {
                let now = self.looped_sample(&t, ch, frame, song, self.offset);
                output.channel_mut(ch)[i] = match offset_before {
                    Some(before) if (i as u64) < EDGE_FADE => {
                        let share = i as f32 / EDGE_FADE as f32;
                        now * share + self.looped_sample(&t, ch, frame, song, before) * (1.0 - share)
                    }
                    _ => now,
                };
            }
            sounded = true;
        }
        if sounded {
            output.set_audible(channels);
        } else {
            output.set_silent(channels);
        }
        Status::Normal
    }

    fn params(&mut self) -> &mut [Param] {
        &mut self.params
    }

    fn configure(&mut self, setting: u8, value: &mut SettingValue) -> Result<(), RenderError> {
        match (setting, &mut *value) {
            (BUFFER, SettingValue::Buffer(buffer)) => {
                // The old sample goes back into the command, to be dropped off the render path.
                core::mem::swap(&mut self.buffer, buffer);
                self.buffer_rate = f64::from(self.buffer.sample_rate);
            }
            (START, &mut SettingValue::Number(v)) => self.start = v as u64,
            (LENGTH, &mut SettingValue::Number(v)) => self.length = v as u64,
            (OFFSET, &mut SettingValue::Number(v)) => {
                if self.transport.playing && v != self.offset && self.offset_before.is_none() {
                    self.offset_before = Some(self.offset);
                }
                self.offset = v;
            }
            (TRANSPORT, &mut SettingValue::Transport { at, playing, position, loop_start, loop_end }) => {
                self.pending = Some(Transport { at, playing, position, loop_start, loop_end });
            }
            (GAIN, &mut SettingValue::Number(v)) => self.gain = v as f32,
            (FADE_IN_START, &mut SettingValue::Number(v)) => self.fade_in_start = v as u64,
            (FADE_IN, &mut SettingValue::Number(v)) => self.fade_in = v as u64,
            (FADE_OUT_END, &mut SettingValue::Number(v)) => self.fade_out_end = v as u64,
            (FADE_OUT, &mut SettingValue::Number(v)) => self.fade_out = v as u64,
            _ => return Err(RenderError::new(ErrorCode::BadSetting, "an audio clip does not take that setting")),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{hermite, EDGE_FADE};
    use crate::graph::{NodeId, SettingValue};
    use crate::offline::OfflineRenderer;

    const SR: f32 = 48_000.0;

    fn clip(g: &mut OfflineRenderer, data: Vec<f32>, rate: f32, start: u64, length: u64, offset: f64) -> NodeId {
        let c = g.add("audio-clip").unwrap();
        g.configure(c, "buffer", SettingValue::Samples { sample_rate: rate, channels: vec![data] }).unwrap();
        g.configure(c, "start", SettingValue::Number(start as f64)).unwrap();
        g.configure(c, "length", SettingValue::Number(length as f64)).unwrap();
        g.configure(c, "offset", SettingValue::Number(offset)).unwrap();
        g.connect(c, g.destination()).unwrap();
        c
    }

    fn play(g: &mut OfflineRenderer, c: NodeId, at: u64, position: u64, loop_start: u64, loop_end: u64) {
        let t = SettingValue::Transport { at, playing: true, position, loop_start, loop_end };
        g.configure(c, "transport", t).unwrap();
    }

    fn ramp(len: usize) -> Vec<f32> {
        (0..len).map(|i| (i + 1) as f32 / len as f32).collect()
    }

    #[test]
    fn steady_quanta_copy_exactly_what_frame_by_frame_reads_give() {
        // Edges mid-quantum, clips shorter than two fades, samples ending inside the clip or
        // before it, offsets past the sample, another rate and a fractional offset (no copy).
        let data: Vec<f32> = (0..700).map(|i| ((i * 37 % 101) as f32 - 50.0) / 64.0).collect();
        let cases: [(u64, u64, f64, f32); 10] = [
            (0, 1000, 0.0, SR),
            (300, 400, 100.0, SR),
            (129, 63, 5.0, SR),
            (17, 64, 0.0, SR),
            (90, 900, 250.0, SR),
            (90, 900, 699.0, SR),
            (10, 500, 5000.0, SR),
            (200, 300, 2.0, 44_100.0),
            (200, 300, 2.5, SR),
            (1, 2000, 0.0, SR),
        ];
        for (start, length, offset, rate) in cases {
            let mut g = OfflineRenderer::new(SR);
            let c = clip(&mut g, data.clone(), rate, start, length, offset);
            play(&mut g, c, 0, 0, 0, 0);
            let out = g.render_frames(2304).remove(0);
            let mut reference = super::AudioClip::new(&crate::graph::EngineConfig::new(SR));
            reference.buffer =
                std::sync::Arc::new(crate::graph::SampleData { sample_rate: rate, channels: vec![data.clone()] });
            (reference.buffer_rate, reference.start, reference.length, reference.offset) =
                (f64::from(rate), start, length, offset);
            for (frame, &heard) in out.iter().enumerate() {
                let expected = reference.sample_at(0, frame as u64, EDGE_FADE, offset);
                assert_eq!(
                    heard.to_bits(),
                    expected.to_bits(),
                    "clip at {start} for {length} from {offset} at {rate} Hz: frame {frame}"
                );
            }
        }
    }

    #[test]
    fn a_clips_gain_and_fades_shape_it_by_the_formula_and_steady_quanta_keep_the_bits() {
        // A clip at song frame 300 for 1500 frames: −6 dB, fading in over its first 200 frames
        // and out over its last 333; the sample at the engine's rate from a whole frame, so the
        // quanta between the fades are copied (times the gain) rather than read frame by frame.
        let data: Vec<f32> = (0..3000).map(|i| ((i * 37 % 101) as f32 - 50.0) / 64.0).collect();
        let (start, length, offset) = (300u64, 1500u64, 40.0);
        let gain = 10f32.powf(-6.0 / 20.0);
        let mut g = OfflineRenderer::new(SR);
        let c = clip(&mut g, data.clone(), SR, start, length, offset);
        for (name, value) in [
            ("gain", f64::from(gain)),
            ("fadeInStart", start as f64),
            ("fadeIn", 200.0),
            ("fadeOutEnd", (start + length) as f64),
            ("fadeOut", 333.0),
        ] {
            g.configure(c, name, SettingValue::Number(value)).unwrap();
        }
        play(&mut g, c, 0, 0, 0, 0);
        let out = g.render_frames(2304).remove(0);
        for (frame, &heard) in out.iter().enumerate() {
            let song = frame as u64;
            let wanted = if (start..start + length).contains(&song) {
                let into = (song - start) as f64;
                let rise = (into / 200.0).min(1.0);
                let fall = (((start + length) - song) as f64 / 333.0).min(1.0);
                let edge = (into.min(((start + length) - song) as f64) / EDGE_FADE as f64).min(1.0);
                f64::from(data[(offset + into) as usize]) * f64::from(gain) * rise * fall * edge
            } else {
                0.0
            };
            assert!((f64::from(heard) - wanted).abs() < 1e-6, "frame {frame}: {heard} against {wanted}");
        }
        assert!(
            (f64::from(out[1000]) - f64::from(data[740]) * f64::from(gain)).abs() < 1e-7,
            "between the fades: the gain"
        );
        // Frame by frame, the same bits as the steady quanta's copies.
        let mut reference = super::AudioClip::new(&crate::graph::EngineConfig::new(SR));
        reference.buffer = std::sync::Arc::new(crate::graph::SampleData { sample_rate: SR, channels: vec![data] });
        (reference.start, reference.length, reference.offset, reference.gain) = (start, length, offset, gain);
        (reference.fade_in_start, reference.fade_in, reference.fade_out_end, reference.fade_out) =
            (start, 200, start + length, 333);
        for (frame, &heard) in out.iter().enumerate() {
            let expected = reference.sample_at(0, frame as u64, EDGE_FADE, offset);
            assert_eq!(heard.to_bits(), expected.to_bits(), "frame {frame}");
        }
    }

    #[test]
    fn a_clip_sounds_its_stretch_of_the_sample_at_its_place_on_the_song() {
        let mut g = OfflineRenderer::new(SR);
        let c = clip(&mut g, ramp(1000), SR, 300, 400, 100.0);
        play(&mut g, c, 50, 0, 0, 0);
        let out = g.render_frames(1024).remove(0);
        // Song frame 300 sounds at context frame 350; the sample from frame 100 on.
        assert!(out[..350].iter().all(|&v| v == 0.0));
        assert!(out[750..].iter().all(|&v| v == 0.0), "400 frames long");
        for i in 32..368 {
            assert_eq!(out[350 + i], ramp(1000)[100 + i], "frame {i} of the clip is the sample's, bit for bit");
        }
        assert!(out[350] == 0.0 && out[351] > 0.0 && out[351] < out[382], "faded in");
        assert!(out[749] > 0.0 && out[749] < out[700], "faded out");
    }

    #[test]
    fn a_late_transport_catches_up_and_a_loop_jumps_back_crossfaded() {
        let mut g = OfflineRenderer::new(SR);
        let data: Vec<f32> = (0..4000).map(|i| ((i % 97) as f32 + 1.0) / 100.0).collect();
        let c = clip(&mut g, data.clone(), SR, 0, 4000, 0.0);
        // The transport says song frame 1000 played at context frame 200, but it arrives at the
        // quantum starting at 256: the clip joins the song where it is by then.
        g.render_frames(256);
        play(&mut g, c, 200, 1000, 1000, 1600);
        let out = g.render_frames(1024).remove(0);
        // Context frame 256 + i is song frame 1000 + 56 + i, wrapping at 1600 back to 1000:
        // the sample exactly, but over the 32 frames after each jump, where the clip (which
        // goes on past the loop both ways) crossfades from what follows frame 1599 into 1000 on.
        for (i, &heard) in out.iter().enumerate() {
            let song = 1000 + (56 + i) % 600;
            let passes = (56 + i) / 600;
            let expected = if song < 1032 && passes > 0 {
                let since = song - 1000;
                data[song] * (since as f32 / 32.0) + data[1600 + since] * ((32 - since) as f32 / 32.0)
            } else {
                data[song]
            };
            assert_eq!(heard, expected, "context frame {}, song frame {song}", 256 + i);
        }
    }

    #[test]
    fn a_loop_jump_through_a_clip_does_not_click_and_a_first_pass_plays_straight_on() {
        // A rising ramp: at the jump from song frame 3000 back to 1000 the sample drops by a
        // third of its height, a click unless the clip crossfades.
        let mut g = OfflineRenderer::new(SR);
        let data = ramp(6000);
        let c = clip(&mut g, data.clone(), SR, 0, 6000, 0.0);
        play(&mut g, c, 0, 0, 1000, 3000);
        let out = g.render_frames(7000).remove(0);
        let largest_step = out.windows(2).skip(40).map(|w| (w[1] - w[0]).abs()).fold(0.0, f32::max);
        assert!(largest_step < 0.35 / 32.0 + 1e-3, "a step of {largest_step} at a loop jump");
        // Into the loop the first time (song frames 1000 on, straight from 999) nothing fades,
        // nor on the way to the jump.
        assert_eq!(&out[990..1040], &data[990..1040]);
        assert_eq!(&out[2900..3000], &data[2900..3000]);
        // After a jump, song frame 1000 + k crossfades in over 32 frames from 3000 + k.
        assert_eq!(out[3000], data[3000]);
        assert_eq!(out[3016], data[1016] * 0.5 + data[3016] * 0.5);
        assert_eq!(&out[3032..3100], &data[1032..1100]);
    }

    #[test]
    fn the_sound_past_the_loop_end_crossfades_out_even_where_the_clip_starts_later_in_the_loop() {
        // A two-quantum loop from song frame 1000; the clip starts at 1200, inside it, and goes
        // on past its end. The jump lands on a quantum boundary, where the clip's own frames
        // are silent for the whole next quantum: only the sound from past the loop's end is
        // there, crossfading out.
        let mut g = OfflineRenderer::new(SR);
        let c = clip(&mut g, vec![0.5; 4000], SR, 1200, 2000, 0.0);
        play(&mut g, c, 0, 1000, 1000, 1256);
        let out = g.render_frames(512).remove(0);
        assert_eq!(out[255], 0.5, "song frame 1255, full level");
        for since in 0..32usize {
            assert_eq!(out[256 + since], 0.5 * ((32 - since) as f32 / 32.0), "{since} frames after the jump");
        }
        assert!(out[288..456].iter().all(|&v| v == 0.0), "then silent until the clip starts again");
        assert!(out[457] > 0.0);
    }

    #[test]
    fn a_sample_at_another_rate_plays_at_its_own_speed() {
        // A 1 kHz sine recorded at 24 kHz still sounds at 1 kHz in a 48 kHz engine.
        let mut g = OfflineRenderer::new(SR);
        let sine: Vec<f32> =
            (0..24_000).map(|i| (core::f32::consts::TAU * 1000.0 * i as f32 / 24_000.0).sin()).collect();
        let c = clip(&mut g, sine, 24_000.0, 0, 48_000, 0.0);
        play(&mut g, c, 0, 0, 0, 0);
        let out = g.render_frames(48_000).remove(0);
        let mut worst = 0.0f32;
        for (i, v) in out.iter().enumerate().skip(64).take(40_000) {
            let expected = (core::f32::consts::TAU * 1000.0 * i as f32 / SR).sin();
            worst = worst.max((v - expected).abs());
        }
        assert!(worst < 2e-3, "the resampled sine is off by up to {worst}");
    }

    #[test]
    fn a_stop_mid_clip_fades_out_instead_of_cutting() {
        let mut g = OfflineRenderer::new(SR);
        let c = clip(&mut g, vec![0.5; 4000], SR, 0, 4000, 0.0);
        play(&mut g, c, 0, 0, 0, 0);
        g.render_frames(256);
        let stop = SettingValue::Transport { at: 300, playing: false, position: 0, loop_start: 0, loop_end: 0 };
        g.configure(c, "transport", stop).unwrap();
        let out = g.render_frames(256).remove(0);
        // Context frame 256 + i: full level until the stop at 300, then 32 frames down to silence.
        assert!(out[..44].iter().all(|&v| v == 0.5));
        for (since, v) in out[44..44 + 32].iter().enumerate() {
            assert_eq!(*v, 0.5 * (32 - since) as f32 / 32.0, "{since} frames after the stop");
        }
        assert!(out[76..].iter().all(|&v| v == 0.0), "silent once faded");
        assert!(g.render_frames(256).remove(0).iter().all(|&v| v == 0.0));
    }

    #[test]
    fn another_offset_while_playing_crossfades_instead_of_jumping() {
        // A 1 kHz sine: 24 frames further in it is upside down, a jump of twice its height
        // unless the change crossfades.
        let data: Vec<f32> = (0..48_000).map(|i| (core::f32::consts::TAU * 1000.0 * i as f32 / SR).sin()).collect();
        let mut g = OfflineRenderer::new(SR);
        let c = clip(&mut g, data.clone(), SR, 0, 48_000, 0.0);
        play(&mut g, c, 0, 0, 0, 0);
        let before = g.render_frames(1024).remove(0);
        g.configure(c, "offset", SettingValue::Number(24.0)).unwrap();
        let after = g.render_frames(1024).remove(0);
        let steepest = |x: &[f32]| x.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0, f32::max);
        let sine_step = steepest(&before[64..]);
        let across = steepest(&[&before[1000..], &after[..64]].concat());
        assert!(across < 1.5 * sine_step, "largest step across the change {across}, the sine's own {sine_step}");
        assert_eq!(after[0], data[1024], "the change starts from the old offset");
        for (i, &v) in after.iter().enumerate().skip(32) {
            assert_eq!(v, data[1024 + 24 + i], "frame {i} after the fade is the new offset's, bit for bit");
        }
        // Set before the song plays, an offset simply applies.
        let mut g = OfflineRenderer::new(SR);
        let c = clip(&mut g, data.clone(), SR, 0, 48_000, 0.0);
        g.configure(c, "offset", SettingValue::Number(24.0)).unwrap();
        play(&mut g, c, 0, 0, 0, 0);
        let out = g.render_frames(256).remove(0);
        assert_eq!(out[100], data[124]);
    }

    #[test]
    fn plain_playing_quanta_are_each_frame_read_through_the_curve_with_its_edge_fades() {
        // A 44.1 kHz sample at 48 kHz from a fractional offset: every frame between the edges
        // falls between samples, and the clip starts and ends inside quanta.
        let data: Vec<f32> = (0..4000).map(|i| (i as f32 * 0.05).sin() * 0.5).collect();
        let (start, length, offset, at) = (300_u64, 1000_u64, 10.5, 50_u64);
        let mut g = OfflineRenderer::new(SR);
        let c = clip(&mut g, data.clone(), 44_100.0, start, length, offset);
        play(&mut g, c, at, 0, 0, 0);
        let out = g.render_frames(2048).remove(0);
        for (f, &v) in out.iter().enumerate() {
            let song = (f as u64).checked_sub(at);
            let want = match song {
                Some(song) if (start..start + length).contains(&song) => {
                    let (into, left) = (song - start, start + length - song);
                    let fade = into.min(left).min(EDGE_FADE) as f32 / EDGE_FADE as f32;
                    hermite(&data, offset + into as f64 * (44_100.0 / f64::from(SR))) * fade
                }
                _ => 0.0,
            };
            assert_eq!(v, want, "context frame {f}");
        }
        assert!(out.iter().filter(|v| v.abs() > 0.1).count() > 500, "it sounded");
    }

    #[test]
    fn hermite_is_exact_on_samples_and_smooth_between() {
        let data = [0.0, 1.0, 2.0, 3.0, 4.0];
        assert_eq!(hermite(&data, 2.0), 2.0);
        assert!((hermite(&data, 2.5) - 2.5).abs() < 1e-6, "a line stays a line");
        assert_eq!(hermite(&data, 7.0), 0.0);
        assert_eq!(hermite(&data, -1.0), 0.0);
    }
}
