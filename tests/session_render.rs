//! Projects rendered natively: the model compiles to the engine graph, notes sound on the
//! grid, the mixer does what its controls say, and edits to a playing project change only
//! what changed.

use quaver::analysis::sound_starts;
use quaver::offline::OfflineRenderer;
use quaver::session::compile::{compile, GraphSync};
use quaver::session::{
    Bus, Clip, ClipContent, ClipLoop, Device, Edit, History, Note, Project, Sample, Strip, Track, TrackKind, PPQ,
};
use std::collections::BTreeMap;

const SR: f32 = 48_000.0;

fn synth_with_short_release() -> Device {
    let mut params = BTreeMap::new();
    params.insert("release".to_string(), 0.005);
    Device { params, ..Device::new(50, "synth") }
}

/// 120 BPM, one MIDI track: four quarter notes, each an eighth long, from tick 0.
fn four_beats() -> History {
    let notes = (0..4)
        .map(|i| Note { id: 10 + i, start: u64::from(i) * PPQ, length: PPQ / 2, key: 60 + 2 * i as u8, velocity: 100 })
        .collect();
    one_instrument("four beats", synth_with_short_release(), notes)
}

/// A renderer holding `project`'s graph, given `samples` first.
fn synced(project: &Project, samples: &[(&str, Sample)]) -> (OfflineRenderer, GraphSync) {
    let mut g = OfflineRenderer::new(SR);
    let mut sync = GraphSync::default();
    for (name, sample) in samples {
        sync.add_sample(name, sample.clone());
    }
    sync.sync(g.controller_mut(), compile(project, SR)).unwrap();
    (g, sync)
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
    let (mut g, mut sync) = synced(&h.project, &[]);
    sync.play(g.controller_mut(), &h.project, 0, 0, false).unwrap();
    g.render_frames(12_000);
    let synth = sync.id("t1.synth").unwrap();
    // An insert: one node, its parameter, and the chain rewired around it.
    let mut params = BTreeMap::new();
    params.insert("delayTime".to_string(), 0.125);
    h.edit(Edit::AddInsert { track: 1, index: 0, device: Device { params, ..Device::new(60, "delay") } }).unwrap();
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
    assert_eq!(g.engine().node_count(), 4, "only the engine's own two nodes and the master (fader and pan) are left");
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
        inserts: vec![Device::new(21, "reverb")],
        automation: Vec::new(),
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
    let mut filter = Device { params, ..Device::new(61, "biquad") };
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
    let (mut g, mut sync) = synced(&h.project, &[]);
    sync.play(g.controller_mut(), &h.project, 0, u64::from(u32::try_from(PPQ).unwrap()), true).unwrap();
    let out = g.render_frames(3 * 24_000);
    assert_eq!(sound_starts(&out[0], 1000), [1, 24_001, 48_001], "the second beat's note, again and again");
}

/// An audio track (id 30) with one clip (id 31) of sample "hit.wav" from beat 1, a beat long.
fn with_an_audio_clip(h: &mut History, offset: u64) {
    let track = Track {
        id: 30,
        name: "drums".into(),
        kind: TrackKind::Audio,
        instrument: None,
        clips: vec![Clip {
            id: 31,
            start: PPQ,
            length: PPQ,
            content: ClipContent::audio("hit.wav", offset),
            looping: None,
        }],
        strip: Strip::default(),
        inserts: Vec::new(),
        sends: Vec::new(),
        automation: Vec::new(),
    };
    h.edit(Edit::AddTrack { index: 1, track }).unwrap();
    h.edit(Edit::SetStrip { track: 1, strip: Strip { mute: true, ..Strip::default() } }).unwrap();
}

/// A stereo sample: frame i is (i + 1) / 1e5 on the left and its negative on the right.
fn hit() -> Sample {
    let left: Vec<f32> = (0..30_000).map(|i| (i + 1) as f32 / 100_000.0).collect();
    let right = left.iter().map(|v| -v).collect();
    Sample::new(SR, vec![left, right]).unwrap()
}

#[test]
fn an_audio_clip_plays_its_sample_at_its_place_and_moves_while_playing() {
    let mut h = four_beats();
    with_an_audio_clip(&mut h, 1000);
    let (mut g, mut sync) = synced(&h.project, &[]);
    // The sample arrives after the clip's node exists (the page loads samples from storage).
    sync.add_sample("hit.wav", hit());
    sync.sync(g.controller_mut(), compile(&h.project, SR)).unwrap();
    assert_eq!(sync.last_changes, 1, "only the buffer was sent");
    sync.play(g.controller_mut(), &h.project, 0, 0, false).unwrap();
    // Whole quanta (383), so the next render starts where this one ends.
    let out = g.render_frames(49_024);
    // Beat 1 is frame 24 000; the clip starts 1000 frames into the sample and lasts a beat.
    assert!(out[0][..24_000].iter().all(|v| *v == 0.0));
    for i in 32..23_968 {
        let expected = (1000 + i + 1) as f32 / 100_000.0;
        // The panner at centre adds the other side times cos(π/2) ≈ 6e-17: not quite exact.
        assert!((out[0][24_000 + i] - expected).abs() <= 1e-7, "left, frame {i} of the clip");
        assert!((out[1][24_000 + i] + expected).abs() <= 1e-7, "right, frame {i} of the clip");
    }
    assert!(out[0][48_000..].iter().all(|v| *v == 0.0), "a beat long");
    // Moved to beat 3 while the song plays (it is at beat 2 now): one setting, and it sounds
    // there.
    h.edit(Edit::SetClipSpan { track: 30, clip: 31, start: 3 * PPQ, length: PPQ }).unwrap();
    sync.sync(g.controller_mut(), compile(&h.project, SR)).unwrap();
    assert_eq!(sync.last_changes, 1, "only the clip's start changed");
    let later = g.render_frames(2 * 24_000);
    let first = later[0].iter().position(|v| *v != 0.0).unwrap();
    assert_eq!(49_024 + first, 3 * 24_000 + 1, "the moved clip starts on beat 3 (its first frame is faded to 0)");
}

#[test]
fn an_audio_clips_gain_and_fades_shape_it_over_every_repeat_and_undo_takes_them_off() {
    let mut h = four_beats();
    with_an_audio_clip(&mut h, 1000);
    let start = h.clone();
    // −6 dB, a quarter beat in (6000 frames) and a half beat out (12 000); looped every
    // third of a beat and lengthened to two beats, so the fades fall inside the first and last
    // of six repeats, each a node of its own.
    h.edit(Edit::SetClipFades { track: 30, clip: 31, gain_db: -6.0, fade_in: PPQ / 4, fade_out: PPQ / 2 }).unwrap();
    h.edit(Edit::SetClipSpan { track: 30, clip: 31, start: PPQ, length: 2 * PPQ }).unwrap();
    h.edit(Edit::SetClipLoop { track: 30, clip: 31, looping: Some(ClipLoop { length: PPQ / 3, phase: 0 }) }).unwrap();
    let (mut g, mut sync) = synced(&h.project, &[("hit.wav", hit())]);
    sync.play(g.controller_mut(), &h.project, 0, 0, false).unwrap();
    let out = g.render_frames(4 * 24_000);
    let gain = 10f64.powf(-6.0 / 20.0);
    let (begin, end) = (24_000usize, 72_000usize);
    for i in begin..end {
        let into = i - begin;
        // Each repeat plays the sample from frame 1000 on for 8000 frames, edges faded over 32.
        let repeat_into = into % 8000;
        let edge = (repeat_into.min(8000 - repeat_into) as f64 / 32.0).min(1.0);
        let rise = (into as f64 / 6000.0).min(1.0);
        let fall = ((end - i) as f64 / 12_000.0).min(1.0);
        let expected = (1000 + repeat_into + 1) as f64 / 100_000.0 * gain * rise * fall * edge;
        assert!(
            (f64::from(out[0][i]) - expected).abs() <= 1e-6,
            "frame {into} of the clip: {} against {expected}",
            out[0][i]
        );
    }
    assert!(out[0][..begin].iter().chain(&out[0][end..]).all(|v| *v == 0.0), "silent outside the clip");
    // Trimmed to a third of a beat (one repeat, 8000 frames), the fades shrink in proportion:
    // a third of its length rising, two thirds falling.
    let mut short = h.clone();
    short.edit(Edit::SetClipSpan { track: 30, clip: 31, start: PPQ, length: PPQ / 3 }).unwrap();
    assert_eq!(short.project.tracks[1].clips[0].fades(), (PPQ / 9, PPQ / 3 - PPQ / 9));
    let (mut g2, mut sync2) = synced(&short.project, &[("hit.wav", hit())]);
    sync2.play(g2.controller_mut(), &short.project, 0, 0, false).unwrap();
    let trimmed = g2.render_frames(48_000);
    // 106 ticks rising (2650 frames) and 214 falling (5350), of 320 (8000 frames).
    for into in 0..8000usize {
        let edge = (into.min(8000 - into) as f64 / 32.0).min(1.0);
        let shape = (into as f64 / 2650.0).min(1.0) * ((8000 - into) as f64 / 5350.0).min(1.0) * edge;
        let expected = (1000 + into + 1) as f64 / 100_000.0 * gain * shape;
        assert!((f64::from(trimmed[0][24_000 + into]) - expected).abs() <= 1e-6, "trimmed, frame {into}");
    }
    // Undone, the engine plays the clip plain again: its nodes are told the defaults.
    assert!(h.undo().unwrap() && h.undo().unwrap() && h.undo().unwrap());
    assert_eq!(h.project, start.project);
    sync.sync(g.controller_mut(), compile(&h.project, SR)).unwrap();
    sync.play(g.controller_mut(), &h.project, 4 * 24_000, 0, false).unwrap();
    let plain = g.render_frames(2 * 24_000);
    for i in 32..23_968 {
        let expected = (1000 + i + 1) as f32 / 100_000.0;
        assert!((plain[0][24_000 + i] - expected).abs() <= 1e-7, "plain again, frame {i}");
    }
    // Faded, trimmed shorter than its fades, faded again and lengthened: every step undoes,
    // back to the start (the stored fades may be longer than the clip; they play shrunk).
    let mut trimmed = h.clone();
    trimmed.edit(Edit::SetClipFades { track: 30, clip: 31, gain_db: 0.0, fade_in: 400, fade_out: 400 }).unwrap();
    trimmed.edit(Edit::SetClipSpan { track: 30, clip: 31, start: PPQ, length: 600 }).unwrap();
    trimmed.edit(Edit::SetClipFades { track: 30, clip: 31, gain_db: -3.0, fade_in: 400, fade_out: 400 }).unwrap();
    assert_eq!(trimmed.project.tracks[1].clips[0].fades(), (300, 300));
    trimmed.edit(Edit::SetClipSpan { track: 30, clip: 31, start: PPQ, length: PPQ }).unwrap();
    assert_eq!(trimmed.project.tracks[1].clips[0].fades(), (400, 400), "lengthened, the fades are whole again");
    for _ in 0..4 {
        assert!(trimmed.undo().unwrap());
    }
    assert_eq!(trimmed.project, h.project);
    // A gain out of range, fades past the end of time, a MIDI clip: refused, nothing changes.
    for (clip, track, gain_db, fade_in, fade_out) in
        [(31, 30, 30.0, 0, 0), (31, 30, f32::NAN, 0, 0), (31, 30, 0.0, u64::MAX, 1), (2, 1, -3.0, 0, 0)]
    {
        let err = h.edit(Edit::SetClipFades { track, clip, gain_db, fade_in, fade_out }).unwrap_err();
        assert!(!err.to_string().is_empty());
        assert_eq!(h.project, start.project, "{err}");
    }
    // A file keeps them; a version 10 file's clips have neither.
    h.edit(Edit::SetClipFades { track: 30, clip: 31, gain_db: 2.5, fade_in: 10, fade_out: 20 }).unwrap();
    let json = quaver::session::file::save(&History::new(h.project.clone()));
    assert_eq!(quaver::session::file::load(&json).unwrap().project, h.project);
    let v10 = json
        .replace(&format!("\"version\":{}", quaver::session::project::PROJECT_VERSION), "\"version\":10")
        .replace(",\"gain_db\":2.5,\"fade_in\":10,\"fade_out\":20", "");
    assert!(v10.contains("\"version\":10") && !v10.contains("fade_in"), "{v10}");
    assert_eq!(quaver::session::file::load(&v10).unwrap().project, start.project);
}

#[test]
fn a_clip_made_while_the_song_plays_joins_it_in_time_and_a_bounce_plays_samples() {
    let mut h = four_beats();
    h.edit(Edit::SetStrip { track: 1, strip: Strip { mute: true, ..Strip::default() } }).unwrap();
    let (mut g, mut sync) = synced(&h.project, &[("hit.wav", hit())]);
    sync.play(g.controller_mut(), &h.project, 0, 0, false).unwrap();
    g.render_frames(12_032);
    with_an_audio_clip(&mut h, 0);
    sync.sync(g.controller_mut(), compile(&h.project, SR)).unwrap();
    let out = g.render_frames(24_000);
    let first = out[0].iter().position(|v| *v != 0.0).unwrap();
    assert_eq!(12_032 + first, 24_001, "the new clip sounds on beat 1 as if it had always been there");

    let mut samples = quaver::session::Samples::new();
    samples.insert("hit.wav".into(), std::sync::Arc::new(hit()));
    let mut bounce = quaver::session::bounce::Bounce::new(&h.project, &samples, SR, Default::default()).unwrap();
    while bounce.render(48_000).unwrap() {}
    let bounced = bounce.finish();
    assert_eq!(bounced[0][24_000 + 100], 101.0 / 100_000.0, "the bounce plays the sample too");
    let missing =
        quaver::session::bounce::Bounce::new(&h.project, &Default::default(), SR, Default::default()).unwrap().finish();
    assert!(missing.iter().flatten().all(|v| *v == 0.0), "a missing sample leaves its clip silent");
    assert_eq!(quaver::session::assets::missing(&h.project, &Default::default()), ["hit.wav"]);
}

#[test]
fn samples_are_checked_whole_and_wav_files_become_samples() {
    assert!(Sample::new(SR, vec![]).unwrap_err().to_string().contains("0 channels"));
    assert!(Sample::new(SR, vec![vec![0.0; 4]; 3]).unwrap_err().to_string().contains("3 channels"));
    assert!(Sample::new(SR, vec![vec![0.0; 4], vec![0.0; 3]]).unwrap_err().to_string().contains("differ in length"));
    assert!(Sample::new(SR, vec![vec![f32::NAN]]).unwrap_err().to_string().contains("not finite"));
    assert!(Sample::new(1.0, vec![vec![0.0]]).unwrap_err().to_string().contains("1 Hz"));
    let four: Vec<Vec<f32>> = (0..4).map(|c| vec![c as f32; 10]).collect();
    let audio = quaver::formats::wav::Audio { sample_rate: 22_050, channels: four };
    let bytes = quaver::formats::wav::write_wav(&audio, quaver::formats::wav::SampleFormat::Float32, false).unwrap();
    let sample = Sample::from_wav(&bytes).unwrap();
    assert_eq!(sample.sample_rate, 22_050.0);
    assert_eq!(
        sample.channels,
        vec![vec![(0.0 + 2.0) / 2.0; 10], vec![(1.0 + 3.0) / 2.0; 10]],
        "four channels fold into two"
    );
    assert!(Sample::from_wav(&bytes[..30]).unwrap_err().to_string().starts_with("WAV file:"));
}

#[test]
fn a_bundle_carries_the_project_its_history_and_its_samples_and_a_damaged_one_says_where() {
    use quaver::session::bundle;
    let mut h = four_beats();
    with_an_audio_clip(&mut h, 0);
    let mut samples = quaver::session::Samples::new();
    samples.insert("hit.wav".into(), std::sync::Arc::new(hit()));
    samples.insert("unused.wav".into(), std::sync::Arc::new(hit()));
    let bytes = bundle::write(&h, &samples).unwrap();
    assert!(bundle::is_bundle(&bytes));
    let (back, back_samples) = bundle::read(&bytes).unwrap();
    assert_eq!(quaver::session::file::save(&back), quaver::session::file::save(&h), "project and history");
    assert_eq!(back_samples.keys().collect::<Vec<_>>(), ["hit.wav"], "only the samples the clips use");
    assert_eq!(*back_samples["hit.wav"], hit(), "float WAV: the sample exactly");
    // Cut anywhere, the bundle is refused with a message; nothing panics or over-allocates.
    for cut in [0, 7, 8, 11, 12, 100, bytes.len() - 1000, bytes.len() - 1] {
        let err = bundle::read(&bytes[..cut]).unwrap_err().to_string();
        assert!(err.starts_with("bundle:") || err.contains("project file"), "cut at {cut}: {err}");
    }
    let mut forged = bytes.clone();
    // The WAV's length field follows the sample's name, its last mention in the bundle.
    let at = forged.windows(7).rposition(|w| w == b"hit.wav").unwrap() + 7;
    forged[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(bundle::read(&forged).unwrap_err().to_string().contains("claims 4294967295 bytes"));
    let mut extra = bytes.clone();
    extra.push(0);
    assert!(bundle::read(&extra).unwrap_err().to_string().contains("1 bytes follow"));

    // A sample only the history still names goes too: the clip removed, then undone after the
    // trip, plays its sample again; one undone and redone (the redo stack) as well.
    let mut removed = h.clone();
    removed.edit(Edit::RemoveClip { track: 30, clip: 31 }).unwrap();
    assert!(quaver::session::assets::referenced(&removed.project).is_empty());
    let (mut back, back_samples) = bundle::read(&bundle::write(&removed, &samples).unwrap()).unwrap();
    assert_eq!(back_samples.keys().collect::<Vec<_>>(), ["hit.wav"], "the undo step's sample, and not the unused one");
    assert!(back.undo().unwrap());
    assert!(quaver::session::assets::missing(&back.project, &back_samples).is_empty());
    assert!(back.undo().unwrap() && back.undo().unwrap(), "the strip, then the track, undone");
    let (_, redo_samples) = bundle::read(&bundle::write(&back, &samples).unwrap()).unwrap();
    assert_eq!(redo_samples.keys().collect::<Vec<_>>(), ["hit.wav"], "the redo step's sample");
}

#[test]
fn the_metronome_clicks_on_every_beat_counts_in_a_bar_and_stays_out_of_bounces() {
    use quaver::session::compile::compile_live;
    let h = four_beats();
    let beat = 24_000;
    // Alone (the track muted), the metronome clicks on the beats from where the song starts.
    let mut muted = h.clone();
    muted.edit(Edit::SetStrip { track: 1, strip: Strip { mute: true, ..Strip::default() } }).unwrap();
    let mut g = OfflineRenderer::new(SR);
    let mut sync = GraphSync::default();
    sync.sync(g.controller_mut(), compile_live(&muted.project, SR, true)).unwrap();
    let started = sync.play_counting_in(g.controller_mut(), &muted.project, 0, 0, false, false).unwrap();
    assert_eq!(started, 0);
    let clicks = g.render_frames(4 * beat + 128);
    // A sine click starts at phase 0: its first non-zero sample is the one after the beat.
    assert_eq!(sound_starts(&clicks[0], 1000), [1, beat + 1, 2 * beat + 1, 3 * beat + 1, 4 * beat + 1]);
    let pitch = |from: usize| {
        let x = &clicks[0][from..from + 1000];
        x.windows(2).filter(|w| w[0] < 0.0 && w[1] >= 0.0).count()
    };
    assert!(
        pitch(10) > pitch(beat + 10),
        "the bar's first click is higher: {} vs {} cycles",
        pitch(10),
        pitch(beat + 10)
    );

    // Counting in: four clicks, then the song (and the clicks) from frame 4 beats on.
    let mut g = OfflineRenderer::new(SR);
    let mut sync = GraphSync::default();
    sync.sync(g.controller_mut(), compile_live(&h.project, SR, true)).unwrap();
    let started = sync.play_counting_in(g.controller_mut(), &h.project, 0, 0, false, true).unwrap();
    assert_eq!(started, 4 * beat as u64, "the song starts a bar later");
    let out = g.render_frames(8 * beat);
    assert_eq!(
        sound_starts(&out[0], 1000),
        (0..8).map(|b| b * beat + 1).collect::<Vec<_>>(),
        "clicks, then clicks and notes, on every beat"
    );
    // The song is the same as without the metronome, a bar later (the click is a separate sum).
    let (mut plain, mut plain_sync) = synced(&h.project, &[]);
    plain_sync.play(plain.controller_mut(), &h.project, 4 * beat as u64, 0, false).unwrap();
    let song = plain.render_frames(8 * beat);
    assert!(song[0][..4 * beat].iter().all(|v| *v == 0.0));
    let click_only: Vec<f32> = out[0].iter().zip(&song[0]).map(|(a, b)| a - b).collect();
    assert!(
        click_only[4 * beat + 2000..5 * beat - 1000].iter().all(|v| v.abs() < 1e-6),
        "between clicks only the song"
    );

    // A bounce never has the metronome.
    let bounced = quaver::session::bounce::Bounce::new(&muted.project, &Default::default(), SR, Default::default())
        .unwrap()
        .finish();
    assert!(bounced.iter().flatten().all(|v| *v == 0.0), "the muted song bounces silent: no clicks");
}

#[test]
fn a_count_in_counts_the_tempo_the_song_starts_at_even_when_it_changes_in_the_first_bar() {
    use quaver::session::compile::compile_live;
    use quaver::session::TempoChange;
    let mut h = four_beats();
    h.edit(Edit::SetStrip { track: 1, strip: Strip { mute: true, ..Strip::default() } }).unwrap();
    // 120 BPM for the first beat, then 60.
    h.edit(Edit::SetTempoChanges { changes: vec![TempoChange { tick: PPQ, bpm: 60.0, ramp: false }] }).unwrap();
    let beat = 24_000;
    let mut g = OfflineRenderer::new(SR);
    let mut sync = GraphSync::default();
    sync.sync(g.controller_mut(), compile_live(&h.project, SR, true)).unwrap();
    let started = sync.play_counting_in(g.controller_mut(), &h.project, 0, 0, false, true).unwrap();
    assert_eq!(started, 4 * beat as u64, "a bar at 120 BPM, then the song");
    let out = g.render_frames(4 * beat + 5 * beat);
    // Four clicks a 120 BPM beat apart, the song's first beat, then its beats at 60 BPM.
    let expected = [0, beat, 2 * beat, 3 * beat, 4 * beat, 5 * beat, 7 * beat].map(|f| f + 1);
    assert_eq!(sound_starts(&out[0], 1000), expected);
}

#[test]
fn a_track_made_while_the_song_plays_joins_it_in_time() {
    let mut h = four_beats();
    let mut g = OfflineRenderer::new(SR);
    let mut sync = GraphSync::default();
    h.edit(Edit::SetStrip { track: 1, strip: Strip { mute: true, ..Strip::default() } }).unwrap();
    sync.sync(g.controller_mut(), compile(&h.project, SR)).unwrap();
    sync.play(g.controller_mut(), &h.project, 0, 0, false).unwrap();
    g.render_frames(12_032);
    // A copy of the track, audible, made half a beat in: its next note is on beat 1.
    let mut copy = h.project.tracks[0].clone();
    copy.id = 40;
    copy.strip = Strip::default();
    copy.instrument.as_mut().unwrap().id = 41;
    copy.clips[0].id = 42;
    if let ClipContent::Midi { notes, .. } = &mut copy.clips[0].content {
        for (i, n) in notes.iter_mut().enumerate() {
            n.id = 43 + i as u32;
        }
    }
    h.edit(Edit::AddTrack { index: 1, track: copy }).unwrap();
    sync.sync(g.controller_mut(), compile(&h.project, SR)).unwrap();
    let out = g.render_frames(3 * 24_000);
    assert_eq!(sound_starts(&out[0], 1000).iter().map(|s| 12_032 + s).collect::<Vec<_>>(), [24_001, 48_001, 72_001]);
}

#[test]
fn parallel_paths_of_different_latency_meet_the_master_together() {
    use quaver::session::bounce::{Bounce, BounceRange};
    // Two audio tracks play one impulse on beat 1; one has a limiter (5 ms lookahead) and a
    // send to a bus with a compressor (6 ms pre-delay), the other no inserts.
    let mut impulse = vec![0.0f32; 4800];
    impulse[100] = 0.05;
    let sample = Sample::new(SR, vec![impulse]).unwrap();
    let mut h = History::new(Project::new("latency"));
    let bus = Bus {
        id: 5,
        name: "verb".into(),
        strip: Strip::default(),
        inserts: vec![Device::new(6, "compressor")],
        automation: Vec::new(),
    };
    h.edit(Edit::AddBus { index: 0, bus }).unwrap();
    for (i, inserts) in [(0u32, vec![Device::new(9, "limiter")]), (1, Vec::new())] {
        let id = 10 + 10 * i;
        let track = Track {
            id,
            name: format!("t{i}"),
            kind: TrackKind::Audio,
            instrument: None,
            clips: vec![Clip {
                id: id + 1,
                start: PPQ,
                length: PPQ,
                content: ClipContent::audio("click", 0),
                looping: None,
            }],
            strip: Strip { pan: if i == 0 { -1.0 } else { 1.0 }, ..Strip::default() },
            inserts,
            sends: if i == 0 { vec![quaver::session::Send { bus: 5, gain_db: 0.0 }] } else { Vec::new() },
            automation: Vec::new(),
        };
        h.edit(Edit::AddTrack { index: i as usize, track }).unwrap();
    }
    let plan = compile(&h.project, SR);
    assert_eq!(plan.latency, 240 + 288, "the longest track chain plus the longest bus chain");
    let mut samples = quaver::session::Samples::new();
    samples.insert("click".into(), std::sync::Arc::new(sample));
    let mut g = OfflineRenderer::new(SR);
    let mut sync = GraphSync::default();
    sync.samples = samples.clone();
    sync.sync(g.controller_mut(), plan).unwrap();
    sync.play(g.controller_mut(), &h.project, 0, 0, false).unwrap();
    let out = g.render_frames(24_000 + 4096);
    let peak_at =
        |c: &[f32]| c.iter().enumerate().fold((0, 0f32), |m, (i, v)| if v.abs() > m.1 { (i, v.abs()) } else { m }).0;
    // Left: the limited track (dry) plus its bus return (the bus pans centre); right: the plain
    // track plus the same return. Every path arrives 528 frames after the impulse.
    let expected = 24_000 + 100 + 528;
    assert_eq!(peak_at(&out[1]), expected, "the plain track is delayed to match");
    assert_eq!(peak_at(&out[0]), expected, "the limited track and its compressed return");
    let bus_only: Vec<f32> = out[1].iter().zip(&out[0]).map(|(r, l)| r - l).collect();
    assert!(bus_only[..expected - 2].iter().all(|v| v.abs() < 1e-6), "nothing arrives early on either side");
    // A bounce drops the latency: the impulse lands where the clip puts it.
    let mut bounce =
        Bounce::new(&h.project, &samples, SR, BounceRange { tail_seconds: 0.2, ..BounceRange::default() }).unwrap();
    while bounce.render(48_000).unwrap() {}
    let bounced = bounce.finish();
    assert_eq!(peak_at(&bounced[1]), 24_100);
    assert_eq!(peak_at(&bounced[0]), 24_100);
}

#[test]
fn stems_are_each_track_alone_and_add_up_to_the_mix() {
    use quaver::session::bounce::{stem, stem_file_name, Bounce, BounceRange};
    let mut h = four_beats();
    let mut second = h.project.tracks[0].clone();
    second.id = 60;
    second.name = "bass/low".into();
    second.instrument.as_mut().unwrap().id = 61;
    second.clips[0].id = 62;
    if let ClipContent::Midi { notes, .. } = &mut second.clips[0].content {
        for n in notes.iter_mut() {
            n.id += 60;
            n.key -= 24;
        }
    }
    h.edit(Edit::AddTrack { index: 1, track: second }).unwrap();
    // Both send to a bus with an echo on it, so what leaves a track by its send is in its stem.
    let echo = {
        let mut params = BTreeMap::new();
        params.insert("delayTime".to_string(), 0.1);
        Device { params, ..Device::new(91, "delay") }
    };
    let bus = Bus { id: 90, name: "echo".into(), strip: Strip::default(), inserts: vec![echo], automation: Vec::new() };
    h.edit(Edit::AddBus { index: 0, bus }).unwrap();
    for track in [1, 60] {
        h.edit(Edit::SetSend { track, bus: 90, gain_db: Some(-3.0) }).unwrap();
    }
    let render = |p: &Project| Bounce::new(p, &Default::default(), SR, BounceRange::default()).unwrap().finish();
    let mix = render(&h.project);
    let stems: Vec<_> = [1, 60].iter().map(|&t| render(&stem(&h.project, t).unwrap())).collect();
    for ch in 0..2 {
        assert!(stems.iter().all(|s| s[ch].len() == mix[ch].len()), "stems are as long as the mix");
        let worst =
            (0..mix[ch].len()).map(|i| (stems[0][ch][i] + stems[1][ch][i] - mix[ch][i]).abs()).fold(0.0, f32::max);
        assert!(worst < 1e-6, "channel {ch}: the stems add up to the mix within {worst}");
    }
    assert!(stems.iter().all(|s| s[0].iter().any(|v| v.abs() > 0.01)), "each stem holds its track");
    // A bounce leaves out the tracks no one hears: the first stem's graph has no node of the
    // other track and every node of its own, and sounds as the song with the other taken out.
    let first = stem(&h.project, 1).unwrap();
    let heard = quaver::session::compile::heard_only(compile(&first, SR), &first);
    let whole = compile(&first, SR);
    assert!(whole.nodes.keys().any(|n| n.starts_with("t60.")), "the live graph keeps the silent track");
    assert!(
        !heard.nodes.keys().any(|n| n.starts_with("t60."))
            && !heard.edges.iter().any(|(a, b)| a.starts_with("t60.") || b.starts_with("t60."))
    );
    // Track 60's mix group (60 mod 8) has no other track: its sums go with it.
    assert!(whole.nodes.contains_key("g4.master") && !heard.nodes.keys().any(|n| n.starts_with("g4.")));
    assert!(whole
        .nodes
        .keys()
        .filter(|n| !n.starts_with("t60.") && !n.starts_with("g4."))
        .all(|n| heard.nodes.contains_key(n)));
    assert!(heard.nodes.contains_key("t1.send90") && heard.nodes.contains_key("g1.b90"));
    let mut alone = h.project.clone();
    alone.tracks.retain(|t| t.id == 1);
    assert!(render(&alone) == stems[0], "the stem is the song with that track alone");
    // A muted track's stem still holds it; a soloed other track does not take it away.
    h.edit(Edit::SetStrip { track: 1, strip: Strip { mute: true, ..Strip::default() } }).unwrap();
    h.edit(Edit::SetStrip { track: 60, strip: Strip { solo: true, ..Strip::default() } }).unwrap();
    assert_eq!(render(&stem(&h.project, 1).unwrap()), stems[0]);
    assert!(stem(&h.project, 999).is_none());
    assert_eq!(stem_file_name(1, "bass/low"), "02 bass_low.wav");
}

#[test]
fn clips_of_one_sample_share_one_copy_in_the_engine_until_none_plays_it() {
    let mut h = four_beats();
    with_an_audio_clip(&mut h, 0);
    for (i, id) in (40..47).enumerate() {
        let clip = Clip {
            id,
            start: 2 * PPQ + i as u64 * PPQ / 4,
            length: PPQ / 4,
            content: ClipContent::audio("hit.wav", 0),
            looping: None,
        };
        h.edit(Edit::AddClip { track: 30, clip }).unwrap();
    }
    let (mut g, mut sync) = synced(&h.project, &[("hit.wav", hit())]);
    g.render_frames(128);
    assert_eq!(g.stored(), (1, 60_000), "eight clips, one stereo copy of 30 000 frames");
    assert_eq!(g.controller().memory(), 240_000, "counted once against the budget");
    // The sample is replaced: the clips move to the new one and the old one is let go.
    let mut louder = hit();
    louder.channels.iter_mut().flatten().for_each(|v| *v *= 2.0);
    sync.add_sample("hit.wav", louder);
    sync.sync(g.controller_mut(), compile(&h.project, SR)).unwrap();
    g.render_frames(128);
    assert_eq!(g.stored(), (1, 60_000), "only the new sample is held");
    // No clip plays it any more: its memory is given back on both sides.
    h.edit(Edit::RemoveTrack { track: 30 }).unwrap();
    sync.sync(g.controller_mut(), compile(&h.project, SR)).unwrap();
    g.render_frames(128);
    assert_eq!(g.stored(), (0, 0));
    assert_eq!(g.controller().memory(), 0);
}

#[test]
fn a_count_in_from_the_middle_counts_the_bar_before_at_its_own_tempo() {
    use quaver::session::compile::compile_live;
    use quaver::session::TempoChange;
    let mut h = four_beats();
    h.edit(Edit::SetStrip { track: 1, strip: Strip { mute: true, ..Strip::default() } }).unwrap();
    // 120 BPM for the first bar, then 60: counting in from bar 3 counts a 60 BPM bar.
    h.edit(Edit::SetTempoChanges { changes: vec![TempoChange { tick: 4 * PPQ, bpm: 60.0, ramp: false }] }).unwrap();
    let slow_beat = 48_000;
    let mut g = OfflineRenderer::new(SR);
    let mut sync = GraphSync::default();
    sync.sync(g.controller_mut(), compile_live(&h.project, SR, true)).unwrap();
    let started = sync.play_counting_in(g.controller_mut(), &h.project, 0, 8 * PPQ, false, true).unwrap();
    assert_eq!(started, 4 * slow_beat as u64, "a bar at 60 BPM (4 s), not one at the first tempo (2 s)");
    let out = g.render_frames(6 * slow_beat);
    // Four clicks a second apart, then the song's bar 3 and its next beat on the same grid.
    let expected: Vec<usize> = (0..6).map(|b| b * slow_beat + 1).collect();
    assert_eq!(sound_starts(&out[0], 1000), expected);
    // The count-in's first click and the song's bar are the high ones (a bar's first beat).
    let level = |at: usize| out[0][at..at + 400].iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let peak_near = |at: usize| spectrum_peak(&out[0][at..at + 1024]);
    assert!(level(0) > 0.05 && level(4 * slow_beat) > 0.05);
    assert!(peak_near(0) > 1.5 * peak_near(slow_beat), "the count-in starts on a bar");
    assert!(peak_near(4 * slow_beat) > 1.5 * peak_near(5 * slow_beat), "the song's bar starts high");
}

/// The frequency with the most energy in `samples` (a rough DFT over 100 Hz to 5 kHz), in Hz.
fn spectrum_peak(samples: &[f32]) -> f64 {
    (1..=50)
        .map(|k| k as f64 * 100.0)
        .map(|hz| {
            let w = core::f64::consts::TAU * hz / f64::from(SR);
            let (re, im) = samples.iter().enumerate().fold((0.0, 0.0), |(re, im), (i, v)| {
                (re + f64::from(*v) * (w * i as f64).cos(), im + f64::from(*v) * (w * i as f64).sin())
            });
            (hz, re * re + im * im)
        })
        .fold((0.0, 0.0), |best, x| if x.1 > best.1 { x } else { best })
        .0
}

#[test]
fn a_bounce_in_parts_side_by_side_gives_the_samples_of_one_engine_bit_for_bit() {
    use quaver::session::bounce::{Bounce, BounceRange};
    use quaver::session::{Lane, LanePoint, LaneTarget, Send};
    // Four MIDI tracks and two audio tracks, inserts of every latency (limiter lookahead,
    // compensated elsewhere), sends to two buses (a reverb, a compressor), automation on a
    // track, a bus and the master, a muted track and a silent stretch: everything a cut passes.
    let mut h = four_beats();
    let mut sample = hit();
    sample.channels.truncate(1);
    for (id, kind) in [(7, "reverb"), (8, "compressor")] {
        let points = vec![LanePoint { tick: 0, value: -1.0 }, LanePoint { tick: 4 * PPQ, value: 1.0 }];
        let bus = Bus {
            id,
            name: kind.into(),
            strip: Strip::default(),
            inserts: vec![Device::new(id + 20, kind)],
            automation: if id == 7 { vec![Lane { target: LaneTarget::Pan, points }] } else { Vec::new() },
        };
        h.edit(Edit::AddBus { index: 0, bus }).unwrap();
    }
    for i in 0..6u32 {
        let id = 100 + 10 * i;
        let mut track = if i < 4 {
            let mut t = h.project.tracks[0].clone();
            t.instrument.as_mut().unwrap().id = id + 1;
            t.clips[0].id = id + 2;
            t.clips[0].start = u64::from(i) * PPQ / 2;
            if let ClipContent::Midi { notes, .. } = &mut t.clips[0].content {
                for n in notes.iter_mut() {
                    n.id += 10 * id;
                    n.key = n.key.saturating_sub(7 * i as u8);
                }
            }
            t
        } else {
            let asset = if i == 4 { "hit.wav" } else { "mono" };
            Track {
                id,
                name: String::new(),
                kind: TrackKind::Audio,
                instrument: None,
                clips: vec![Clip {
                    id: id + 2,
                    start: PPQ * u64::from(i - 3),
                    length: 2 * PPQ,
                    content: ClipContent::audio(asset, 0),
                    looping: None,
                }],
                strip: Strip::default(),
                inserts: Vec::new(),
                sends: Vec::new(),
                automation: Vec::new(),
            }
        };
        track.id = id;
        track.name = format!("track {i}");
        track.strip = Strip { pan: i as f32 / 3.0 - 1.0, gain_db: -(i as f32), mute: i == 3, ..Strip::default() };
        track.inserts = match i {
            0 => vec![Device::new(id + 3, "limiter")],
            1 => vec![Device::new(id + 3, "biquad"), Device::new(id + 4, "biquad"), Device::new(id + 5, "delay")],
            4 => vec![Device::new(id + 3, "waveshaper"), Device::new(id + 4, "biquad")],
            _ => Vec::new(),
        };
        track.sends = match i {
            0 | 4 => vec![Send { bus: 7, gain_db: -6.0 }],
            1 => vec![Send { bus: 7, gain_db: -3.0 }, Send { bus: 8, gain_db: 0.0 }],
            _ => Vec::new(),
        };
        if i == 2 {
            let points = vec![LanePoint { tick: 0, value: -20.0 }, LanePoint { tick: 3 * PPQ, value: 0.0 }];
            track.automation = vec![Lane { target: LaneTarget::Gain, points }];
        }
        h.edit(Edit::AddTrack { index: h.project.tracks.len(), track }).unwrap();
    }
    h.project.master_automation =
        vec![Lane { target: LaneTarget::Gain, points: vec![LanePoint { tick: 2 * PPQ, value: -3.0 }] }];
    let mut samples = quaver::session::Samples::new();
    samples.insert("hit.wav".into(), std::sync::Arc::new(hit()));
    samples.insert("mono".into(), std::sync::Arc::new(sample));
    let range = BounceRange { start: PPQ / 3, end: None, tail_seconds: 1.0 };
    let bounce = |parts: usize| {
        let mut b = Bounce::parted(&h.project, &samples, SR, range, parts).unwrap();
        let engines = b.engine_count();
        // Uneven steps, so blocks end inside quanta, and short and whole blocks are rendered.
        let mut steps = [5_000, 40_000].into_iter().cycle();
        while b.render(steps.next().unwrap()).unwrap() {}
        (engines, b.finish())
    };
    let (one, whole) = bounce(1);
    assert_eq!(one, 1);
    assert!(whole[0].iter().chain(&whole[1]).any(|v| v.abs() > 0.05), "the mix is not silence");
    let bits =
        |c: &[Vec<f32>]| c.iter().map(|ch| ch.iter().map(|v| v.to_bits()).collect::<Vec<_>>()).collect::<Vec<_>>();
    for parts in [2, 3, 7, 50] {
        let (engines, parted) = bounce(parts);
        // Seven tracks (ids 1, 100, 110 … 150) in five mix groups (id mod 8), one of them the
        // muted track's alone (130), which a bounce leaves out: at most a group a part, and the mix.
        assert_eq!(engines, parts.min(4) + 1, "{parts} parts");
        assert_eq!(parted[0].len(), whole[0].len());
        assert!(bits(&parted) == bits(&whole), "{parts} parts: the same samples, bit for bit");
    }
}

/// Renders `project` from its start with the `hit` sample for its audio clips.
fn render_with_hit(project: &Project, frames: usize) -> Vec<Vec<f32>> {
    let mut g = OfflineRenderer::new(SR);
    let mut sync = GraphSync::default();
    sync.add_sample("hit.wav", hit());
    sync.sync(g.controller_mut(), compile(project, SR)).unwrap();
    sync.play(g.controller_mut(), project, 0, 0, false).unwrap();
    g.render_frames(frames)
}

/// `h` with clip `clip` of track `track` replaced by `clips`.
fn replaced(h: &History, track: u32, clip: u32, clips: Vec<Clip>) -> History {
    let mut h = h.clone();
    let mut edits = vec![Edit::RemoveClip { track, clip }];
    edits.extend(clips.into_iter().map(|clip| Edit::AddClip { track, clip }));
    h.edit(Edit::Batch { edits }).unwrap();
    h
}

#[test]
fn a_looped_clip_plays_as_its_repeats_laid_end_to_end_and_a_split_of_it_as_the_whole() {
    // MIDI: the four-beat clip looping its first two beats over seven beats sounds, sample for
    // sample, as copies of those two beats at beats 0, 2 and 4 and of the first at beat 6.
    let mut looped = four_beats();
    looped.edit(Edit::SetClipSpan { track: 1, clip: 2, start: 0, length: 7 * PPQ }).unwrap();
    looped
        .edit(Edit::SetClipLoop { track: 1, clip: 2, looping: Some(ClipLoop { length: 2 * PPQ, phase: 0 }) })
        .unwrap();
    let ClipContent::Midi { notes, .. } = &looped.project.tracks[0].clips[0].content else { unreachable!() };
    let copy = |id: u32, start: u64, length: u64| Clip {
        id,
        start,
        length,
        content: ClipContent::midi(notes.iter().map(|n| Note { id: n.id + 100 * id, ..*n }).collect()),
        looping: None,
    };
    let by_hand = replaced(
        &four_beats(),
        1,
        2,
        vec![copy(3, 0, 2 * PPQ), copy(4, 2 * PPQ, 2 * PPQ), copy(5, 4 * PPQ, 2 * PPQ), copy(6, 6 * PPQ, PPQ)],
    );
    let frames = 8 * 24_000;
    let (out, _, _) = render(&looped.project, frames);
    let (expected, _, _) = render(&by_hand.project, frames);
    assert_eq!(
        sound_starts(&out[0], 1000),
        (0..7).map(|b| 1 + b * 24_000).collect::<Vec<_>>(),
        "a note on each of seven beats"
    );
    assert!(out == expected, "the loop is its repeats, bit for bit");
    let song = quaver::session::import::song_of(&looped.project, None);
    let starts: Vec<u64> = song.tracks[0].notes.iter().map(|n| n.start).collect();
    assert_eq!(starts, (0..7).map(|b| b * PPQ).collect::<Vec<_>>(), "a MIDI file of the song has the repeats too");

    // Audio: a beat of the sample from frame 1000, looping its first half beat over two beats,
    // is four half-beat clips of that stretch.
    let mut audio = four_beats();
    with_an_audio_clip(&mut audio, 1000);
    let looped = replaced(
        &audio,
        30,
        31,
        vec![Clip {
            id: 31,
            start: PPQ,
            length: 2 * PPQ,
            content: ClipContent::audio("hit.wav", 1000),
            looping: Some(ClipLoop { length: PPQ / 2, phase: 0 }),
        }],
    );
    let half = |id: u32, k: u64| Clip {
        id,
        start: PPQ + k * PPQ / 2,
        length: PPQ / 2,
        content: ClipContent::audio("hit.wav", 1000),
        looping: None,
    };
    let by_hand = replaced(&audio, 30, 31, (0..4).map(|k| half(31 + 100 * k as u32, k)).collect());
    let out = render_with_hit(&looped.project, 4 * 24_000);
    assert!(out == render_with_hit(&by_hand.project, 4 * 24_000), "the looped audio clip is its repeats, bit for bit");
    // (Within the panner's rounding, as above.)
    let near = |v: f32, frame: usize| (v - (frame + 1) as f32 / 100_000.0).abs() <= 1e-7;
    assert!(near(out[0][24_000 + 12_000 + 100], 1000 + 100), "the second repeat starts the stretch again");

    // Split inside its third repeat (a quarter beat in), the halves play what the whole did but
    // for the edge fades at the cut: the second half starts a quarter beat into its repeat.
    let cut = PPQ + PPQ + PPQ / 4;
    let clip = &looped.project.tracks[1].clips[0];
    let first = Clip { length: cut - clip.start, ..clip.clone() };
    let second = Clip {
        id: 40,
        start: cut,
        length: clip.start + clip.length - cut,
        looping: Some(ClipLoop { length: PPQ / 2, phase: PPQ / 4 }),
        ..clip.clone()
    };
    let split = replaced(&looped, 30, 31, vec![first, second]);
    let halves = render_with_hit(&split.project, 4 * 24_000);
    let at = 24_000 * 9 / 4;
    for ch in 0..2 {
        for (i, (a, b)) in halves[ch].iter().zip(&out[ch]).enumerate() {
            if i + 32 < at || i >= at + 32 {
                assert_eq!(a, b, "channel {ch}, frame {i}: the split plays as the whole away from the cut");
            }
        }
    }
    assert!(near(halves[0][at + 100], 1000 + 6000 + 100), "the second half goes on a quarter beat into the stretch");

    // Such a half moved to the song's start (nearer it than its phase) still starts a quarter
    // beat into the stretch.
    let early =
        Clip { start: 0, length: PPQ, looping: Some(ClipLoop { length: PPQ / 2, phase: PPQ / 4 }), ..clip.clone() };
    let out = render_with_hit(&replaced(&looped, 30, 31, vec![early]).project, 24_000);
    assert!(near(out[0][100], 1000 + 6000 + 100), "a quarter beat in from the song's start");
    assert!(near(out[0][6000 + 100], 1000 + 100), "then the stretch from its start");
}

/// A project with one MIDI track (id 1) playing `instrument` over a four-beat clip (id 2) of `notes`.
fn one_instrument(name: &str, instrument: Device, notes: Vec<Note>) -> History {
    let mut h = History::new(Project::new(name));
    let track = Track {
        id: 1,
        name: name.into(),
        kind: TrackKind::Midi,
        instrument: Some(instrument),
        clips: vec![Clip { id: 2, start: 0, length: 4 * PPQ, content: ClipContent::midi(notes), looping: None }],
        strip: Strip::default(),
        inserts: Vec::new(),
        sends: Vec::new(),
        automation: Vec::new(),
    };
    h.edit(Edit::AddTrack { index: 0, track }).unwrap();
    h
}

/// A beat for the drum kit: closed hats on four beats at 120 BPM (each over well before the
/// next, so the onsets stand apart).
fn four_hats() -> History {
    let notes = (0..4).map(|i| Note { id: 10 + i, start: u64::from(i) * PPQ, length: PPQ / 4, key: 42, velocity: 100 });
    let kit = Device::new(50, "drums");
    one_instrument("Beat", kit, notes.collect())
}

#[test]
fn a_drum_track_hits_on_the_grid_and_goes_out_and_comes_back_on_the_general_midi_drum_channel() {
    let h = four_hats();
    let (out, _, _) = render(&h.project, 4 * 24_000);
    assert_eq!(sound_starts(&out[0], 1000), [0, 24_000, 48_000, 72_000]);
    assert_eq!(sound_starts(&out[1], 1000), [0, 24_000, 48_000, 72_000]);

    let bytes = quaver::session::import::song_of(&h.project, None).write().unwrap();
    let song = quaver::formats::midi::Song::read(&bytes).unwrap();
    assert!(song.tracks[0].notes.iter().all(|n| n.channel == 9), "drums are written on channel 10");
    let mut back = History::new(Project::new("imported"));
    back.edit(quaver::session::import::midi_song(&back.project, &song, 0).unwrap()).unwrap();
    let track = &back.project.tracks[0];
    assert_eq!(track.instrument.as_ref().map(|d| d.kind.as_str()), Some("drums"), "channel 10 comes back as drums");
    let (again, _, _) = render(&back.project, 4 * 24_000);
    assert_eq!(again[0], out[0], "the imported beat plays as the one exported");

    // A synth track goes out on another channel and comes back with the default synth.
    let synth = four_beats();
    let song =
        quaver::formats::midi::Song::read(&quaver::session::import::song_of(&synth.project, None).write().unwrap())
            .unwrap();
    assert!(song.tracks[0].notes.iter().all(|n| n.channel == 0));
    let mut back = History::new(Project::new("imported"));
    back.edit(quaver::session::import::midi_song(&back.project, &song, 0).unwrap()).unwrap();
    assert!(back.project.tracks[0].instrument.is_none());
}

#[test]
fn a_sampler_track_plays_its_sample_across_the_keys_and_a_bundle_carries_the_sample() {
    // Notes at the root (60) on beat 1 and an octave up (72) on beat 3, one-shot, full gain.
    let notes = [(0, 60), (2, 72)].map(|(beat, key)| Note {
        id: 10 + beat as u32,
        start: beat * PPQ,
        length: PPQ / 4,
        key,
        velocity: 127,
    });
    let mut sampler = Device::new(50, "sampler");
    sampler.params.extend([("gain".to_string(), 1.0), ("attack".to_string(), 0.0)]);
    sampler.choices.insert("mode".into(), "one-shot".into());
    let mut h = one_instrument("Chops", sampler, notes.to_vec());
    assert!(quaver::session::assets::referenced(&h.project).is_empty(), "no sample given yet");
    assert!(render(&h.project, 96_000).0.iter().flatten().all(|v| *v == 0.0), "a sampler with no sample is silent");
    h.edit(Edit::SetDeviceSample { track: 1, device: 50, sample: Some("hit.wav".into()) }).unwrap();
    assert_eq!(quaver::session::assets::referenced(&h.project).into_iter().collect::<Vec<_>>(), ["hit.wav"]);

    let out = render_with_hit(&h.project, 96_000);
    let hit = hit();
    // A stereo sample passes the centred panner as it is (Web Audio's stereo pan law).
    for i in [0usize, 1, 777, 29_999] {
        let expect = hit.channels[0][i];
        assert!((out[0][i] - expect).abs() < 1e-6, "the root key plays frame {i}: {} against {expect}", out[0][i]);
        assert!((out[1][i] + expect).abs() < 1e-6, "and its right channel");
    }
    for i in [0usize, 1, 777, 14_999] {
        let expect = hit.channels[0][2 * i];
        let at = 48_000 + i;
        assert!((out[0][at] - expect).abs() < 1e-6, "an octave up plays frame {} at {at}", 2 * i);
    }
    assert_eq!(out[0][30_000], 0.0, "the root note's sample is over after its 30 000 frames");

    // The bundle carries the sampler's sample; a project missing it names it.
    let mut samples = quaver::session::Samples::new();
    samples.insert("hit.wav".into(), std::sync::Arc::new(hit.clone()));
    let (_, back) = quaver::session::bundle::read(&quaver::session::bundle::write(&h, &samples).unwrap()).unwrap();
    assert_eq!(back.keys().collect::<Vec<_>>(), ["hit.wav"]);
    let none = quaver::session::Samples::new();
    assert_eq!(quaver::session::assets::missing(&h.project, &none), ["hit.wav"]);

    // A version 7 file has no device samples: its sampler loads with none.
    let json = quaver::session::file::save(&h);
    let v7 = json
        .replace(&format!("\"version\":{}", quaver::session::project::PROJECT_VERSION), "\"version\":7")
        .replace(",\"sample\":\"hit.wav\"", "");
    assert_ne!(v7, json);
    let old = quaver::session::file::load(&v7).unwrap();
    assert_eq!(old.project.tracks[0].instrument.as_ref().unwrap().sample, None);
    assert_eq!(quaver::session::file::load(&json).unwrap().project, h.project, "a file of this version keeps it");

    // Only a device that plays a sample takes one; an undo takes it back.
    let synth_track = four_beats();
    let mut s = synth_track.clone();
    let err = s.edit(Edit::SetDeviceSample { track: 1, device: 50, sample: Some("hit.wav".into()) }).unwrap_err();
    assert!(err.to_string().contains("plays no sample"), "{err}");
    assert_eq!(s.project, synth_track.project);

    // Undone, the sample leaves the engine too: the same graph, synced again, plays nothing.
    let (mut g, mut sync) = synced(&h.project, &[("hit.wav", hit.clone())]);
    sync.play(g.controller_mut(), &h.project, 0, 0, false).unwrap();
    assert!(g.render_frames(1024)[0].iter().any(|v| *v != 0.0));
    assert!(h.undo().unwrap());
    assert_eq!(h.project.tracks[0].instrument.as_ref().unwrap().sample, None);
    sync.sync(g.controller_mut(), compile(&h.project, SR)).unwrap();
    sync.play(g.controller_mut(), &h.project, 2048, 0, false).unwrap();
    let after = g.render_frames(48_000 * 2);
    assert!(after[0][2048..].iter().all(|v| *v == 0.0), "no note plays the old sample");
}

#[test]
fn a_drum_pad_plays_its_own_sample_on_its_hits_and_undo_gives_back_the_synthesised_drum() {
    let ramp = Sample::new(SR, vec![(0..1000).map(|i| (i + 1) as f32 / 1000.0).collect()]).unwrap();
    let start = four_hats();
    let mut h = start.clone();
    h.edit(Edit::SetPadSample { track: 1, device: 50, key: 42, sample: Some("ramp.wav".into()) }).unwrap();
    assert_eq!(quaver::session::assets::referenced(&h.project).into_iter().collect::<Vec<_>>(), ["ramp.wav"]);
    let (mut g, mut sync) = synced(&h.project, &[("ramp.wav", ramp.clone())]);
    sync.play(g.controller_mut(), &h.project, 0, 0, false).unwrap();
    let out = g.render_frames(4 * 24_000);
    // Kit gain 0.8, velocity 100, the mono kit through the centred panner (cos π/4 a side).
    let scale = 0.8 * 100.0 / 127.0 * core::f32::consts::FRAC_1_SQRT_2;
    for beat in 0..4 {
        for i in 0..24_000 {
            let expect = ramp.channels[0].get(i).map_or(0.0, |v| v * scale);
            let at = beat * 24_000 + i;
            assert!((out[0][at] - expect).abs() < 1e-6, "beat {beat} frame {i}: {} against {expect}", out[0][at]);
            assert!((out[0][at] - out[1][at]).abs() < 1e-7, "centred: both sides alike");
        }
    }
    // The same sample on a second pad is sent once.
    h.edit(Edit::SetPadSample { track: 1, device: 50, key: 46, sample: Some("ramp.wav".into()) }).unwrap();
    sync.sync(g.controller_mut(), compile(&h.project, SR)).unwrap();
    assert_eq!(sync.last_changes, 1, "only the open hat's pad was given its sample");
    assert_eq!(g.controller_mut().stored_buffers(), 1);
    // Undone twice, the hats are synthesised again: they ring on past the sample's 1000 frames.
    assert!(h.undo().unwrap() && h.undo().unwrap());
    assert_eq!(h.project, start.project);
    sync.sync(g.controller_mut(), compile(&h.project, SR)).unwrap();
    assert_eq!(sync.last_changes, 2, "both pads let their sample go");
    sync.play(g.controller_mut(), &h.project, 4 * 24_000, 0, false).unwrap();
    let again = g.render_frames(24_000);
    let ring = again[0][1000..5000].iter().map(|v| v * v).sum::<f32>();
    assert!(ring > 0.01, "a synthesised hat rings past frame 1000 (energy {ring}; the sample ends there)");

    // A key that is no drum, and a device that is no kit, are refused and change nothing.
    let err =
        h.edit(Edit::SetPadSample { track: 1, device: 50, key: 60, sample: Some("ramp.wav".into()) }).unwrap_err();
    assert!(err.to_string().contains("has no pad on key 60"), "{err}");
    let mut synth = four_beats();
    let err =
        synth.edit(Edit::SetPadSample { track: 1, device: 50, key: 36, sample: Some("ramp.wav".into()) }).unwrap_err();
    assert!(err.to_string().contains("has no pad on key 36"), "{err}");
    assert_eq!(synth.project, four_beats().project);
    assert_eq!(h.project, start.project);

    // A file keeps the pads; a version 8 file has none and loads.
    h.edit(Edit::SetPadSample { track: 1, device: 50, key: 36, sample: Some("kick.wav".into()) }).unwrap();
    h.edit(Edit::SetPadSample { track: 1, device: 50, key: 35, sample: Some("ramp.wav".into()) }).unwrap();
    let pads = &h.project.tracks[0].instrument.as_ref().unwrap().pads;
    assert_eq!(pads.iter().map(|p| p.key).collect::<Vec<_>>(), [35, 36], "in key order");
    let json = quaver::session::file::save(&h);
    assert_eq!(quaver::session::file::load(&json).unwrap().project, h.project);
    let v8 = start.project.clone();
    let v8 = quaver::session::file::save(&History::new(v8))
        .replace(&format!("\"version\":{}", quaver::session::project::PROJECT_VERSION), "\"version\":8");
    assert!(v8.contains("\"version\":8"));
    assert_eq!(quaver::session::file::load(&v8).unwrap().project, start.project);
}

#[test]
fn a_pads_level_and_tuning_reach_the_kit_live_and_undo_puts_the_engine_back() {
    let start = four_hats();
    let (plain, _, _) = render(&start.project, 24_000);
    let mut h = start.clone();
    let (mut g, mut sync) = synced(&h.project, &[]);
    // −6 dB on the hats' pad is one change in the playing graph, and the hats are that much quieter.
    h.edit(Edit::SetPadLevel { track: 1, device: 50, key: 42, level_db: -6.0, tune: 0.0 }).unwrap();
    sync.sync(g.controller_mut(), compile(&h.project, SR)).unwrap();
    assert_eq!(sync.last_changes, 1);
    sync.play(g.controller_mut(), &h.project, 0, 0, false).unwrap();
    // A whole number of quanta, ending before the second hat.
    let frame = 23_936;
    let quieter = g.render_frames(frame);
    let factor = 10f32.powf(-6.0 / 20.0);
    for i in 0..frame {
        assert!((quieter[0][i] - plain[0][i] * factor).abs() < 1e-6, "frame {i}");
    }
    // Tuned as well, then both undone: the level and tuning go back to the kit's defaults, and
    // the engine plays the hats as it did before (a pad that is plain again leaves the list).
    h.edit(Edit::SetPadLevel { track: 1, device: 50, key: 42, level_db: -6.0, tune: 5.0 }).unwrap();
    sync.sync(g.controller_mut(), compile(&h.project, SR)).unwrap();
    assert_eq!(sync.last_changes, 1, "only the tuning changed");
    assert!(h.undo().unwrap() && h.undo().unwrap());
    assert_eq!(h.project, start.project);
    sync.sync(g.controller_mut(), compile(&h.project, SR)).unwrap();
    assert_eq!(sync.last_changes, 2, "the level and the tuning went back");
    // A hat's noise is seeded by the frame it starts on: the plain kit starts on the same frame,
    // a whole number of quanta in (so the start is not in the past for either).
    sync.play(g.controller_mut(), &h.project, frame as u64, 0, false).unwrap();
    let (mut fresh, mut plain_sync) = synced(&start.project, &[]);
    fresh.render_frames(frame);
    plain_sync.play(fresh.controller_mut(), &start.project, frame as u64, 0, false).unwrap();
    let (again, wanted) = (g.render_frames(24_000), fresh.render_frames(24_000));
    assert!(again == wanted, "the kit plays as it did before the pad changed");
    assert!(wanted[0].iter().any(|v| v.abs() > 0.01), "the hats sound");
    // Out of range, or a kit that has no such pad: refused, and nothing changes.
    for (key, level_db, tune) in [(42, 12.5, 0.0), (42, 0.0, -24.5), (42, f32::NAN, 0.0), (60, -3.0, 0.0)] {
        let err = h.edit(Edit::SetPadLevel { track: 1, device: 50, key, level_db, tune }).unwrap_err();
        assert!(err.to_string().contains("pad"), "{err}");
        assert_eq!(h.project, start.project);
    }
    // A file keeps a pad's level and tuning; a version 9 file's pads are at 0 dB, untuned.
    h.edit(Edit::SetPadLevel { track: 1, device: 50, key: 38, level_db: 3.0, tune: -2.0 }).unwrap();
    h.edit(Edit::SetPadSample { track: 1, device: 50, key: 36, sample: Some("kick.wav".into()) }).unwrap();
    let json = quaver::session::file::save(&h);
    assert_eq!(quaver::session::file::load(&json).unwrap().project, h.project);
    // Written as version 9 would have it: no history (its steps set levels), no level.
    let v9 = quaver::session::file::save(&History::new(h.project.clone()))
        .replace(&format!("\"version\":{}", quaver::session::project::PROJECT_VERSION), "\"version\":9")
        .replace(",{\"key\":38,\"level_db\":3.0,\"tune\":-2.0}", "");
    assert!(v9.contains("\"version\":9") && !v9.contains("level_db"), "{v9}");
    let old = quaver::session::file::load(&v9).unwrap().project;
    let pads = &old.tracks[0].instrument.as_ref().unwrap().pads;
    assert_eq!(pads.len(), 1);
    assert_eq!(
        (pads[0].key, pads[0].sample.as_deref(), pads[0].level_db, pads[0].tune),
        (36, Some("kick.wav"), 0.0, 0.0)
    );
}

#[test]
fn moving_a_track_changes_its_place_and_nothing_the_engine_plays() {
    let mut h = four_beats();
    with_an_audio_clip(&mut h, 0);
    let start = h.clone();
    let (mut g, mut sync) = synced(&h.project, &[("hit.wav", hit())]);
    h.edit(Edit::MoveTrack { track: 30, index: 0 }).unwrap();
    assert_eq!(h.project.tracks.iter().map(|t| t.id).collect::<Vec<_>>(), [30, 1]);
    sync.sync(g.controller_mut(), compile(&h.project, SR)).unwrap();
    assert_eq!(sync.last_changes, 0, "the graph names its nodes by track, not by place");
    // Past the end is last; a track that is not there is refused and changes nothing.
    h.edit(Edit::MoveTrack { track: 30, index: 99 }).unwrap();
    assert_eq!(h.project.tracks.iter().map(|t| t.id).collect::<Vec<_>>(), [1, 30]);
    let before = h.project.clone();
    assert!(h.edit(Edit::MoveTrack { track: 77, index: 0 }).unwrap_err().to_string().contains("77"));
    assert_eq!(h.project, before);
    // Each undo puts back the order before its move.
    assert!(h.undo().unwrap());
    assert_eq!(h.project.tracks.iter().map(|t| t.id).collect::<Vec<_>>(), [30, 1]);
    assert!(h.undo().unwrap());
    assert_eq!(h.project, start.project);
}

#[test]
fn an_undone_knob_and_choice_go_back_to_their_defaults_in_the_engine() {
    let start = four_beats();
    let (fresh, _, _) = render(&start.project, 96_000);
    let mut h = start.clone();
    let (mut g, mut sync) = synced(&h.project, &[]);
    h.edit(Edit::SetParam { track: 1, device: 50, name: "cutoff".into(), value: Some(300.0) }).unwrap();
    h.edit(Edit::SetChoice { track: 1, device: 50, name: "waveform".into(), choice: Some("square".into()) }).unwrap();
    sync.sync(g.controller_mut(), compile(&h.project, SR)).unwrap();
    assert!(h.undo().unwrap() && h.undo().unwrap());
    assert_eq!(h.project, start.project);
    sync.sync(g.controller_mut(), compile(&h.project, SR)).unwrap();
    sync.play(g.controller_mut(), &h.project, 0, 0, false).unwrap();
    assert_eq!(g.render_frames(96_000), fresh, "the engine plays the project as it was before the knobs moved");
}

#[test]
fn moving_an_insert_rewires_the_chain_without_new_nodes_and_undo_puts_it_back() {
    let mut h = four_beats();
    let device = |id, kind: &str, params: &[(&str, f32)]| Device {
        params: params.iter().map(|&(k, v)| (k.to_string(), v)).collect(),
        ..Device::new(id, kind)
    };
    // A filter and a compressor do not commute: the compressor hears the filtered sound or not.
    let filter = device(60, "biquad", &[("frequency", 400.0)]);
    let squash = device(61, "compressor", &[("threshold", -40.0), ("ratio", 20.0)]);
    h.edit(Edit::AddInsert { track: 1, index: 0, device: filter }).unwrap();
    h.edit(Edit::AddInsert { track: 1, index: 1, device: squash }).unwrap();
    let filter_first = h.clone();
    let (before, _, _) = render(&filter_first.project, 96_000);

    let (mut g, mut sync) = synced(&h.project, &[]);
    let nodes = (sync.id("t1.fx60"), sync.id("t1.fx61"));
    assert!(nodes.0.is_some() && nodes.1.is_some());
    h.edit(Edit::MoveInsert { track: 1, device: 61, index: 0 }).unwrap();
    let order: Vec<u32> = h.project.track(1).unwrap().inserts.iter().map(|d| d.id).collect();
    assert_eq!(order, [61, 60], "the compressor comes first");
    sync.sync(g.controller_mut(), compile(&h.project, SR)).unwrap();
    assert_eq!(sync.last_changes, 6, "three connections out, three in: synth→61→60→fader");
    assert_eq!((sync.id("t1.fx60"), sync.id("t1.fx61")), nodes, "the same two nodes");
    sync.play(g.controller_mut(), &h.project, 0, 0, false).unwrap();
    let moved = g.render_frames(96_000);
    let (fresh, _, _) = render(&h.project, 96_000);
    assert_eq!(moved, fresh, "the rewired chain plays as a chain built in that order");
    let difference = moved[0].iter().zip(&before[0]).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
    assert!(difference > 0.01, "the order is heard: the two renders differ by {difference}");

    let compressor_first = h.project.clone();
    assert!(h.undo().unwrap());
    assert_eq!(h.project, filter_first.project, "undo puts the filter first again");
    let mut g = OfflineRenderer::new(SR);
    let mut sync = GraphSync::default();
    sync.sync(g.controller_mut(), compile(&compressor_first, SR)).unwrap();
    sync.sync(g.controller_mut(), compile(&h.project, SR)).unwrap();
    sync.play(g.controller_mut(), &h.project, 0, 0, false).unwrap();
    assert_eq!(g.render_frames(96_000), before, "moved there and back, the engine plays the first order");
    assert!(h.edit(Edit::MoveInsert { track: 1, device: 50, index: 0 }).is_err(), "the instrument is no insert");
    assert_eq!(h.project, filter_first.project, "a refused move changes nothing");
}
