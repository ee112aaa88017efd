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
pub const PROJECT_VERSION: u32 = 2;

/// Every id in a project (tracks, buses, clips, notes, devices) comes from one counter space
/// and is unique across the project; none is 0.
pub type Id = u32;

/// The channel id that names the master strip in edits (no part of a project has id 0).
pub const MASTER: Id = 0;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Project {
    pub version: u32,
    pub name: String,
    pub tempo_bpm: f64,
    pub time_signature: TimeSignature,
    pub tracks: Vec<Track>,
    pub buses: Vec<Bus>,
    pub master: Strip,
    /// What the transport loops when looping is on.
    #[serde(default)]
    pub loop_region: Option<LoopRegion>,
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

/// What an automation lane moves: the track's fader (in dB), its pan, or a parameter of its
/// instrument or of one of its inserts (in the parameter's own unit).
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
}

impl Device {
    /// A device of `kind` with every parameter and choice at its default.
    pub fn new(id: Id, kind: &str) -> Self {
        Self { id, kind: kind.to_string(), params: BTreeMap::new(), choices: BTreeMap::new(), bypass: false }
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
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ClipContent {
    /// Notes, their starts relative to the clip's.
    Midi { notes: Vec<Note> },
    /// A stretch of a sample from the project's assets, from `offset` frames in.
    Audio { asset: String, offset: u64 },
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
            time_signature: TimeSignature { numerator: 4, denominator: 4 },
            tracks: Vec::new(),
            buses: Vec::new(),
            master: Strip::default(),
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
            let clips = t.clips.iter().flat_map(|c| {
                let notes: &[Note] = match &c.content {
                    ClipContent::Midi { notes } => notes,
                    ClipContent::Audio { .. } => &[],
                };
                core::iter::once(c.id).chain(notes.iter().map(|n| n.id))
            });
            core::iter::once(t.id).chain(clips).chain(t.inserts.iter().chain(&t.instrument).map(|d| d.id))
        });
        let buses = self.buses.iter().flat_map(|b| core::iter::once(b.id).chain(b.inserts.iter().map(|d| d.id)));
        tracks.chain(buses)
    }

    pub fn track(&self, id: Id) -> Option<&Track> {
        self.tracks.iter().find(|t| t.id == id)
    }

    /// Seconds per tick at the project's tempo.
    pub fn seconds_per_tick(&self) -> f64 {
        60.0 / self.tempo_bpm / PPQ as f64
    }

    /// The frame at `sample_rate` that song tick `tick` falls on (every part of the engine that
    /// places something on the song's timeline rounds this one way).
    pub fn frame_at(&self, tick: u64, sample_rate: f32) -> u64 {
        (tick as f64 * self.seconds_per_tick() * f64::from(sample_rate)).round() as u64
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
