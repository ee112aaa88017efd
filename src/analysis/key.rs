//! Musical key: a pitch-class profile matched against the 24 major and minor key profiles of
//! Krumhansl and Kessler (1982) by correlation. From audio the profile is a chroma vector
//! gathered from spectral peaks; from MIDI it is note durations per pitch class. A file's key
//! signature is only a hint: most MIDI files declare C major whatever they hold.

use super::stft::{Stft, Window};
use super::vertex_offset;
use crate::formats::midi::{Song, TickRate};
use core::fmt;

/// Krumhansl–Kessler probe-tone ratings, tonic first.
const MAJOR_PROFILE: [f64; 12] = [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88];
const MINOR_PROFILE: [f64; 12] = [6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17];

const NAMES: [&str; 12] = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"];

/// A key: tonic pitch class (0 = C) and mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub tonic: u8,
    pub minor: bool,
}

impl fmt::Display for Key {
    /// "A minor", "F# major": sharps throughout, so every key has one spelling to search by.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", NAMES[usize::from(self.tonic % 12)], if self.minor { "minor" } else { "major" })
    }
}

impl core::str::FromStr for Key {
    type Err = String;

    /// "A minor", "F# major", "Bb major", "c# min", "Am": flats become their sharps.
    fn from_str(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        let invalid = || format!("{text:?} is not a key: write it like \"A minor\" or \"F# major\"");
        let mut chars = trimmed.chars();
        let letter = chars.next().ok_or_else(invalid)?.to_ascii_uppercase();
        let natural: i32 = match letter {
            'C' => 0,
            'D' => 2,
            'E' => 4,
            'F' => 5,
            'G' => 7,
            'A' => 9,
            'B' => 11,
            _ => return Err(invalid()),
        };
        let mut rest = chars.as_str();
        let mut accidental = 0;
        if let Some(sign) = rest.chars().next().filter(|c| matches!(c, '#' | '♯' | 'b' | '♭')) {
            accidental = if matches!(sign, '#' | '♯') { 1 } else { -1 };
            rest = &rest[sign.len_utf8()..];
        }
        let minor = match rest.trim().to_ascii_lowercase().as_str() {
            "" | "major" | "maj" => false,
            "minor" | "min" | "m" => true,
            _ => return Err(invalid()),
        };
        Ok(Key { tonic: (natural + accidental).rem_euclid(12) as u8, minor })
    }
}

impl Key {
    /// The key a signature of `sharps` (negative: flats) names.
    pub fn from_signature(sharps: i8, minor: bool) -> Self {
        let major_tonic = (7 * i32::from(sharps)).rem_euclid(12);
        let tonic = if minor { (major_tonic + 9) % 12 } else { major_tonic };
        Key { tonic: tonic as u8, minor }
    }

    /// MIREX's weighted score of this estimate against `truth`: 1 for the same key, 0.5 a fifth
    /// away in the same mode, 0.3 its relative, 0.2 its parallel, 0 otherwise.
    pub fn mirex_score(self, truth: Key) -> f64 {
        let up = (i32::from(self.tonic) - i32::from(truth.tonic)).rem_euclid(12);
        match (self.minor == truth.minor, up) {
            (true, 0) => 1.0,
            (true, 7 | 5) => 0.5,
            (false, 9) if !truth.minor => 0.3,
            (false, 3) if truth.minor => 0.3,
            (false, 0) => 0.2,
            _ => 0.0,
        }
    }
}

/// A key estimate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KeyEstimate {
    pub key: Key,
    /// The winning profile's correlation with the pitch classes (−1 … 1; above 0.7 is clear).
    pub confidence: f64,
}

fn correlation(a: &[f64; 12], b: &[f64; 12]) -> f64 {
    let (ma, mb) = (a.iter().sum::<f64>() / 12.0, b.iter().sum::<f64>() / 12.0);
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for i in 0..12 {
        let (x, y) = (a[i] - ma, b[i] - mb);
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    if aa <= 0.0 || bb <= 0.0 {
        0.0
    } else {
        ab / (aa * bb).sqrt()
    }
}

/// The key whose profile `pitch_classes` (weights for C … B) matches best; `None` when the
/// weights are all equal (silence, or every pitch class alike).
pub fn key_of_profile(pitch_classes: &[f64; 12]) -> Option<KeyEstimate> {
    if pitch_classes.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let mut best: Option<KeyEstimate> = None;
    for minor in [false, true] {
        let profile = if minor { &MINOR_PROFILE } else { &MAJOR_PROFILE };
        for tonic in 0..12 {
            let mut rotated = [0.0; 12];
            for (pc, slot) in rotated.iter_mut().enumerate() {
                *slot = profile[(pc + 12 - tonic) % 12];
            }
            let r = correlation(pitch_classes, &rotated);
            if r != 0.0 && best.is_none_or(|b| r > b.confidence) {
                best = Some(KeyEstimate { key: Key { tonic: tonic as u8, minor }, confidence: r });
            }
        }
    }
    best
}

/// Lowest and highest frequencies whose peaks count towards the chroma.
const CHROMA_LOW_HZ: f64 = 60.0;
const CHROMA_HIGH_HZ: f64 = 5000.0;

/// The chroma of `samples`: for every frame, each spectral peak's amplitude added to its pitch
/// class (frequency refined by a parabola through the log magnitudes, so low notes land in the
/// right class even where bins are wider than a semitone).
pub fn chroma(samples: &[f32], sample_rate: f64) -> [f64; 12] {
    let size = ((sample_rate * 0.17).round() as usize).next_power_of_two().clamp(1024, 1 << 15);
    let mut stft = Stft::new(size, size / 2, Window::Hann).expect("a power of two");
    let bin_hz = sample_rate / size as f64;
    let first = ((CHROMA_LOW_HZ / bin_hz).floor() as usize).max(1);
    let last = ((CHROMA_HIGH_HZ / bin_hz).ceil() as usize).min(stft.bins() - 2);
    let mut classes = [0.0f64; 12];
    let mut logs = vec![0.0f64; stft.bins()];
    stft.for_each_frame(samples, |_, magnitudes| {
        let loudest = magnitudes[first..=last].iter().copied().fold(0.0f32, f32::max);
        if loudest <= 1e-9 {
            return;
        }
        // Peaks more than 60 dB under the frame's loudest are leakage and noise.
        let floor = loudest * 1e-3;
        for (l, &m) in logs[first - 1..=last + 1].iter_mut().zip(&magnitudes[first - 1..=last + 1]) {
            *l = f64::from(m.max(1e-12)).ln();
        }
        for k in first..=last {
            let m = magnitudes[k];
            if m < floor || m <= magnitudes[k - 1] || m < magnitudes[k + 1] {
                continue;
            }
            let (a, b, c) = (logs[k - 1], logs[k], logs[k + 1]);
            let frequency = (k as f64 + vertex_offset(a, b, c)) * bin_hz;
            let midi = 69.0 + 12.0 * (frequency / 440.0).log2();
            classes[(midi.round() as i64).rem_euclid(12) as usize] += f64::from(m);
        }
    });
    classes
}

/// The key of `samples`.
pub fn key_of_audio(samples: &[f32], sample_rate: f64) -> Option<KeyEstimate> {
    key_of_profile(&chroma(samples, sample_rate))
}

/// MIDI channel 10 (9 counting from 0) holds drums, whose keys are instruments, not pitches.
const DRUM_CHANNEL: u8 = 9;

/// Note durations (in quarter notes, or seconds for SMPTE files) per pitch class.
pub fn midi_pitch_classes(song: &Song) -> [f64; 12] {
    let unit = match song.tick_rate {
        TickRate::PerQuarter(ticks) => f64::from(ticks.max(1)),
        TickRate::PerSecond(ticks) => ticks.max(1.0),
    };
    let mut classes = [0.0; 12];
    for note in song.tracks.iter().flat_map(|t| &t.notes).filter(|n| n.channel != DRUM_CHANNEL) {
        classes[usize::from(note.key % 12)] += note.length.max(1) as f64 / unit;
    }
    classes
}

/// The key of a MIDI song with what the file declares beside it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MidiKey {
    pub estimate: Option<KeyEstimate>,
    /// The first key signature in the file, if any.
    pub declared: Option<Key>,
    /// True when the file declares a key and the notes say another.
    pub disagrees: bool,
}

pub fn key_of_midi(song: &Song) -> MidiKey {
    let estimate = key_of_profile(&midi_pitch_classes(song));
    let declared = song.key_signatures.first().map(|k| Key::from_signature(k.sharps, k.minor));
    let disagrees = matches!((estimate, declared), (Some(e), Some(d)) if e.key != d);
    MidiKey { estimate, declared, disagrees }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_print_with_sharps_and_parse_back_from_common_spellings() {
        for tonic in 0..12 {
            for minor in [false, true] {
                let key = Key { tonic, minor };
                assert_eq!(key.to_string().parse::<Key>(), Ok(key));
            }
        }
        assert_eq!("Bb major".parse(), Ok(Key { tonic: 10, minor: false }));
        assert_eq!("eb minor".parse(), Ok(Key { tonic: 3, minor: true }));
        assert_eq!("Am".parse(), Ok(Key { tonic: 9, minor: true }));
        assert_eq!("B".parse(), Ok(Key { tonic: 11, minor: false }));
        assert_eq!("F# major".parse::<Key>().unwrap().to_string(), "F# major");
        for bad in ["", "H major", "A dorian", "A##"] {
            assert!(bad.parse::<Key>().is_err(), "{bad}");
        }
    }

    #[test]
    fn signatures_name_their_keys() {
        assert_eq!(Key::from_signature(0, false).to_string(), "C major");
        assert_eq!(Key::from_signature(0, true).to_string(), "A minor");
        assert_eq!(Key::from_signature(3, false).to_string(), "A major");
        assert_eq!(Key::from_signature(-2, true).to_string(), "G minor");
        assert_eq!(Key::from_signature(6, false).to_string(), "F# major");
    }

    #[test]
    fn mirex_scores_follow_the_relations() {
        let c = Key { tonic: 0, minor: false };
        let a_minor = Key { tonic: 9, minor: true };
        assert_eq!(c.mirex_score(c), 1.0);
        assert_eq!(Key { tonic: 7, minor: false }.mirex_score(c), 0.5);
        assert_eq!(Key { tonic: 5, minor: false }.mirex_score(c), 0.5);
        assert_eq!(a_minor.mirex_score(c), 0.3);
        assert_eq!(c.mirex_score(a_minor), 0.3);
        assert_eq!(Key { tonic: 0, minor: true }.mirex_score(c), 0.2);
        assert_eq!(Key { tonic: 2, minor: false }.mirex_score(c), 0.0);
    }

    #[test]
    fn a_scale_weighted_like_a_profile_finds_its_key_and_flat_weights_find_none() {
        let mut e_minor = [0.0; 12];
        for (i, w) in MINOR_PROFILE.iter().enumerate() {
            e_minor[(i + 4) % 12] = *w;
        }
        let estimate = key_of_profile(&e_minor).unwrap();
        assert_eq!(estimate.key.to_string(), "E minor");
        assert!((estimate.confidence - 1.0).abs() < 1e-12);
        assert!(key_of_profile(&[1.0; 12]).is_none());
        assert!(key_of_profile(&[f64::NAN; 12]).is_none());
    }
}
