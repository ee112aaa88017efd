//! The WAV and MIDI readers and writers against independent ones: libsndfile (Python's
//! `soundfile`), `sox`, and Python's `mido`, installed by scripts/setup.sh into `.venv`.

use quaver::formats::midi::Song;
use quaver::formats::wav::{read_wav, write_wav, Audio, SampleFormat};
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::helper;
use serde_json::Value;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("quaver-formats-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Planar little-endian f32, as files.py writes it.
fn read_planar(path: &Path, channels: usize) -> Vec<Vec<f32>> {
    let bytes = std::fs::read(path).unwrap();
    let samples: Vec<f32> = bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
    let frames = samples.len() / channels;
    samples.chunks_exact(frames).map(<[f32]>::to_vec).collect()
}

/// Equal channel for channel and sample for sample; a failure names the first difference
/// rather than printing every sample.
fn assert_same(ours: &[Vec<f32>], theirs: &[Vec<f32>], what: &str) {
    assert_eq!(ours.len(), theirs.len(), "{what}: channel count");
    for (ch, (a, b)) in ours.iter().zip(theirs).enumerate() {
        assert_eq!(a.len(), b.len(), "{what}: channel {ch} length");
        if let Some(i) = a.iter().zip(b).position(|(x, y)| x.to_bits() != y.to_bits()) {
            panic!("{what}: channel {ch} sample {i} is {} here and {} there", a[i], b[i]);
        }
    }
}

#[test]
fn every_wav_format_soundfile_writes_reads_as_soundfile_reads_it() {
    let dir = scratch("wav");
    let made = helper(&["wav-fixtures", dir.to_str().unwrap()]);
    let made = made.as_array().unwrap();
    assert_eq!(made.len(), 6 * 2 * 4 + 2);
    for case in made {
        let file = case["file"].as_str().unwrap();
        let channels = case["channels"].as_u64().unwrap() as usize;
        let audio = read_wav(&std::fs::read(dir.join(file)).unwrap()).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(audio.sample_rate, case["rate"].as_u64().unwrap() as u32, "{file}");
        assert_eq!(audio.channels.len(), channels, "{file}");
        assert_eq!(audio.frames(), case["frames"].as_u64().unwrap() as usize, "{file}");
        let expected = read_planar(&dir.join(format!("{file}.f32")), channels);
        // Integer formats scale by 2^(bits−1) in both readers: the same floats exactly. A
        // 64-bit float file rounds to f32 in both.
        assert_same(&audio.channels, &expected, &format!("{file} against soundfile"));
    }
}

#[test]
fn wav_files_written_by_sox_read_as_soundfile_reads_them() {
    let dir = scratch("sox");
    for (bits, encoding, channels, rate) in [
        (16, "signed-integer", 1, 44_100),
        (24, "signed-integer", 2, 48_000),
        (32, "floating-point", 2, 96_000),
        (8, "unsigned-integer", 1, 22_050),
    ] {
        let path = dir.join(format!("sox_{bits}_{channels}.wav"));
        let status = Command::new("sox")
            .args(["-n", "-r", &rate.to_string(), "-b", &bits.to_string(), "-e", encoding, "-c", &channels.to_string()])
            .arg(&path)
            .args(["synth", "0.1", "sine", "440", "sine", "1250", "gain", "-3"])
            .status()
            .expect("sox runs (scripts/setup.sh installs it)");
        assert!(status.success());
        let ours = read_wav(&std::fs::read(&path).unwrap()).unwrap();
        let raw = dir.join("sox.f32");
        let info = helper(&["read-wav", path.to_str().unwrap(), raw.to_str().unwrap()]);
        assert_eq!(ours.sample_rate, rate);
        assert_eq!(info["frames"].as_u64().unwrap() as usize, ours.frames());
        assert_same(&ours.channels, &read_planar(&raw, channels), &format!("sox {bits}-bit file against soundfile"));
        assert!(ours.channels[0].iter().any(|v| v.abs() > 0.3), "the tone is there");
    }
}

fn test_audio() -> Audio {
    let frames = 9_601;
    let channels =
        (0..2).map(|c| (0..frames).map(|i| 0.9 * ((i as f32) * (0.031 + 0.02 * c as f32)).sin()).collect()).collect();
    Audio { sample_rate: 48_000, channels }
}

#[test]
fn wavs_quaver_writes_read_back_in_soundfile_and_sox() {
    let dir = scratch("export");
    let audio = test_audio();
    for (format, dither, subtype, lsb) in [
        (SampleFormat::Pcm16, false, "PCM_16", 1.0 / 32_768.0),
        (SampleFormat::Pcm16, true, "PCM_16", 1.0 / 32_768.0),
        (SampleFormat::Pcm24, true, "PCM_24", 1.0 / 8_388_608.0),
        (SampleFormat::Float32, false, "FLOAT", 0.0),
    ] {
        let path = dir.join(format!("{subtype}_{dither}.wav"));
        std::fs::write(&path, write_wav(&audio, format, dither).unwrap()).unwrap();
        let raw = dir.join("back.f32");
        let info = helper(&["read-wav", path.to_str().unwrap(), raw.to_str().unwrap()]);
        assert_eq!(info["subtype"], subtype);
        assert_eq!(info["rate"], 48_000);
        assert_eq!(info["frames"].as_u64().unwrap() as usize, audio.frames());
        let back = read_planar(&raw, 2);
        // Rounding leaves half an LSB; TPDF dither adds up to one more.
        let bound = if dither { 1.5 * lsb } else { 0.5 * lsb } + 1e-9;
        for (ch, (b, a)) in back.iter().zip(&audio.channels).enumerate() {
            let worst = b.iter().zip(a).map(|(x, y)| (f64::from(*x) - f64::from(*y)).abs()).fold(0.0, f64::max);
            assert!(worst <= bound, "{subtype} dither {dither} channel {ch}: off by {worst}, bound {bound}");
        }
        // sox reads the header the same way.
        let soxi = |flag: &str| {
            let out = Command::new("soxi").arg(flag).arg(&path).output().expect("soxi runs");
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        };
        assert_eq!(soxi("-r"), "48000");
        assert_eq!(soxi("-c"), "2");
        assert_eq!(soxi("-s"), audio.frames().to_string());
        assert_eq!(
            soxi("-b"),
            ["16", "16", "24", "32"][[
                SampleFormat::Pcm16,
                SampleFormat::Pcm16,
                SampleFormat::Pcm24,
                SampleFormat::Float32
            ]
            .iter()
            .position(|f| *f == format)
            .unwrap()]
        );
    }
}

fn our_notes(song: &Song) -> Vec<(u64, u64, u8, u8, u8)> {
    let mut notes: Vec<_> = song
        .tracks
        .iter()
        .flat_map(|t| t.notes.iter().map(|n| (n.start, n.start + n.length, n.key, n.velocity, n.channel)))
        .collect();
    notes.sort_unstable();
    notes
}

fn mido_notes(notes: &Value) -> Vec<(u64, u64, u8, u8, u8)> {
    let mut notes: Vec<_> = notes
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            let get = |k: &str| n[k].as_u64().unwrap();
            (get("start_tick"), get("end_tick"), get("key") as u8, get("velocity") as u8, get("channel") as u8)
        })
        .collect();
    notes.sort_unstable();
    notes
}

#[test]
fn midi_files_written_by_mido_read_with_their_notes_tempo_map_and_tracks() {
    let dir = scratch("midi");
    let made = helper(&["midi-fixtures", dir.to_str().unwrap()]);
    for case in made.as_array().unwrap() {
        let file = case["file"].as_str().unwrap();
        let song = Song::read(&std::fs::read(dir.join(file)).unwrap()).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(our_notes(&song), mido_notes(&case["notes"]), "{file}: notes differ from mido's");
        let tempo: Vec<(u64, u32)> = song.tempo_map.iter().map(|t| (t.tick, t.micros_per_quarter)).collect();
        let expected: Vec<(u64, u32)> = case["tempo_map"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["tick"].as_u64().unwrap(), t["micros_per_quarter"].as_u64().unwrap() as u32))
            .collect();
        assert_eq!(tempo, expected, "{file}: tempo map");
        // Seconds through the tempo map, as mido computes them.
        for n in case["notes"].as_array().unwrap() {
            let (tick, seconds) = (n["start_tick"].as_u64().unwrap(), n["start_seconds"].as_f64().unwrap());
            assert!((song.seconds_at(tick) - seconds).abs() < 1e-9, "{file}: tick {tick}");
        }
        if case["format"] == 1 {
            assert_eq!(song.tracks.len(), 3, "{file}: one track per file track");
            for (i, t) in song.tracks.iter().enumerate() {
                assert_eq!(t.name.as_deref(), Some(format!("part {i}").as_str()));
            }
            assert_eq!(song.time_signatures[0].denominator, 4);
        } else {
            assert!(song.tracks.len() >= 2, "{file}: format 0 splits by channel");
        }
        assert!(!song.key_signatures.is_empty(), "{file}: the declared key is kept as a hint");
    }
}

#[test]
fn midi_files_quaver_writes_read_back_in_mido() {
    let dir = scratch("midi-out");
    helper(&["midi-fixtures", dir.to_str().unwrap()]);
    let song = Song::read(&std::fs::read(dir.join("format1_case1.mid")).unwrap()).unwrap();
    let path = dir.join("ours.mid");
    std::fs::write(&path, song.write().unwrap()).unwrap();
    let back = helper(&["read-midi", path.to_str().unwrap()]);
    assert_eq!(back["format"], 1);
    assert_eq!(back["tracks"], 1 + song.tracks.len(), "a conductor track, then one per track");
    assert_eq!(mido_notes(&back["notes"]), our_notes(&song), "mido reads back the notes written");
    assert_eq!(back["tempo_map"].as_array().unwrap().len(), song.tempo_map.len());
}
