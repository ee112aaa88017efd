//! Control side: Standard MIDI Files (format 0 and 1) to and from notes on a tick grid, with
//! the tempo map, time and key signatures. Parsing and writing are `midly`'s; this module turns
//! its event streams into notes (note-on paired with its note-off) and back. SysEx and other
//! events that carry no notes or timing are skipped.

use super::{FormatError, FormatErrorKind};
use midly::num::{u15, u24, u28, u4, u7};
use midly::{Format, Header, MetaMessage, MidiMessage, Smf, Timing, TrackEvent, TrackEventKind};

/// Web Audio-style default: 120 BPM until a tempo event says otherwise.
pub const DEFAULT_MICROS_PER_QUARTER: u32 = 500_000;

/// One note: `start` and `length` in ticks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Note {
    pub start: u64,
    pub length: u64,
    pub key: u8,
    pub velocity: u8,
    pub channel: u8,
}

/// A tempo from `tick` on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TempoChange {
    pub tick: u64,
    pub micros_per_quarter: u32,
}

impl TempoChange {
    pub fn bpm(&self) -> f64 {
        60_000_000.0 / f64::from(self.micros_per_quarter)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeSignature {
    pub tick: u64,
    pub numerator: u8,
    pub denominator: u8,
}

/// A declared key (a hint only: many files declare C major whatever they hold).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeySignature {
    pub tick: u64,
    /// Sharps (positive) or flats (negative), −7…7.
    pub sharps: i8,
    pub minor: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Track {
    pub name: Option<String>,
    /// The first program change, if any (General MIDI instrument number 0–127).
    pub program: Option<u8>,
    /// Notes in order of start, then key.
    pub notes: Vec<Note>,
}

/// How the file counts time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TickRate {
    /// Ticks per quarter note; seconds follow the tempo map.
    PerQuarter(u16),
    /// SMPTE: ticks per second (frames per second × ticks per frame); tempo events do not apply.
    PerSecond(f64),
}

/// A Standard MIDI File as notes on tracks.
#[derive(Clone, Debug, PartialEq)]
pub struct Song {
    pub tick_rate: TickRate,
    /// Sorted by tick, the first at tick 0.
    pub tempo_map: Vec<TempoChange>,
    pub time_signatures: Vec<TimeSignature>,
    pub key_signatures: Vec<KeySignature>,
    pub tracks: Vec<Track>,
}

/// General MIDI's drum channel (10, counted from 1).
pub const DRUM_CHANNEL: u8 = 9;

/// The most notes one file may hold: past it a file is refused rather than allowed to
/// exhaust memory (a real piece has thousands; 10⁶-note test files are fine).
pub const MAX_NOTES: usize = 4_000_000;

fn invalid(message: String) -> FormatError {
    FormatError::new(FormatErrorKind::Invalid, message)
}

impl Song {
    /// Parses a Standard MIDI File. Format 0 files are split into one track per channel, as a
    /// musician expects the drums apart from the bass; format 1 keeps its tracks (a conductor
    /// track with no notes is dropped), each track's drum channel apart from its other notes.
    /// Format 2 (independent sequences) is refused.
    pub fn read(bytes: &[u8]) -> Result<Self, FormatError> {
        if bytes.len() < 4 || &bytes[0..4] != b"MThd" {
            let riff = bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"RMID";
            if !riff {
                return Err(FormatError::new(
                    FormatErrorKind::NotThisFormat,
                    "not a MIDI file: it does not begin with MThd",
                ));
            }
        }
        check_chunks(bytes)?;
        let smf = Smf::parse(bytes).map_err(|e| {
            let kind = if e.to_string().contains("eof") || e.to_string().contains("end") {
                FormatErrorKind::Truncated
            } else {
                FormatErrorKind::Invalid
            };
            FormatError::new(kind, format!("corrupt MIDI file: {e}"))
        })?;
        let tick_rate = match smf.header.timing {
            Timing::Metrical(ppq) if ppq.as_int() > 0 => TickRate::PerQuarter(ppq.as_int()),
            Timing::Metrical(_) => return Err(invalid("the file counts zero ticks per quarter note".into())),
            Timing::Timecode(fps, sub) if sub > 0 => TickRate::PerSecond(f64::from(fps.as_f32()) * f64::from(sub)),
            Timing::Timecode(..) => return Err(invalid("the file counts zero ticks per SMPTE frame".into())),
        };
        if smf.header.format == Format::Sequential {
            return Err(FormatError::new(
                FormatErrorKind::Unsupported,
                "format 2 MIDI files (independent sequences) are not supported; formats 0 and 1 are",
            ));
        }
        let mut song = Song {
            tick_rate,
            tempo_map: Vec::new(),
            time_signatures: Vec::new(),
            key_signatures: Vec::new(),
            tracks: Vec::new(),
        };
        let mut total_notes = 0;
        for (index, events) in smf.tracks.iter().enumerate() {
            // midly stops a track quietly at a corrupt event; only End of Track ends one whole.
            if !matches!(events.last(), Some(TrackEvent { kind: TrackEventKind::Meta(MetaMessage::EndOfTrack), .. })) {
                let ticks: u64 = events.iter().map(|e| u64::from(e.delta.as_int())).sum();
                return Err(invalid(format!(
                    "corrupt MIDI file: track {} breaks off after {} events (tick {ticks}) without an End of Track",
                    index + 1,
                    events.len()
                )));
            }
            let split_channels = smf.header.format == Format::SingleTrack;
            let mut tracks = collect_track(events, &mut song)?;
            total_notes += tracks.iter().map(|t| t.notes.len()).sum::<usize>();
            if total_notes > MAX_NOTES {
                return Err(FormatError::new(
                    FormatErrorKind::TooLarge,
                    format!("more than {MAX_NOTES} notes; the file is refused"),
                ));
            }
            if split_channels {
                song.tracks.append(&mut tracks);
            } else {
                // One track: all its channels together, but for General MIDI's drum channel,
                // which a player puts on drums (kept apart when the track has other notes too).
                let (drums, others): (Vec<Track>, Vec<Track>) =
                    tracks.into_iter().partition(|t| t.notes.first().is_some_and(|n| n.channel == DRUM_CHANNEL));
                let mut merged = Track::default();
                for t in others {
                    merged.name = merged.name.or(t.name);
                    merged.program = merged.program.or(t.program);
                    merged.notes.extend(t.notes);
                }
                sort_notes(&mut merged.notes);
                let alone = merged.notes.is_empty();
                song.tracks.push(merged);
                for mut kit in drums {
                    if !alone {
                        kit.name = kit.name.map(|n| format!("{n} drums"));
                    }
                    song.tracks.push(kit);
                }
            }
        }
        song.tracks.retain(|t| !t.notes.is_empty());
        song.tempo_map.sort_by_key(|t| t.tick);
        song.tempo_map.dedup_by(|later, earlier| {
            // At the same tick the later event wins.
            if later.tick == earlier.tick {
                earlier.micros_per_quarter = later.micros_per_quarter;
                true
            } else {
                false
            }
        });
        if song.tempo_map.first().is_none_or(|t| t.tick > 0) {
            song.tempo_map.insert(0, TempoChange { tick: 0, micros_per_quarter: DEFAULT_MICROS_PER_QUARTER });
        }
        song.time_signatures.sort_by_key(|t| t.tick);
        song.key_signatures.sort_by_key(|k| k.tick);
        Ok(song)
    }

    /// Seconds at `tick`, through the tempo map.
    pub fn seconds_at(&self, tick: u64) -> f64 {
        match self.tick_rate {
            TickRate::PerSecond(rate) => tick as f64 / rate,
            TickRate::PerQuarter(ppq) => {
                let mut seconds = 0.0;
                let mut from = 0;
                let mut tempo = DEFAULT_MICROS_PER_QUARTER;
                for change in &self.tempo_map {
                    if change.tick >= tick {
                        break;
                    }
                    seconds += (change.tick - from) as f64 * f64::from(tempo) / 1e6 / f64::from(ppq);
                    from = change.tick;
                    tempo = change.micros_per_quarter;
                }
                seconds + (tick - from) as f64 * f64::from(tempo) / 1e6 / f64::from(ppq)
            }
        }
    }

    /// Writes a format 1 file: a conductor track with the tempo map and signatures, then one
    /// track per [`Track`]. Notes are clamped to MIDI's ranges (key and velocity 0–127,
    /// channel 0–15; a velocity of 0 is written as 1, since 0 would mean note-off).
    pub fn write(&self) -> Result<Vec<u8>, FormatError> {
        let timing = match self.tick_rate {
            TickRate::PerQuarter(ppq) if (1..=0x7FFF).contains(&ppq) => Timing::Metrical(u15::new(ppq)),
            _ => return Err(invalid("only files counted in ticks per quarter note are written".into())),
        };
        let mut conductor: Vec<(u64, TrackEventKind<'static>)> = Vec::new();
        for t in &self.tempo_map {
            conductor.push((
                t.tick,
                TrackEventKind::Meta(MetaMessage::Tempo(u24::new(t.micros_per_quarter.min(0xFF_FFFF)))),
            ));
        }
        for s in &self.time_signatures {
            let power = s.denominator.max(1).trailing_zeros() as u8;
            conductor.push((s.tick, TrackEventKind::Meta(MetaMessage::TimeSignature(s.numerator, power, 24, 8))));
        }
        for k in &self.key_signatures {
            conductor.push((k.tick, TrackEventKind::Meta(MetaMessage::KeySignature(k.sharps.clamp(-7, 7), k.minor))));
        }
        let mut tracks = vec![delta_encode(conductor)];
        for track in &self.tracks {
            let mut events: Vec<(u64, TrackEventKind<'_>)> = Vec::new();
            if let Some(name) = &track.name {
                events.push((0, TrackEventKind::Meta(MetaMessage::TrackName(name.as_bytes()))));
            }
            if let (Some(program), Some(first)) = (track.program, track.notes.first()) {
                let message = MidiMessage::ProgramChange { program: u7::new(program.min(127)) };
                events.push((0, TrackEventKind::Midi { channel: u4::new(first.channel.min(15)), message }));
            }
            // Note-offs sort before note-ons at the same tick, so a repeated key retriggers.
            let mut timed: Vec<(u64, bool, TrackEventKind<'_>)> = Vec::new();
            for n in &track.notes {
                let (channel, key) = (u4::new(n.channel.min(15)), u7::new(n.key.min(127)));
                let vel = u7::new(n.velocity.clamp(1, 127));
                timed.push((
                    n.start,
                    true,
                    TrackEventKind::Midi { channel, message: MidiMessage::NoteOn { key, vel } },
                ));
                let off = MidiMessage::NoteOff { key, vel: u7::new(0) };
                timed.push((n.start + n.length.max(1), false, TrackEventKind::Midi { channel, message: off }));
            }
            timed.sort_by_key(|(tick, on, _)| (*tick, *on));
            events.extend(timed.into_iter().map(|(tick, _, kind)| (tick, kind)));
            tracks.push(delta_encode(events));
        }
        let smf = Smf { header: Header::new(Format::Parallel, timing), tracks };
        let mut out = Vec::new();
        smf.write_std(&mut out).map_err(|e| invalid(format!("could not write the MIDI file: {e}")))?;
        Ok(out)
    }
}

/// midly reads truncated files leniently (what is there, silently); a workstation says so
/// instead: every track chunk the header promises must be there, whole.
fn check_chunks(bytes: &[u8]) -> Result<(), FormatError> {
    let truncated = |message: String| FormatError::new(FormatErrorKind::Truncated, message);
    let start = if &bytes[0..4] == b"RIFF" { 20 } else { 0 };
    if bytes.len() < start + 14 {
        return Err(truncated("truncated: the file ends inside its MThd header".into()));
    }
    let header_len =
        u32::from_be_bytes([bytes[start + 4], bytes[start + 5], bytes[start + 6], bytes[start + 7]]) as usize;
    let promised = usize::from(u16::from_be_bytes([bytes[start + 10], bytes[start + 11]]));
    let mut at = start + 8 + header_len;
    let mut found = 0;
    while found < promised {
        if at + 8 > bytes.len() {
            return Err(truncated(format!(
                "truncated: the header promises {promised} tracks, but the file ends after {found}"
            )));
        }
        let claimed = u32::from_be_bytes([bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]]) as usize;
        let remaining = bytes.len() - at - 8;
        if claimed > remaining {
            return Err(truncated(format!(
                "truncated: track {} claims {claimed} bytes, but only {remaining} follow",
                found + 1
            )));
        }
        if &bytes[at..at + 4] == b"MTrk" {
            found += 1;
        }
        at += 8 + claimed;
    }
    Ok(())
}

/// Events at absolute ticks (in order) to midly's deltas, ended with End of Track.
fn delta_encode(mut events: Vec<(u64, TrackEventKind<'_>)>) -> Vec<TrackEvent<'_>> {
    events.sort_by_key(|(tick, _)| *tick);
    let mut last = 0;
    let mut out = Vec::with_capacity(events.len() + 1);
    for (tick, kind) in events {
        // A delta past midly's 28 bits cannot be written: those events move to the limit.
        let delta = (tick - last).min(u64::from(u28::max_value().as_int()));
        out.push(TrackEvent { delta: u28::new(delta as u32), kind });
        last += delta;
    }
    out.push(TrackEvent { delta: u28::new(0), kind: TrackEventKind::Meta(MetaMessage::EndOfTrack) });
    out
}

fn sort_notes(notes: &mut [Note]) {
    notes.sort_by_key(|n| (n.start, n.key, n.channel));
}

/// One file track's notes, one [`Track`] per channel that has any; tempo and signature events
/// go to `song`. A note-off ends the earliest sounding note of its key and channel; notes still
/// sounding at the end of the track end there.
fn collect_track(events: &[TrackEvent<'_>], song: &mut Song) -> Result<Vec<Track>, FormatError> {
    let mut tick = 0u64;
    let mut name = None;
    let mut programs: [Option<u8>; 16] = [None; 16];
    let mut open: Vec<Vec<(u64, u8)>> = vec![Vec::new(); 16 * 128];
    let mut notes: [Vec<Note>; 16] = Default::default();
    for event in events {
        tick += u64::from(event.delta.as_int());
        match event.kind {
            TrackEventKind::Midi { channel, message } => {
                let ch = channel.as_int();
                let close = |key: u8, open: &mut Vec<Vec<(u64, u8)>>, notes: &mut [Vec<Note>; 16]| {
                    let sounding = &mut open[usize::from(ch) * 128 + usize::from(key)];
                    if !sounding.is_empty() {
                        let (start, velocity) = sounding.remove(0);
                        notes[usize::from(ch)].push(Note { start, length: tick - start, key, velocity, channel: ch });
                    }
                };
                match message {
                    MidiMessage::NoteOn { key, vel } if vel.as_int() > 0 => {
                        open[usize::from(ch) * 128 + usize::from(key.as_int())].push((tick, vel.as_int()));
                    }
                    MidiMessage::NoteOn { key, .. } | MidiMessage::NoteOff { key, .. } => {
                        close(key.as_int(), &mut open, &mut notes);
                    }
                    MidiMessage::ProgramChange { program } => {
                        programs[usize::from(ch)].get_or_insert(program.as_int());
                    }
                    _ => {}
                }
            }
            TrackEventKind::Meta(MetaMessage::Tempo(t)) => {
                let micros = t.as_int();
                if micros == 0 {
                    return Err(invalid(format!("a tempo of 0 µs per quarter note at tick {tick}")));
                }
                song.tempo_map.push(TempoChange { tick, micros_per_quarter: micros });
            }
            TrackEventKind::Meta(MetaMessage::TimeSignature(numerator, power, ..)) => {
                let denominator = 1u8.checked_shl(u32::from(power)).unwrap_or(0);
                if numerator > 0 && denominator > 0 {
                    song.time_signatures.push(TimeSignature { tick, numerator, denominator });
                }
            }
            TrackEventKind::Meta(MetaMessage::KeySignature(sharps, minor)) if (-7..=7).contains(&sharps) => {
                song.key_signatures.push(KeySignature { tick, sharps, minor });
            }
            TrackEventKind::Meta(MetaMessage::TrackName(bytes)) if name.is_none() => {
                let text = String::from_utf8_lossy(bytes).trim().to_string();
                if !text.is_empty() {
                    name = Some(text);
                }
            }
            _ => {}
        }
    }
    for (slot, sounding) in open.iter().enumerate() {
        let (ch, key) = ((slot / 128) as u8, (slot % 128) as u8);
        for &(start, velocity) in sounding {
            notes[usize::from(ch)].push(Note { start, length: tick - start, key, velocity, channel: ch });
        }
    }
    let mut tracks = Vec::new();
    for (ch, mut list) in notes.into_iter().enumerate() {
        if list.is_empty() {
            continue;
        }
        sort_notes(&mut list);
        tracks.push(Track { name: name.clone(), program: programs[ch], notes: list });
    }
    if tracks.is_empty() && name.is_some() {
        tracks.push(Track { name, ..Track::default() });
    }
    Ok(tracks)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A format 0 file by hand: running status, a note-on of velocity 0 as note-off, a SysEx
    /// in the middle, a tempo change.
    fn hand_made() -> Vec<u8> {
        let mut track = vec![
            0x00, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20, // tempo 500 000 µs
            0x00, 0x90, 60, 100, // note on C4
            0x00, 64, 90, // running status: note on E4
            0x60, 0xF0, 0x03, 0x01, 0x02, 0xF7, // 96 ticks later: SysEx, skipped
            0x00, 0x90, 60, 0, // C4 off by velocity 0 (status restated after the SysEx)
            0x00, 64, 0, // running status: E4 off
            0x00, 0xFF, 0x51, 0x03, 0x0F, 0x42, 0x40, // tempo 1 000 000 µs (60 BPM)
            0x00, 0x99, 36, 127, // drums on channel 10
            0x81, 0x40, 0x89, 36, 0, // 192 ticks later: note off
            0x00, 0xFF, 0x2F, 0x00,
        ];
        let mut bytes = b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x00\x60MTrk".to_vec();
        bytes.extend_from_slice(&(track.len() as u32).to_be_bytes());
        bytes.append(&mut track);
        bytes
    }

    #[test]
    fn running_status_sysex_and_a_tempo_change_read_as_notes_in_seconds() {
        let song = Song::read(&hand_made()).unwrap();
        assert_eq!(song.tick_rate, TickRate::PerQuarter(96));
        assert_eq!(song.tracks.len(), 2, "format 0 splits by channel");
        let melody = &song.tracks[0].notes;
        assert_eq!(
            melody,
            &[
                Note { start: 0, length: 96, key: 60, velocity: 100, channel: 0 },
                Note { start: 0, length: 96, key: 64, velocity: 90, channel: 0 },
            ]
        );
        let drums = &song.tracks[1].notes;
        assert_eq!(drums, &[Note { start: 96, length: 192, key: 36, velocity: 127, channel: 9 }]);
        // 96 ticks at 120 BPM is half a second; then 60 BPM, so 192 more ticks take two seconds.
        assert!((song.seconds_at(96) - 0.5).abs() < 1e-12);
        assert!((song.seconds_at(288) - 2.5).abs() < 1e-12);
    }

    #[test]
    fn a_format_1_track_keeps_its_channels_together_but_for_the_drums() {
        let mut track = vec![
            0x00, 0xFF, 0x03, 0x04, b'B', b'a', b'n', b'd', // track name
            0x00, 0x90, 60, 100, // C4 on channel 1
            0x00, 0x91, 48, 90, // C3 on channel 2
            0x00, 0x99, 36, 127, // kick on channel 10
            0x60, 0x80, 60, 0, // offs 96 ticks later
            0x00, 0x81, 48, 0, 0x00, 0x89, 36, 0, 0x00, 0xFF, 0x2F, 0x00,
        ];
        let mut bytes = b"MThd\x00\x00\x00\x06\x00\x01\x00\x01\x00\x60MTrk".to_vec();
        bytes.extend_from_slice(&(track.len() as u32).to_be_bytes());
        bytes.append(&mut track);
        let song = Song::read(&bytes).unwrap();
        let summary: Vec<(Option<&str>, Vec<(u8, u8)>)> = song
            .tracks
            .iter()
            .map(|t| (t.name.as_deref(), t.notes.iter().map(|n| (n.key, n.channel)).collect()))
            .collect();
        assert_eq!(summary, [(Some("Band"), vec![(48, 1), (60, 0)]), (Some("Band drums"), vec![(36, DRUM_CHANNEL)])]);
    }

    #[test]
    fn a_written_song_reads_back_the_same() {
        let song = Song::read(&hand_made()).unwrap();
        let again = Song::read(&song.write().unwrap()).unwrap();
        assert_eq!(again.tempo_map, song.tempo_map);
        let notes = |s: &Song| s.tracks.iter().flat_map(|t| t.notes.clone()).collect::<Vec<_>>();
        assert_eq!(notes(&again), notes(&song));
    }

    #[test]
    fn bad_files_give_errors_that_name_the_problem() {
        let e = Song::read(b"RIFF....WAVEfmt ").unwrap_err();
        assert_eq!(e.kind, FormatErrorKind::NotThisFormat);
        let bytes = hand_made();
        let e = Song::read(&bytes[..20]).unwrap_err();
        assert_eq!(e.kind, FormatErrorKind::Truncated);
        assert!(e.message.contains("promises 1 tracks, but the file ends after 0"), "{e}");
        let e = Song::read(&bytes[..bytes.len() - 5]).unwrap_err();
        assert!(e.message.contains("track 1 claims 47 bytes, but only 42 follow"), "{e}");
        let mut bad_event = bytes.clone();
        bad_event[23] = 0x40; // a data byte where the first status byte belongs: no running status yet
        let e = Song::read(&bad_event).unwrap_err();
        assert!(e.message.contains("track 1 breaks off after 0 events"), "{e}");
        let mut zero_ppq = bytes.clone();
        zero_ppq[12..14].copy_from_slice(&[0, 0]);
        assert!(Song::read(&zero_ppq).unwrap_err().message.contains("zero ticks"));
        let mut format2 = bytes.clone();
        format2[9] = 2;
        assert_eq!(Song::read(&format2).unwrap_err().kind, FormatErrorKind::Unsupported);
    }
}
