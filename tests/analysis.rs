//! Analysis accuracy on material whose answer is known, generated here: tones with known
//! partials and vibrato, drum patterns at random tempi with swing and fills, chord progressions
//! in random keys played by the workstation's own synth, MIDI pieces written by `mido`, and the
//! EBU Tech 3341 loudness cases, with ffmpeg's `ebur128` filter as an independent meter.
//! The thresholds are the ones the README reports; each test prints its figure. Native only:
//! the material comes from Python and ffmpeg, and the wasm build's analysis is compared with
//! the native one record by record in tests/e2e/analysis.test.mjs.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::Rng;
use quaver::analysis::harmonics::harmonic_peaks;
use quaver::analysis::key::{key_of_audio, key_of_midi, Key};
use quaver::analysis::loudness::loudness;
use quaver::analysis::pitch::pitch_track;
use quaver::analysis::tempo::tempo_of;
use std::f64::consts::TAU;

impl Rng {
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn between(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
}

#[test]
fn harmonics_of_synthesised_tones_are_found_within_a_tenth_of_a_percent_and_half_a_decibel() {
    let mut rng = Rng(0x4a52_11f0_9e3b_77c5);
    let (mut worst_frequency, mut worst_level) = (0.0f64, 0.0f64);
    for case in 0..40 {
        let rate = rng.pick(&[44_100.0, 48_000.0]);
        let f0 = rng.between(80.0, 1000.0);
        let count = 3 + rng.below(6) as usize;
        // Partials up to 60 dB down, slightly stretched as in a piano, all under Nyquist.
        let stretch = rng.between(0.0, 0.0005);
        let partials: Vec<(f64, f64)> = (1..=count)
            .map(|n| (f0 * n as f64 * (1.0 + stretch * (n * n) as f64).sqrt(), -rng.between(0.0, 60.0)))
            .filter(|(f, _)| *f < 0.45 * rate)
            .collect();
        let samples: Vec<f32> = (0..rate as usize)
            .map(|i| {
                let t = i as f64 / rate;
                partials
                    .iter()
                    .map(|(f, db)| 0.15 * 10f64.powf(db / 20.0) * (TAU * f * t + f * 0.01).sin())
                    .sum::<f64>() as f32
            })
            .collect();
        let found = harmonic_peaks(&samples, rate, 32);
        for (f, db) in &partials {
            let level = db + 20.0 * 0.15f64.log10();
            let peak = found
                .iter()
                .min_by(|a, b| (a.frequency - f).abs().total_cmp(&(b.frequency - f).abs()))
                .expect("peaks found");
            let frequency_error = (peak.frequency / f - 1.0).abs();
            let level_error = (peak.level_db - level).abs();
            assert!(frequency_error <= 0.001, "case {case}: partial {f:.3} Hz found at {:.3}", peak.frequency);
            assert!(level_error <= 0.5, "case {case}: partial {f:.1} Hz at {level:.2} dB read {:.2}", peak.level_db);
            worst_frequency = worst_frequency.max(frequency_error);
            worst_level = worst_level.max(level_error);
        }
        // Strongest first.
        assert!(found.windows(2).all(|w| w[0].level_db >= w[1].level_db));
    }
    println!(
        "harmonics: worst frequency error {:.4} %, worst level error {:.3} dB",
        100.0 * worst_frequency,
        worst_level
    );
}

#[test]
fn pitch_follows_sung_like_vibrato_within_ten_cents() {
    let mut rng = Rng(0x9d1c_0f4e_3ab2_6617);
    let (mut frames, mut worst) = (0usize, 0.0f64);
    for case in 0..12 {
        let rate = rng.pick(&[44_100.0, 48_000.0]);
        let base = rng.between(100.0, 600.0);
        let vibrato_hz = rng.between(4.5, 6.5);
        let depth_cents = rng.between(30.0, 80.0);
        let seconds = 1.5;
        let f0 = |t: f64| base * 2f64.powf(depth_cents / 1200.0 * (TAU * vibrato_hz * t).sin());
        // A voice-like spectrum: partials falling 6 dB per octave, the second the strongest.
        let levels = [0.5, 0.8, 0.4, 0.25, 0.15, 0.1];
        let mut phase = 0.0;
        let samples: Vec<f32> = (0..(seconds * rate) as usize)
            .map(|i| {
                phase += TAU * f0(i as f64 / rate) / rate;
                levels
                    .iter()
                    .enumerate()
                    .filter(|(n, _)| base * (*n as f64 + 1.0) * 1.1 < rate / 2.0)
                    .map(|(n, a)| 0.3 * a * ((n as f64 + 1.0) * phase).sin())
                    .sum::<f64>() as f32
            })
            .collect();
        for frame in pitch_track(&samples, rate) {
            let hz = frame.frequency.unwrap_or_else(|| panic!("case {case}: unvoiced at {:.3} s", frame.time));
            let cents = 1200.0 * (hz / f0(frame.time)).log2();
            assert!(cents.abs() <= 10.0, "case {case}: {cents:.1} cents off at {:.3} s", frame.time);
            worst = worst.max(cents.abs());
            frames += 1;
        }
    }
    println!("pitch: {frames} frames of vibrato, worst {worst:.2} cents");
}

/// A drum kit synthesised into a buffer.
struct Kit {
    rate: f64,
    out: Vec<f32>,
    noise: Rng,
}

impl Kit {
    fn add(&mut self, at: f64, seconds: f64, mut voice: impl FnMut(f64, f64) -> f64) {
        let start = (at * self.rate).round().max(0.0) as usize;
        let len = (seconds * self.rate) as usize;
        for i in 0..len.min(self.out.len().saturating_sub(start)) {
            let noise = self.noise.unit() * 2.0 - 1.0;
            self.out[start + i] += voice(i as f64 / self.rate, noise) as f32;
        }
    }
    fn kick(&mut self, at: f64, gain: f64, pitch: f64) {
        let mut phase = 0.0;
        let rate = self.rate;
        self.add(at, 0.35, |t, _| {
            phase += TAU * (pitch + 2.5 * pitch * (-t / 0.025).exp()) / rate;
            gain * 0.9 * (-t / 0.12).exp() * phase.sin()
        });
    }
    fn snare(&mut self, at: f64, gain: f64, tone: f64) {
        self.add(at, 0.25, |t, n| {
            gain * (0.45 * n * (-t / 0.07).exp() + 0.4 * (TAU * tone * t).sin() * (-t / 0.05).exp())
        });
    }
    fn hat(&mut self, at: f64, gain: f64, open: bool) {
        let mut last = 0.0;
        let decay = if open { 0.12 } else { 0.025 };
        self.add(at, if open { 0.4 } else { 0.1 }, |t, n| {
            // A first difference tilts white noise towards the top octaves.
            let bright = n - last;
            last = n;
            gain * 0.25 * bright * (-t / decay).exp()
        });
    }
    fn tom(&mut self, at: f64, gain: f64, pitch: f64) {
        self.add(at, 0.3, |t, n| gain * (0.6 * (TAU * pitch * t).sin() + 0.1 * n) * (-t / 0.1).exp());
    }
}

/// A drum pattern at `bpm` for `seconds`: one of three styles, swing, fills every fourth bar,
/// humanised timing and velocity.
fn drum_pattern(rng: &mut Rng, bpm: f64, seconds: f64, rate: f64) -> Vec<f32> {
    let mut kit = Kit { rate, out: vec![0.0; (seconds * rate) as usize], noise: Rng(rng.next() | 1) };
    let beat = 60.0 / bpm;
    let style = rng.below(3);
    let swing = if rng.below(2) == 0 { 0.5 } else { rng.between(0.55, 0.68) };
    let kick_pitch = rng.between(45.0, 70.0);
    let snare_tone = rng.between(160.0, 240.0);
    let jitter = |rng: &mut Rng| rng.between(-0.004, 0.004);
    // Time of sixteenth `s` (0–15) in bar `bar`, swung: the off-beat eighth moves to `swing`.
    let time = |bar: usize, s: usize| {
        let beat_start = (bar * 4 + s / 4) as f64 * beat;
        let within = match s % 4 {
            0 => 0.0,
            1 => swing * 0.5,
            2 => swing,
            _ => swing + (1.0 - swing) * 0.5,
        };
        beat_start + within * beat
    };
    let bars = (seconds / (4.0 * beat)).ceil() as usize;
    for bar in 0..bars {
        let fill = bar % 4 == 3;
        for s in 0..16 {
            let at = time(bar, s) + jitter(rng);
            let velocity = rng.between(0.7, 1.0);
            let in_fill = fill && s >= 12;
            if in_fill {
                if rng.below(4) > 0 {
                    kit.tom(at, velocity, rng.pick(&[110.0, 150.0, 200.0]));
                } else {
                    kit.snare(at, velocity * 0.8, snare_tone);
                }
                continue;
            }
            match style {
                // Rock: kick on 1 and 3 (sometimes the "and" of 3), snare on 2 and 4, eighth hats.
                0 => {
                    if s == 0 || s == 8 || (s == 10 && rng.below(3) == 0) {
                        kit.kick(at, velocity, kick_pitch);
                    }
                    if s == 4 || s == 12 {
                        kit.snare(at, velocity, snare_tone);
                    }
                    if s % 2 == 0 {
                        kit.hat(at, velocity * 0.7, false);
                    }
                }
                // Four on the floor with open hats on the off-beats.
                1 => {
                    if s % 4 == 0 {
                        kit.kick(at, velocity, kick_pitch);
                    }
                    if s == 4 || s == 12 {
                        kit.snare(at, velocity * 0.8, snare_tone);
                    }
                    if s % 4 == 2 {
                        kit.hat(at, velocity * 0.6, true);
                    }
                }
                // Funk: syncopated kick, backbeat, sixteenth hats with accents.
                _ => {
                    if s == 0 || s == 6 || s == 10 || (s == 3 && rng.below(2) == 0) {
                        kit.kick(at, velocity, kick_pitch);
                    }
                    if s == 4 || s == 12 {
                        kit.snare(at, velocity, snare_tone);
                    }
                    kit.hat(at, velocity * if s % 2 == 0 { 0.6 } else { 0.35 }, false);
                }
            }
        }
    }
    kit.out
}

#[test]
fn tempo_of_drum_patterns_is_within_two_percent_for_95_percent_and_octave_tolerant_for_99() {
    let mut rng = Rng(0x1f2e_3d4c_5b6a_7988);
    let cases = 100;
    let (mut accuracy1, mut accuracy2) = (0, 0);
    let mut misses = Vec::new();
    for case in 0..cases {
        let bpm = rng.between(60.0, 200.0);
        let rate = rng.pick(&[44_100.0, 48_000.0]);
        let audio = drum_pattern(&mut rng, bpm, 20.0, rate);
        let found = tempo_of(&audio, rate).map_or(0.0, |t| t.bpm);
        let within = |factor: f64| (found / (bpm * factor) - 1.0).abs() <= 0.02;
        if within(1.0) {
            accuracy1 += 1;
        } else {
            misses.push(format!("case {case}: {bpm:.1} read {found:.1}"));
        }
        if [1.0, 2.0, 0.5, 3.0, 1.0 / 3.0].into_iter().any(within) {
            accuracy2 += 1;
        }
    }
    println!("tempo: Accuracy1 {accuracy1}/{cases}, Accuracy2 {accuracy2}/{cases}; misses: {misses:?}");
    assert!(accuracy1 * 100 >= 95 * cases, "Accuracy1 {accuracy1}/{cases}: {misses:?}");
    assert!(accuracy2 * 100 >= 99 * cases, "Accuracy2 {accuracy2}/{cases}: {misses:?}");
}

/// Scale steps of the major and natural minor scales.
const MAJOR: [u8; 7] = [0, 2, 4, 5, 7, 9, 11];
const MINOR: [u8; 7] = [0, 2, 3, 5, 7, 8, 10];

/// The triad on scale `degree` (stacked scale thirds; in minor the dominant's third is the
/// raised leading tone, as composers write it), as pitch-class offsets from the tonic.
fn triad(minor: bool, degree: usize) -> [u8; 3] {
    let scale = if minor { MINOR } else { MAJOR };
    let mut notes = [0; 3];
    for (slot, step) in notes.iter_mut().zip([0, 2, 4]) {
        let i = degree + step;
        *slot = if minor && degree == 4 && step == 2 { 11 } else { scale[i % 7] } + 12 * (i / 7) as u8;
    }
    notes
}

/// A chord progression in `key` played by the workstation's synth: a bar per chord, the
/// triad in the middle register over its root in the bass, rendered by a native bounce.
fn render_progression(key: Key, degrees: &[usize], bpm: f64, rate: f32) -> Vec<f32> {
    use quaver::session::bounce::{Bounce, BounceRange};
    use quaver::session::{Clip, ClipContent, Device, Edit, History, Note, Project, Strip, Track, TrackKind, PPQ};
    let mut notes = Vec::new();
    for (bar, &degree) in degrees.iter().enumerate() {
        let start = bar as u64 * 4 * PPQ;
        let chord = triad(key.minor, degree);
        let bass = 36 + key.tonic + chord[0];
        for (i, pitch) in chord.iter().map(|p| 60 + key.tonic + p).chain([bass]).enumerate() {
            notes.push(Note {
                id: notes.len() as u32 + 100,
                start: start + i as u64 * 20,
                length: 4 * PPQ - 120,
                key: pitch,
                velocity: 90,
            });
        }
    }
    let mut project = Project::new("progression");
    project.tempo_bpm = bpm;
    let mut h = History::new(project);
    let length = degrees.len() as u64 * 4 * PPQ;
    let track = Track {
        id: 1,
        name: "chords".into(),
        kind: TrackKind::Midi,
        instrument: Some(Device::new(2, "synth")),
        clips: vec![Clip { id: 3, start: 0, length, content: ClipContent::midi(notes), looping: None }],
        strip: Strip::default(),
        inserts: Vec::new(),
        sends: Vec::new(),
        automation: Vec::new(),
    };
    h.edit(Edit::AddTrack { index: 0, track }).unwrap();
    let range = BounceRange { tail_seconds: 0.5, ..BounceRange::default() };
    let mut mix = Bounce::new(&h.project, &Default::default(), rate, range).unwrap().finish();
    mix.swap_remove(0)
}

#[test]
fn key_of_chord_progressions_played_by_the_synth_scores_at_least_90_percent_by_mirex() {
    let mut rng = Rng(0x6b8e_55d1_2f0a_93c7);
    let major: &[&[usize]] = &[&[0, 3, 4, 0], &[0, 5, 3, 4, 0], &[0, 4, 5, 3, 0], &[1, 4, 0, 0], &[0, 3, 0, 4, 0]];
    let minor: &[&[usize]] =
        &[&[0, 3, 4, 0], &[0, 5, 3, 4, 0], &[0, 3, 6, 2, 4, 0], &[0, 5, 2, 4, 0], &[0, 3, 0, 4, 0]];
    let cases = 48;
    let (mut score, mut exact) = (0.0, 0);
    let mut misses = Vec::new();
    for case in 0..cases {
        let truth = Key { tonic: rng.below(12) as u8, minor: rng.below(2) == 1 };
        let progression = if truth.minor { rng.pick(minor) } else { rng.pick(major) };
        let rate = rng.pick(&[44_100.0f32, 48_000.0]);
        let audio = render_progression(truth, progression, rng.between(80.0, 140.0), rate);
        let found = key_of_audio(&audio, f64::from(rate)).expect("a key");
        let s = found.key.mirex_score(truth);
        score += s;
        if s == 1.0 {
            exact += 1;
        } else {
            misses.push(format!("case {case}: {truth} {progression:?} read {} ({:.2})", found.key, found.confidence));
        }
    }
    let weighted = score / f64::from(cases);
    println!("key from audio: MIREX weighted {:.1} %, exact {exact}/{cases}; misses: {misses:?}", 100.0 * weighted);
    assert!(weighted >= 0.9, "weighted {weighted:.3}: {misses:?}");
}

#[test]
fn key_of_midi_pieces_written_by_mido_is_exact_for_90_percent_and_a_wrong_declaration_is_flagged() {
    let dir = std::env::temp_dir().join(format!("quaver-analysis-pieces-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let made = common::helper(&["midi-pieces", dir.to_str().unwrap(), "100", "31"]);
    let pieces = made.as_array().unwrap();
    let (mut exact, mut flags_right) = (0, 0);
    let mut misses = Vec::new();
    for piece in pieces {
        let bytes = std::fs::read(dir.join(piece["file"].as_str().unwrap())).unwrap();
        let song = quaver::formats::midi::Song::read(&bytes).unwrap();
        let truth: Key = piece["key"].as_str().unwrap().parse().unwrap();
        let declared: Key = piece["declared"].as_str().unwrap().parse().unwrap();
        let found = key_of_midi(&song);
        assert_eq!(found.declared, Some(declared), "{piece}");
        let key = found.estimate.expect("a key").key;
        if key == truth {
            exact += 1;
        } else {
            misses.push(format!("{}: {truth} read {key}", piece["file"]));
        }
        if found.disagrees == (key != declared) {
            flags_right += 1;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!("key from MIDI: exact {exact}/{}; misses: {misses:?}", pieces.len());
    assert!(exact * 10 >= 9 * pieces.len(), "{exact}/{}: {misses:?}", pieces.len());
    assert_eq!(flags_right, pieces.len(), "the disagreement flag follows the declaration");
}

fn tone(dbfs: f64, seconds: f64, rate: u32) -> Vec<f32> {
    let amplitude = 10f64.powf(dbfs / 20.0);
    (0..(seconds * f64::from(rate)) as usize)
        .map(|i| (amplitude * (TAU * 1000.0 * i as f64 / f64::from(rate)).sin()) as f32)
        .collect()
}

/// Segments of a 1 kHz tone at (dBFS, seconds), on both channels.
fn tone_sequence(segments: &[(f64, f64)], rate: u32) -> Vec<Vec<f32>> {
    let one: Vec<f32> = segments.iter().flat_map(|&(db, s)| tone(db, s, rate)).collect();
    vec![one.clone(), one]
}

#[test]
fn loudness_of_the_ebu_tech_3341_cases_is_within_a_tenth_of_a_lu() {
    // Cases 1–5 of EBU Tech 3341 (stereo 1 kHz tones), synthesised; expected −23 LUFS except
    // case 2 (−33). Case 5's 20.1 s middle segment makes the relative gate drop the quiet parts.
    type Case = (&'static str, Vec<(f64, f64)>, f64);
    let cases: [Case; 5] = [
        ("1", vec![(-23.0, 20.0)], -23.0),
        ("2", vec![(-33.0, 20.0)], -33.0),
        ("3", vec![(-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0)], -23.0),
        ("4", vec![(-72.0, 10.0), (-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0), (-72.0, 10.0)], -23.0),
        ("5", vec![(-26.0, 20.0), (-20.0, 20.1), (-26.0, 20.0)], -23.0),
    ];
    for rate in [44_100, 48_000] {
        for (name, segments, expected) in &cases {
            let l = loudness(&tone_sequence(segments, rate), rate).unwrap();
            assert!((l.integrated - expected).abs() <= 0.1, "case {name} at {rate}: {} LUFS", l.integrated);
        }
    }
    // Momentary and short-term maxima of a steady tone equal its integrated loudness; the
    // true peak of a −23 dBFS sine is −23 dBTP.
    let steady = loudness(&tone_sequence(&[(-23.0, 10.0)], 48_000), 48_000).unwrap();
    assert!((steady.momentary_max + 23.0).abs() <= 0.1 && (steady.short_term_max + 23.0).abs() <= 0.1, "{steady:?}");
    assert!((steady.true_peak + 23.0).abs() <= 0.1, "{}", steady.true_peak);
    // Tech 3342's simplest range case: 20 s at −20 then 20 s at −30 LUFS has a range of 10 LU.
    let range = loudness(&tone_sequence(&[(-20.0, 20.0), (-30.0, 20.0)], 48_000), 48_000).unwrap();
    assert!((range.range - 10.0).abs() <= 0.1, "{}", range.range);
}

/// ffmpeg's `ebur128` filter's summary of a WAV file: (integrated LUFS, range LU, true peak dBFS).
fn ffmpeg_loudness(path: &std::path::Path) -> (f64, f64, f64) {
    let out = std::process::Command::new("ffmpeg")
        .args(["-nostats", "-hide_banner", "-i"])
        .arg(path)
        .args(["-af", "ebur128=peak=true", "-f", "null", "-"])
        .output()
        .expect("ffmpeg runs (scripts/setup.sh installs it)");
    let text = String::from_utf8_lossy(&out.stderr);
    let summary = &text[text.rfind("Summary:").expect("an ebur128 summary")..];
    let value = |label: &str| -> f64 {
        let after = &summary[summary.find(label).unwrap_or_else(|| panic!("{label} in {summary}")) + label.len()..];
        after.split_whitespace().next().unwrap().parse().unwrap()
    };
    (value("I:"), value("LRA:"), value("Peak:"))
}

#[test]
fn loudness_agrees_with_ffmpeg_on_noise_and_music_like_signals() {
    use quaver::formats::wav::{write_wav, Audio, SampleFormat};
    let dir = std::env::temp_dir().join(format!("quaver-analysis-loudness-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut rng = Rng(0x33aa_7c01_d2e4_5b69);
    let rate = 48_000;
    let mut signals: Vec<(&str, Vec<Vec<f32>>)> = Vec::new();
    // Pink-ish noise (white noise through a one-pole low-pass), stereo, slowly swelling.
    let mut state = [0.0f64; 2];
    let noise: Vec<Vec<f32>> = (0..2)
        .map(|c| {
            (0..rate as usize * 12)
                .map(|i| {
                    state[c] = 0.97 * state[c] + 0.03 * (rng.unit() * 2.0 - 1.0);
                    (state[c] * 4.0 * (0.3 + 0.7 * (i as f64 / (rate as f64 * 12.0)))) as f32
                })
                .collect()
        })
        .collect();
    signals.push(("noise", noise));
    // Music-like: drums with a synth chord progression over them, loud and quiet sections.
    let drums = drum_pattern(&mut rng, 112.0, 12.0, f64::from(rate));
    let chords = render_progression(Key { tonic: 2, minor: true }, &[0, 5, 3, 4, 0, 3], 112.0, rate as f32);
    let music: Vec<f32> = (0..drums.len())
        .map(|i| {
            let section = if (i / (rate as usize * 3)).is_multiple_of(2) { 1.0 } else { 0.35 };
            section * (0.5 * drums[i] + chords.get(i).copied().unwrap_or(0.0))
        })
        .collect();
    signals.push(("music", vec![music.clone(), music.iter().map(|v| v * 0.8).collect()]));
    for (name, channels) in signals {
        let path = dir.join(format!("{name}.wav"));
        let audio = Audio { sample_rate: rate, channels: channels.clone() };
        std::fs::write(&path, write_wav(&audio, SampleFormat::Float32, false).unwrap()).unwrap();
        let ours = loudness(&channels, rate).unwrap();
        let (integrated, range, peak) = ffmpeg_loudness(&path);
        println!(
            "{name}: ours I {:.2} LRA {:.2} TP {:.2}; ffmpeg I {integrated} LRA {range} TP {peak}",
            ours.integrated, ours.range, ours.true_peak
        );
        // ffmpeg prints one decimal, so agreement within 0.1 LU allows its rounding.
        assert!((ours.integrated - integrated).abs() <= 0.15, "{name}: {} against {integrated}", ours.integrated);
        assert!((ours.range - range).abs() <= 0.3, "{name}: range {} against {range}", ours.range);
        assert!((ours.true_peak - peak).abs() <= 0.2, "{name}: true peak {} against {peak}", ours.true_peak);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// ffmpeg writes `wav` as `extension` (its default encoder and bit rate for each).
fn ffmpeg_encode(wav: &std::path::Path, extension: &str) -> std::path::PathBuf {
    let out = wav.with_extension(extension);
    let status = std::process::Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-i"])
        .arg(wav)
        .arg(&out)
        .status()
        .expect("ffmpeg runs (scripts/setup.sh installs it)");
    assert!(status.success(), "ffmpeg could not write {}", out.display());
    out
}

#[test]
fn compressed_files_decode_natively_to_what_ffmpeg_hears_and_analyse_like_their_wav() {
    use quaver::analysis::summary::summarize_audio;
    use quaver::formats::decode::decode;
    use quaver::formats::wav::read_wav;
    use quaver::formats::FormatErrorKind;
    let dir = std::env::temp_dir().join(format!("quaver-analysis-decode-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pieces = common::helper(&["audio-pieces", dir.to_str().unwrap(), "1", "5", "12"]);
    let wav = dir.join("loop000.wav");
    let original = read_wav(&std::fs::read(&wav).unwrap()).unwrap();
    let reference = summarize_audio(&original).unwrap();
    let bpm = pieces[0]["bpm"].as_f64().unwrap();
    assert!((reference.bpm.unwrap() / bpm - 1.0).abs() <= 0.02, "the WAV itself: {reference:?} against {bpm}");
    for extension in ["flac", "mp3", "ogg", "m4a", "aac"] {
        let path = ffmpeg_encode(&wav, extension);
        let audio = decode(&std::fs::read(&path).unwrap()).unwrap_or_else(|e| panic!("{extension}: {e:?}"));
        assert_eq!(audio.channels.len(), original.channels.len(), "{extension}");
        if extension == "flac" {
            assert_eq!(audio.channels, original.channels, "FLAC is lossless: the WAV's samples exactly");
        }
        let record = summarize_audio(&audio).unwrap();
        let (integrated, _, _) = ffmpeg_loudness(&path);
        println!(
            "decode: {extension}: {:?} BPM, {:?}, {:?} LUFS (ffmpeg {integrated})",
            record.bpm, record.key, record.loudness_lufs
        );
        assert!(
            (record.loudness_lufs.unwrap() - integrated).abs() <= 0.15,
            "{extension}: {record:?} against ffmpeg's {integrated} LUFS"
        );
        assert!((record.bpm.unwrap() / reference.bpm.unwrap() - 1.0).abs() <= 0.01, "{extension}: {record:?}");
        assert_eq!(record.key, reference.key, "{extension}");
    }
    // A file cut short keeps what came before the cut; text is not audio at all.
    let mp3 = std::fs::read(dir.join("loop000.mp3")).unwrap();
    let cut = decode(&mp3[..mp3.len() / 3]).expect("the first third decodes");
    let whole = original.channels[0].len() as f64;
    assert!(
        (0.2..0.45).contains(&(cut.channels[0].len() as f64 / whole)),
        "{} of {whole} frames",
        cut.channels[0].len()
    );
    assert_eq!(decode(b"just some text, not audio").unwrap_err().kind, FormatErrorKind::NotThisFormat);
    std::fs::remove_dir_all(&dir).ok();
}
