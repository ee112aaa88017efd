//! One file's analysis in one call — what the CLI prints, the library stores, the Python package
//! returns and the page's library browser filters by. Audio gets tempo, key and loudness from
//! its sound; MIDI gets its tempo from the tempo map and its key from its notes.

use super::key::{key_of_audio, key_of_midi, Key};
use super::loudness::loudness;
use super::stft::mono;
use super::tempo::tempo_of;
use crate::formats::midi::Song;
use crate::formats::wav::{read_wav, Audio};
use crate::formats::{FormatError, FormatErrorKind};
use serde::{Deserialize, Serialize};

/// What a file held.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    Audio,
    Midi,
}

impl FileKind {
    /// The name it travels and is stored by ("audio", "midi").
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Audio => "audio",
            FileKind::Midi => "midi",
        }
    }
}

/// Keys travel as their names ("A minor"), which is how people search for them.
mod key_text {
    use super::Key;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(key: &Option<Key>, s: S) -> Result<S::Ok, S::Error> {
        match key {
            Some(k) => s.collect_str(k),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Key>, D::Error> {
        Option::<String>::deserialize(d)?.map(|t| t.parse().map_err(serde::de::Error::custom)).transpose()
    }
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// Rounds for storage and display: nobody needs a tempo to the picobeat, and rounded values
/// compare equal across hosts whose last bits differ.
fn rounded(v: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    (v * scale).round() / scale
}

/// Tempo, key and loudness of decoded audio (a record without a file name or hash).
pub fn summarize_audio(audio: &Audio) -> Result<Record, String> {
    if audio.channels.is_empty() {
        return Err("the audio has no channels".into());
    }
    let rate = f64::from(audio.sample_rate);
    let mixed = mono(&audio.channels);
    let tempo = tempo_of(&mixed, rate);
    let key = key_of_audio(&mixed, rate);
    let level = loudness(&audio.channels, audio.sample_rate).map_err(|e| e.0)?;
    Ok(Record {
        kind: Some(FileKind::Audio),
        seconds: Some(rounded(audio.duration_seconds(), 3)),
        bpm: tempo.as_ref().map(|t| rounded(t.bpm, 2)),
        tempo_confidence: tempo.as_ref().map(|t| rounded(t.confidence, 3)),
        key: key.map(|k| k.key),
        key_confidence: key.map(|k| rounded(k.confidence, 3)),
        loudness_lufs: finite(level.integrated).map(|v| rounded(v, 2)),
        loudness_range_lu: finite(level.integrated).map(|_| rounded(level.range, 2)),
        true_peak_dbtp: finite(level.true_peak).map(|v| rounded(v, 2)),
        sample_rate: Some(audio.sample_rate),
        channels: Some(audio.channels.len() as u32),
        ..Record::default()
    })
}

/// The tick the last note ends on (0 without notes).
fn last_note_end(song: &Song) -> u64 {
    song.tracks.iter().flat_map(|t| &t.notes).map(|n| n.start + n.length).max().unwrap_or(0)
}

/// The tempo that holds for the most time before the last note ends (the tempo map's first
/// entry when there are no notes).
pub fn main_tempo(song: &Song) -> f64 {
    let end = last_note_end(song);
    let mut longest = (0.0f64, song.tempo_map.first().map_or(120.0, |t| t.bpm()));
    for (i, change) in song.tempo_map.iter().enumerate() {
        let until = song.tempo_map.get(i + 1).map_or(end, |next| next.tick.min(end));
        let held = song.seconds_at(until.max(change.tick)) - song.seconds_at(change.tick);
        if held > longest.0 {
            longest = (held, change.bpm());
        }
    }
    longest.1
}

/// Tempo and key of a MIDI song (a record without a file name or hash).
pub fn summarize_midi(song: &Song) -> Record {
    let end = last_note_end(song);
    let notes = song.tracks.iter().map(|t| t.notes.len() as u64).sum();
    let key = key_of_midi(song);
    Record {
        kind: Some(FileKind::Midi),
        seconds: Some(rounded(song.seconds_at(end), 3)),
        bpm: Some(rounded(main_tempo(song), 2)),
        key: key.estimate.map(|k| k.key),
        key_confidence: key.estimate.map(|k| rounded(k.confidence, 3)),
        declared_key: key.declared,
        key_disagrees: Some(key.disagrees),
        notes: Some(notes),
        ..Record::default()
    }
}

/// Reads `bytes` as whichever of WAV or MIDI they are (by their first bytes, not the file's
/// name) and summarises them.
pub fn summarize_bytes(bytes: &[u8]) -> Result<Record, String> {
    let describe = |e: FormatError| e.message;
    match Song::read(bytes) {
        Ok(song) => return Ok(summarize_midi(&song)),
        Err(e) if e.kind != FormatErrorKind::NotThisFormat => return Err(describe(e)),
        Err(_) => {}
    }
    match read_wav(bytes) {
        Ok(audio) => return summarize_audio(&audio),
        Err(e) if e.kind != FormatErrorKind::NotThisFormat => return Err(describe(e)),
        Err(_) => {}
    }
    #[cfg(not(target_arch = "wasm32"))]
    match crate::formats::decode::decode(bytes) {
        Ok(audio) => summarize_audio(&audio),
        Err(e) if e.kind == FormatErrorKind::NotThisFormat => {
            Err("not an audio or MIDI file (WAV, MIDI, MP3, FLAC, Ogg Vorbis and AAC are read)".into())
        }
        Err(e) => Err(describe(e)),
    }
    #[cfg(target_arch = "wasm32")]
    Err("not a WAV or MIDI file (other audio formats are decoded by the browser, not here)".into())
}

/// One file's analysis, and its line in every listing — the CLI's JSON, the library's rows, the
/// Python package's columns: its name and content hash, what it holds (fields a kind has no
/// answer for are `None`: a MIDI file has no loudness, silence no tempo; all of them when it
/// could not be analysed) and the reason it could not be.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub file: String,
    /// blake3 of the bytes, hex: equal for copies of one file under different names.
    pub hash: Option<String>,
    pub kind: Option<FileKind>,
    pub seconds: Option<f64>,
    pub bpm: Option<f64>,
    pub tempo_confidence: Option<f64>,
    #[serde(with = "key_text")]
    pub key: Option<Key>,
    pub key_confidence: Option<f64>,
    #[serde(with = "key_text")]
    pub declared_key: Option<Key>,
    pub key_disagrees: Option<bool>,
    pub loudness_lufs: Option<f64>,
    pub loudness_range_lu: Option<f64>,
    pub true_peak_dbtp: Option<f64>,
    pub sample_rate: Option<u32>,
    pub channels: Option<u32>,
    pub notes: Option<u64>,
    pub error: Option<String>,
}

impl Record {
    /// The record of `file` whose bytes were `bytes` (or could not be read: `bytes` is the
    /// reason).
    pub fn of_bytes(file: String, bytes: Result<&[u8], String>) -> Self {
        match bytes {
            Err(error) => Record { file, error: Some(error), ..Record::default() },
            Ok(bytes) => {
                let hash = Some(blake3::hash(bytes).to_hex().to_string());
                match summarize_bytes(bytes) {
                    Ok(analysed) => Record { file, hash, ..analysed },
                    Err(error) => Record { file, hash, error: Some(error), ..Record::default() },
                }
            }
        }
    }

    /// The record of audio something else decoded (MP3, OGG, FLAC, AAC… in the browser), hashed
    /// by its file's `original` bytes so copies are found whatever decoded them.
    pub fn of_decoded(file: String, original: &[u8], sample_rate: f64, channels: Vec<Vec<f32>>) -> Self {
        let hash = Some(blake3::hash(original).to_hex().to_string());
        let rate = sample_rate.round();
        if !(1.0..=768_000.0).contains(&rate) {
            return Record {
                file,
                hash,
                error: Some(format!("impossible sample rate {sample_rate}")),
                ..Record::default()
            };
        }
        match summarize_audio(&Audio { sample_rate: rate as u32, channels }) {
            Ok(analysed) => Record { file, hash, ..analysed },
            Err(error) => Record { file, hash, error: Some(error), ..Record::default() },
        }
    }
}
