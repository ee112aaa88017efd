//! Control side: Standard MIDI Files in and out of the project. In: one MIDI track per file
//! track, each with one clip of its notes, rescaled to the project's grid. Out: the song (or
//! one clip) as a format 1 file on the project's own grid.

use super::edit::Edit;
use super::project::{Clip, ClipContent, Note, Project, Strip, Track, TrackKind, PPQ};
use crate::formats::midi::{self, Song, TickRate};

/// The edit that adds `song`'s tracks at `at` ticks, with fresh ids; `None` if the song has
/// no notes. Ticks are rescaled from the file's grid to [`PPQ`] (rounded, each note at least a
/// tick long); SMPTE-timed files are placed by seconds at the project's tempo.
pub fn midi_song(project: &Project, song: &Song, at: u64) -> Option<Edit> {
    let scale = |tick: u64| -> u64 {
        match song.tick_rate {
            TickRate::PerQuarter(ppq) => ((tick as f64) * PPQ as f64 / f64::from(ppq)).round() as u64,
            TickRate::PerSecond(_) => (song.seconds_at(tick) / project.seconds_per_tick()).round() as u64,
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
        let clip = Clip { id: id(), start: at, length, content: ClipContent::Midi { notes } };
        let track = Track {
            id: id(),
            name: t.name.clone().unwrap_or_else(|| format!("MIDI {}", index + 1)),
            kind: TrackKind::Midi,
            instrument: None,
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
    // The project has one tempo for now: the file's first.
    if let Some(first) = song.tempo_map.first() {
        edits.insert(0, Edit::SetTempo { bpm: first.bpm().clamp(20.0, 999.0) });
    }
    Some(Edit::Batch { edits })
}

/// The project's MIDI tracks as a song on its grid: each track's notes where they sound (cut
/// at their clip's end), with the project's tempo and time signature. With `clip`, only that
/// clip's notes, from its start.
pub fn song_of(project: &Project, clip: Option<super::Id>) -> Song {
    let mut tracks = Vec::new();
    for (index, t) in project.tracks.iter().filter(|t| t.kind == TrackKind::Midi).enumerate() {
        // One channel per track (skipping 10, General MIDI's drums), so players keep them apart.
        let channel = [0u8, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15][index % 15];
        let mut notes = Vec::new();
        for c in t.clips.iter().filter(|c| clip.is_none_or(|id| id == c.id)) {
            let ClipContent::Midi { notes: clip_notes } = &c.content else { continue };
            let origin = if clip.is_some() { 0 } else { c.start };
            for n in clip_notes.iter().filter(|n| n.start < c.length) {
                let length = n.length.min(c.length - n.start);
                notes.push(midi::Note { start: origin + n.start, length, key: n.key, velocity: n.velocity, channel });
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
        tempo_map: vec![midi::TempoChange {
            tick: 0,
            micros_per_quarter: (60_000_000.0 / project.tempo_bpm).round() as u32,
        }],
        time_signatures: vec![midi::TimeSignature {
            tick: 0,
            numerator: project.time_signature.numerator,
            denominator: project.time_signature.denominator,
        }],
        key_signatures: Vec::new(),
        tracks,
    }
}
