//! Automation lanes: a track's volume, pan or any device parameter drawn as breakpoints plays
//! sample-accurately on the song timeline (checked against the lane's formula), edits to lanes
//! undo exactly, bad lanes are refused by name, and version 1 project files (before lanes)
//! load through their migration.

use quaver::offline::OfflineRenderer;
use quaver::session::compile::{compile, GraphSync};
use quaver::session::file::{load, save};
use quaver::session::project::MASTER;
use quaver::session::{
    Bus, Clip, ClipContent, Device, Edit, History, LanePoint, LaneTarget, Project, Sample, SessionError, Strip, Track,
    TrackKind, PPQ,
};
use std::collections::BTreeMap;

const SR: f32 = 48_000.0;
/// Frames in one beat at 120 BPM.
const BEAT: usize = 24_000;
const LEVEL: f32 = 0.5;

/// One audio track playing a steady `LEVEL` on both channels for eight beats, through a gain
/// insert (device 40) left at 0.3.
fn steady() -> (History, Sample) {
    let mut h = History::new(Project::new("lanes"));
    let mut params = BTreeMap::new();
    params.insert("gain".to_string(), 0.3);
    let track = Track {
        id: 1,
        name: "steady".into(),
        kind: TrackKind::Audio,
        instrument: None,
        clips: vec![Clip { id: 2, start: 0, length: 8 * PPQ, content: ClipContent::audio("dc", 0), looping: None }],
        strip: Strip::default(),
        inserts: vec![Device { params, ..Device::new(40, "gain") }],
        sends: Vec::new(),
        automation: Vec::new(),
    };
    h.edit(Edit::AddTrack { index: 0, track }).unwrap();
    let sample = Sample::new(SR, vec![vec![LEVEL; 9 * BEAT]; 2]).unwrap();
    (h, sample)
}

fn lane(target: LaneTarget, points: &[(u64, f32)]) -> Edit {
    let points = points.iter().map(|&(tick, value)| LanePoint { tick, value }).collect();
    Edit::SetLane { track: 1, target, points: Some(points) }
}

fn device_gain() -> LaneTarget {
    LaneTarget::Param { device: 40, param: "gain".into() }
}

/// Renders `frames` of the project played from `tick` at context frame 0.
fn render(project: &Project, sample: &Sample, tick: u64, frames: usize) -> (Vec<Vec<f32>>, GraphSync, OfflineRenderer) {
    let mut g = OfflineRenderer::new(SR);
    let mut sync = GraphSync::default();
    sync.add_sample("dc", sample.clone());
    sync.sync(g.controller_mut(), compile(project, SR)).unwrap();
    sync.play(g.controller_mut(), project, 0, tick, false).unwrap();
    let out = g.render_frames(frames);
    (out, sync, g)
}

#[test]
fn a_device_parameter_lane_moves_it_frame_by_frame_along_straight_lines() {
    let (mut h, sample) = steady();
    h.edit(lane(device_gain(), &[(0, 1.0), (2 * PPQ, 0.0), (4 * PPQ, 0.5)])).unwrap();
    let (out, _, _) = render(&h.project, &sample, 0, 5 * BEAT);
    // Past the clip's 32-frame fade-in, frame f is LEVEL × the lane's value at f (the device's
    // own 0.3 is not used while a lane moves it).
    for f in 64..5 * BEAT {
        let lane = if f < 2 * BEAT {
            1.0 - f as f32 / (2 * BEAT) as f32
        } else if f < 4 * BEAT {
            0.5 * (f - 2 * BEAT) as f32 / (2 * BEAT) as f32
        } else {
            0.5
        };
        for ch in &out {
            assert!((ch[f] - LEVEL * lane).abs() < 2e-5, "frame {f}: {} against {}", ch[f], LEVEL * lane);
        }
    }
}

#[test]
fn a_volume_lane_fades_evenly_in_db_and_a_seek_lands_on_its_value() {
    let (mut h, sample) = steady();
    h.edit(Edit::SetParam { track: 1, device: 40, name: "gain".into(), value: Some(1.0) }).unwrap();
    h.edit(lane(LaneTarget::Gain, &[(0, 0.0), (4 * PPQ, -24.0)])).unwrap();
    let expected = |song: usize| {
        let db = -24.0 * (song.min(4 * BEAT) as f64 / (4 * BEAT) as f64);
        f64::from(LEVEL) * 10f64.powf(db / 20.0)
    };
    let (out, _, _) = render(&h.project, &sample, 0, 5 * BEAT);
    let worst = (64..5 * BEAT).map(|f| (f64::from(out[0][f]) / expected(f) - 1.0).abs()).fold(0.0, f64::max);
    assert!(worst < 0.005, "the fade is within 0.5 % of the dB line everywhere (worst {worst})");
    // Played from beat 2, context frame 0 is song frame 2 × BEAT: the lane is already at −12 dB.
    let (from_beat_2, _, _) = render(&h.project, &sample, 2 * PPQ, BEAT);
    let at = f64::from(from_beat_2[0][100]);
    assert!((at / expected(2 * BEAT + 100) - 1.0).abs() < 0.005, "{at} after a seek");
}

#[test]
fn a_muted_track_stays_silent_and_a_lane_taken_away_gives_the_fader_back_while_playing() {
    let (mut h, sample) = steady();
    h.edit(Edit::SetParam { track: 1, device: 40, name: "gain".into(), value: Some(1.0) }).unwrap();
    h.edit(lane(LaneTarget::Gain, &[(0, 0.0)])).unwrap();
    h.edit(Edit::SetStrip { track: 1, strip: Strip { mute: true, ..Strip::default() } }).unwrap();
    let (muted, _, _) = render(&h.project, &sample, 0, BEAT);
    assert!(muted.iter().flatten().all(|v| *v == 0.0), "a volume lane does not unmute");

    h.edit(Edit::SetStrip { track: 1, strip: Strip { gain_db: -6.0206, ..Strip::default() } }).unwrap();
    let (out, mut sync, mut g) = render(&h.project, &sample, 0, BEAT);
    assert!((out[0][BEAT / 2] - LEVEL).abs() < 1e-5, "the lane's 0 dB, not the fader's −6 dB");
    h.edit(Edit::SetLane { track: 1, target: LaneTarget::Gain, points: None }).unwrap();
    sync.sync(g.controller_mut(), compile(&h.project, SR)).unwrap();
    assert!(sync.last_changes <= 4, "removing a lane sends {} changes", sync.last_changes);
    let out = g.render_frames(BEAT);
    assert!((out[0][BEAT / 2] - LEVEL / 2.0).abs() < 1e-4, "the fader's −6 dB again: {}", out[0][BEAT / 2]);
}

#[test]
fn a_pan_lane_and_a_bypassed_device_lane() {
    let (mut h, sample) = steady();
    h.edit(lane(LaneTarget::Pan, &[(0, -1.0)])).unwrap();
    h.edit(lane(device_gain(), &[(0, 1.0)])).unwrap();
    h.edit(Edit::SetBypass { track: 1, device: 40, bypass: true }).unwrap();
    let (out, _, _) = render(&h.project, &sample, 0, BEAT);
    // Hard left: the right channel folds into the left; a bypassed device's lane moves nothing.
    assert!((out[0][BEAT / 2] - 2.0 * LEVEL).abs() < 1e-5, "left {}", out[0][BEAT / 2]);
    assert!(out[1][BEAT / 2].abs() < 1e-6, "right {}", out[1][BEAT / 2]);
}

#[test]
fn lane_edits_undo_exactly_and_a_removed_device_takes_its_lanes_along() {
    let (mut h, _) = steady();
    let start = h.project.clone();
    h.edit(lane(device_gain(), &[(0, 1.0), (PPQ, 0.5)])).unwrap();
    h.edit(lane(LaneTarget::Gain, &[(0, -3.0)])).unwrap();
    let with_lanes = h.project.clone();
    h.edit(Edit::RemoveInsert { track: 1, device: 40 }).unwrap();
    assert_eq!(h.project.tracks[0].automation.len(), 1, "the device's lane went with it");
    h.undo().unwrap();
    assert_eq!(h.project, with_lanes, "undo brings device and lane back as they were");
    h.redo().unwrap();
    h.undo().unwrap();
    assert_eq!(h.project, with_lanes);
    h.undo().unwrap();
    h.undo().unwrap();
    assert_eq!(h.project, start, "two undos more: no lanes");
}

fn refused(h: &mut History, edit: Edit) -> String {
    let before = h.project.clone();
    let err = h.edit(edit).unwrap_err();
    assert_eq!(h.project, before, "a refused edit changes nothing");
    err.to_string()
}

#[test]
fn bad_lanes_are_refused_with_what_was_wrong() {
    let (mut h, _) = steady();
    let no_device = LaneTarget::Param { device: 99, param: "gain".into() };
    assert!(refused(&mut h, lane(no_device, &[(0, 1.0)])).contains("no device 99"));
    let no_param = LaneTarget::Param { device: 40, param: "cutoff".into() };
    assert!(refused(&mut h, lane(no_param, &[(0, 1.0)])).contains("no parameter 'cutoff'"));
    assert!(refused(&mut h, lane(LaneTarget::Pan, &[(0, 2.0)])).contains("a value of 2"));
    assert!(refused(&mut h, lane(LaneTarget::Gain, &[(0, f32::NAN)])).contains("a value of NaN"));
    assert!(refused(&mut h, lane(LaneTarget::Gain, &[(PPQ, 0.0), (0, 0.0)])).contains("after one at tick 960"));
    assert!(refused(&mut h, lane(LaneTarget::Gain, &[])).contains("at least one point"));
}

/// A version 1 file of `h`: the same, with no lanes anywhere (its tracks and its undo steps) and
/// no tempo changes.
fn as_version_1(h: &History) -> String {
    let mut file: serde_json::Value = serde_json::from_str(&save(h)).unwrap();
    file["project"]["version"] = 1.into();
    file["project"].as_object_mut().unwrap().remove("tempo_changes");
    file["project"].as_object_mut().unwrap().remove("master_automation");
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(map) => {
                map.remove("automation");
                map.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut file);
    file.to_string()
}

#[test]
fn a_version_1_file_loads_through_its_migration_with_its_history() {
    let (mut h, _) = steady();
    h.edit(Edit::SetTempo { bpm: 100.0 }).unwrap();
    let v1 = as_version_1(&h);
    assert!(!v1.contains("automation"));
    let mut loaded = load(&v1).unwrap();
    assert_eq!(loaded.project.version, quaver::session::project::PROJECT_VERSION);
    assert_eq!(loaded.project, h.project);
    // Its undo steps were migrated too: undoing them all gives the empty project.
    while loaded.undo().unwrap() {}
    assert!(loaded.project.tracks.is_empty());
    loaded.redo().unwrap();
    assert_eq!(loaded.project.tracks[0].automation, Vec::new());

    // The same file claiming version 2 lacks what version 2 has, and says where.
    let claims_2 = v1.replace("\"version\":1", "\"version\":2");
    let SessionError::File(message) = load(&claims_2).unwrap_err() else { panic!("a file error") };
    assert!(message.contains("automation"), "{message}");
    let newer = v1.replace("\"version\":1", &format!("\"version\":{}", quaver::session::project::PROJECT_VERSION + 1));
    assert!(load(&newer).unwrap_err().to_string().contains("newer Quaver"));
}

// ---- Tempo changes ----------------------------------------------------------------------------

use quaver::session::{Note, TempoChange, TempoMap};

fn with_tempo(changes: &[(u64, f64, bool)]) -> Project {
    let mut p = Project::new("tempo");
    p.tempo_changes = changes.iter().map(|&(tick, bpm, ramp)| TempoChange { tick, bpm, ramp }).collect();
    p
}

#[test]
fn the_tempo_map_gives_seconds_through_steps_and_ramps_and_back() {
    // One tempo: exactly the old arithmetic, tick × seconds per tick.
    let steady = TempoMap::new(&Project::new("steady"));
    for tick in [0u64, 1, 7, 960, 12_345, 3_840_000] {
        assert_eq!(steady.frame_at(tick, 44_100.0), (tick as f64 * (60.0 / 120.0 / 960.0) * 44_100.0).round() as u64);
    }
    // 120 BPM for a beat, then 60: the second beat lasts a second.
    let step = TempoMap::new(&with_tempo(&[(PPQ, 60.0, false)]));
    assert!((step.seconds_at(PPQ as f64) - 0.5).abs() < 1e-12);
    assert!((step.seconds_at(2.0 * PPQ as f64) - 1.5).abs() < 1e-12);
    assert_eq!(step.bpm_at(PPQ as f64 - 1.0), 120.0);
    assert_eq!(step.bpm_at(PPQ as f64), 60.0);
    // From 60 to 120 BPM over four beats, in a straight line: (60 / PPQ) · D / (b1 − b0) · ln(b1 / b0)
    // = 4 ln 2 seconds; halfway the tempo is 90.
    let mut p = with_tempo(&[(4 * PPQ, 120.0, true)]);
    p.tempo_bpm = 60.0;
    let ramp = TempoMap::new(&p);
    assert!((ramp.seconds_at(4.0 * PPQ as f64) - 4.0 * 2f64.ln()).abs() < 1e-12);
    assert!((ramp.bpm_at(2.0 * PPQ as f64) - 90.0).abs() < 1e-12);
    // After the ramp: 120 BPM on.
    assert!((ramp.seconds_at(5.0 * PPQ as f64) - (4.0 * 2f64.ln() + 0.5)).abs() < 1e-12);
    for map in [&steady, &step, &ramp] {
        for tick in [0.0, 1.0, 333.3, 960.0, 1919.0, 2500.0, 3840.0, 9999.0] {
            assert!((map.tick_at(map.seconds_at(tick)) - tick).abs() < 1e-6, "tick {tick} there and back");
        }
    }
}

#[test]
fn notes_play_where_the_tempo_map_puts_them_and_bounces_are_as_long_as_it_says() {
    let mut h = History::new(Project::new("slowing"));
    let notes = (0..4)
        .map(|i| Note { id: 10 + i, start: u64::from(i) * PPQ, length: PPQ / 4, key: 60, velocity: 100 })
        .collect();
    let mut synth = Device::new(5, "synth");
    synth.params.insert("release".into(), 0.005);
    let track = Track {
        id: 1,
        name: "lead".into(),
        kind: TrackKind::Midi,
        instrument: Some(synth),
        clips: vec![Clip { id: 2, start: 0, length: 4 * PPQ, content: ClipContent::midi(notes), looping: None }],
        strip: Strip::default(),
        inserts: Vec::new(),
        sends: Vec::new(),
        automation: Vec::new(),
    };
    h.edit(Edit::AddTrack { index: 0, track }).unwrap();
    // Beat 3 on at 60 BPM: beats land at 0, 0.5, 1.0 and 2.0 s.
    h.edit(Edit::SetTempoChanges { changes: vec![TempoChange { tick: 2 * PPQ, bpm: 60.0, ramp: false }] }).unwrap();
    let mut g = OfflineRenderer::new(SR);
    let mut sync = GraphSync::default();
    sync.sync(g.controller_mut(), compile(&h.project, SR)).unwrap();
    sync.play(g.controller_mut(), &h.project, 0, 0, false).unwrap();
    let out = g.render_frames(5 * BEAT);
    assert_eq!(quaver::analysis::sound_starts(&out[0], 1000), [1, BEAT + 1, 2 * BEAT + 1, 4 * BEAT + 1]);
    let bounce = quaver::session::bounce::Bounce::new(&h.project, &Default::default(), SR, Default::default()).unwrap();
    // Four beats: 0.5 + 0.5 + 1 + 1 seconds, then the two-second tail.
    assert_eq!(bounce.frames(), (5.0 * f64::from(SR)).ceil() as usize);
}

#[test]
fn tempo_changes_are_checked_undo_and_travel_through_midi_files() {
    let mut h = History::new(Project::new("tempo"));
    let change = |tick, bpm| TempoChange { tick, bpm, ramp: false };
    assert!(refused(&mut h, Edit::SetTempoChanges { changes: vec![change(0, 100.0)] }).contains("tick 0"));
    assert!(refused(&mut h, Edit::SetTempoChanges { changes: vec![change(960, 5.0)] }).contains("5 BPM"));
    let backwards = vec![change(1920, 100.0), change(960, 90.0)];
    assert!(refused(&mut h, Edit::SetTempoChanges { changes: backwards }).contains("after one at tick 1920"));
    let ramped = vec![change(960, 90.0), TempoChange { tick: 1920, bpm: 150.0, ramp: true }];
    h.edit(Edit::SetTempoChanges { changes: ramped.clone() }).unwrap();
    h.undo().unwrap();
    assert!(h.project.tempo_changes.is_empty());
    h.redo().unwrap();
    assert_eq!(h.project.tempo_changes, ramped);
    // Out as MIDI: the ramp from 90 (at tick 960) to 150 as four sixteenth-note steps, each at
    // the tempo halfway through it (97.5, 112.5, 127.5, 142.5), then 150.
    let song = quaver::session::import::song_of(&h.project, None);
    let bpms: Vec<(u64, f64)> = song.tempo_map.iter().map(|t| (t.tick, (t.bpm() * 10.0).round() / 10.0)).collect();
    assert_eq!(bpms, [(0, 120.0), (960, 97.5), (1200, 112.5), (1440, 127.5), (1680, 142.5), (1920, 150.0)]);
    // In again: a file's tempo map becomes the project's (its ticks rescaled, from where it lands).
    let mut file = song.clone();
    file.tracks = vec![quaver::formats::midi::Track {
        name: None,
        program: None,
        notes: vec![quaver::formats::midi::Note { start: 0, length: 480, key: 60, velocity: 90, channel: 0 }],
    }];
    let bytes = file.write().unwrap();
    let read = quaver::formats::midi::Song::read(&bytes).unwrap();
    let mut fresh = History::new(Project::new("imported"));
    fresh.edit(quaver::session::import::midi_song(&fresh.project, &read, 0).unwrap()).unwrap();
    let got: Vec<(u64, f64)> =
        fresh.project.tempo_changes.iter().map(|t| (t.tick, (t.bpm * 10.0).round() / 10.0)).collect();
    assert_eq!(got, bpms[1..]);
}

/// `steady()` with its track at LEVEL (device 40 at 1) sending post-fader at 0 dB to bus 50 (a
/// gain insert, device 51, at 1): the master hears the track and the bus, LEVEL each.
fn through_a_bus() -> (History, Sample) {
    let (mut h, sample) = steady();
    h.edit(Edit::SetParam { track: 1, device: 40, name: "gain".into(), value: Some(1.0) }).unwrap();
    let mut params = BTreeMap::new();
    params.insert("gain".to_string(), 1.0);
    let bus = Bus {
        id: 50,
        name: "bus".into(),
        strip: Strip::default(),
        inserts: vec![Device { params, ..Device::new(51, "gain") }],
        automation: Vec::new(),
    };
    h.edit(Edit::AddBus { index: 0, bus }).unwrap();
    h.edit(Edit::SetSend { track: 1, bus: 50, gain_db: Some(0.0) }).unwrap();
    (h, sample)
}

fn channel_lane(channel: u32, target: LaneTarget, points: &[(u64, f32)]) -> Edit {
    let points = points.iter().map(|&(tick, value)| LanePoint { tick, value }).collect();
    Edit::SetLane { track: channel, target, points: Some(points) }
}

#[test]
fn lanes_on_a_bus_and_on_the_master_move_their_devices_and_faders() {
    let (mut h, sample) = through_a_bus();
    let bus_gain = LaneTarget::Param { device: 51, param: "gain".into() };
    h.edit(channel_lane(50, bus_gain, &[(0, 1.0), (4 * PPQ, 0.0)])).unwrap();
    h.edit(channel_lane(MASTER, LaneTarget::Gain, &[(0, 0.0), (2 * PPQ, 0.0), (4 * PPQ, -20.0)])).unwrap();
    let (out, _, _) = render(&h.project, &sample, 0, 5 * BEAT);
    // The track gives LEVEL, the bus LEVEL × its lane, and the master's lane holds 0 dB for two
    // beats, then falls evenly in dB to −20 dB at beat 4 (laid as short lines: within 0.5 %).
    let direct = LEVEL;
    for f in (64..4 * BEAT).step_by(97) {
        let bus = 1.0 - f as f32 / (4 * BEAT) as f32;
        let master_db = if f < 2 * BEAT { 0.0 } else { -20.0 * (f - 2 * BEAT) as f32 / (2 * BEAT) as f32 };
        let expected = (LEVEL * bus + direct) * 10f32.powf(master_db / 20.0);
        for ch in &out {
            assert!((ch[f] / expected - 1.0).abs() < 0.005, "frame {f}: {} against {expected}", ch[f]);
        }
    }
    // Undone, the master and the bus play at their own settings again.
    h.undo().unwrap();
    h.undo().unwrap();
    assert!(h.project.master_automation.is_empty() && h.project.buses[0].automation.is_empty());
    let (plain, _, _) = render(&h.project, &sample, 0, BEAT);
    assert!((plain[0][BEAT / 2] - (LEVEL + direct)).abs() < 1e-5, "{}", plain[0][BEAT / 2]);
}

#[test]
fn bus_and_master_lanes_are_checked_and_go_with_their_device() {
    let (mut h, _) = through_a_bus();
    let on_master = LaneTarget::Param { device: 40, param: "gain".into() };
    assert!(refused(&mut h, channel_lane(MASTER, on_master, &[(0, 1.0)]))
        .contains("the master: the lane for gain of device 40: there is no device 40"));
    let elsewhere = LaneTarget::Param { device: 40, param: "gain".into() };
    assert!(refused(&mut h, channel_lane(50, elsewhere, &[(0, 1.0)]))
        .contains("bus 50: the lane for gain of device 40: there is no device 40"));
    assert!(refused(&mut h, channel_lane(77, LaneTarget::Gain, &[(0, 0.0)])).contains("77"));
    let bus_gain = LaneTarget::Param { device: 51, param: "gain".into() };
    h.edit(channel_lane(50, bus_gain.clone(), &[(0, 0.5)])).unwrap();
    h.edit(channel_lane(50, LaneTarget::Pan, &[(0, -1.0)])).unwrap();
    h.edit(Edit::RemoveInsert { track: 50, device: 51 }).unwrap();
    assert_eq!(
        h.project.buses[0].automation.iter().map(|l| l.target.clone()).collect::<Vec<_>>(),
        vec![LaneTarget::Pan]
    );
    h.undo().unwrap();
    assert_eq!(h.project.buses[0].automation.len(), 2, "undo gives the device back with its lane");
    // A bus removed and added back (undo) keeps its lanes.
    h.edit(Edit::SetSend { track: 1, bus: 50, gain_db: None }).unwrap();
    h.edit(Edit::RemoveBus { bus: 50 }).unwrap();
    h.undo().unwrap();
    assert_eq!(h.project.buses[0].automation.len(), 2);
}

#[test]
fn a_version_3_file_gains_bus_and_master_lanes_through_its_migration() {
    let (mut h, _) = through_a_bus();
    h.edit(Edit::SetTempo { bpm: 90.0 }).unwrap();
    let mut file: serde_json::Value = serde_json::from_str(&save(&h)).unwrap();
    file["project"]["version"] = 3.into();
    file["project"].as_object_mut().unwrap().remove("master_automation");
    file["project"]["buses"][0].as_object_mut().unwrap().remove("automation");
    // The bus came in by an edit: its inverse (removeBus) is in the undo stack.
    assert!(file["undo"].as_array().unwrap().iter().any(|e| e["edit"] == "removeBus"));
    let v3 = file.to_string();
    let mut loaded = load(&v3).unwrap();
    assert_eq!(loaded.project, h.project);
    // Undo back past the bus, then redo it: the addBus edit in the history was migrated.
    while loaded.project.buses.len() == 1 {
        loaded.undo().unwrap();
    }
    let mut resaved: serde_json::Value = serde_json::from_str(&save(&loaded)).unwrap();
    resaved["project"]["version"] = 3.into();
    resaved["project"].as_object_mut().unwrap().remove("master_automation");
    for edit in resaved["redo"].as_array_mut().unwrap() {
        if edit["edit"] == "addBus" {
            edit["bus"].as_object_mut().unwrap().remove("automation");
        }
    }
    let mut again = load(&resaved.to_string()).unwrap();
    while again.redo().unwrap() {}
    assert_eq!(again.project, h.project, "redone through a migrated addBus edit");
    // Claiming version 4 without what version 4 has is refused, naming the field.
    let claims_4 = v3.replace("\"version\":3", "\"version\":4");
    let SessionError::File(message) = load(&claims_4).unwrap_err() else { panic!("a file error") };
    assert!(message.contains("automation"), "{message}");
}

#[test]
fn the_masters_pan_and_its_lane_are_heard_as_web_audio_pans_a_stereo_input() {
    let (mut h, sample) = steady();
    h.edit(channel_lane(MASTER, LaneTarget::Pan, &[(0, 0.0), (4 * PPQ, -1.0)])).unwrap();
    let (out, _, _) = render(&h.project, &sample, 0, 5 * BEAT);
    // Both channels carry LEVEL × 0.3 (the track's gain insert). At pan p < 0, Web Audio's
    // stereo panner gives L = l + r·cos(x·π/2), R = r·sin(x·π/2), with x = p + 1.
    let input = LEVEL * 0.3;
    for f in (64..5 * BEAT).step_by(101) {
        let pan = -(f.min(4 * BEAT) as f64 / (4 * BEAT) as f64);
        let x = (pan + 1.0) * core::f64::consts::FRAC_PI_2;
        let (left, right) = (f64::from(input) * (1.0 + x.cos()), f64::from(input) * x.sin());
        assert!((f64::from(out[0][f]) - left).abs() < 1e-5, "frame {f}: left {} against {left}", out[0][f]);
        assert!((f64::from(out[1][f]) - right).abs() < 1e-5, "frame {f}: right {} against {right}", out[1][f]);
    }
    // Without the lane, the master's own pan setting is heard.
    h.undo().unwrap();
    h.edit(Edit::SetStrip { track: MASTER, strip: Strip { pan: 1.0, ..Strip::default() } }).unwrap();
    let (hard_right, _, _) = render(&h.project, &sample, 0, BEAT);
    assert!(hard_right[0][BEAT / 2].abs() < 1e-6 && (hard_right[1][BEAT / 2] - 2.0 * input).abs() < 1e-5);
}
