//! Control side: the project a musician edits — tempo and signature, tracks with clips and
//! notes, mixer strips, insert devices, sends to buses — as plain data that serialises to
//! the versioned project JSON. Only [`super::edit`] changes it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Ticks per quarter note on the project's grid (divisible by 3, 5 and 64: triplets,
/// quintuplets and 256th notes all land on ticks).
pub const PPQ: u64 = 960;

/// The project JSON's version. A file says which version wrote it; older ones load through
/// migrations, newer ones are refused with a message.
pub const PROJECT_VERSION: u32 = 11;

/// Every id in a project (tracks, buses, clips, notes, devices) comes from one counter space
/// and is unique across the project; none is 0.
pub type Id = u32;

/// The channel id that names the master strip in edits (no part of a project has id 0).
pub const MASTER: Id = 0;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Project {
    pub version: u32,
    pub name: String,
    /// The tempo the song starts at.
    pub tempo_bpm: f64,
    /// Where the tempo changes after the start, in tick order (since version 3).
    pub tempo_changes: Vec<TempoChange>,
    pub time_signature: TimeSignature,
    pub tracks: Vec<Track>,
    pub buses: Vec<Bus>,
    pub master: Strip,
    /// The master's automation lanes: its volume and pan (since version 4).
    pub master_automation: Vec<Lane>,
    /// What the transport loops when looping is on.
    #[serde(default)]
    pub loop_region: Option<LoopRegion>,
}

/// From `tick` (after 0) on, the song plays at `bpm`; with `ramp`, the tempo glides there in a
/// straight line (over ticks) from the point before, instead of jumping.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TempoChange {
    pub tick: u64,
    pub bpm: f64,
    pub ramp: bool,
}

/// The tempo map of a project as times: seconds at every tick and back, through steps and ramps.
/// Every placement on the song's timeline goes through [`TempoMap::frame_at`].
#[derive(Clone, Debug)]
pub struct TempoMap {
    /// Each point (the start at tick 0, then every change) with the seconds it falls at.
    points: Vec<TempoPoint>,
}

#[derive(Clone, Copy, Debug)]
struct TempoPoint {
    tick: u64,
    bpm: f64,
    ramp: bool,
    seconds: f64,
}

/// Seconds one tick lasts at `bpm`.
fn tick_seconds(bpm: f64) -> f64 {
    60.0 / bpm / PPQ as f64
}

impl TempoPoint {
    /// Seconds from this point to `ticks` ticks after it, the next point being `next`.
    fn seconds_into(&self, ticks: f64, next: Option<&TempoPoint>) -> f64 {
        match next.filter(|n| n.ramp && n.bpm != self.bpm) {
            // bpm(x) = b0 + k·x ticks in; seconds = ∫ 60 / (PPQ · bpm(x)) dx.
            Some(n) => {
                let k = (n.bpm - self.bpm) / (n.tick - self.tick) as f64;
                tick_seconds(1.0) * ((self.bpm + k * ticks) / self.bpm).ln() / k
            }
            None => ticks * tick_seconds(self.bpm),
        }
    }

    /// Ticks from this point to `seconds` after it (the inverse of `seconds_into`).
    fn ticks_into(&self, seconds: f64, next: Option<&TempoPoint>) -> f64 {
        match next.filter(|n| n.ramp && n.bpm != self.bpm) {
            Some(n) => {
                let k = (n.bpm - self.bpm) / (n.tick - self.tick) as f64;
                self.bpm * ((seconds * k / tick_seconds(1.0)).exp() - 1.0) / k
            }
            None => seconds / tick_seconds(self.bpm),
        }
    }

    fn bpm_into(&self, ticks: f64, next: Option<&TempoPoint>) -> f64 {
        match next.filter(|n| n.ramp) {
            Some(n) => self.bpm + (n.bpm - self.bpm) * ticks / (n.tick - self.tick) as f64,
            None => self.bpm,
        }
    }
}

impl TempoMap {
    pub fn new(project: &Project) -> Self {
        let mut points = vec![TempoPoint { tick: 0, bpm: project.tempo_bpm, ramp: false, seconds: 0.0 }];
        for c in &project.tempo_changes {
            let last = *points.last().expect("the start is there");
            let next = TempoPoint { tick: c.tick, bpm: c.bpm, ramp: c.ramp, seconds: 0.0 };
            let seconds = last.seconds + last.seconds_into((c.tick - last.tick) as f64, Some(&next));
            points.push(TempoPoint { seconds, ..next });
        }
        Self { points }
    }

    /// The point whose segment holds `tick`, and the one after it.
    fn segment(&self, tick: f64) -> (&TempoPoint, Option<&TempoPoint>) {
        let i = self.points.partition_point(|p| p.tick as f64 <= tick).max(1) - 1;
        (&self.points[i], self.points.get(i + 1))
    }

    /// Seconds into the song at `tick` (which may fall between ticks).
    pub fn seconds_at(&self, tick: f64) -> f64 {
        let (p, next) = self.segment(tick.max(0.0));
        p.seconds + p.seconds_into(tick.max(0.0) - p.tick as f64, next)
    }

    /// The tick (fractional) `seconds` into the song falls on.
    pub fn tick_at(&self, seconds: f64) -> f64 {
        let seconds = seconds.max(0.0);
        let i = self.points.partition_point(|p| p.seconds <= seconds).max(1) - 1;
        let p = &self.points[i];
        p.tick as f64 + p.ticks_into(seconds - p.seconds, self.points.get(i + 1))
    }

    /// The tempo at `tick`.
    pub fn bpm_at(&self, tick: f64) -> f64 {
        let (p, next) = self.segment(tick.max(0.0));
        p.bpm_into(tick.max(0.0) - p.tick as f64, next)
    }

    /// The frame at `sample_rate` that song tick `tick` falls on (every part of the engine that
    /// places something on the song's timeline rounds this one way).
    pub fn frame_at(&self, tick: u64, sample_rate: f32) -> u64 {
        (self.seconds_at(tick as f64) * f64::from(sample_rate)).round() as u64
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeSignature {
    pub numerator: u8,
    pub denominator: u8,
}

/// What a track plays: notes through an instrument, or audio clips.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrackKind {
    Midi,
    Audio,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Track {
    pub id: Id,
    pub name: String,
    pub kind: TrackKind,
    /// What a MIDI track plays through (a `synth` with its settings); the default synth when
    /// none is given.
    #[serde(default)]
    pub instrument: Option<Device>,
    pub clips: Vec<Clip>,
    pub strip: Strip,
    /// Effects in signal order, each an engine node kind.
    pub inserts: Vec<Device>,
    pub sends: Vec<Send>,
    /// Automation lanes, at most one per target (since version 2).
    pub automation: Vec<Lane>,
}

/// What an automation lane moves: the channel's fader (in dB), its pan, or a parameter of its
/// instrument or of one of its inserts (in the parameter's own unit). Tracks and buses take all
/// three; the master, which has a fader and a pan and no devices, the first two.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum LaneTarget {
    Gain,
    Pan,
    Param { device: Id, param: String },
}

/// Breakpoints joined by straight lines; before the first point the first value holds, after
/// the last the last. While a lane moves a value, the value set on the strip or the device is
/// not used.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Lane {
    pub target: LaneTarget,
    /// In tick order, one per tick.
    pub points: Vec<LanePoint>,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LanePoint {
    pub tick: u64,
    pub value: f32,
}

/// Fader, pan and switches of a channel.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Strip {
    pub gain_db: f32,
    /// −1 (left) … 1 (right).
    pub pan: f32,
    pub mute: bool,
    pub solo: bool,
}

impl Default for Strip {
    fn default() -> Self {
        Self { gain_db: 0.0, pan: 0.0, mute: false, solo: false }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bus {
    pub id: Id,
    pub name: String,
    pub strip: Strip,
    pub inserts: Vec<Device>,
    /// Automation lanes of its fader, pan and inserts, at most one per target (since version 4).
    pub automation: Vec<Lane>,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Send {
    pub bus: Id,
    pub gain_db: f32,
}

/// An engine node in a chain, with the parameter values that differ from its defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Device {
    pub id: Id,
    /// The engine's kind name (`describe()`), e.g. `"delay"`.
    pub kind: String,
    pub params: BTreeMap<String, f32>,
    /// Choice settings that differ from their first choice, by name (`"type": "highpass"`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub choices: BTreeMap<String, String>,
    pub bypass: bool,
    /// The sample it plays, by name as an audio clip names its asset (a sampler's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<String>,
    /// A drum kit's pads that differ from a plain pad (its synthesised drum at 0 dB, untuned):
    /// one a key, in key order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pads: Vec<Pad>,
}

/// A drum kit's pad: the sample it plays instead of its synthesised drum, named as an audio
/// clip names its asset, its level and its tuning (added to the kit's).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pad {
    pub key: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<String>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub level_db: f32,
    /// Semitones.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub tune: f32,
}

impl Pad {
    /// A pad as the kit has it until it is changed.
    pub fn plain(key: u8) -> Self {
        Self { key, sample: None, level_db: 0.0, tune: 0.0 }
    }

    pub fn is_plain(&self) -> bool {
        *self == Self::plain(self.key)
    }
}

impl Device {
    /// A device of `kind` with every parameter and choice at its default.
    pub fn new(id: Id, kind: &str) -> Self {
        Self {
            id,
            kind: kind.to_string(),
            params: BTreeMap::new(),
            choices: BTreeMap::new(),
            bypass: false,
            sample: None,
            pads: Vec::new(),
        }
    }
}

/// The stretch of the song the transport repeats while looping, in ticks (`start < end`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoopRegion {
    pub start: u64,
    pub end: u64,
}

/// A region on a track's timeline, `start` and `length` in ticks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Clip {
    pub id: Id,
    pub start: u64,
    pub length: u64,
    pub content: ClipContent,
    /// Set, the content repeats over the clip's length (left out when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub looping: Option<ClipLoop>,
}

/// How a looped clip repeats: its first `length` ticks of content, over and over; the clip starts
/// `phase` ticks into a repeat (a clip split from a looped one starts where the cut fell).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClipLoop {
    pub length: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub phase: u64,
}

impl Clip {
    /// The stretches of the clip's content it plays, in order: `(at, from, length)` — from `at`
    /// ticks into the clip, its content from `from` for `length` ticks. One stretch for a clip
    /// that does not loop (its whole content), a stretch per repeat for one that does.
    pub fn repeats(&self) -> Vec<(u64, u64, u64)> {
        let Some(ClipLoop { length: period, phase }) = self.looping else {
            return vec![(0, 0, self.length)];
        };
        let mut out = Vec::new();
        let (mut at, mut from) = (0, phase);
        while at < self.length {
            let length = (period - from).min(self.length - at);
            out.push((at, from, length));
            at += length;
            from = 0;
        }
        out
    }

    /// The fades an audio clip plays, in ticks: its own, shrunk in proportion where together
    /// they are longer than the clip (a clip trimmed short keeps the fades it was given, and
    /// plays them again when lengthened). None for a MIDI clip.
    pub fn fades(&self) -> (u64, u64) {
        let ClipContent::Audio { fade_in, fade_out, .. } = self.content else { return (0, 0) };
        let total = u128::from(fade_in) + u128::from(fade_out);
        if total <= u128::from(self.length) {
            return (fade_in, fade_out);
        }
        let rise = (u128::from(fade_in) * u128::from(self.length) / total) as u64;
        (rise, (self.length - rise).min(fade_out))
    }

    /// The notes a MIDI clip plays, in order of its repeats: each note's start from the clip's
    /// start and its length in ticks, cut where the clip or its repeat ends. Notes the clip does
    /// not reach (past its end when trimmed, past its loop when looped) are left out.
    pub fn sounding(&self) -> Vec<(u64, u64, &Note)> {
        let ClipContent::Midi { notes, .. } = &self.content else { return Vec::new() };
        let reach = self.looping.map_or(self.length, |l| l.length);
        let mut out = Vec::new();
        for (at, from, length) in self.repeats() {
            for n in notes.iter().filter(|n| n.start < reach && (from..from + length).contains(&n.start)) {
                let start = at + (n.start - from);
                out.push((start, n.length.min(at + length - start), n));
            }
        }
        out
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ClipContent {
    /// Notes, their starts relative to the clip's.
    Midi {
        notes: Vec<Note>,
        /// The notes of each take recorded over a loop, in the order they were played, but for
        /// the take that plays (`take`), whose notes are `notes` and whose entry stays empty;
        /// so choosing a take moves notes and never copies them. Empty for other clips.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        takes: Vec<Vec<Note>>,
        /// Left out when 0.
        #[serde(default, skip_serializing_if = "is_zero")]
        take: usize,
    },
    /// A stretch of a sample from the project's assets, from `offset` frames in.
    Audio {
        asset: String,
        offset: u64,
        /// Where each take recorded over a loop starts in `asset` (frames), in the order they
        /// were played; `offset` is one of them, the take that plays. Empty for other clips.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        takes: Vec<u64>,
        /// The clip's own level, in dB (left out when 0).
        #[serde(default, skip_serializing_if = "is_zero")]
        gain_db: f32,
        /// Ticks over which the clip rises from silence at its start and falls to silence at its
        /// end (straight lines in amplitude); where the clip is shorter than both, they shrink
        /// in proportion (see [`Clip::fades`]). Left out when 0.
        #[serde(default, skip_serializing_if = "is_zero")]
        fade_in: u64,
        #[serde(default, skip_serializing_if = "is_zero")]
        fade_out: u64,
    },
}

fn is_zero<T: Default + PartialEq>(n: &T) -> bool {
    *n == T::default()
}

impl ClipContent {
    /// A MIDI clip's content: `notes`, no takes.
    pub fn midi(notes: Vec<Note>) -> Self {
        Self::Midi { notes, takes: Vec::new(), take: 0 }
    }

    /// An audio clip's content: `asset` from `offset` frames in, no takes, at 0 dB, no fades.
    pub fn audio(asset: &str, offset: u64) -> Self {
        Self::Audio { asset: asset.to_string(), offset, takes: Vec::new(), gain_db: 0.0, fade_in: 0, fade_out: 0 }
    }

    /// The notes of a MIDI clip, those of its takes that do not play too.
    pub fn notes_of_every_take(&self) -> impl Iterator<Item = &Note> {
        let (notes, takes): (&[Note], &[Vec<Note>]) = match self {
            Self::Midi { notes, takes, .. } => (notes, takes),
            Self::Audio { .. } => (&[], &[]),
        };
        notes.iter().chain(takes.iter().flatten())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub id: Id,
    /// Ticks from the clip's start.
    pub start: u64,
    pub length: u64,
    pub key: u8,
    pub velocity: u8,
}

impl Project {
    /// An empty project at 120 BPM in 4/4.
    pub fn new(name: &str) -> Self {
        Self {
            version: PROJECT_VERSION,
            name: name.to_string(),
            tempo_bpm: 120.0,
            tempo_changes: Vec::new(),
            time_signature: TimeSignature { numerator: 4, denominator: 4 },
            tracks: Vec::new(),
            buses: Vec::new(),
            master: Strip::default(),
            master_automation: Vec::new(),
            loop_region: None,
        }
    }

    /// An id no part of the project uses. Derived from what is there, not kept in a counter,
    /// so undoing every edit gives back exactly the project it started from.
    pub fn fresh_id(&self) -> Id {
        self.ids().max().map_or(1, |m| m + 1)
    }

    /// Every id in the project.
    pub fn ids(&self) -> impl Iterator<Item = Id> + '_ {
        let tracks = self.tracks.iter().flat_map(|t| {
            let clips = t
                .clips
                .iter()
                .flat_map(|c| core::iter::once(c.id).chain(c.content.notes_of_every_take().map(|n| n.id)));
            core::iter::once(t.id).chain(clips).chain(t.inserts.iter().chain(&t.instrument).map(|d| d.id))
        });
        let buses = self.buses.iter().flat_map(|b| core::iter::once(b.id).chain(b.inserts.iter().map(|d| d.id)));
        tracks.chain(buses)
    }

    pub fn track(&self, id: Id) -> Option<&Track> {
        self.tracks.iter().find(|t| t.id == id)
    }

    pub fn tempo_map(&self) -> TempoMap {
        TempoMap::new(self)
    }

    /// [`TempoMap::frame_at`], for one placement (many: make the map once).
    pub fn frame_at(&self, tick: u64, sample_rate: f32) -> u64 {
        self.tempo_map().frame_at(tick, sample_rate)
    }
}

impl TimeSignature {
    /// Ticks in one beat (the denominator's note) and in one bar.
    pub fn beat_ticks(&self) -> u64 {
        PPQ * 4 / u64::from(self.denominator)
    }

    pub fn bar_ticks(&self) -> u64 {
        self.beat_ticks() * u64::from(self.numerator)
    }
}
