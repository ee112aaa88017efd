//! Control side: a Standard MIDI File into the project — one MIDI track per file track, each
//! with one clip of its notes, rescaled to the project's grid.

use super::edit::Edit;
use super::project::{Clip, ClipContent, Note, Project, Strip, Track, TrackKind, PPQ};
use crate::formats::midi::{Song, TickRate};

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
