//! Projects rendered natively: the model compiles to the engine graph, notes sound on the
//! grid, the mixer does what its controls say, and edits to a playing project change only
//! what changed.

use quaver::analysis::sound_starts;
use quaver::offline::OfflineRenderer;
use quaver::session::compile::{compile, GraphSync};
use quaver::session::{Bus, Clip, ClipContent, Device, Edit, History, Note, Project, Strip, Track, TrackKind, PPQ};
use std::collections::BTreeMap;

const SR: f32 = 48_000.0;

fn synth_with_short_release() -> Device {
    let mut params = BTreeMap::new();
    params.insert("release".to_string(), 0.005);
    Device { id: 50, kind: "synth".into(), params, choices: BTreeMap::new(), bypass: false }
}

/// 120 BPM, one MIDI track: four quarter notes, each an eighth long, from tick 0.
fn four_beats() -> History {
    let mut h = History::new(Project::new("four beats"));
    let notes = (0..4)
        .map(|i| Note { id: 10 + i, start: u64::from(i) * PPQ, length: PPQ / 2, key: 60 + 2 * i as u8, velocity: 100 })
        .collect();
    let track = Track {
        id: 1,
        name: "lead".into(),
        kind: TrackKind::Midi,
        instrument: Some(synth_with_short_release()),
        clips: vec![Clip { id: 2, start: 0, length: 4 * PPQ, content: ClipContent::Midi { notes } }],
        strip: Strip::default(),
        inserts: Vec::new(),
        sends: Vec::new(),
    };
    h.edit(Edit::AddTrack { index: 0, track }).unwrap();
    h
}

fn render(project: &Project, frames: usize) -> (Vec<Vec<f32>>, GraphSync, OfflineRenderer) {
    let mut g = OfflineRenderer::new(SR);
    let mut sync = GraphSync::default();
    sync.sync(g.controller_mut(), compile(project, SR)).unwrap();
    sync.play(g.controller_mut(), project, 0, 0, false).unwrap();
    let out = g.render_frames(frames);
    (out, sync, g)
}

#[test]
fn a_project_plays_its_notes_on_the_beat_grid() {
    let h = four_beats();
    let (out, _, _) = render(&h.project, 4 * 24_000);
    // At 120 BPM a beat is half a second: 24 000 frames. The default sawtooth starts each note
    // at phase 0, where its value is 0: the first non-zero sample is the note's second.
    assert_eq!(sound_starts(&out[0], 1000), [1, 24_001, 48_001, 72_001]);
    assert_eq!(sound_starts(&out[1], 1000), [1, 24_001, 48_001, 72_001]);
}

#[test]
fn the_mixer_does_what_its_controls_say() {
    let mut h = four_beats();
    h.edit(Edit::SetStrip { track: 1, strip: Strip { pan: -1.0, ..Strip::default() } }).unwrap();
    let (left_only, _, _) = render(&h.project, 30_000);
    assert!(left_only[0].iter().any(|v| v.abs() > 0.01));
    assert!(left_only[1].iter().all(|v| *v == 0.0), "hard left: nothing on the right");
    h.edit(Edit::SetStrip { track: 1, strip: Strip { mute: true, ..Strip::default() } }).unwrap();
    let (muted, _, _) = render(&h.project, 30_000);
    assert!(muted.iter().flatten().all(|v| *v == 0.0));
    h.edit(Edit::SetStrip { track: 1, strip: Strip { gain_db: -6.0206, ..Strip::default() } }).unwrap();
    let (half, _, _) = render(&h.project, 30_000);
    h.edit(Edit::SetStrip { track: 1, strip: Strip::default() }).unwrap();
    let (full, _, _) = render(&h.project, 30_000);
    let peak = |c: &[f32]| c.iter().fold(0f32, |m, v| m.max(v.abs()));
    assert!((peak(&half[0]) / peak(&full[0]) - 0.5).abs() < 1e-3, "−6 dB on the fader halves the level");
}

#[test]
fn editing_a_playing_project_sends_only_what_changed() {
    let mut h = four_beats();
    let mut g = OfflineRenderer::new(SR);
    let mut sync = GraphSync::default();
    sync.sync(g.controller_mut(), compile(&h.project, SR)).unwrap();
    sync.play(g.controller_mut(), &h.project, 0, 0, false).unwrap();
    g.render_frames(12_000);
    let synth = sync.id("t1.synth").unwrap();
    // An insert: one node, its parameter, and the chain rewired around it.
    let mut params = BTreeMap::new();
    params.insert("delayTime".to_string(), 0.125);
    h.edit(Edit::AddInsert {
        track: 1,
        index: 0,
        device: Device { id: 60, kind: "delay".into(), params, choices: BTreeMap::new(), bypass: false },
    })
    .unwrap();
    sync.sync(g.controller_mut(), compile(&h.project, SR)).unwrap();
    assert_eq!(sync.last_changes, 5, "add, set delayTime, disconnect synth→fader, connect synth→delay→fader");
    assert_eq!(sync.id("t1.synth"), Some(synth), "the playing synth is the same node");
    // A fader move is one parameter.
    h.edit(Edit::SetStrip { track: 1, strip: Strip { gain_db: -3.0, ..Strip::default() } }).unwrap();
    sync.sync(g.controller_mut(), compile(&h.project, SR)).unwrap();
    assert_eq!(sync.last_changes, 1);
    // A new note is one new sequence for that synth.
    h.edit(Edit::AddNote {
        track: 1,
        clip: 2,
        note: Note { id: 70, start: 3 * PPQ + PPQ / 2, length: 100, key: 72, velocity: 80 },
    })
    .unwrap();
    sync.sync(g.controller_mut(), compile(&h.project, SR)).unwrap();
    assert_eq!(sync.last_changes, 1);
    // Undo everything: back to the first graph, and it still plays.
    while h.undo().unwrap() {}
    sync.sync(g.controller_mut(), compile(&h.project, SR)).unwrap();
    // Removed nodes fade out (no click), then the graph is silent.
    g.render_frames(1280);
    assert!(g.render_frames(1280)[0].iter().all(|v| *v == 0.0));
    assert_eq!(g.engine().node_count(), 3, "only the engine's own two nodes and the master are left");
    // Closing the project takes its nodes out; another project builds on a clean engine.
    sync.release(g.controller_mut());
    assert_eq!(g.controller_mut().node_count(), 2, "only the engine's own input and destination");
    assert_eq!(sync.id("t1.synth"), None);
    sync.sync(g.controller_mut(), compile(&four_beats().project, SR)).unwrap();
    assert!(sync.id("t1.synth").is_some());
}

#[test]
fn a_send_feeds_its_bus_after_the_fader() {
    let mut h = four_beats();
    let bus = Bus {
        id: 20,
        name: "verb".into(),
        strip: Strip::default(),
        inserts: vec![Device { id: 21, kind: "reverb".into(), params: BTreeMap::new(), choices: BTreeMap::new(), bypass: false }],
    };
    h.edit(Edit::AddBus { index: 0, bus }).unwrap();
    // The track itself silent on the master (fader at −∞), its send at 0 dB: what is heard is
    // the bus, so the reverb's tail rings past the note.
    h.edit(Edit::SetStrip { track: 1, strip: Strip { gain_db: f32::NEG_INFINITY, ..Strip::default() } }).unwrap();
    h.edit(Edit::SetSend { track: 1, bus: 20, gain_db: Some(0.0) }).unwrap();
    let (out, _, _) = render(&h.project, 24_000);
    assert!(out[0].iter().all(|v| *v == 0.0), "post-fader: a closed fader closes the send");
    h.edit(Edit::SetStrip { track: 1, strip: Strip { gain_db: -60.0, ..Strip::default() } }).unwrap();
    let (dry_quiet, _, _) = render(&h.project, 24_000);
    h.edit(Edit::SetSend { track: 1, bus: 20, gain_db: None }).unwrap();
    let (no_send, _, _) = render(&h.project, 24_000);
    // The note (half a beat) and its 5 ms release are over by frame 12 500.
    assert!(no_send[0][13_000..].iter().all(|v| *v == 0.0), "without the send, silence after the note");
    let tail = dry_quiet[0][13_000..].iter().map(|v| f64::from(*v).powi(2)).sum::<f64>();
    assert!(tail > 1e-9, "with it, the bus's reverb rings on after the note (energy {tail})");
}

#[test]
fn a_device_choice_reaches_its_node_and_the_master_strip_mixes_everything() {
    let mut h = four_beats();
    let mut params = BTreeMap::new();
    params.insert("frequency".to_string(), 8000.0);
    let mut filter = Device { id: 61, kind: "biquad".into(), params, choices: BTreeMap::new(), bypass: false };
    h.edit(Edit::AddInsert { track: 1, index: 0, device: filter.clone() }).unwrap();
    let (lowpassed, _, _) = render(&h.project, 12_000);
    filter.choices.insert("type".into(), "highpass".into());
    h.edit(Edit::SetChoice { track: 1, device: 61, name: "type".into(), choice: Some("highpass".into()) }).unwrap();
    assert_eq!(compile(&h.project, SR).nodes["t1.fx61"].settings.len(), 1, "the choice is a setting of the node");
    let (highpassed, _, _) = render(&h.project, 12_000);
    // A 262 Hz sawtooth keeps most of its energy through a lowpass at 8 kHz and loses it through
    // a highpass there.
    let energy = |c: &[f32]| c.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>();
    assert!(energy(&highpassed[0]) < 0.05 * energy(&lowpassed[0]), "highpass at 8 kHz removes most of the note");
    h.edit(Edit::SetStrip { track: quaver::session::MASTER, strip: Strip { mute: true, ..Strip::default() } }).unwrap();
    let (muted, _, _) = render(&h.project, 12_000);
    assert!(muted.iter().flatten().all(|v| *v == 0.0), "the master's mute silences the song");
}

#[test]
fn a_looping_transport_repeats_the_loop_region() {
    let mut h = four_beats();
    // Loop the second beat only: from tick 960 to 1920, 24 000 frames at 120 BPM.
    h.edit(Edit::SetLoop { region: Some(quaver::session::LoopRegion { start: PPQ, end: 2 * PPQ }) }).unwrap();
    let mut g = OfflineRenderer::new(SR);
    let mut sync = GraphSync::default();
    sync.sync(g.controller_mut(), compile(&h.project, SR)).unwrap();
    sync.play(g.controller_mut(), &h.project, 0, u64::from(u32::try_from(PPQ).unwrap()), true).unwrap();
    let out = g.render_frames(3 * 24_000);
    assert_eq!(sound_starts(&out[0], 1000), [1, 24_001, 48_001], "the second beat's note, again and again");
}
