//! The workstation model: random edit sequences undo to the exact starting project and redo
//! to the exact end; refused edits change nothing; the project JSON round-trips with its
//! history, and bad files are refused with a message naming what was wrong.

use quaver::formats::midi::Song;
use quaver::session::file::{load, save};
use quaver::session::import::midi_song;
use quaver::session::{
    Bus, Clip, ClipContent, ClipLoop, Device, Edit, History, LanePoint, LaneTarget, Note, Project, SessionError, Strip,
    TempoChange, TimeSignature, Track, TrackKind, PPQ,
};
use std::collections::BTreeMap;

/// xorshift32, so every run tries the same sequences.
struct Random(u32);

impl Random {
    fn below(&mut self, n: u32) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0 % n.max(1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        (!items.is_empty()).then(|| &items[self.below(items.len() as u32) as usize])
    }
}

fn midi_track(id: u32) -> Track {
    Track {
        id,
        name: format!("track {id}"),
        kind: TrackKind::Midi,
        instrument: None,
        clips: Vec::new(),
        strip: Strip::default(),
        inserts: Vec::new(),
        sends: Vec::new(),
        automation: Vec::new(),
    }
}

/// An edit of a random kind on random parts of `p`; some are meant to be refused (bad values,
/// ids that are not there).
fn random_edit(p: &Project, r: &mut Random) -> Edit {
    let fresh = p.fresh_id();
    let track = r.pick(&p.tracks).cloned();
    let track_id = track.as_ref().map_or(999, |t| t.id);
    let clip = track.as_ref().and_then(|t| r.pick(&t.clips).cloned());
    let clip_id = clip.as_ref().map_or(998, |c| c.id);
    let note = clip.as_ref().and_then(|c| match &c.content {
        ClipContent::Midi { notes, .. } => r.pick(notes).copied(),
        ClipContent::Audio { .. } => None,
    });
    // An insert, or now and then the instrument (whose lanes go when it is swapped).
    let device = track.as_ref().and_then(|t| match (&t.instrument, r.below(3)) {
        (Some(i), 0) => Some(i.clone()),
        _ => r.pick(&t.inserts).cloned(),
    });
    match r.below(24) {
        0 => Edit::SetTempo { bpm: [60.0, 97.5, 140.0, 5.0, 1500.0][r.below(5) as usize] },
        1 => Edit::SetTimeSignature {
            signature: TimeSignature { numerator: 3 + r.below(5) as u8, denominator: [4, 8, 3][r.below(3) as usize] },
        },
        2 | 3 => {
            let mut track = midi_track(fresh);
            if r.below(3) == 0 {
                track.kind = TrackKind::Audio;
            } else if r.below(2) == 0 {
                let kind = ["synth", "drums"][r.below(2) as usize].to_string();
                track.instrument = Some(Device::new(fresh + 1, &kind));
            }
            Edit::AddTrack { index: r.below(4) as usize, track }
        }
        4 if r.below(2) == 0 => Edit::MoveTrack { track: track_id, index: r.below(5) as usize },
        4 => Edit::RemoveTrack { track: track_id },
        5 => Edit::SetStrip {
            track: track_id,
            strip: Strip {
                gain_db: r.below(40) as f32 - 30.0,
                pan: (r.below(30) as f32 - 10.0) / 10.0,
                mute: r.below(2) == 0,
                solo: false,
            },
        },
        6 | 7 => Edit::AddClip {
            track: track_id,
            clip: Clip {
                id: fresh,
                start: u64::from(r.below(16)) * PPQ,
                length: u64::from(r.below(8)) * PPQ,
                content: match track.as_ref().map(|t| t.kind) {
                    // Takes over a loop; now and then an offset that is none of them (refused).
                    Some(TrackKind::Audio) => {
                        let takes: Vec<u64> = (0..r.below(4)).map(|k| u64::from(k) * 96_000 + 17).collect();
                        let offset = r.pick(&takes).copied().unwrap_or(0) + u64::from(r.below(4) == 0);
                        ClipContent::Audio {
                            asset: "take.wav".into(),
                            offset,
                            takes,
                            gain_db: 0.0,
                            fade_in: 0,
                            fade_out: 0,
                        }
                    }
                    // Now and then passes recorded over a loop: takes of notes, one playing
                    // (and now and then a playing take that is not kept empty: refused).
                    _ if r.below(3) == 0 => {
                        let mut id = fresh;
                        let mut notes = |count: u32, r: &mut Random| -> Vec<Note> {
                            (0..count)
                                .map(|k| {
                                    id += 1;
                                    Note {
                                        id,
                                        start: u64::from(k) * PPQ / 2,
                                        length: PPQ / 4,
                                        key: 40 + r.below(40) as u8,
                                        velocity: 90,
                                    }
                                })
                                .collect()
                        };
                        let mut takes: Vec<Vec<Note>> = (0..2 + r.below(3)).map(|_| notes(r.below(4), r)).collect();
                        let take = r.below(takes.len() as u32) as usize;
                        let playing = if r.below(6) == 0 { notes(1, r) } else { core::mem::take(&mut takes[take]) };
                        ClipContent::Midi { notes: playing, takes, take }
                    }
                    _ => ClipContent::midi(Vec::new()),
                },
                looping: None,
            },
        },
        8 => Edit::RemoveClip { track: track_id, clip: clip_id },
        9 => Edit::SetClipSpan {
            track: track_id,
            clip: clip_id,
            start: u64::from(r.below(32)) * PPQ / 2,
            length: u64::from(r.below(10)) * PPQ,
        },
        10 | 11 => Edit::AddNote {
            track: track_id,
            clip: clip_id,
            note: Note {
                id: fresh,
                start: u64::from(r.below(16)) * PPQ / 4,
                length: u64::from(r.below(4)) * PPQ / 4,
                key: r.below(140) as u8,
                velocity: r.below(128) as u8,
            },
        },
        12 => Edit::RemoveNote { track: track_id, clip: clip_id, note: note.map_or(997, |n| n.id) },
        13 => match note {
            Some(n) => Edit::SetNote {
                track: track_id,
                clip: clip_id,
                note: Note { key: (n.key + 7) % 130, start: n.start / 2, ..n },
            },
            None => Edit::SetTempo { bpm: 133.0 },
        },
        14 => Edit::AddInsert {
            track: track_id,
            index: 0,
            device: Device::new(fresh, ["delay", "biquad", "reverb", "flanger"][r.below(4) as usize]),
        },
        15 => match device {
            Some(d) => Edit::SetParam {
                track: track_id,
                device: d.id,
                name: ["frequency", "delayTime", "mix", "nonsense", "gain", "decay"][r.below(6) as usize].to_string(),
                value: (r.below(3) > 0).then(|| r.below(1000) as f32 / 10.0),
            },
            None => Edit::RemoveInsert { track: track_id, device: 996 },
        },
        16 => {
            let target = match (r.below(3), &device) {
                (0, _) | (_, None) => LaneTarget::Gain,
                (1, _) => LaneTarget::Pan,
                (_, Some(d)) => LaneTarget::Param {
                    device: d.id,
                    param: ["frequency", "delayTime", "mix", "nonsense", "gain", "decay"][r.below(6) as usize]
                        .to_string(),
                },
            };
            let count = r.below(4);
            let points = (0..count)
                .map(|i| LanePoint {
                    tick: u64::from(i * 480 + r.below(2) * 700),
                    value: r.below(5) as f32 * 0.5 - 1.0,
                })
                .collect();
            // Now and then the master's (volume and pan only: it has no devices).
            let channel = if r.below(5) == 0 { 0 } else { track_id };
            Edit::SetLane { track: channel, target, points: (r.below(4) > 0).then_some(points) }
        }
        // Moves an insert of a track that has two or more (else gives a track one more); now
        // and then the instrument or no device at all (refused).
        17 if r.below(2) == 0 => {
            let chains: Vec<&Track> = p.tracks.iter().filter(|t| t.inserts.len() >= 2).collect();
            match r.pick(&chains) {
                Some(t) if r.below(5) > 0 => Edit::MoveInsert {
                    track: t.id,
                    device: r.pick(&t.inserts).map_or(994, |d| d.id),
                    index: r.below(4) as usize,
                },
                Some(_) => Edit::MoveInsert { track: track_id, device: device.map_or(994, |d| d.id), index: 0 },
                None => {
                    Edit::AddInsert { track: track_id, index: r.below(3) as usize, device: Device::new(fresh, "delay") }
                }
            }
        }
        17 => Edit::RemoveInsert { track: track_id, device: device.map_or(995, |d| d.id) },
        18 => Edit::SetTempoChanges {
            changes: (0..r.below(3))
                .map(|i| TempoChange {
                    tick: u64::from(i * 960 + r.below(2) * 1500),
                    bpm: [90.0, 140.0, 3.0][r.below(3) as usize],
                    ramp: r.below(2) == 0,
                })
                .collect(),
        },
        19 => {
            // Mostly a clip that has takes, else the random one (refused).
            let folders: Vec<(u32, u32)> = p
                .tracks
                .iter()
                .flat_map(|t| t.clips.iter().map(move |c| (t.id, c)))
                .filter(|(_, c)| match &c.content {
                    ClipContent::Audio { takes, .. } => !takes.is_empty(),
                    ClipContent::Midi { takes, .. } => !takes.is_empty(),
                })
                .map(|(t, c)| (t, c.id))
                .collect();
            let (track, clip) = r.pick(&folders).copied().unwrap_or((track_id, clip_id));
            Edit::ChooseTake { track, clip, take: r.below(4) as usize }
        }
        20 => Edit::SetClipLoop {
            track: track_id,
            clip: clip_id,
            // Now and then a loop of nothing, a phase past its loop or one that repeats too often
            // (refused).
            looping: (r.below(4) > 0).then(|| ClipLoop {
                length: [0, PPQ / 32, PPQ / 2, PPQ, 3 * PPQ][r.below(5) as usize],
                phase: [0, 0, PPQ / 4, 2 * PPQ][r.below(4) as usize],
            }),
        },
        21 if r.below(3) == 0 && track.as_ref().is_some_and(|t| t.instrument.is_some()) => {
            let instrument = track.as_ref().and_then(|t| t.instrument.as_ref()).map_or(0, |d| d.id);
            let target = LaneTarget::Param { device: instrument, param: "gain".into() };
            Edit::SetLane { track: track_id, target, points: Some(vec![LanePoint { tick: 0, value: 0.5 }]) }
        }
        21 => Edit::SetInstrument {
            track: track_id,
            // The drum kit, the synth, the default (none), or a device that plays no notes or an
            // id in use (refused).
            instrument: match r.below(5) {
                0 => None,
                k => Some(Device::new(
                    if k == 4 { track_id } else { fresh },
                    ["drums", "synth", "delay", "drums"][k as usize - 1],
                )),
            },
        },
        // A pad of the instrument given a level and a tuning (out of range: refused), or back
        // to plain, which leaves the kit's list when it has no sample.
        22 if r.below(2) == 0 => Edit::SetPadLevel {
            track: track_id,
            device: track.as_ref().and_then(|t| t.instrument.as_ref()).map_or(993, |d| d.id),
            key: [36, 38, 42, 60][r.below(4) as usize],
            level_db: [0.0, -6.0, 3.5, 40.0][r.below(4) as usize],
            tune: [0.0, 0.0, 7.0, -30.0][r.below(4) as usize],
        },
        // A pad of the instrument (a drum kit's, or refused), given a sample or its drum back;
        // key 60 is no drum.
        22 => Edit::SetPadSample {
            track: track_id,
            device: track.as_ref().and_then(|t| t.instrument.as_ref()).map_or(993, |d| d.id),
            key: [36, 38, 42, 60][r.below(4) as usize],
            sample: [Some("kick.wav".to_string()), Some("snare.wav".to_string()), None][r.below(3) as usize].clone(),
        },
        // A clip's gain and fades: some fit, some are longer than the clip, some too loud, and a
        // MIDI clip has none (all refused).
        23 if r.below(2) == 0 => Edit::SetClipFades {
            track: track_id,
            clip: clip_id,
            gain_db: [0.0, -6.0, 3.0, 40.0][r.below(4) as usize],
            fade_in: [0, PPQ / 4, PPQ, 9 * PPQ][r.below(4) as usize],
            fade_out: [0, PPQ / 2, 3 * PPQ][r.below(3) as usize],
        },
        _ => Edit::Batch { edits: vec![random_edit(p, r), random_edit(p, r)] },
    }
}

#[test]
fn undoing_every_edit_of_a_random_session_returns_the_exact_starting_project() {
    let mut refused = 0;
    let mut applied = 0;
    let mut takes_chosen = 0;
    let mut midi_takes_chosen = 0;
    let mut joined = 0;
    let mut loops_set = 0;
    let mut instruments_set = 0;
    let mut instrument_lanes_gone = 0;
    let mut inserts_reordered = 0;
    let mut pads_changed = 0;
    let mut pad_levels_set = 0;
    let mut clip_fades_set = 0;
    let mut tracks_reordered = 0;
    for seed in 1..=100u32 {
        let mut r = Random(seed.wrapping_mul(0x9e37_79b9) | 1);
        let start = Project::new("random");
        let mut h = History::new(start.clone());
        let mut states = vec![start.clone()];
        let mut joined_edits = 0;
        for _ in 0..150 {
            let edit = random_edit(&h.project, &mut r);
            let before = h.project.clone();
            // Now and then an edit joins the last step (as an overdub's passes do).
            let join = r.below(6) == 0;
            let result = if join { h.edit_joined(edit.clone()) } else { h.edit(edit.clone()) };
            match result {
                Ok(()) if join && states.len() > 1 => {
                    applied += 1;
                    joined_edits += 1;
                    *states.last_mut().expect("a step to join") = h.project.clone();
                }
                Ok(()) => {
                    applied += 1;
                    takes_chosen += usize::from(matches!(edit, Edit::ChooseTake { .. }));
                    loops_set += usize::from(matches!(edit, Edit::SetClipLoop { looping: Some(_), .. }));
                    if let Edit::SetInstrument { track, .. } = edit {
                        instruments_set += 1;
                        let old = before.track(track).unwrap().instrument.as_ref().map(|d| d.id);
                        let on =
                            |p: &Project| {
                                p.track(track).unwrap().automation.iter().any(
                                    |l| matches!(&l.target, LaneTarget::Param { device, .. } if Some(*device) == old),
                                )
                            };
                        assert!(!on(&h.project), "an instrument's lanes go with it");
                        instrument_lanes_gone += usize::from(on(&before));
                    }
                    if let Edit::MoveInsert { track, .. } = edit {
                        let order =
                            |p: &Project| p.track(track).unwrap().inserts.iter().map(|d| d.id).collect::<Vec<_>>();
                        inserts_reordered += usize::from(order(&h.project) != order(&before));
                    }
                    if let Edit::MoveTrack { .. } = edit {
                        let order = |p: &Project| p.tracks.iter().map(|t| t.id).collect::<Vec<_>>();
                        tracks_reordered += usize::from(order(&h.project) != order(&before));
                    }
                    if let Edit::SetClipFades { track, clip, .. } = edit {
                        let c = h.project.track(track).unwrap().clips.iter().find(|c| c.id == clip).unwrap();
                        let (rise, fall) = c.fades();
                        assert!(rise + fall <= c.length, "the fades played fit in the clip");
                        clip_fades_set += usize::from(rise > 0 || fall > 0);
                    }
                    if let Edit::SetPadSample { track, .. } | Edit::SetPadLevel { track, .. } = edit {
                        let pads = |p: &Project| p.track(track).unwrap().instrument.as_ref().map(|d| d.pads.clone());
                        pads_changed += usize::from(pads(&h.project) != pads(&before));
                        let listed = pads(&h.project).unwrap_or_default();
                        assert!(listed.iter().all(|p| !p.is_plain()), "a kit lists only pads that differ: {listed:?}");
                        pad_levels_set += usize::from(listed.iter().any(|p| p.level_db != 0.0 && p.sample.is_none()));
                    }
                    if let Edit::ChooseTake { track, clip, .. } = edit {
                        let content =
                            &h.project.track(track).unwrap().clips.iter().find(|c| c.id == clip).unwrap().content;
                        midi_takes_chosen += usize::from(matches!(content, ClipContent::Midi { .. }));
                    }
                    states.push(h.project.clone());
                }
                Err(e) => {
                    refused += 1;
                    assert_eq!(h.project, before, "a refused edit changed the project: {edit:?} ({e})");
                }
            }
        }
        joined += joined_edits;
        let end = h.project.clone();
        // Undo walks back through every state, in order.
        for expected in states.iter().rev().skip(1) {
            assert!(h.undo().unwrap());
            assert_eq!(&h.project, expected);
        }
        assert!(!h.undo().unwrap(), "nothing left to undo");
        assert_eq!(h.project, start, "undo all: the exact starting project");
        while h.redo().unwrap() {}
        assert_eq!(h.project, end, "redo all: the exact end");
    }
    assert!(applied > 2000 && refused > 500, "both paths exercised: {applied} applied, {refused} refused");
    assert!(takes_chosen > 10, "takes were chosen {takes_chosen} times");
    assert!(midi_takes_chosen > 5, "MIDI takes were chosen {midi_takes_chosen} times");
    assert!(joined > 300, "{joined} edits joined the step before");
    assert!(loops_set > 20, "clips were looped {loops_set} times");
    assert!(instruments_set > 20, "instruments were swapped {instruments_set} times");
    assert!(instrument_lanes_gone > 2, "an instrument with lanes was swapped {instrument_lanes_gone} times");
    assert!(inserts_reordered > 10, "inserts changed places {inserts_reordered} times");
    assert!(pads_changed > 5, "drum pads changed {pads_changed} times");
    assert!(pad_levels_set > 3, "pads with a level and no sample {pad_levels_set} times");
    assert!(clip_fades_set > 3, "audio clips given fades {clip_fades_set} times");
    assert!(tracks_reordered > 3, "tracks reordered {tracks_reordered} times");
}

#[test]
fn refused_edits_say_what_was_wrong() {
    let mut h = History::new(Project::new("errors"));
    h.edit(Edit::AddTrack { index: 0, track: midi_track(1) }).unwrap();
    let clip = Clip { id: 2, start: 0, length: 4 * PPQ, content: ClipContent::midi(Vec::new()), looping: None };
    h.edit(Edit::AddClip { track: 1, clip }).unwrap();
    let note = |key, velocity, length| Note { id: 3, start: 0, length, key, velocity };
    let cases: Vec<(Edit, &str)> = vec![
        (Edit::AddNote { track: 1, clip: 2, note: note(128, 90, 10) }, "key 128 is outside MIDI's 0–127"),
        (Edit::AddNote { track: 1, clip: 2, note: note(60, 0, 10) }, "velocity 0"),
        (Edit::AddNote { track: 1, clip: 2, note: note(60, 90, 0) }, "length of zero ticks"),
        (Edit::AddNote { track: 1, clip: 7, note: note(60, 90, 10) }, "no clip 7"),
        (Edit::RemoveTrack { track: 42 }, "no track 42"),
        (
            Edit::SetClipLoop { track: 1, clip: 2, looping: Some(ClipLoop { length: 0, phase: 0 }) },
            "a loop of zero ticks",
        ),
        (
            Edit::SetClipLoop { track: 1, clip: 2, looping: Some(ClipLoop { length: PPQ, phase: PPQ }) },
            "starts 960 ticks into a loop of 960",
        ),
        (
            Edit::SetClipLoop { track: 1, clip: 2, looping: Some(ClipLoop { length: 10, phase: 0 }) },
            "would repeat 384 times; at most 256",
        ),
        (
            // Length and phase that would wrap past u64::MAX to "one repeat" if added unchecked.
            Edit::AddClip {
                track: 1,
                clip: Clip {
                    id: 9,
                    start: 0,
                    length: u64::MAX,
                    content: ClipContent::midi(Vec::new()),
                    looping: Some(ClipLoop { length: 1 << 40, phase: (1 << 40) - 1 }),
                },
            },
            "at most 256",
        ),
        (Edit::SetTempo { bpm: f64::NAN }, "tempo of NaN"),
        (Edit::SetClipSpan { track: 1, clip: 2, start: 0, length: 0 }, "length of zero ticks"),
        (Edit::AddTrack { index: 0, track: midi_track(2) }, "id 2 is already in use"),
        (Edit::AddInsert { track: 1, index: 0, device: Device::new(9, "flanger") }, "no device kind 'flanger'"),
        (Edit::SetSend { track: 1, bus: 5, gain_db: Some(-6.0) }, "no bus 5"),
        (Edit::SetStrip { track: 1, strip: Strip { pan: 3.0, ..Strip::default() } }, "a pan of 3"),
    ];
    for (edit, words) in cases {
        let before = h.project.clone();
        let message = h.edit(edit.clone()).unwrap_err().to_string();
        assert!(message.contains(words), "{edit:?}: '{message}' should say '{words}'");
        assert_eq!(h.project, before);
    }
    // A batch that fails halfway changes nothing either.
    let before = h.project.clone();
    let batch = Edit::Batch {
        edits: vec![
            Edit::SetTempo { bpm: 90.0 },
            Edit::AddNote { track: 1, clip: 2, note: note(60, 90, 10) },
            Edit::RemoveTrack { track: 42 },
        ],
    };
    assert!(h.edit(batch).is_err());
    assert_eq!(h.project, before);
}

#[test]
fn midi_takes_swap_which_notes_play_and_keep_every_take_through_edits_undo_and_a_file() {
    let mut h = History::new(Project::new("takes"));
    let start = h.project.clone();
    h.edit(Edit::AddTrack { index: 0, track: midi_track(1) }).unwrap();
    let note = |id, start, key| Note { id, start, length: PPQ / 2, key, velocity: 100 };
    let (first, second, third) =
        (vec![note(10, 0, 60)], vec![note(20, 0, 62)], vec![note(30, 0, 64), note(31, PPQ, 65)]);
    // Three passes over a one-bar loop; the second plays.
    let folder =
        ClipContent::Midi { notes: second.clone(), takes: vec![first.clone(), Vec::new(), third.clone()], take: 1 };
    // A folder whose playing take's place is not kept empty, or that names no take, is refused.
    for take in [0, 3] {
        let bad =
            ClipContent::Midi { notes: second.clone(), takes: vec![first.clone(), Vec::new(), third.clone()], take };
        let before = h.project.clone();
        let message = h.edit(Edit::AddClip {
            track: 1,
            clip: Clip { id: 90, start: 8 * PPQ, length: 4 * PPQ, content: bad, looping: None },
        });
        let message = message.unwrap_err().to_string();
        assert!(message.contains("do not keep that one's place"), "take {take}: {message}");
        assert_eq!(h.project, before);
    }
    let no_takes = ClipContent::Midi { notes: Vec::new(), takes: Vec::new(), take: 2 };
    let message = h.edit(Edit::AddClip {
        track: 1,
        clip: Clip { id: 90, start: 0, length: PPQ, content: no_takes, looping: None },
    });
    assert!(message.unwrap_err().to_string().contains("take 3 plays, but it has no takes"));
    h.edit(Edit::AddClip { track: 1, clip: Clip { id: 2, start: 0, length: 4 * PPQ, content: folder, looping: None } })
        .unwrap();
    let playing = |h: &History| match &h.project.tracks[0].clips[0].content {
        ClipContent::Midi { notes, take, .. } => (notes.iter().map(|n| n.key).collect::<Vec<_>>(), *take),
        ClipContent::Audio { .. } => panic!("a MIDI clip"),
    };
    let keys = |h: &History| {
        quaver::session::compile::sequence(&h.project, &h.project.tracks[0], 48_000.0)
            .iter()
            .map(|n| n.key)
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(&h), [62], "only the playing take sounds");
    h.edit(Edit::ChooseTake { track: 1, clip: 2, take: 2 }).unwrap();
    assert_eq!(playing(&h), (vec![64, 65], 2));
    assert_eq!(keys(&h), [64, 65]);
    // An edit of the playing take stays with that take when another plays and it comes back.
    h.edit(Edit::SetNote { track: 1, clip: 2, note: note(31, PPQ, 67) }).unwrap();
    h.edit(Edit::ChooseTake { track: 1, clip: 2, take: 0 }).unwrap();
    assert_eq!(playing(&h), (vec![60], 0));
    // The notes of a take that does not play keep their ids: a new note cannot take one.
    let taken = h.edit(Edit::AddNote { track: 1, clip: 2, note: note(31, 0, 70) }).unwrap_err().to_string();
    assert!(taken.contains("id 31 is already in use"), "{taken}");
    assert!(h.project.fresh_id() > 31, "a fresh id is past every take's notes");
    h.edit(Edit::ChooseTake { track: 1, clip: 2, take: 2 }).unwrap();
    assert_eq!(playing(&h), (vec![64, 67], 2));
    let refused = h.edit(Edit::ChooseTake { track: 1, clip: 2, take: 3 }).unwrap_err().to_string();
    assert!(refused.contains("has 3 takes; there is no take 4"), "{refused}");
    // Through a file and back, with the history that made it.
    let json = save(&h);
    let version: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(version["project"]["version"].as_u64().unwrap() >= 6, "the file says a version that knows MIDI takes");
    let mut loaded = load(&json).unwrap();
    assert_eq!(loaded.project, h.project);
    while loaded.undo().unwrap() {}
    assert_eq!(loaded.project, start, "undo all: the exact starting project");
    while loaded.redo().unwrap() {}
    assert_eq!(loaded.project, h.project);
}

#[test]
fn trimming_a_midi_clip_silences_the_notes_past_its_end_and_lengthening_it_brings_them_back() {
    let mut h = a_small_song();
    let track = h.project.tracks.iter().find(|t| t.id == 1).unwrap().clone();
    let keys = |h: &History| {
        let track = h.project.tracks.iter().find(|t| t.id == 1).unwrap();
        quaver::session::compile::sequence(&h.project, track, 48_000.0).iter().map(|n| n.key).collect::<Vec<_>>()
    };
    assert_eq!(keys(&h), (60..68).collect::<Vec<_>>());
    h.edit(Edit::SetClipSpan { track: 1, clip: 2, start: 0, length: PPQ }).unwrap();
    assert_eq!(keys(&h), [60, 61], "a beat long, the clip plays its first two eighths");
    // A silent note can still be removed, and the removal undone.
    h.edit(Edit::RemoveNote { track: 1, clip: 2, note: 107 }).unwrap();
    let json = save(&h);
    h.undo().unwrap();
    assert_eq!(load(&json).unwrap().project.tracks[0].clips[0].content.notes_of_every_take().count(), 7);
    h.edit(Edit::SetClipSpan { track: 1, clip: 2, start: 0, length: 4 * PPQ }).unwrap();
    assert_eq!(keys(&h), (60..68).collect::<Vec<_>>(), "lengthened, every note sounds again");
    assert_eq!(h.project.tracks.iter().find(|t| t.id == 1).unwrap(), &track);
}

fn a_small_song() -> History {
    let mut h = History::new(Project::new("song"));
    h.edit(Edit::AddBus {
        index: 0,
        bus: Bus {
            id: 10,
            name: "reverb".into(),
            strip: Strip::default(),
            inserts: Vec::new(),
            automation: Vec::new(),
        },
    })
    .unwrap();
    h.edit(Edit::AddTrack { index: 0, track: midi_track(1) }).unwrap();
    let notes = (0..8)
        .map(|i| Note { id: 100 + i, start: u64::from(i) * PPQ / 2, length: PPQ / 2, key: 60 + i as u8, velocity: 100 })
        .collect();
    h.edit(Edit::AddClip {
        track: 1,
        clip: Clip { id: 2, start: 0, length: 4 * PPQ, content: ClipContent::midi(notes), looping: None },
    })
    .unwrap();
    let mut params = BTreeMap::new();
    params.insert("delayTime".to_string(), 0.25);
    h.edit(Edit::AddInsert { track: 1, index: 0, device: Device { params, ..Device::new(3, "delay") } }).unwrap();
    h.edit(Edit::SetSend { track: 1, bus: 10, gain_db: Some(-12.0) }).unwrap();
    h.edit(Edit::SetTempo { bpm: 96.0 }).unwrap();
    h
}

#[test]
fn a_saved_project_loads_with_its_undo_history() {
    let mut h = a_small_song();
    h.undo().unwrap();
    let mut loaded = load(&save(&h)).unwrap();
    assert_eq!(loaded, h);
    // The history still works after the trip: redo the tempo, then undo everything.
    assert!(loaded.redo().unwrap());
    assert_eq!(loaded.project.tempo_bpm, 96.0);
    while loaded.undo().unwrap() {}
    assert_eq!(loaded.project, Project::new("song"));
}

#[test]
fn bad_project_files_are_refused_with_what_was_wrong() {
    let good: serde_json::Value = serde_json::from_str(&save(&a_small_song())).unwrap();
    let with = |path: &[&str], value: serde_json::Value| {
        let mut v = good.clone();
        let mut at = &mut v;
        for (i, key) in path.iter().enumerate() {
            if i + 1 == path.len() {
                match key.parse::<usize>() {
                    Ok(n) => at[n] = value.clone(),
                    Err(_) => at[*key] = value.clone(),
                }
            } else {
                at = match key.parse::<usize>() {
                    Ok(n) => &mut at[n],
                    Err(_) => &mut at[*key],
                };
            }
        }
        v.to_string()
    };
    let without = |path: &[&str]| {
        let mut v = good.clone();
        let mut at = &mut v;
        for key in &path[..path.len() - 1] {
            at = match key.parse::<usize>() {
                Ok(n) => &mut at[n],
                Err(_) => &mut at[*key],
            };
        }
        at.as_object_mut().unwrap().remove(path[path.len() - 1]);
        v.to_string()
    };
    let note_key = ["project", "tracks", "0", "clips", "0", "content", "notes", "0", "key"];
    let cases: Vec<(String, &str)> = vec![
        ("{ not json".to_string(), "not a project file"),
        ("{}".to_string(), "no version number"),
        (with(&["project", "version"], 99.into()), "saved by a newer Quaver (file version 99)"),
        (without(&["project", "tempo_bpm"]), "missing field `tempo_bpm`"),
        (with(&["project", "tempo_bpm"], "fast".into()), "project.tempo_bpm: invalid type: string"),
        (with(&note_key, 200.into()), "key 200 is outside MIDI's 0–127"),
        (
            with(&["project", "tracks", "0", "clips", "0", "length"], (-5).into()),
            "project.tracks[0].clips[0].length: invalid value: integer `-5`",
        ),
        (with(&["project", "tracks", "0", "inserts", "0", "kind"], "warp-drive".into()), "no device kind 'warp-drive'"),
        (with(&["project", "tracks", "0", "clips", "0", "id"], 1.into()), "id 1 is used twice"),
        (
            with(&["project", "tracks", "0", "clips", "0", "looping"], serde_json::json!({ "length": 0 })),
            "clip 2: a loop of zero ticks",
        ),
        (
            with(
                &["project", "tracks", "0", "clips", "0", "looping"],
                serde_json::json!({ "length": 100, "phase": 100 }),
            ),
            "starts 100 ticks into a loop of 100",
        ),
        (
            with(&["project", "tracks", "0", "clips", "0", "looping"], "forever".into()),
            "project.tracks[0].clips[0].looping: invalid type: string",
        ),
        (with(&["project", "tracks", "0", "sends", "0", "bus"], 77.into()), "sends to bus 77, which is not there"),
        (with(&["project", "tracks", "0", "kind"], "video".into()), "project.tracks[0].kind: unknown variant `video`"),
    ];
    for (json, words) in cases {
        let err = load(&json).unwrap_err();
        assert!(err.to_string().contains(words), "'{err}' should say '{words}'");
        assert!(matches!(err, SessionError::File(_) | SessionError::Invalid(_)));
    }
}

#[test]
fn a_midi_file_imports_as_tracks_on_the_project_grid() {
    // Format 0 with two channels at 96 ticks per quarter, written by hand.
    let mut track = vec![0x00, 0xFF, 0x51, 0x03, 0x09, 0x27, 0xC0]; // 600 000 µs: 100 BPM
    track.extend_from_slice(&[0x00, 0x90, 60, 100, 0x30, 0x80, 60, 0, 0x00, 0x99, 36, 120, 0x60, 0x89, 36, 0]);
    track.extend_from_slice(&[0x00, 0xFF, 0x2F, 0x00]);
    let mut bytes = b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x00\x60MTrk".to_vec();
    bytes.extend_from_slice(&(track.len() as u32).to_be_bytes());
    bytes.extend_from_slice(&track);
    let song = Song::read(&bytes).unwrap();
    let mut h = History::new(Project::new("import"));
    h.edit(midi_song(&h.project, &song, 4 * PPQ).unwrap()).unwrap();
    assert_eq!(h.project.tempo_bpm, 100.0);
    assert_eq!(h.project.tracks.len(), 2);
    let notes = |t: usize| match &h.project.tracks[t].clips[0].content {
        ClipContent::Midi { notes, .. } => {
            notes.iter().map(|n| (n.start, n.length, n.key, n.velocity)).collect::<Vec<_>>()
        }
        ClipContent::Audio { .. } => unreachable!(),
    };
    // 48 of 96 ticks is an eighth note: 480 of the project's 960.
    assert_eq!(notes(0), [(0, 480, 60, 100)]);
    assert_eq!(notes(1), [(480, 960, 36, 120)]);
    assert_eq!(h.project.tracks[0].clips[0].start, 4 * PPQ);
    // One undo takes the whole import back.
    h.undo().unwrap();
    assert_eq!(h.project, Project::new("import"));
}

#[test]
fn choices_loops_and_strips_of_buses_are_checked_edits() {
    let mut h = a_small_song();
    let device = Device::new(90, "biquad");
    h.edit(Edit::AddInsert { track: 1, index: 0, device }).unwrap();
    let before = h.project.clone();
    let bad_choice = Edit::SetChoice { track: 1, device: 90, name: "type".into(), choice: Some("wobble".into()) };
    let message = h.edit(bad_choice).unwrap_err().to_string();
    assert!(message.contains("'wobble' is not one of type's choices"), "{message}");
    let no_setting = Edit::SetChoice { track: 1, device: 90, name: "colour".into(), choice: Some("pink".into()) };
    assert!(h.edit(no_setting).unwrap_err().to_string().contains("no choice setting 'colour'"));
    let backwards = Edit::SetLoop { region: Some(quaver::session::LoopRegion { start: 960, end: 960 }) };
    assert!(h.edit(backwards).unwrap_err().to_string().contains("must end after it starts"));
    assert_eq!(h.project, before, "refused edits change nothing");
    h.edit(Edit::SetChoice { track: 1, device: 90, name: "type".into(), choice: Some("notch".into()) }).unwrap();
    let bus = Bus { id: 91, name: "fx".into(), strip: Strip::default(), inserts: Vec::new(), automation: Vec::new() };
    h.edit(Edit::AddBus { index: 0, bus }).unwrap();
    h.edit(Edit::SetStrip { track: 91, strip: Strip { gain_db: -3.0, ..Strip::default() } }).unwrap();
    h.edit(Edit::SetStrip { track: quaver::session::MASTER, strip: Strip { pan: 0.5, ..Strip::default() } }).unwrap();
    let reverb = Device::new(92, "reverb");
    h.edit(Edit::AddInsert { track: 91, index: 0, device: reverb }).unwrap();
    h.edit(Edit::SetParam { track: 91, device: 92, name: "mix".into(), value: Some(0.5) }).unwrap();
    assert_eq!(h.project.buses[0].strip.gain_db, -3.0);
    assert_eq!(h.project.master.pan, 0.5);
    assert_eq!(h.project.buses[0].inserts[0].params["mix"], 0.5);
    assert_eq!(h.project.tracks[0].inserts[0].choices["type"], "notch");
    let zero = Bus { id: 0, name: "no".into(), strip: Strip::default(), inserts: Vec::new(), automation: Vec::new() };
    assert!(h.edit(Edit::AddBus { index: 0, bus: zero }).unwrap_err().to_string().contains("id 0 names the master"));
    // The choice survives a save.
    let loaded = load(&save(&h)).unwrap();
    assert_eq!(loaded.project, h.project);
    while h.undo().unwrap() {}
    assert_eq!(h.project, a_small_song_start());
}

#[test]
fn projects_tracks_and_buses_take_new_names_that_undo() {
    let mut h = a_small_song();
    let before = h.project.clone();
    h.edit(Edit::Rename { id: quaver::session::MASTER, name: "  Night drive ".into() }).unwrap();
    h.edit(Edit::Rename { id: 1, name: "Bass".into() }).unwrap();
    assert_eq!(h.project.name, "Night drive", "names are trimmed");
    assert_eq!(h.project.tracks[0].name, "Bass");
    let empty = h.edit(Edit::Rename { id: 1, name: "   ".into() }).unwrap_err().to_string();
    assert!(empty.contains("a name of 0 characters"), "{empty}");
    let nobody = h.edit(Edit::Rename { id: 4242, name: "x".into() }).unwrap_err().to_string();
    assert!(nobody.contains("4242"), "{nobody}");
    h.undo().unwrap();
    h.undo().unwrap();
    assert_eq!(h.project, before);
}

/// The project `a_small_song` starts from, before its own edits.
fn a_small_song_start() -> Project {
    let mut h = a_small_song();
    while h.undo().unwrap() {}
    h.project
}

#[test]
fn a_continued_gesture_is_one_undo_step_and_a_new_gesture_another() {
    let mut h = a_small_song();
    let start = h.project.clone();
    for db in [-1.0, -2.0, -3.0, -4.5] {
        h.edit_continuing(Edit::SetStrip { track: 1, strip: Strip { gain_db: db, ..Strip::default() } }).unwrap();
    }
    let dragged = h.project.clone();
    // A different fader is not the same gesture, even when continuing.
    h.edit_continuing(Edit::SetTempo { bpm: 100.0 }).unwrap();
    assert!(h.undo().unwrap());
    assert_eq!(h.project, dragged, "the tempo change undoes by itself");
    assert!(h.undo().unwrap());
    assert_eq!(h.project, start, "four fader moves undo as one");
}

#[test]
fn edits_joined_to_the_last_step_undo_and_redo_with_it_as_one_and_survive_a_file() {
    let mut h = a_small_song();
    let start = h.project.clone();
    let note = |id: u32, key: u8| Note { id, start: u64::from(key) * 10, length: 120, key, velocity: 90 };
    // An overdub: the first pass makes the clip, the later ones add to it.
    let clip =
        Clip { id: 50, start: 8 * PPQ, length: 4 * PPQ, content: ClipContent::midi(vec![note(51, 36)]), looping: None };
    h.edit(Edit::AddClip { track: 1, clip }).unwrap();
    for (id, key) in [(52, 38), (53, 42)] {
        h.edit_joined(Edit::Batch { edits: vec![Edit::AddNote { track: 1, clip: 50, note: note(id, key) }] }).unwrap();
    }
    h.edit_joined(Edit::AddNote { track: 1, clip: 50, note: note(54, 46) }).unwrap();
    let recorded = h.project.clone();
    let notes = |p: &Project| match &p.tracks[0].clips.iter().find(|c| c.id == 50).unwrap().content {
        ClipContent::Midi { notes, .. } => notes.iter().map(|n| n.key).collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    assert_eq!(notes(&recorded), [36, 38, 42, 46]);
    // A refused edit joins nothing and changes nothing.
    assert!(h.edit_joined(Edit::AddNote { track: 1, clip: 999, note: note(55, 50) }).is_err());
    assert_eq!(h.project, recorded);
    let mut loaded = load(&save(&h)).unwrap();
    for h in [&mut h, &mut loaded] {
        assert!(h.undo().unwrap());
        assert_eq!(h.project, start, "one undo takes the clip and every pass back");
        assert!(h.redo().unwrap());
        assert_eq!(h.project, recorded, "one redo gives them all again");
    }
    // After an undo there is no step to join (its redo would be lost): a step of its own.
    h.undo().unwrap();
    h.edit(Edit::SetTempo { bpm: 90.0 }).unwrap();
    h.undo().unwrap();
    h.edit_joined(Edit::SetTempo { bpm: 80.0 }).unwrap();
    assert!(!h.can_redo());
    assert!(h.undo().unwrap());
    assert_eq!(h.project, start);
}

#[test]
fn the_song_exports_as_a_midi_file_that_imports_back_to_the_same_notes() {
    let h = a_small_song();
    let bytes = quaver::session::import::song_of(&h.project, None).write().unwrap();
    let song = Song::read(&bytes).unwrap();
    let back = midi_song(&Project::new("back"), &song, 0).unwrap();
    let mut imported = History::new(Project::new("back"));
    imported.edit(back).unwrap();
    let sounding = |p: &Project| {
        let mut notes: Vec<(u64, u64, u8, u8)> = p
            .tracks
            .iter()
            .flat_map(|t| &t.clips)
            .flat_map(|c| match &c.content {
                ClipContent::Midi { notes, .. } => notes
                    .iter()
                    .filter(|n| n.start < c.length)
                    .map(|n| (c.start + n.start, n.length.min(c.length - n.start), n.key, n.velocity))
                    .collect::<Vec<_>>(),
                ClipContent::Audio { .. } => Vec::new(),
            })
            .collect();
        notes.sort_unstable();
        notes
    };
    assert!(!sounding(&h.project).is_empty());
    assert_eq!(sounding(&imported.project), sounding(&h.project));
    assert!((imported.project.tempo_bpm - h.project.tempo_bpm).abs() < 1e-3);
}

/// An audio track holding one clip recorded over three loop passes (the takes start a loop's
/// length of frames apart in one recording), playing the last.
fn a_take_folder() -> History {
    let mut h = History::new(Project::new("takes"));
    let mut track = midi_track(1);
    track.kind = TrackKind::Audio;
    h.edit(Edit::AddTrack { index: 0, track }).unwrap();
    let takes = vec![1200, 97_200, 193_200];
    let content = ClipContent::Audio {
        asset: "Audio take.wav".into(),
        offset: 193_200,
        takes,
        gain_db: 0.0,
        fade_in: 0,
        fade_out: 0,
    };
    h.edit(Edit::AddClip { track: 1, clip: Clip { id: 2, start: 4 * PPQ, length: 8 * PPQ, content, looping: None } })
        .unwrap();
    h
}

fn playing_offset(h: &History) -> u64 {
    match &h.project.tracks[0].clips[0].content {
        ClipContent::Audio { offset, .. } => *offset,
        ClipContent::Midi { .. } => panic!("an audio clip"),
    }
}

#[test]
fn a_take_is_chosen_by_an_edit_that_undoes_and_the_takes_survive_a_save() {
    let mut h = a_take_folder();
    h.edit(Edit::ChooseTake { track: 1, clip: 2, take: 0 }).unwrap();
    assert_eq!(playing_offset(&h), 1200);
    h.edit(Edit::ChooseTake { track: 1, clip: 2, take: 1 }).unwrap();
    assert_eq!(playing_offset(&h), 97_200);
    h.undo().unwrap();
    assert_eq!(playing_offset(&h), 1200, "undo plays the take chosen before");
    h.undo().unwrap();
    assert_eq!(playing_offset(&h), 193_200, "and again, the take recorded last");
    h.redo().unwrap();

    let json = save(&h);
    assert!(json.contains("\"takes\":[1200,97200,193200]"), "the takes are saved: {json}");
    let mut loaded = load(&json).unwrap();
    assert_eq!(loaded.project, h.project);
    assert_eq!(playing_offset(&loaded), 1200);
    loaded.redo().unwrap();
    assert_eq!(playing_offset(&loaded), 97_200, "the redo history chooses takes too");
    let saved = save(&loaded);
    let broken = saved.replacen("\"offset\":97200", "\"offset\":5", 1);
    assert_ne!(broken, saved);
    let message = load(&broken).unwrap_err().to_string();
    assert!(message.contains("its offset (5 frames) is none of its takes' starts"), "{message}");

    // A clip with no takes saves as before (no field), and a version 4 file reads as no takes.
    let mut plain = History::new(Project::new("plain"));
    let mut track = midi_track(1);
    track.kind = TrackKind::Audio;
    plain.edit(Edit::AddTrack { index: 0, track }).unwrap();
    let content = ClipContent::audio("a.wav", 5);
    plain
        .edit(Edit::AddClip { track: 1, clip: Clip { id: 2, start: 0, length: PPQ, content, looping: None } })
        .unwrap();
    let json = save(&plain);
    assert!(!json.contains("takes"), "{json}");
    let v4 = json.replace(&format!("\"version\":{}", quaver::session::project::PROJECT_VERSION), "\"version\":4");
    assert_ne!(v4, json);
    assert_eq!(load(&v4).unwrap().project, plain.project);
}

#[test]
fn a_loop_is_saved_with_its_clip_undone_and_redone_and_a_version_6_clip_plays_once() {
    let mut h = History::new(Project::new("loops"));
    h.edit(Edit::AddTrack { index: 0, track: midi_track(1) }).unwrap();
    let clip = Clip { id: 2, start: 0, length: 8 * PPQ, content: ClipContent::midi(Vec::new()), looping: None };
    h.edit(Edit::AddClip { track: 1, clip }).unwrap();
    let json = save(&h);
    assert!(!json.contains("looping"), "a clip that plays once saves as before: {json}");
    let v6 = json.replace(&format!("\"version\":{}", quaver::session::project::PROJECT_VERSION), "\"version\":6");
    assert_ne!(v6, json);
    assert_eq!(load(&v6).unwrap().project, h.project);
    let looping = Some(ClipLoop { length: 3 * PPQ, phase: PPQ });
    h.edit(Edit::SetClipLoop { track: 1, clip: 2, looping }).unwrap();
    assert_eq!(
        h.project.tracks[0].clips[0].repeats(),
        vec![(0, PPQ, 2 * PPQ), (2 * PPQ, 0, 3 * PPQ), (5 * PPQ, 0, 3 * PPQ)]
    );
    let mut loaded = load(&save(&h)).unwrap();
    assert_eq!(loaded.project, h.project, "the loop goes through a file");
    assert!(loaded.undo().unwrap());
    assert_eq!(loaded.project.tracks[0].clips[0].looping, None, "undo: plays once");
    assert!(loaded.redo().unwrap());
    assert_eq!(loaded.project.tracks[0].clips[0].looping, looping);
}

#[test]
fn choosing_a_take_that_is_not_there_is_refused_and_changes_nothing() {
    let mut h = a_take_folder();
    h.edit(Edit::AddTrack { index: 1, track: midi_track(3) }).unwrap();
    let notes = ClipContent::midi(Vec::new());
    h.edit(Edit::AddClip { track: 3, clip: Clip { id: 4, start: 0, length: PPQ, content: notes, looping: None } })
        .unwrap();
    let stray = ClipContent::Audio {
        asset: "x.wav".into(),
        offset: 7,
        takes: vec![0, 100],
        gain_db: 0.0,
        fade_in: 0,
        fade_out: 0,
    };
    let cases: Vec<(Edit, &str)> = vec![
        (Edit::ChooseTake { track: 1, clip: 2, take: 3 }, "clip 2 has 3 takes; there is no take 4"),
        (Edit::ChooseTake { track: 3, clip: 4, take: 0 }, "clip 4 was not recorded over a loop: it has no takes"),
        (Edit::ChooseTake { track: 1, clip: 9, take: 0 }, "no clip 9"),
        (
            Edit::AddClip { track: 1, clip: Clip { id: 9, start: 0, length: PPQ, content: stray, looping: None } },
            "its offset (7 frames) is none of its takes' starts",
        ),
    ];
    for (edit, words) in cases {
        let before = h.project.clone();
        let message = h.edit(edit.clone()).unwrap_err().to_string();
        assert!(message.contains(words), "{edit:?}: '{message}' should say '{words}'");
        assert_eq!(h.project, before);
    }
}
