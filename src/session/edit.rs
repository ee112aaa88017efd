//! Control side: every change to a project is an [`Edit`]. Applying one checks it first and
//! changes nothing if it is refused; applied, it hands back its inverse, so undo and redo are
//! edits too (commands, not snapshots) and the history serialises with the project.

use super::project::{
    Bus, Clip, ClipContent, ClipLoop, Device, Id, Lane, LanePoint, LaneTarget, LoopRegion, Note, Project, Send, Strip,
    TempoChange, TimeSignature, Track, TrackKind, MASTER,
};
use super::SessionError;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "edit", rename_all = "camelCase")]
pub enum Edit {
    SetTempo {
        bpm: f64,
    },
    SetTimeSignature {
        signature: TimeSignature,
    },
    /// The tempo changes after the song's start (its first tempo is [`Edit::SetTempo`]'s).
    SetTempoChanges {
        changes: Vec<TempoChange>,
    },
    AddTrack {
        index: usize,
        track: Track,
    },
    /// Moves a track to place `index` among the tracks (counted after it is taken out; past
    /// the end: last).
    MoveTrack {
        track: Id,
        index: usize,
    },
    RemoveTrack {
        track: Id,
    },
    SetStrip {
        track: Id,
        strip: Strip,
    },
    AddClip {
        track: Id,
        clip: Clip,
    },
    RemoveClip {
        track: Id,
        clip: Id,
    },
    /// Moves or resizes a clip (start and length in ticks).
    SetClipSpan {
        track: Id,
        clip: Id,
        start: u64,
        length: u64,
    },
    /// Sets an audio clip's level (dB) and its fades in and out (ticks).
    SetClipFades {
        track: Id,
        clip: Id,
        gain_db: f32,
        fade_in: u64,
        fade_out: u64,
    },
    /// Makes a clip's content repeat over its length, or (`None`) play once.
    SetClipLoop {
        track: Id,
        clip: Id,
        looping: Option<ClipLoop>,
    },
    AddNote {
        track: Id,
        clip: Id,
        note: Note,
    },
    RemoveNote {
        track: Id,
        clip: Id,
        note: Id,
    },
    /// Makes take `take` (counted from 0, in the order they were recorded) the one a clip
    /// plays: a stretch of the recorded sample, or a pass of notes.
    ChooseTake {
        track: Id,
        clip: Id,
        take: usize,
    },
    /// Moves, resizes or re-voices a note (the note with `note.id`).
    SetNote {
        track: Id,
        clip: Id,
        note: Note,
    },
    AddInsert {
        track: Id,
        index: usize,
        device: Device,
    },
    RemoveInsert {
        track: Id,
        device: Id,
    },
    /// Moves an insert to place `index` in its chain (counted after it is taken out; past
    /// the end: last).
    MoveInsert {
        track: Id,
        device: Id,
        index: usize,
    },
    /// Gives a MIDI track another instrument (`None`: the default synth), under a fresh id;
    /// lanes of the old one go with it.
    SetInstrument {
        track: Id,
        instrument: Option<Device>,
    },
    SetParam {
        track: Id,
        device: Id,
        name: String,
        value: Option<f32>,
    },
    SetBypass {
        track: Id,
        device: Id,
        bypass: bool,
    },
    /// Gives a device that plays a sample (a sampler) the sample of that name (`None`: none).
    SetDeviceSample {
        track: Id,
        device: Id,
        sample: Option<String>,
    },
    /// Gives a drum kit's pad (by its key) a sample of its own (`None`: its synthesised drum).
    SetPadSample {
        track: Id,
        device: Id,
        key: u8,
        sample: Option<String>,
    },
    /// Sets a drum kit's pad's level (dB) and tuning (semitones, added to the kit's).
    SetPadLevel {
        track: Id,
        device: Id,
        key: u8,
        level_db: f32,
        tune: f32,
    },
    /// Picks a choice setting of a device (`None`: its first choice).
    SetChoice {
        track: Id,
        device: Id,
        name: String,
        choice: Option<String>,
    },
    /// The loop region (`None`: no region).
    SetLoop {
        region: Option<LoopRegion>,
    },
    AddBus {
        index: usize,
        bus: Bus,
    },
    RemoveBus {
        bus: Id,
    },
    SetSend {
        track: Id,
        bus: Id,
        gain_db: Option<f32>,
    },
    /// Sets the points of an automation lane for `target` of a track, a bus or the master
    /// (`track` 0) (`None`: no lane).
    SetLane {
        track: Id,
        target: LaneTarget,
        points: Option<Vec<LanePoint>>,
    },
    /// Names the project (`id` 0) or a track or bus.
    Rename {
        id: Id,
        name: String,
    },
    /// Several edits as one step (a clip split is a resize and an add).
    Batch {
        edits: Vec<Edit>,
    },
}

impl Edit {
    /// Whether both edits set the same one value (so one can stand in for the other's undo).
    fn same_setting(&self, other: &Edit) -> bool {
        use Edit::*;
        match (self, other) {
            (SetTempo { .. }, SetTempo { .. })
            | (SetLoop { .. }, SetLoop { .. })
            | (SetTempoChanges { .. }, SetTempoChanges { .. }) => true,
            (Rename { id: a, .. }, Rename { id: b, .. }) => a == b,
            (SetStrip { track: a, .. }, SetStrip { track: b, .. }) => a == b,
            (SetSend { track: a, bus: x, .. }, SetSend { track: b, bus: y, .. }) => a == b && x == y,
            (SetLane { track: a, target: x, .. }, SetLane { track: b, target: y, .. }) => a == b && x == y,
            (SetClipFades { track: a, clip: x, .. }, SetClipFades { track: b, clip: y, .. }) => a == b && x == y,
            (SetPadLevel { track: a, device: x, key: m, .. }, SetPadLevel { track: b, device: y, key: n, .. }) => {
                a == b && x == y && m == n
            }
            (SetParam { track: a, device: x, name: m, .. }, SetParam { track: b, device: y, name: n, .. })
            | (SetChoice { track: a, device: x, name: m, .. }, SetChoice { track: b, device: y, name: n, .. }) => {
                a == b && x == y && m == n
            }
            _ => false,
        }
    }
}

/// Tempo range a project takes.
pub const TEMPO_RANGE: core::ops::RangeInclusive<f64> = 20.0..=999.0;
/// The longest name a project, track or bus takes.
pub const MAX_NAME_CHARS: usize = 100;
/// The loudest a fader goes.
pub const MAX_GAIN_DB: f32 = 24.0;
/// The levels an audio clip's own gain goes between, in dB.
pub const CLIP_GAIN_DB: core::ops::RangeInclusive<f32> = -60.0..=24.0;
/// The quietest a volume lane goes (it is silence to the ear).
pub const MIN_LANE_DB: f32 = -96.0;
/// Tempo changes a project takes.
pub const MAX_TEMPO_CHANGES: usize = 100_000;
/// Points one automation lane takes.
pub const MAX_LANE_POINTS: usize = 100_000;
/// Repeats one looped clip takes (each of an audio clip's is a node in the engine's graph).
pub const MAX_REPEATS: u64 = 256;

fn refuse(message: impl Into<String>) -> SessionError {
    SessionError::Invalid(message.into())
}

fn missing(what: &str, id: Id) -> SessionError {
    SessionError::NotFound(format!("{what} {id}"))
}

pub(crate) fn check_strip(strip: &Strip) -> Result<(), SessionError> {
    if !(strip.gain_db.is_finite() || strip.gain_db == f32::NEG_INFINITY) || strip.gain_db > MAX_GAIN_DB {
        return Err(refuse(format!("a gain of {} dB (faders go up to +{MAX_GAIN_DB} dB)", strip.gain_db)));
    }
    if !(-1.0..=1.0).contains(&strip.pan) {
        return Err(refuse(format!("a pan of {} (−1 is left, 1 right)", strip.pan)));
    }
    Ok(())
}

/// Changes of tempo after the start: in tick order, one per tick, each at a tempo the project takes.
pub(crate) fn check_tempo_changes(changes: &[TempoChange]) -> Result<(), SessionError> {
    if changes.len() > MAX_TEMPO_CHANGES {
        return Err(refuse(format!("{} tempo changes (at most {MAX_TEMPO_CHANGES})", changes.len())));
    }
    if let Some(c) = changes.iter().find(|c| !TEMPO_RANGE.contains(&c.bpm)) {
        return Err(refuse(format!("a tempo of {} BPM at tick {} (20–999 are taken)", c.bpm, c.tick)));
    }
    if changes.first().is_some_and(|c| c.tick == 0) {
        return Err(refuse("a tempo change at tick 0: the song's first tempo is its tempo"));
    }
    if let Some(w) = changes.windows(2).find(|w| w[1].tick <= w[0].tick) {
        return Err(refuse(format!("a tempo change at tick {} after one at tick {}", w[1].tick, w[0].tick)));
    }
    Ok(())
}

/// A note may start past its clip's end: trimming a clip hides the notes it no longer reaches,
/// silent but kept, and lengthening it again brings them back.
pub(crate) fn check_note(note: &Note) -> Result<(), SessionError> {
    if note.key > 127 {
        return Err(refuse(format!("note {}: key {} is outside MIDI's 0–127", note.id, note.key)));
    }
    if !(1..=127).contains(&note.velocity) {
        return Err(refuse(format!("note {}: velocity {} is outside 1–127", note.id, note.velocity)));
    }
    if note.length == 0 {
        return Err(refuse(format!("note {}: a length of zero ticks", note.id)));
    }
    if note.start.checked_add(note.length).is_none() {
        return Err(refuse(format!("note {}: ends past the end of time", note.id)));
    }
    Ok(())
}

pub(crate) fn check_clip(clip: &Clip) -> Result<(), SessionError> {
    if clip.length == 0 {
        return Err(refuse(format!("clip {}: a length of zero ticks", clip.id)));
    }
    clip.start
        .checked_add(clip.length)
        .ok_or_else(|| refuse(format!("clip {}: ends past the end of time", clip.id)))?;
    if let Some(ClipLoop { length, phase }) = clip.looping {
        if length == 0 {
            return Err(refuse(format!("clip {}: a loop of zero ticks", clip.id)));
        }
        if phase >= length {
            return Err(refuse(format!("clip {}: starts {phase} ticks into a loop of {length}", clip.id)));
        }
        // Each repeat of an audio clip is a node of the engine's graph.
        let repeats = clip.length.checked_add(phase).map_or(u64::MAX, |ticks| ticks.div_ceil(length));
        if repeats > MAX_REPEATS {
            return Err(refuse(format!(
                "clip {}: its loop of {length} ticks would repeat {repeats} times; at most {MAX_REPEATS}",
                clip.id
            )));
        }
    }
    match &clip.content {
        ClipContent::Midi { takes, take, .. } => {
            for n in clip.content.notes_of_every_take() {
                check_note(n)?;
            }
            if takes.is_empty() && *take != 0 {
                return Err(refuse(format!("clip {}: take {} plays, but it has no takes", clip.id, take + 1)));
            }
            if !takes.is_empty() && takes.get(*take).is_none_or(|t| !t.is_empty()) {
                return Err(refuse(format!(
                    "clip {}: take {} plays, but its {} takes do not keep that one's place",
                    clip.id,
                    take + 1,
                    takes.len()
                )));
            }
        }
        ClipContent::Audio { offset, takes, gain_db, fade_in, fade_out, .. } => {
            if !(CLIP_GAIN_DB.contains(gain_db)) {
                return Err(refuse(format!(
                    "clip {}: a gain of {gain_db} dB; a clip's gain goes from {} to {} dB",
                    clip.id,
                    CLIP_GAIN_DB.start(),
                    CLIP_GAIN_DB.end()
                )));
            }
            if fade_in.checked_add(*fade_out).is_none() {
                return Err(refuse(format!("clip {}: fades past the end of time", clip.id)));
            }
            if !takes.is_empty() && !takes.contains(offset) {
                return Err(refuse(format!(
                    "clip {}: its offset ({offset} frames) is none of its takes' starts",
                    clip.id
                )));
            }
        }
    }
    Ok(())
}

/// Changes key `key`'s pad of a kit with `change`, which gives back what it replaced; a pad left
/// plain leaves the kit's list, so a kit lists only pads that differ. Nothing changes on a refusal.
fn change_pad<T>(device: &mut Device, key: u8, change: impl FnOnce(&mut super::Pad) -> T) -> Result<T, SessionError> {
    let mut pads = device.pads.clone();
    let at = pads.binary_search_by_key(&key, |p| p.key).unwrap_or_else(|i| {
        pads.insert(i, super::Pad::plain(key));
        i
    });
    let old = change(&mut pads[at]);
    if pads[at].is_plain() {
        pads.remove(at);
    }
    check_device(&Device { pads: pads.clone(), ..device.clone() })?;
    device.pads = pads;
    Ok(old)
}

pub(crate) fn check_device(device: &Device) -> Result<(), SessionError> {
    let Some((_, kind)) = crate::node::find(&device.kind) else {
        return Err(refuse(format!("device {}: Quaver has no device kind '{}'", device.id, device.kind)));
    };
    for (name, value) in &device.params {
        check_param(device, kind, name, *value)?;
    }
    for (name, choice) in &device.choices {
        check_choice(device, kind, name, choice)?;
    }
    if let Some(sample) = &device.sample {
        let plays = kind
            .spec
            .settings
            .iter()
            .any(|s| s.name == "buffer" && s.kind == crate::graph::SettingKind::Samples { stored: true });
        if !plays {
            return Err(refuse(format!("device {} ({}) plays no sample", device.id, device.kind)));
        }
        if sample.is_empty() {
            return Err(refuse(format!("device {} ({}): a sample needs a name", device.id, device.kind)));
        }
    }
    for pad in &device.pads {
        let setting = crate::node::pad_setting(pad.key, crate::node::PadSetting::Sample);
        if setting.and_then(|s| kind.spec.setting_index(&s)).is_none() {
            return Err(refuse(format!("device {} ({}) has no pad on key {}", device.id, device.kind, pad.key)));
        }
        if pad.sample.as_ref().is_some_and(String::is_empty) {
            return Err(refuse(format!(
                "device {} ({}): pad {}'s sample needs a name",
                device.id, device.kind, pad.key
            )));
        }
        let within = |value: f32, (min, max): (f64, f64)| (min..=max).contains(&f64::from(value));
        if !within(pad.level_db, crate::node::PAD_LEVEL_DB) || !within(pad.tune, crate::node::PAD_TUNE) {
            let ((low, high), (flat, sharp)) = (crate::node::PAD_LEVEL_DB, crate::node::PAD_TUNE);
            return Err(refuse(format!(
                "device {} ({}): pad {} at {} dB tuned {} semitones; a pad's level goes from {low} to {high} dB, its tuning from {flat} to {sharp}",
                device.id, device.kind, pad.key, pad.level_db, pad.tune
            )));
        }
    }
    if device.pads.windows(2).any(|w| w[0].key >= w[1].key) {
        return Err(refuse(format!(
            "device {} ({}): its pads are not one a key, in key order",
            device.id, device.kind
        )));
    }
    Ok(())
}

/// A track's instrument: a device kind that plays a sequence.
pub(crate) fn check_instrument(device: &Device) -> Result<(), SessionError> {
    check_device(device)?;
    let plays = crate::node::find(&device.kind).is_some_and(|(_, k)| k.spec.setting_index("sequence").is_some());
    if !plays {
        return Err(refuse(format!(
            "device {} ({}) cannot be an instrument: it plays no notes",
            device.id, device.kind
        )));
    }
    Ok(())
}

fn check_param(device: &Device, kind: &crate::node::NodeType, name: &str, value: f32) -> Result<(), SessionError> {
    if !kind.spec.params.iter().any(|p| p.name == name) {
        return Err(refuse(format!("device {} ({}) has no parameter '{name}'", device.id, device.kind)));
    }
    if !value.is_finite() {
        return Err(refuse(format!("device {} ({}): {name} = {value} is not a number", device.id, device.kind)));
    }
    Ok(())
}

/// What lanes on one channel can move: its devices, and whether it has a pan.
pub(crate) struct LaneOwner<'a> {
    what: String,
    devices: Vec<&'a Device>,
    pan: bool,
}

impl<'a> LaneOwner<'a> {
    pub(crate) fn track(track: &'a Track) -> Self {
        Self {
            what: format!("track {}", track.id),
            devices: track.inserts.iter().chain(&track.instrument).collect(),
            pan: true,
        }
    }

    pub(crate) fn bus(bus: &'a Bus) -> Self {
        Self { what: format!("bus {}", bus.id), devices: bus.inserts.iter().collect(), pan: true }
    }

    pub(crate) fn master() -> Self {
        Self { what: "the master".into(), devices: Vec::new(), pan: true }
    }

    /// The owner of channel `id`: a track, a bus, or the master ([`MASTER`]).
    fn of(project: &'a Project, id: Id) -> Result<Self, SessionError> {
        if id == MASTER {
            return Ok(Self::master());
        }
        if let Some(t) = project.tracks.iter().find(|t| t.id == id) {
            return Ok(Self::track(t));
        }
        project.buses.iter().find(|b| b.id == id).map(Self::bus).ok_or_else(|| missing("track or bus", id))
    }
}

/// A lane of a channel: its target is there, its points in tick order and in the target's range.
pub(crate) fn check_lane(owner: &LaneOwner<'_>, lane: &Lane) -> Result<(), SessionError> {
    let what = || format!("{}: the lane for {}", owner.what, lane_name(&lane.target));
    let (min, max) = match &lane.target {
        LaneTarget::Gain => (MIN_LANE_DB, MAX_GAIN_DB),
        LaneTarget::Pan if !owner.pan => return Err(refuse(format!("{}: it has no pan", what()))),
        LaneTarget::Pan => (-1.0, 1.0),
        LaneTarget::Param { device, param } => {
            let d = owner
                .devices
                .iter()
                .find(|d| d.id == *device)
                .ok_or_else(|| refuse(format!("{}: there is no device {device}", what())))?;
            let spec = crate::node::find(&d.kind)
                .and_then(|(_, k)| k.spec.params.iter().find(|p| p.name == param))
                .ok_or_else(|| {
                    refuse(format!("{}: device {device} ({}) has no parameter '{param}'", what(), d.kind))
                })?;
            let bound = |b: crate::graph::Bound, fallback: f32| match b {
                crate::graph::Bound::Value(v) => v,
                _ => fallback,
            };
            (bound(spec.min, f32::MIN), bound(spec.max, f32::MAX))
        }
    };
    if lane.points.is_empty() {
        return Err(refuse(format!("{}: a lane needs at least one point", what())));
    }
    if lane.points.len() > MAX_LANE_POINTS {
        return Err(refuse(format!("{}: {} points (at most {MAX_LANE_POINTS})", what(), lane.points.len())));
    }
    if let Some(w) = lane.points.windows(2).find(|w| w[1].tick <= w[0].tick) {
        return Err(refuse(format!("{}: a point at tick {} after one at tick {}", what(), w[1].tick, w[0].tick)));
    }
    if let Some(p) = lane.points.iter().find(|p| !p.value.is_finite() || p.value < min || p.value > max) {
        return Err(refuse(format!(
            "{}: a value of {} at tick {} ({min} to {max} are taken)",
            what(),
            p.value,
            p.tick
        )));
    }
    Ok(())
}

/// Every lane of a channel, and at most one per target.
pub(crate) fn check_lanes(owner: &LaneOwner<'_>, lanes: &[Lane]) -> Result<(), SessionError> {
    for (i, lane) in lanes.iter().enumerate() {
        check_lane(owner, lane)?;
        if lanes[..i].iter().any(|l| l.target == lane.target) {
            return Err(refuse(format!("{}: two lanes for {}", owner.what, lane_name(&lane.target))));
        }
    }
    Ok(())
}

/// The lanes of a track, a bus, or the master ([`MASTER`]).
fn lanes_mut(project: &mut Project, channel: Id) -> Result<&mut Vec<Lane>, SessionError> {
    channel_mut(project, channel).map(|c| c.automation)
}

fn lane_name(target: &LaneTarget) -> String {
    match target {
        LaneTarget::Gain => "volume".into(),
        LaneTarget::Pan => "pan".into(),
        LaneTarget::Param { device, param } => format!("{param} of device {device}"),
    }
}

/// MIDI clips go on MIDI tracks, audio clips on audio tracks.
fn clip_fits(clip: &Clip, kind: TrackKind) -> bool {
    matches!(
        (&clip.content, kind),
        (ClipContent::Midi { .. }, TrackKind::Midi) | (ClipContent::Audio { .. }, TrackKind::Audio)
    )
}

/// A whole track as the edits would have made it: strip, clips (of the track's kind), devices,
/// and sends to buses that are there.
pub(crate) fn check_track(project: &Project, track: &Track) -> Result<(), SessionError> {
    check_strip(&track.strip)?;
    for clip in &track.clips {
        check_clip(clip)?;
        if !clip_fits(clip, track.kind) {
            return Err(refuse(format!(
                "clip {} does not fit track {}: MIDI clips go on MIDI tracks, audio on audio",
                clip.id, track.id
            )));
        }
    }
    for d in &track.inserts {
        check_device(d)?;
    }
    if let Some(i) = &track.instrument {
        check_instrument(i)?;
    }
    if let Some(s) = track.sends.iter().find(|s| !project.buses.iter().any(|b| b.id == s.bus)) {
        return Err(refuse(format!("track {} sends to bus {}, which is not there", track.id, s.bus)));
    }
    check_lanes(&LaneOwner::track(track), &track.automation)
}

/// Whether `ids` are fresh in `project`: an added part may not reuse an id.
fn check_fresh(project: &Project, ids: impl IntoIterator<Item = Id>) -> Result<(), SessionError> {
    let mut seen: Vec<Id> = project.ids().collect();
    seen.sort_unstable();
    let mut new: Vec<Id> = Vec::new();
    for id in ids {
        if id == MASTER {
            return Err(refuse("id 0 names the master; a part needs another"));
        }
        if seen.binary_search(&id).is_ok() || new.contains(&id) {
            return Err(refuse(format!("id {id} is already in use")));
        }
        new.push(id);
    }
    Ok(())
}

fn track_ids(track: &Track) -> Vec<Id> {
    let mut ids = vec![track.id];
    for c in &track.clips {
        ids.push(c.id);
        ids.extend(c.content.notes_of_every_take().map(|n| n.id));
    }
    ids.extend(track.inserts.iter().chain(&track.instrument).map(|d| d.id));
    ids
}

/// Takes a removed device's lanes off its channel (a later device could be given its id).
fn take_lanes_of(project: &mut Project, channel: Id, device: Id) -> Result<Vec<Lane>, SessionError> {
    let all = lanes_mut(project, channel)?;
    let (gone, kept) = core::mem::take(all)
        .into_iter()
        .partition(|l: &Lane| matches!(&l.target, LaneTarget::Param { device: d, .. } if *d == device));
    *all = kept;
    Ok(gone)
}

/// `restore`, then the lanes that went with what it restores.
fn with_lanes_back(restore: Edit, channel: Id, lanes: Vec<Lane>) -> Edit {
    if lanes.is_empty() {
        return restore;
    }
    let mut edits = vec![restore];
    edits.extend(lanes.into_iter().map(|l| Edit::SetLane { track: channel, target: l.target, points: Some(l.points) }));
    Edit::Batch { edits }
}

fn track_mut(project: &mut Project, id: Id) -> Result<&mut Track, SessionError> {
    project.tracks.iter_mut().find(|t| t.id == id).ok_or_else(|| missing("track", id))
}

fn clip_mut(project: &mut Project, track: Id, clip: Id) -> Result<&mut Clip, SessionError> {
    track_mut(project, track)?.clips.iter_mut().find(|c| c.id == clip).ok_or_else(|| missing("clip", clip))
}

fn notes_mut(project: &mut Project, track: Id, clip: Id) -> Result<&mut Vec<Note>, SessionError> {
    let clip = clip_mut(project, track, clip)?;
    match &mut clip.content {
        ClipContent::Midi { notes, .. } => Ok(notes),
        ClipContent::Audio { .. } => Err(refuse(format!("clip {} holds audio, not notes", clip.id))),
    }
}

/// The insert chain of a track or a bus.
fn inserts_mut(project: &mut Project, channel: Id) -> Result<&mut Vec<Device>, SessionError> {
    channel_mut(project, channel)?.inserts.ok_or_else(|| missing("track or bus", channel))
}

/// The strip of a track, a bus, or the master ([`MASTER`]).
fn strip_mut(project: &mut Project, channel: Id) -> Result<&mut Strip, SessionError> {
    channel_mut(project, channel).map(|c| c.strip)
}

/// The parts of a mixer channel that edits change; the master has no inserts.
struct ChannelMut<'a> {
    strip: &'a mut Strip,
    inserts: Option<&'a mut Vec<Device>>,
    automation: &'a mut Vec<Lane>,
}

/// A track, a bus, or the master ([`MASTER`]), found once for every kind of edit.
fn channel_mut(project: &mut Project, channel: Id) -> Result<ChannelMut<'_>, SessionError> {
    if channel == MASTER {
        return Ok(ChannelMut {
            strip: &mut project.master,
            inserts: None,
            automation: &mut project.master_automation,
        });
    }
    if let Some(t) = project.tracks.iter_mut().find(|t| t.id == channel) {
        return Ok(ChannelMut { strip: &mut t.strip, inserts: Some(&mut t.inserts), automation: &mut t.automation });
    }
    project
        .buses
        .iter_mut()
        .find(|b| b.id == channel)
        .map(|b| ChannelMut { strip: &mut b.strip, inserts: Some(&mut b.inserts), automation: &mut b.automation })
        .ok_or_else(|| missing("track or bus", channel))
}

/// An insert of a track or bus, or a track's instrument.
fn device_mut(project: &mut Project, channel: Id, device: Id) -> Result<&mut Device, SessionError> {
    if project.tracks.iter().any(|t| t.id == channel) {
        let t = track_mut(project, channel)?;
        return t
            .inserts
            .iter_mut()
            .chain(t.instrument.as_mut())
            .find(|d| d.id == device)
            .ok_or_else(|| missing("device", device));
    }
    inserts_mut(project, channel)?.iter_mut().find(|d| d.id == device).ok_or_else(|| missing("device", device))
}

fn check_choice(device: &Device, kind: &crate::node::NodeType, name: &str, choice: &str) -> Result<(), SessionError> {
    let choices = kind.spec.settings.iter().find(|s| s.name == name).and_then(|s| match s.kind {
        crate::graph::SettingKind::Choice { choices } => Some(choices),
        _ => None,
    });
    let Some(choices) = choices else {
        return Err(refuse(format!("device {} ({}) has no choice setting '{name}'", device.id, device.kind)));
    };
    if !choices.contains(&choice) {
        return Err(refuse(format!(
            "device {} ({}): '{choice}' is not one of {name}'s choices ({})",
            device.id,
            device.kind,
            choices.join(", ")
        )));
    }
    Ok(())
}

impl Project {
    /// Applies `edit` and returns the edit that undoes it; a refused edit changes nothing.
    pub fn apply(&mut self, edit: Edit) -> Result<Edit, SessionError> {
        Ok(match edit {
            Edit::SetTempo { bpm } => {
                if !TEMPO_RANGE.contains(&bpm) {
                    return Err(refuse(format!("a tempo of {bpm} BPM (20–999 are taken)")));
                }
                Edit::SetTempo { bpm: core::mem::replace(&mut self.tempo_bpm, bpm) }
            }
            Edit::SetTimeSignature { signature } => {
                let power_of_two = signature.denominator.is_power_of_two() && signature.denominator <= 32;
                if signature.numerator == 0 || signature.numerator > 32 || !power_of_two {
                    return Err(refuse(format!(
                        "a time signature of {}/{}",
                        signature.numerator, signature.denominator
                    )));
                }
                Edit::SetTimeSignature { signature: core::mem::replace(&mut self.time_signature, signature) }
            }
            Edit::SetTempoChanges { changes } => {
                check_tempo_changes(&changes)?;
                Edit::SetTempoChanges { changes: core::mem::replace(&mut self.tempo_changes, changes) }
            }
            Edit::AddTrack { index, track } => {
                check_fresh(self, track_ids(&track))?;
                check_track(self, &track)?;
                let id = track.id;
                self.tracks.insert(index.min(self.tracks.len()), track);
                Edit::RemoveTrack { track: id }
            }
            Edit::RemoveTrack { track } => {
                let index = self.tracks.iter().position(|t| t.id == track).ok_or_else(|| missing("track", track))?;
                Edit::AddTrack { index, track: self.tracks.remove(index) }
            }
            Edit::SetStrip { track, strip } => {
                check_strip(&strip)?;
                let s = strip_mut(self, track)?;
                Edit::SetStrip { track, strip: core::mem::replace(s, strip) }
            }
            Edit::AddClip { track, clip } => {
                check_fresh(self, core::iter::once(clip.id).chain(clip.content.notes_of_every_take().map(|n| n.id)))?;
                check_clip(&clip)?;
                let t = track_mut(self, track)?;
                let fits = clip_fits(&clip, t.kind);
                if !fits {
                    return Err(refuse(format!(
                        "clip {} does not fit track {track}: MIDI clips go on MIDI tracks, audio on audio",
                        clip.id
                    )));
                }
                let id = clip.id;
                t.clips.push(clip);
                t.clips.sort_by_key(|c| (c.start, c.id));
                Edit::RemoveClip { track, clip: id }
            }
            Edit::RemoveClip { track, clip } => {
                let t = track_mut(self, track)?;
                let index = t.clips.iter().position(|c| c.id == clip).ok_or_else(|| missing("clip", clip))?;
                Edit::AddClip { track, clip: t.clips.remove(index) }
            }
            Edit::SetClipSpan { track, clip, start, length } => {
                let c = clip_mut(self, track, clip)?;
                let mut moved = c.clone();
                moved.start = start;
                moved.length = length;
                check_clip(&moved)?;
                let inverse = Edit::SetClipSpan { track, clip, start: c.start, length: c.length };
                *c = moved;
                track_mut(self, track)?.clips.sort_by_key(|c| (c.start, c.id));
                inverse
            }
            Edit::SetClipFades { track, clip, gain_db, fade_in, fade_out } => {
                // Fades longer than the clip are kept (a trimmed clip plays them shrunk, see
                // `Clip::fades`), so this edit's inverse always applies.
                let c = clip_mut(self, track, clip)?;
                let mut changed = c.clone();
                let ClipContent::Audio { gain_db: g, fade_in: i, fade_out: o, .. } = &mut changed.content else {
                    return Err(refuse(format!("clip {clip} is a MIDI clip: only an audio clip has a gain and fades")));
                };
                let old =
                    (core::mem::replace(g, gain_db), core::mem::replace(i, fade_in), core::mem::replace(o, fade_out));
                check_clip(&changed)?;
                *c = changed;
                Edit::SetClipFades { track, clip, gain_db: old.0, fade_in: old.1, fade_out: old.2 }
            }
            Edit::SetClipLoop { track, clip, looping } => {
                let c = clip_mut(self, track, clip)?;
                let mut changed = c.clone();
                changed.looping = looping;
                check_clip(&changed)?;
                Edit::SetClipLoop { track, clip, looping: core::mem::replace(&mut c.looping, looping) }
            }
            Edit::ChooseTake { track, clip, take } => {
                let c = clip_mut(self, track, clip)?;
                let count = match &c.content {
                    ClipContent::Audio { takes, .. } => takes.len(),
                    ClipContent::Midi { takes, .. } => takes.len(),
                };
                if count == 0 {
                    return Err(refuse(format!("clip {clip} was not recorded over a loop: it has no takes")));
                }
                if take >= count {
                    return Err(refuse(format!("clip {clip} has {count} takes; there is no take {}", take + 1)));
                }
                let playing = match &mut c.content {
                    ClipContent::Audio { offset, takes, .. } => {
                        let playing = takes
                            .iter()
                            .position(|t| t == offset)
                            .ok_or_else(|| refuse(format!("clip {clip}: its offset is none of its takes' starts")))?;
                        *offset = takes[take];
                        playing
                    }
                    ClipContent::Midi { notes, takes, take: playing } => {
                        if *playing >= count {
                            return Err(refuse(format!("clip {clip}: take {} plays, of {count}", *playing + 1)));
                        }
                        // The playing notes back to their take's place, the chosen take's out of
                        // its own: swaps, so undoing gives back every take as it was.
                        core::mem::swap(notes, &mut takes[*playing]);
                        core::mem::swap(notes, &mut takes[take]);
                        core::mem::replace(playing, take)
                    }
                };
                Edit::ChooseTake { track, clip, take: playing }
            }
            Edit::AddNote { track, clip, note } => {
                check_fresh(self, [note.id])?;
                let notes = notes_mut(self, track, clip)?;
                check_note(&note)?;
                let at = notes.partition_point(|n| (n.start, n.key, n.id) < (note.start, note.key, note.id));
                notes.insert(at, note);
                Edit::RemoveNote { track, clip, note: note.id }
            }
            Edit::RemoveNote { track, clip, note } => {
                let notes = notes_mut(self, track, clip)?;
                let index = notes.iter().position(|n| n.id == note).ok_or_else(|| missing("note", note))?;
                Edit::AddNote { track, clip, note: notes.remove(index) }
            }
            Edit::SetNote { track, clip, note } => {
                let notes = notes_mut(self, track, clip)?;
                check_note(&note)?;
                let index = notes.iter().position(|n| n.id == note.id).ok_or_else(|| missing("note", note.id))?;
                let old = core::mem::replace(&mut notes[index], note);
                notes.sort_by_key(|n| (n.start, n.key, n.id));
                Edit::SetNote { track, clip, note: old }
            }
            Edit::AddInsert { track, index, device } => {
                check_fresh(self, [device.id])?;
                check_device(&device)?;
                let inserts = inserts_mut(self, track)?;
                let id = device.id;
                inserts.insert(index.min(inserts.len()), device);
                Edit::RemoveInsert { track, device: id }
            }
            Edit::RemoveInsert { track, device } => {
                let inserts = inserts_mut(self, track)?;
                let index = inserts.iter().position(|d| d.id == device).ok_or_else(|| missing("device", device))?;
                let restore = Edit::AddInsert { track, index, device: inserts.remove(index) };
                with_lanes_back(restore, track, take_lanes_of(self, track, device)?)
            }
            Edit::MoveTrack { track, index } => {
                let from = self.tracks.iter().position(|t| t.id == track).ok_or_else(|| missing("track", track))?;
                let moved = self.tracks.remove(from);
                self.tracks.insert(index.min(self.tracks.len()), moved);
                Edit::MoveTrack { track, index: from }
            }
            Edit::MoveInsert { track, device, index } => {
                let inserts = inserts_mut(self, track)?;
                let from = inserts.iter().position(|d| d.id == device).ok_or_else(|| missing("device", device))?;
                let moved = inserts.remove(from);
                inserts.insert(index.min(inserts.len()), moved);
                Edit::MoveInsert { track, device, index: from }
            }
            Edit::SetInstrument { track, instrument } => {
                let t = self.track(track).ok_or_else(|| missing("track", track))?;
                if t.kind != TrackKind::Midi {
                    return Err(refuse(format!("track {track} is an audio track: it plays no instrument")));
                }
                if let Some(device) = &instrument {
                    check_fresh(self, [device.id])?;
                    check_instrument(device)?;
                }
                let old = core::mem::replace(&mut track_mut(self, track)?.instrument, instrument);
                let lanes = match &old {
                    Some(device) => take_lanes_of(self, track, device.id)?,
                    None => Vec::new(),
                };
                with_lanes_back(Edit::SetInstrument { track, instrument: old }, track, lanes)
            }
            Edit::SetLane { track, target, points } => {
                if let Some(points) = &points {
                    check_lane(&LaneOwner::of(self, track)?, &Lane { target: target.clone(), points: points.clone() })?;
                }
                let lanes = lanes_mut(self, track)?;
                let index = lanes.iter().position(|l| l.target == target);
                let old = match (index, points) {
                    (Some(i), Some(p)) => Some(core::mem::replace(&mut lanes[i].points, p)),
                    (Some(i), None) => Some(lanes.remove(i).points),
                    (None, Some(p)) => {
                        // Kept in target order, so undoing gives back the same list.
                        let at = lanes.partition_point(|l| l.target < target);
                        lanes.insert(at, Lane { target: target.clone(), points: p });
                        None
                    }
                    (None, None) => None,
                };
                Edit::SetLane { track, target, points: old }
            }
            Edit::SetParam { track, device, name, value } => {
                let d = device_mut(self, track, device)?;
                if let Some(v) = value {
                    let (_, kind) =
                        crate::node::find(&d.kind).ok_or_else(|| refuse(format!("unknown kind {}", d.kind)))?;
                    check_param(d, kind, &name, v)?;
                }
                let old = match value {
                    Some(v) => d.params.insert(name.clone(), v),
                    None => d.params.remove(&name),
                };
                Edit::SetParam { track, device, name, value: old }
            }
            Edit::SetBypass { track, device, bypass } => {
                let d = device_mut(self, track, device)?;
                Edit::SetBypass { track, device, bypass: core::mem::replace(&mut d.bypass, bypass) }
            }
            Edit::SetDeviceSample { track, device, sample } => {
                let d = device_mut(self, track, device)?;
                check_device(&Device { sample: sample.clone(), ..d.clone() })?;
                Edit::SetDeviceSample { track, device, sample: core::mem::replace(&mut d.sample, sample) }
            }
            Edit::SetPadSample { track, device, key, sample } => {
                let old = change_pad(device_mut(self, track, device)?, key, |pad| {
                    core::mem::replace(&mut pad.sample, sample)
                })?;
                Edit::SetPadSample { track, device, key, sample: old }
            }
            Edit::SetPadLevel { track, device, key, level_db, tune } => {
                let (level_db, tune) = change_pad(device_mut(self, track, device)?, key, |pad| {
                    (core::mem::replace(&mut pad.level_db, level_db), core::mem::replace(&mut pad.tune, tune))
                })?;
                Edit::SetPadLevel { track, device, key, level_db, tune }
            }
            Edit::SetChoice { track, device, name, choice } => {
                let d = device_mut(self, track, device)?;
                if let Some(c) = &choice {
                    let (_, kind) =
                        crate::node::find(&d.kind).ok_or_else(|| refuse(format!("unknown kind {}", d.kind)))?;
                    check_choice(d, kind, &name, c)?;
                }
                let old = match choice {
                    Some(c) => d.choices.insert(name.clone(), c),
                    None => d.choices.remove(&name),
                };
                Edit::SetChoice { track, device, name, choice: old }
            }
            Edit::Rename { id, name } => {
                let name = name.trim().to_string();
                if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
                    return Err(refuse(format!(
                        "a name of {} characters (1–{MAX_NAME_CHARS} are taken)",
                        name.chars().count()
                    )));
                }
                let slot = if id == MASTER {
                    &mut self.name
                } else if let Some(t) = self.tracks.iter_mut().find(|t| t.id == id) {
                    &mut t.name
                } else {
                    &mut self.buses.iter_mut().find(|b| b.id == id).ok_or_else(|| missing("track or bus", id))?.name
                };
                Edit::Rename { id, name: core::mem::replace(slot, name) }
            }
            Edit::SetLoop { region } => {
                if let Some(r) = region {
                    if r.start >= r.end {
                        return Err(refuse(format!(
                            "a loop from tick {} to tick {}: it must end after it starts",
                            r.start, r.end
                        )));
                    }
                }
                Edit::SetLoop { region: core::mem::replace(&mut self.loop_region, region) }
            }
            Edit::AddBus { index, bus } => {
                let mut ids = vec![bus.id];
                ids.extend(bus.inserts.iter().map(|d| d.id));
                check_fresh(self, ids)?;
                check_strip(&bus.strip)?;
                for d in &bus.inserts {
                    check_device(d)?;
                }
                check_lanes(&LaneOwner::bus(&bus), &bus.automation)?;
                let id = bus.id;
                self.buses.insert(index.min(self.buses.len()), bus);
                Edit::RemoveBus { bus: id }
            }
            Edit::RemoveBus { bus } => {
                if let Some(t) = self.tracks.iter().find(|t| t.sends.iter().any(|s| s.bus == bus)) {
                    return Err(refuse(format!("track {} still sends to bus {bus}; remove the send first", t.id)));
                }
                let index = self.buses.iter().position(|b| b.id == bus).ok_or_else(|| missing("bus", bus))?;
                Edit::AddBus { index, bus: self.buses.remove(index) }
            }
            Edit::SetSend { track, bus, gain_db } => {
                if !self.buses.iter().any(|b| b.id == bus) {
                    return Err(missing("bus", bus));
                }
                if let Some(g) = gain_db {
                    check_strip(&Strip { gain_db: g, ..Strip::default() })?;
                }
                let t = track_mut(self, track)?;
                let index = t.sends.iter().position(|s| s.bus == bus);
                let old = index.map(|i| t.sends[i].gain_db);
                match (index, gain_db) {
                    (Some(i), Some(g)) => t.sends[i].gain_db = g,
                    (Some(i), None) => {
                        t.sends.remove(i);
                    }
                    (None, Some(g)) => t.sends.push(Send { bus, gain_db: g }),
                    (None, None) => {}
                }
                Edit::SetSend { track, bus, gain_db: old }
            }
            Edit::Batch { edits } => {
                let mut inverses = Vec::with_capacity(edits.len());
                for e in edits {
                    match self.apply(e) {
                        Ok(inverse) => inverses.push(inverse),
                        Err(err) => {
                            // Roll back what this batch did, so a refused batch changes nothing.
                            for inverse in inverses.into_iter().rev() {
                                self.apply(inverse).expect("an inverse of an applied edit applies");
                            }
                            return Err(err);
                        }
                    }
                }
                inverses.reverse();
                Edit::Batch { edits: inverses }
            }
        })
    }
}

/// A project with its undo and redo stacks, saved together.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct History {
    pub project: Project,
    undo: Vec<Edit>,
    redo: Vec<Edit>,
}

impl History {
    pub fn new(project: Project) -> Self {
        Self { project, undo: Vec::new(), redo: Vec::new() }
    }

    /// Applies an edit as one undoable step; a new edit clears what could be redone.
    pub fn edit(&mut self, edit: Edit) -> Result<(), SessionError> {
        let inverse = self.project.apply(edit)?;
        self.undo.push(inverse);
        self.redo.clear();
        Ok(())
    }

    /// Applies an edit that continues the gesture of the last step (a fader still being
    /// dragged): when it sets what the last step set, the step keeps its first inverse, so the
    /// whole gesture undoes at once. Otherwise it is a step of its own.
    pub fn edit_continuing(&mut self, edit: Edit) -> Result<(), SessionError> {
        let continues = self.redo.is_empty() && self.undo.last().is_some_and(|last| last.same_setting(&edit));
        let inverse = self.project.apply(edit)?;
        if !continues {
            self.undo.push(inverse);
        }
        self.redo.clear();
        Ok(())
    }

    /// Applies `edit` as part of the last step (notes overdubbed pass after pass, the clip they
    /// went into made by the first), so one undo takes the whole step back. Any edit can join:
    /// the step's undo becomes one flat batch, this edit's inverse first. With nothing to join
    /// (no step, or steps undone since), it is a step of its own.
    pub fn edit_joined(&mut self, edit: Edit) -> Result<(), SessionError> {
        let inverse = self.project.apply(edit)?;
        let last = if self.redo.is_empty() { self.undo.pop() } else { None };
        let Some(last) = last else {
            self.redo.clear();
            self.undo.push(inverse);
            return Ok(());
        };
        let flat = |e: Edit| match e {
            Edit::Batch { edits } => edits,
            e => vec![e],
        };
        let mut edits = flat(inverse);
        edits.extend(flat(last));
        self.undo.push(Edit::Batch { edits });
        Ok(())
    }

    /// Undoes the last step: `Ok(false)` if there was none. An undo step that no longer
    /// applies (a history from a damaged file) is an error and changes nothing.
    pub fn undo(&mut self) -> Result<bool, SessionError> {
        self.step(true)
    }

    pub fn redo(&mut self) -> Result<bool, SessionError> {
        self.step(false)
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    fn step(&mut self, back: bool) -> Result<bool, SessionError> {
        let (from, to) = if back { (&mut self.undo, &mut self.redo) } else { (&mut self.redo, &mut self.undo) };
        let Some(edit) = from.pop() else { return Ok(false) };
        match self.project.apply(edit.clone()) {
            Ok(inverse) => {
                to.push(inverse);
                Ok(true)
            }
            Err(e) => {
                from.push(edit);
                Err(e)
            }
        }
    }
}
