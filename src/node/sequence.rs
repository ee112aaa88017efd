//! Render thread: what every instrument does the same way — playing the notes of its
//! `sequence` on the song timeline its `transport` gives, sample-accurately and with no message
//! per note, plus notes played live through `note`. An instrument brings its voices (the
//! [`Voices`] it sounds notes with); the [`Player`] tells them when notes start and end.

use super::Transport;
use crate::graph::{EngineError, ErrorCode, RenderError, SequencedNote, SettingKind, SettingSpec, SettingValue};
use crate::render::AudioBuf;
use crate::{MAX_CHANNELS, QUANTUM};
use core::ops::Range;

/// A note-on (`velocity > 0`) or note-off on the song timeline, in song frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Event {
    pub frame: u64,
    pub key: u8,
    pub velocity: u8,
    /// Which note of the sequence, so an off releases the voice its own on took.
    pub note: u32,
}

/// A sequence as the render side reads it: its notes' ons and offs in time order, offs first
/// at the same frame (a repeated key retriggers); and its notes by key and start, so a sequence
/// arriving while notes sound can tell which of them it still holds.
#[derive(Debug, Default)]
pub(super) struct Events(Vec<Event>, Vec<Span>);

/// A note of a sequence as [`Events::still_sounding`] looks it up: (key, start, end, note).
type Span = (u8, u64, u64, u32);

impl Events {
    /// The notes of key `key` that began at song frame `start` and have not ended by `frame`
    /// (their offs not yet played): where a voice playing that note finds it again.
    pub fn still_sounding(&self, key: u8, start: u64, frame: u64) -> impl Iterator<Item = u32> + '_ {
        let from = self.1.partition_point(|&(k, s, ..)| (k, s) < (key, start));
        self.1[from..]
            .iter()
            .take_while(move |&&(k, s, ..)| (k, s) == (key, start))
            .filter(move |&&(.., end, _)| end >= frame)
            .map(|&(.., note)| note)
    }

    /// A sequence's ons and offs in time order, offs first at the same frame (a repeated key
    /// retriggers). Allocates: run off the render path.
    fn of(notes: &[SequencedNote]) -> Self {
        let mut events = Vec::with_capacity(notes.len() * 2);
        let mut spans = Vec::with_capacity(notes.len());
        for (i, n) in notes.iter().enumerate() {
            let note = i as u32;
            let end = n.start.saturating_add(n.length);
            events.push(Event { frame: n.start, key: n.key, velocity: n.velocity, note });
            events.push(Event { frame: end, key: n.key, velocity: 0, note });
            spans.push((n.key, n.start, end, note));
        }
        events.sort_by_key(|e| (e.frame, e.velocity > 0, e.note));
        spans.sort_unstable();
        Self(events, spans)
    }
}

/// The settings every instrument takes, in this order, at consecutive indices of its own.
pub(super) const PLAYED: [SettingSpec; 3] = [
    SettingSpec::new("sequence", SettingKind::Sequence),
    SettingSpec::new("transport", SettingKind::Transport),
    SettingSpec::new("note", SettingKind::Note),
];

/// Control side: a sequence is checked for its setting (`sequence`, the kind's index of it) and
/// sorted, so the render side's preparation only has to pair ons with offs.
pub(super) fn check_sequence(setting: u8, sequence: u8, value: SettingValue) -> Result<SettingValue, EngineError> {
    let SettingValue::Sequence(mut notes) = value else { return Ok(value) };
    if setting != sequence {
        return Err(EngineError::new(ErrorCode::BadSetting, "only the sequence setting takes notes"));
    }
    notes.sort_by_key(|n| (n.start, n.key));
    Ok(SettingValue::Sequence(notes))
}

/// Render side, off the render path: a sequence (setting `setting` of a kind whose [`PLAYED`]
/// settings start at `first`) becomes its [`Events`], moved in later.
pub(super) fn prepare_sequence(setting: u8, first: u8, value: &mut SettingValue) {
    if setting != first {
        return;
    }
    if let SettingValue::Sequence(notes) = &*value {
        *value = SettingValue::Prepared(crate::graph::Prepared(Some(Box::new(Events::of(notes)))));
    }
}

/// A live note's id: live notes release by key, not by sequence position.
pub(super) const LIVE: u32 = u32::MAX;

/// How long after a note's start it still starts when it arrives new in a sequence (written as
/// the song passed it: an overdubbed note released just before the loop jumps back to it): at
/// once, that little late, rather than a pass later. Longer than the audio callbacks that can
/// hold a message back.
const CHASE_SECONDS: f64 = 0.05;

/// An instrument's voices, as the [`Player`] drives them.
pub(super) trait Voices {
    /// What the voices need to know for one quantum (from the instrument's parameters).
    type Shape;

    /// Starts note `note` of the sequence ([`LIVE`] for a live note) at context frame `now`;
    /// `song_start` is the song frame a sequence note began at.
    fn note_on(&mut self, key: u8, velocity: u8, note: u32, now: u64, song_start: u64, shape: &Self::Shape);
    fn note_off(&mut self, key: u8, note: u32);
    fn release_all(&mut self);
    /// Whether a voice plays note `note` of the sequence and waits for its off.
    fn holds(&self, note: u32) -> bool;
    /// A new sequence has come in at song frame `frame`: each voice waiting for an off finds
    /// its note again in `events` (so an edit elsewhere cuts nothing), or is released.
    fn rekey(&mut self, events: &Events, frame: u64);
    /// Adds the sounding voices into frames `span` of `out` (cleared at the quantum's start).
    fn render(&mut self, out: &mut AudioBuf, span: Range<usize>, shape: &Self::Shape);
    fn all_idle(&self) -> bool;
}

/// One voice as the shared voice handling sees it.
pub(super) trait Slot {
    fn idle(&self) -> bool;
    /// Its level while it fades after its note's end (`None` otherwise).
    fn releasing(&self) -> Option<f64>;
    fn started(&self) -> u64;
    /// Key, song start frame and note of the sequence note whose off it waits for.
    fn waiting(&self) -> Option<(u8, u64, u32)>;
    fn set_note(&mut self, note: u32);
    fn release(&mut self);
}

/// [`Slot`] for a voice with an envelope `stage` ([`super::envelope::Stage`]), its `level`, and
/// the `key`, `note`, `started` and `song_start` of what it plays: it waits for the off of a
/// sequence note until its release begins.
macro_rules! enveloped_slot {
    ($voice:ty) => {
        impl Slot for $voice {
            fn idle(&self) -> bool {
                self.stage == Stage::Idle
            }

            fn releasing(&self) -> Option<f64> {
                (self.stage == Stage::Release).then_some(self.level)
            }

            fn started(&self) -> u64 {
                self.started
            }

            fn waiting(&self) -> Option<(u8, u64, u32)> {
                let held = !matches!(self.stage, Stage::Idle | Stage::Release);
                (held && self.note != super::sequence::LIVE).then_some((self.key, self.song_start, self.note))
            }

            fn set_note(&mut self, note: u32) {
                self.note = note;
            }

            fn release(&mut self) {
                self.stage = Stage::Release;
            }
        }
    };
}
pub(super) use enveloped_slot;

/// The voice a new note takes: a free one, else the quietest releasing one, else the oldest.
pub(super) fn free_voice(voices: &[impl Slot]) -> usize {
    voices
        .iter()
        .position(Slot::idle)
        .or_else(|| {
            let releasing = voices.iter().enumerate().filter_map(|(i, v)| v.releasing().map(|level| (i, level)));
            releasing.min_by(|a, b| a.1.total_cmp(&b.1)).map(|(i, _)| i)
        })
        .unwrap_or_else(|| voices.iter().enumerate().min_by_key(|(_, v)| v.started()).map_or(0, |(i, _)| i))
}

/// A new sequence has come in at song frame `frame`: a note it still holds (the same key from
/// the same frame, not yet ended) sounds on, ended by its off there, so an edit elsewhere in
/// the clip, or notes overdubbed while it plays, cut nothing; the old sequence's other notes
/// end. Each voice takes a note no other voice has taken, so two voices never wait on one off.
pub(super) fn rekey(voices: &mut [impl Slot], events: &Events, frame: u64) {
    for v in 0..voices.len() {
        let Some((key, start, _)) = voices[v].waiting() else { continue };
        let (kept_before, rest) = voices.split_at_mut(v);
        let free = |note: &u32| !kept_before.iter().any(|o| o.waiting().is_some_and(|(.., n)| n == *note));
        match events.still_sounding(key, start, frame).find(free) {
            Some(note) => rest[0].set_note(note),
            None => rest[0].release(),
        }
    }
}

/// Where in the song an instrument is, and what it is to play.
#[derive(Debug)]
pub(super) struct Player {
    sample_rate: f64,
    events: Events,
    /// The next event to play.
    cursor: usize,
    transport: Transport,
    /// The song frame at the start of the next frame to render.
    song_frame: u64,
    pending: Option<Transport>,
    /// Live notes given since the last quantum, played at its start.
    live: [(u8, u8); 16],
    live_count: usize,
    /// Notes of a new sequence to start late at the next quantum's start (see
    /// [`CHASE_SECONDS`]): key, velocity, note, song frame it began at.
    chased: [(u8, u8, u32, u64); 16],
    chased_count: usize,
}

impl Player {
    pub fn new(sample_rate: f64) -> Self {
        Self {
            sample_rate,
            events: Events::default(),
            cursor: 0,
            transport: Transport::default(),
            song_frame: 0,
            pending: None,
            live: [(0, 0); 16],
            live_count: 0,
            chased: [(0, 0, 0, 0); 16],
            chased_count: 0,
        }
    }

    /// Takes the [`PLAYED`] settings of a kind that has them from index `first` on; `None`
    /// for its other settings.
    pub fn configure(
        &mut self,
        setting: u8,
        first: u8,
        value: &mut SettingValue,
        voices: &mut impl Voices,
    ) -> Option<Result<(), RenderError>> {
        match (setting.checked_sub(first)?, value) {
            (0, value) => Some(self.set_sequence(value, voices)),
            (1, &mut SettingValue::Transport { at, playing, position, loop_start, loop_end }) => {
                self.pending = Some(Transport { at, playing, position, loop_start, loop_end });
                Some(Ok(()))
            }
            (2, &mut SettingValue::Note { key, velocity }) => {
                // A live note (velocity 0 releases it), played at the next quantum's start.
                if self.live_count < self.live.len() {
                    self.live[self.live_count] = (key, velocity);
                    self.live_count += 1;
                }
                Some(Ok(()))
            }
            _ => None,
        }
    }

    /// Takes a prepared sequence in; the old one goes back into `value`, to be dropped off the
    /// render path.
    fn set_sequence(&mut self, value: &mut SettingValue, voices: &mut impl Voices) -> Result<(), RenderError> {
        let unprepared = || RenderError::new(ErrorCode::BadSetting, "a sequence arrived unprepared");
        let SettingValue::Prepared(crate::graph::Prepared(prepared)) = value else { return Err(unprepared()) };
        let Some(events) = prepared.as_mut().and_then(|b| b.downcast_mut::<Events>()) else {
            return Err(unprepared());
        };
        core::mem::swap(&mut self.events, events);
        let frame = self.song_frame;
        voices.rekey(&self.events, frame);
        self.chase(events, voices);
        self.cursor = self.events.0.partition_point(|e| e.frame < frame);
        Ok(())
    }

    /// [`Player::render`], then `out` marked silent if nothing sounds, else audible in
    /// `channels` channels.
    pub fn process<V: Voices>(
        &mut self,
        voices: &mut V,
        shape: &V::Shape,
        out: &mut AudioBuf,
        frame: u64,
        channels: usize,
    ) {
        self.render(voices, shape, out, frame);
        if voices.all_idle() && (0..channels).all(|ch| out.channel(ch).iter().all(|v| *v == 0.0)) {
            out.set_silent(1);
        } else {
            out.set_audible(channels);
        }
    }

    /// The notes of the sequence, new in it (`old` had none of that key from that frame), that
    /// began at most [`CHASE_SECONDS`] before the song's position (and, looping, not before the
    /// loop's start) and sound on past it with no voice playing them: noted to start now.
    fn chase(&mut self, old: &Events, voices: &impl Voices) {
        let t = self.transport;
        if !t.playing || self.pending.is_some() {
            self.chased_count = 0;
            return;
        }
        let frame = self.song_frame;
        // Notes chased from a sequence this one replaced before they could start stay chased
        // where this one still holds them (at its own index for them).
        let mut kept = 0;
        for i in 0..self.chased_count {
            let (key, velocity, _, start) = self.chased[i];
            if let Some(note) = self.events.still_sounding(key, start, frame + 1).next() {
                self.chased[kept] = (key, velocity, note, start);
                kept += 1;
            }
        }
        self.chased_count = kept;
        let looped_back = t.loop_end > t.loop_start && frame >= t.loop_start;
        let mut earliest = frame.saturating_sub((CHASE_SECONDS * self.sample_rate) as u64);
        if looped_back {
            earliest = earliest.max(t.loop_start);
        }
        let from = self.events.0.partition_point(|e| e.frame < earliest);
        let to = self.events.0.partition_point(|e| e.frame < frame);
        for e in self.events.0[from..to].iter().filter(|e| e.velocity > 0) {
            let was_there = old.1.binary_search_by(|&(k, s, ..)| (k, s).cmp(&(e.key, e.frame))).is_ok();
            let sounds_on = self.events.still_sounding(e.key, e.frame, frame + 1).any(|n| n == e.note);
            let chased = self.chased[..self.chased_count].iter().any(|c| c.2 == e.note);
            if !was_there && sounds_on && !voices.holds(e.note) && !chased && self.chased_count < self.chased.len() {
                self.chased[self.chased_count] = (e.key, e.velocity, e.note, e.frame);
                self.chased_count += 1;
            }
        }
    }

    /// Moves the song to `frame`: sounding notes are released, the next event is looked up.
    fn seek(&mut self, frame: u64, voices: &mut impl Voices) {
        voices.release_all();
        self.song_frame = frame;
        self.cursor = self.events.0.partition_point(|e| e.frame < frame);
    }

    /// One quantum into `out` (every channel cleared first): live and chased notes at its
    /// start, then the sequence's notes on their frames, the transport's changes on theirs.
    fn render<V: Voices>(&mut self, voices: &mut V, shape: &V::Shape, out: &mut AudioBuf, frame: u64) {
        for i in 0..core::mem::take(&mut self.live_count) {
            let (key, velocity) = self.live[i];
            if velocity > 0 {
                voices.note_on(key, velocity, LIVE, frame, 0, shape);
            } else {
                voices.note_off(key, LIVE);
            }
        }
        // Chased notes start now, unless the song moves this quantum (which would release them).
        for i in 0..core::mem::take(&mut self.chased_count) {
            if self.pending.is_none() {
                let (key, velocity, note, song_start) = self.chased[i];
                voices.note_on(key, velocity, note, frame, song_start, shape);
            }
        }
        for ch in 0..MAX_CHANNELS {
            out.channel_mut(ch).fill(0.0);
        }
        let mut offset = 0;
        while offset < QUANTUM {
            let mut end = QUANTUM;
            if let Some(t) = self.pending {
                let at = t.at.saturating_sub(frame) as usize;
                if at <= offset {
                    self.pending = None;
                    self.transport = t;
                    // A transport that arrives late (the instrument was made while the song
                    // played) joins the song where it is by now.
                    let now = frame + offset as u64;
                    self.seek(if t.playing { t.song_frame(now) } else { t.position }, voices);
                    if !t.playing {
                        voices.release_all();
                    }
                    continue;
                }
                end = end.min(at);
            }
            let t = self.transport;
            if t.playing {
                let looping = t.loop_end > t.loop_start;
                if looping && self.song_frame >= t.loop_end {
                    self.seek(t.loop_start, voices);
                    continue;
                }
                while let Some(e) = self.events.0.get(self.cursor).copied().filter(|e| e.frame <= self.song_frame) {
                    self.cursor += 1;
                    if e.frame < self.song_frame {
                        continue;
                    }
                    if e.velocity > 0 {
                        voices.note_on(e.key, e.velocity, e.note, frame + offset as u64, e.frame, shape);
                    } else {
                        voices.note_off(e.key, e.note);
                    }
                }
                if let Some(e) = self.events.0.get(self.cursor) {
                    end = end.min(offset + (e.frame - self.song_frame).min(QUANTUM as u64) as usize);
                }
                if looping {
                    end = end.min(offset + (t.loop_end - self.song_frame).min(QUANTUM as u64) as usize);
                }
            }
            voices.render(out, offset..end, shape);
            if t.playing {
                self.song_frame += (end - offset) as u64;
            }
            offset = end;
        }
    }
}
