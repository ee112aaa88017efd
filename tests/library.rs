//! The native CLI's `analyze` and `library` commands on generated folders: JSON lines with the
//! promised fields, per-file error rows for bad files, broken links and symlink loops, copies
//! shown once, queries by tempo and key, a newer database refused untouched, and a scan stopped
//! with Ctrl-C that resumes without redoing what it stored. Native only: the library needs files,
//! threads and SQLite.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use quaver::analysis::summary::{summarize_audio, summarize_midi, FileKind, Record};
use quaver::formats::midi::{Note, Song, TempoChange, TickRate, Track};
use quaver::formats::wav::{write_wav, Audio, SampleFormat};
use quaver::library::{self, Filter, Library};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn quaver() -> Command {
    Command::new(env!("CARGO_BIN_EXE_quaver"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("quaver-library-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A MIDI song of `notes` quarter notes cycling through a C major arpeggio at `bpm`.
fn song(bpm: f64, notes: usize, transpose: u8) -> Song {
    Song {
        tick_rate: TickRate::PerQuarter(480),
        tempo_map: vec![TempoChange { tick: 0, micros_per_quarter: (60_000_000.0 / bpm).round() as u32 }],
        time_signatures: Vec::new(),
        key_signatures: Vec::new(),
        tracks: vec![Track {
            name: Some("notes".into()),
            program: None,
            notes: (0..notes)
                .map(|i| Note {
                    start: i as u64 * 480,
                    length: 400,
                    key: [60, 64, 67, 72, 65, 69, 62, 67][i % 8] + transpose,
                    velocity: 90,
                    channel: 0,
                })
                .collect(),
        }],
    }
}

/// A folder with MIDI files, a WAV, a copy under another name, files that are not what their
/// names say, a truncated file, a broken link and a symlink loop.
fn corpus(dir: &Path) {
    std::fs::create_dir_all(dir.join("deeper")).unwrap();
    for (i, bpm) in [96.0, 120.0, 124.0, 127.5, 140.0].into_iter().enumerate() {
        std::fs::write(dir.join(format!("song{i}.mid")), song(bpm, 64, i as u8 * 2).write().unwrap()).unwrap();
    }
    std::fs::copy(dir.join("song2.mid"), dir.join("deeper/same as song2.MID")).unwrap();
    let rate = 44_100;
    let tone: Vec<f32> =
        (0..rate * 2).map(|i| 0.25 * (i as f32 * 440.0 * std::f32::consts::TAU / rate as f32).sin()).collect();
    let wav =
        write_wav(&Audio { sample_rate: rate as u32, channels: vec![tone.clone(), tone] }, SampleFormat::Pcm16, false)
            .unwrap();
    std::fs::write(dir.join("tone.wav"), &wav).unwrap();
    std::fs::write(dir.join("not really.wav"), b"this is text").unwrap();
    let full = std::fs::read(dir.join("song1.mid")).unwrap();
    std::fs::write(dir.join("deeper/cut short.mid"), &full[..full.len() / 2]).unwrap();
    std::fs::write(dir.join("readme.txt"), b"left alone").unwrap();
    std::os::unix::fs::symlink(dir.join("nowhere.mid"), dir.join("broken link.mid")).unwrap();
    std::os::unix::fs::symlink(dir, dir.join("deeper/loop")).unwrap();
}

fn json_lines(bytes: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

#[test]
fn analyze_prints_one_json_line_per_file_in_order_with_an_error_line_for_a_bad_one() {
    let dir = scratch("analyze");
    corpus(&dir);
    let files = ["song1.mid", "not really.wav", "tone.wav", "missing.mid"].map(|f| dir.join(f));
    let out = quaver().arg("analyze").args(&files).arg("--json").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 4);
    for (line, file) in lines.iter().zip(&files) {
        assert_eq!(line["file"], file.to_str().unwrap());
        for field in ["bpm", "key", "key_confidence", "loudness_lufs", "error"] {
            assert!(line.get(field).is_some(), "{field} missing from {line}");
        }
    }
    assert_eq!(lines[0]["bpm"], 120.0);
    assert_eq!(lines[0]["kind"], "midi");
    assert!(
        lines[0]["key"].as_str().unwrap().ends_with("major") || lines[0]["key"].as_str().unwrap().ends_with("minor")
    );
    assert!(lines[1]["error"].as_str().unwrap().contains("not an audio or MIDI file"), "{}", lines[1]);
    // A 440 Hz sine at amplitude 0.25 on both channels: a mean square of 1/32 (−15.05 dB) per
    // channel, +3.01 dB for two, BS.1770's −0.691 dB offset, and K-weighting within a tenth of a
    // decibel of flat at 440 Hz: −12.7 LUFS.
    assert_eq!(lines[2]["kind"], "audio");
    assert!(lines[2]["error"].is_null());
    let lufs = lines[2]["loudness_lufs"].as_f64().unwrap();
    assert!((lufs - -12.7).abs() < 0.15, "{lufs}");
    assert!(lines[2]["bpm"].is_null(), "a held tone has no tempo: {}", lines[2]);
    assert!(lines[3]["error"].as_str().unwrap().contains("cannot read"), "{}", lines[3]);
    let human = quaver().arg("analyze").arg(&files[0]).output().unwrap();
    assert!(String::from_utf8_lossy(&human.stdout).contains("120.0 BPM"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_scan_stores_every_file_or_its_error_shows_copies_once_and_answers_queries() {
    let dir = scratch("scan");
    corpus(&dir.join("music"));
    let db = dir.join("library.sqlite");
    let out = quaver().args(["library", "scan"]).arg(dir.join("music")).arg("--db").arg(&db).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let library = Library::open(&db).unwrap();
    // Five songs, a copy, a WAV, a text file named .wav, a cut-short file, a broken link and a
    // loop: eleven rows, four of them errors; readme.txt is not a candidate.
    assert_eq!(library.counts().unwrap(), (11, 4));
    let errors = library.query(&Filter { errors: true, ..Filter::default() }).unwrap();
    let text: Vec<String> =
        errors.iter().map(|(r, _)| format!("{}: {}", r.file, r.error.as_deref().unwrap())).collect();
    assert!(text.iter().any(|t| t.contains("broken link.mid: cannot read")), "{text:?}");
    assert!(text.iter().any(|t| t.contains("loop: a symlink loop")), "{text:?}");
    assert!(text.iter().any(|t| t.contains("cut short.mid") && t.contains("truncated")), "{text:?}");
    assert!(text.iter().any(|t| t.contains("not really.wav: not an audio or MIDI file")), "{text:?}");

    let query = |args: &[&str]| {
        let out = quaver().args(["library", "query", "--db"]).arg(&db).args(args).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        json_lines(&out.stdout)
    };
    let all = query(&[]);
    assert_eq!(all.len(), 6, "one row per content: five songs and the tone");
    let copied: Vec<&Value> = all.iter().filter(|r| r["copies"] == 2).collect();
    assert_eq!(copied.len(), 1);
    assert!(
        copied[0]["file"].as_str().unwrap().ends_with("same as song2.MID"),
        "the first path of the two: {}",
        copied[0]
    );
    assert_eq!(query(&["--copies"]).len(), 7);
    let mut fast: Vec<f64> = query(&["--bpm", "120..128"]).iter().map(|r| r["bpm"].as_f64().unwrap()).collect();
    fast.sort_by(f64::total_cmp);
    assert_eq!(fast, vec![120.0, 124.0, 127.5]);
    // song3 is the arpeggio six semitones up: its key is the C-major reading moved by a tritone.
    let song0 = all.iter().find(|r| r["file"].as_str().unwrap().ends_with("song0.mid")).unwrap();
    let c_key: quaver::analysis::key::Key = song0["key"].as_str().unwrap().parse().unwrap();
    let moved = quaver::analysis::key::Key { tonic: (c_key.tonic + 6) % 12, minor: c_key.minor };
    let by_key = query(&["--key", &moved.to_string()]);
    assert!(by_key.iter().any(|r| r["file"].as_str().unwrap().ends_with("song3.mid")), "{by_key:?}");
    assert!(by_key.iter().all(|r| r["key"] == moved.to_string()));
    assert_eq!(query(&["--kind", "audio"]).len(), 1);
    let bad = quaver().args(["library", "query", "--db"]).arg(&db).args(["--key", "H dorian"]).output().unwrap();
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("not a key"));

    // A second scan finds everything unchanged; a changed file is analysed again.
    std::fs::write(dir.join("music/song4.mid"), song(90.0, 32, 0).write().unwrap()).unwrap();
    let again = quaver().args(["library", "scan"]).arg(dir.join("music")).arg("--db").arg(&db).output().unwrap();
    let said = String::from_utf8_lossy(&again.stderr);
    assert!(said.contains("9 files found, 8 unchanged, 1 analysed"), "{said}");
    assert_eq!(
        Library::open(&db).unwrap().get(dir.join("music/song4.mid").to_str().unwrap()).unwrap().unwrap().bpm,
        Some(90.0)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_database_from_a_newer_quaver_is_refused_and_left_as_it_was() {
    let dir = scratch("newer");
    let db = dir.join("library.sqlite");
    drop(Library::open(&db).unwrap());
    mark_newer(&db);
    let before = std::fs::read(&db).unwrap();
    let out = quaver().args(["library", "scan"]).arg(&dir).arg("--db").arg(&db).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("newer Quaver"), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read(&db).unwrap(), before);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Marks `db` as written by a future schema, through SQLite's own header field
/// (`PRAGMA user_version` is the big-endian u32 at byte 60), without opening it as a library.
fn mark_newer(db: &Path) {
    let mut bytes = std::fs::read(db).unwrap();
    bytes[60..64].copy_from_slice(&99u32.to_be_bytes());
    std::fs::write(db, bytes).unwrap();
}

#[test]
fn a_scan_stopped_with_ctrl_c_keeps_what_it_stored_and_the_next_one_does_only_the_rest() {
    let dir = scratch("resume");
    let music = dir.join("music");
    std::fs::create_dir_all(&music).unwrap();
    // Long enough for a scan to be caught in the middle: WAVs take milliseconds each.
    let rate = 22_050u32;
    for i in 0..300 {
        let hz = 200.0 + i as f32;
        let tone: Vec<f32> =
            (0..rate as usize * 3).map(|n| 0.2 * (n as f32 * hz * std::f32::consts::TAU / rate as f32).sin()).collect();
        let bytes = write_wav(&Audio { sample_rate: rate, channels: vec![tone] }, SampleFormat::Pcm16, false).unwrap();
        std::fs::write(music.join(format!("tone{i:03}.wav")), bytes).unwrap();
    }
    let db = dir.join("library.sqlite");
    let mut child = quaver()
        .args(["library", "scan"])
        .arg(&music)
        .arg("--db")
        .arg(&db)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until some batches are committed, then interrupt as Ctrl-C would.
    let stored_before = loop {
        std::thread::sleep(std::time::Duration::from_millis(50));
        let stored = Library::open(&db).ok().and_then(|l| l.counts().ok()).map_or(0, |c| c.0);
        if stored > 0 {
            break stored;
        }
        assert!(child.try_wait().unwrap().is_none(), "the scan finished before it could be interrupted");
    };
    let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    let status = child.wait().unwrap();
    let (kept, _) = Library::open(&db).unwrap().counts().unwrap();
    assert!(kept >= stored_before, "nothing stored is lost ({kept} < {stored_before})");
    if status.success() {
        eprintln!("the scan finished before Ctrl-C landed; resuming is still checked");
    } else {
        assert!(kept < 300, "interrupted before the end ({kept} stored)");
    }
    let out = quaver().args(["library", "scan"]).arg(&music).arg("--db").arg(&db).arg("--quiet").output().unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains(&format!("300 files found, {kept} unchanged, {} analysed", 300 - kept)), "{said}");
    assert_eq!(Library::open(&db).unwrap().counts().unwrap(), (300, 0));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn edge_cases_get_answers_not_crashes() {
    // Zero-length and silent audio: no tempo, no key, no loudness, but a row.
    let empty = summarize_audio(&Audio { sample_rate: 48_000, channels: vec![Vec::new()] }).unwrap();
    assert_eq!((empty.bpm, empty.key, empty.loudness_lufs, empty.seconds), (None, None, None, Some(0.0)));
    let silence = summarize_audio(&Audio { sample_rate: 48_000, channels: vec![vec![0.0; 480_000]; 2] }).unwrap();
    assert_eq!((silence.bpm, silence.key, silence.loudness_lufs), (None, None, None));
    assert!(summarize_audio(&Audio { sample_rate: 48_000, channels: Vec::new() }).is_err());
    // A MIDI file with no notes has its tempo map's tempo and no key.
    let none = summarize_midi(&song(100.0, 0, 0));
    assert_eq!((none.bpm, none.key, none.notes), (Some(100.0), None, Some(0)));
    // A million notes are read and analysed.
    let big = Song::read(&song(133.0, 1_000_000, 0).write().unwrap()).unwrap();
    let summary = summarize_midi(&big);
    assert_eq!((summary.bpm, summary.notes), (Some(133.0), Some(1_000_000)));
    assert!(summary.key.is_some());
    // Records keep their kind through the library's JSON.
    let record = Record { file: "x.mid".into(), ..summary };
    let back: Record = serde_json::from_str(&serde_json::to_string(&record).unwrap()).unwrap();
    assert_eq!(back, record);
    assert_eq!(back.kind, Some(FileKind::Midi));
    assert!(library::is_candidate(Path::new("a/B.MIDI")) && !library::is_candidate(Path::new("a/b.txt")));
    assert_eq!(library::store::parse_range("120..128"), Ok((120.0, 128.0)));
    assert_eq!(library::store::parse_range("-23..-14"), Ok((-23.0, -14.0)));
    assert_eq!(library::store::parse_range("124"), Ok((124.0, 124.0)));
    assert!(library::store::parse_range("128..120").is_err() && library::store::parse_range("fast").is_err());
}
