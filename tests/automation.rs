//! Automation lanes: a track's volume, pan or any device parameter drawn as breakpoints plays
//! sample-accurately on the song timeline (checked against the lane's formula), edits to lanes
//! undo exactly, bad lanes are refused by name, and version 1 project files (before lanes)
//! load through their migration.

use quaver::offline::OfflineRenderer;
use quaver::session::compile::{compile, GraphSync};
use quaver::session::file::{load, save};
use quaver::session::{
    Clip, ClipContent, Device, Edit, History, LanePoint, LaneTarget, Project, Sample, SessionError, Strip, Track,
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
        clips: vec![Clip {
            id: 2,
            start: 0,
            length: 8 * PPQ,
            content: ClipContent::Audio { asset: "dc".into(), offset: 0 },
        }],
        strip: Strip::default(),
        inserts: vec![Device { id: 40, kind: "gain".into(), params, choices: BTreeMap::new(), bypass: false }],
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

/// A version 1 file of `h`: the same, with no lanes anywhere (its tracks and its undo steps).
fn as_version_1(h: &History) -> String {
    let mut file: serde_json::Value = serde_json::from_str(&save(h)).unwrap();
    file["project"]["version"] = 1.into();
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
    assert_eq!(loaded.project.version, 2);
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
    let newer = v1.replace("\"version\":1", "\"version\":3");
    assert!(load(&newer).unwrap_err().to_string().contains("newer Quaver"));
}
