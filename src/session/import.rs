//! Control side: Standard MIDI Files in and out of the project. In: one MIDI track per file
//! track, each with one clip of its notes, rescaled to the project's grid. Out: the song (or
//! one clip) as a format 1 file on the project's own grid.

use super::edit::Edit;
use super::project::{Clip, ClipContent, Device, Note, Project, Strip, TempoChange, Track, TrackKind, PPQ};
use crate::formats::midi::{self, Song, TickRate};

/// The drum kit's kind name.
const DRUMS: &str = "drums";

/// The edit that adds `song`'s tracks at `at` ticks, with fresh ids; `None` if the song has
/// no notes. Ticks are rescaled from the file's grid to [`PPQ`] (rounded, each note at least a
/// tick long) and the file's tempo map becomes the project's, from `at` on; SMPTE-timed files
/// are placed by seconds on the project's tempo map.
pub fn midi_song(project: &Project, song: &Song, at: u64) -> Option<Edit> {
    let map = project.tempo_map();
    let scale = |tick: u64| -> u64 {
        match song.tick_rate {
            TickRate::PerQuarter(ppq) => ((tick as f64) * PPQ as f64 / f64::from(ppq)).round() as u64,
            TickRate::PerSecond(_) => map.tick_at(song.seconds_at(tick)).round() as u64,
        }
    };
    let mut next_id = project.fresh_id();
    let mut id = || {
        next_id += 1;
        next_id - 1
    };
    let mut edits = Vec::new();
    for (index, t) in song.tracks.iter().enumerate() {
        let Some(end) = t.notes.iter().map(|n| scale(n.start + n.length)).max() else { continue };
        let notes: Vec<Note> = t
            .notes
            .iter()
            .map(|n| {
                let start = scale(n.start);
                Note {
                    id: id(),
                    start,
                    length: (scale(n.start + n.length) - start).max(1),
                    key: n.key,
                    velocity: n.velocity.max(1),
                }
            })
            .collect();
        // The clip runs to the end of the bar its last note ends in.
        let bar = PPQ * 4;
        let length = end.div_ceil(bar).max(1) * bar;
        let clip = Clip { id: id(), start: at, length, content: ClipContent::midi(notes), looping: None };
        // A track played on General MIDI's drum channel gets the drum kit.
        let drums = t.notes.iter().all(|n| n.channel == midi::DRUM_CHANNEL);
        let fallback = if drums { "Drums".to_string() } else { format!("MIDI {}", index + 1) };
        let track = Track {
            id: id(),
            name: t.name.clone().unwrap_or(fallback),
            kind: TrackKind::Midi,
            instrument: drums.then(|| Device::new(id(), DRUMS)),
            clips: vec![clip],
            strip: Strip::default(),
            inserts: Vec::new(),
            sends: Vec::new(),
            automation: Vec::new(),
        };
        edits.push(Edit::AddTrack { index: project.tracks.len() + edits.len(), track });
    }
    if edits.is_empty() {
        return None;
    }
    if let Some(first) = song.tempo_map.first() {
        edits.insert(0, Edit::SetTempo { bpm: first.bpm().clamp(20.0, 999.0) });
    }
    if let TickRate::PerQuarter(_) = song.tick_rate {
        let mut changes: Vec<TempoChange> = Vec::new();
        for c in song.tempo_map.iter().skip(1) {
            let tick = scale(c.tick) + at;
            let bpm = c.bpm().clamp(20.0, 999.0);
            match changes.last_mut() {
                Some(last) if last.tick == tick => last.bpm = bpm,
                _ if tick > 0 => changes.push(TempoChange { tick, bpm, ramp: false }),
                _ => {}
            }
        }
        edits.insert(1, Edit::SetTempoChanges { changes });
    }
    Some(Edit::Batch { edits })
}

/// The project's MIDI tracks as a song on its grid: each track's notes where they sound (cut
/// at their clip's end), with the project's tempo and time signature. With `clip`, only that
/// clip's notes, from its start.
pub fn song_of(project: &Project, clip: Option<super::Id>) -> Song {
    let mut tracks = Vec::new();
    for (index, t) in project.tracks.iter().filter(|t| t.kind == TrackKind::Midi).enumerate() {
        // One channel per track (skipping 10, General MIDI's drums), so players keep them apart;
        // a drum kit's track plays on channel 10, where General MIDI players put drums.
        let drums = t.instrument.as_ref().is_some_and(|d| d.kind == DRUMS);
        let channel =
            if drums { midi::DRUM_CHANNEL } else { [0u8, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15][index % 15] };
        let mut notes = Vec::new();
        for c in t.clips.iter().filter(|c| clip.is_none_or(|id| id == c.id)) {
            let origin = if clip.is_some() { 0 } else { c.start };
            for (start, length, n) in c.sounding() {
                notes.push(midi::Note { start: origin + start, length, key: n.key, velocity: n.velocity, channel });
            }
        }
        if clip.is_some() && notes.is_empty() {
            continue;
        }
        notes.sort_by_key(|n| (n.start, n.key));
        tracks.push(midi::Track { name: Some(t.name.clone()), program: None, notes });
    }
    Song {
        tick_rate: TickRate::PerQuarter(PPQ as u16),
        tempo_map: tempo_events(project),
        time_signatures: vec![midi::TimeSignature {
            tick: 0,
            numerator: project.time_signature.numerator,
            denominator: project.time_signature.denominator,
        }],
        key_signatures: Vec::new(),
        tracks,
    }
}

/// Ticks between the steps a tempo ramp is written as (a MIDI file has only steps).
const RAMP_STEP_TICKS: u64 = PPQ / 4;

/// The project's tempo map as MIDI tempo events; a ramp becomes a step every sixteenth note, each
/// at the tempo halfway through it.
fn tempo_events(project: &Project) -> Vec<midi::TempoChange> {
    let micros = |bpm: f64| (60_000_000.0 / bpm).round() as u32;
    let map = project.tempo_map();
    let mut events = vec![midi::TempoChange { tick: 0, micros_per_quarter: micros(project.tempo_bpm) }];
    let mut from = 0;
    for c in &project.tempo_changes {
        if c.ramp {
            let mut tick = from;
            while tick < c.tick {
                let middle = (tick + RAMP_STEP_TICKS.min(c.tick - tick) / 2) as f64;
                events.push(midi::TempoChange { tick, micros_per_quarter: micros(map.bpm_at(middle)) });
                tick += RAMP_STEP_TICKS;
            }
        }
        events.push(midi::TempoChange { tick: c.tick, micros_per_quarter: micros(c.bpm) });
        from = c.tick;
    }
    events.dedup_by(|later, earlier| {
        let same = later.tick == earlier.tick;
        if same {
            earlier.micros_per_quarter = later.micros_per_quarter;
        }
        same
    });
    events
}
