//! Everything the workstation draws for one clip: spectrogram, harmonics, pitch over time,
//! onsets, tempo with beats, key and loudness — sized for a picture, not for the archive (the
//! spectrogram has at most [`MAX_FRAMES`] columns however long the clip is).

use super::harmonics::{harmonic_peaks, Partial};
use super::key::{key_of_audio, KeyEstimate};
use super::loudness::{loudness, Loudness};
use super::pitch::{pitch_track, PitchFrame};
use super::stft::{mono, spectrogram, Spectrogram};
use super::tempo::{onset_strength, onset_times, tempo, Tempo};

/// Columns of the drawn spectrogram at most.
pub const MAX_FRAMES: usize = 1200;
/// Its transform size: 513 rows from 0 Hz to Nyquist.
pub const SPECTROGRAM_SIZE: usize = 1024;
/// Partials listed.
pub const PARTIALS: usize = 24;

/// One clip's analysis.
#[derive(Clone, Debug)]
pub struct ClipAnalysis {
    pub seconds: f64,
    pub spectrogram: Option<Spectrogram>,
    pub harmonics: Vec<Partial>,
    pub pitch: Vec<PitchFrame>,
    pub onsets: Vec<f64>,
    pub tempo: Option<Tempo>,
    pub key: Option<KeyEstimate>,
    pub loudness: Option<Loudness>,
}

/// Analyses planar `channels` at `sample_rate`.
pub fn analyze_clip(channels: &[Vec<f32>], sample_rate: f64) -> ClipAnalysis {
    let mixed = mono(channels);
    let hop = (mixed.len() / MAX_FRAMES).max(SPECTROGRAM_SIZE / 4);
    let onsets = onset_strength(&mixed, sample_rate);
    ClipAnalysis {
        seconds: mixed.len() as f64 / sample_rate,
        spectrogram: spectrogram(&mixed, sample_rate, SPECTROGRAM_SIZE, hop),
        harmonics: harmonic_peaks(&mixed, sample_rate, PARTIALS),
        pitch: pitch_track(&mixed, sample_rate),
        onsets: onset_times(&onsets),
        tempo: tempo(&onsets),
        key: key_of_audio(&mixed, sample_rate),
        loudness: loudness(channels, sample_rate.round() as u32).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_clip_draws_at_most_the_column_limit_and_a_short_one_still_has_a_picture() {
        let rate = 8000.0;
        let long: Vec<f32> = (0..rate as usize * 600).map(|i| ((i as f32) * 0.05).sin() * 0.3).collect();
        let a = analyze_clip(&[long], rate);
        let s = a.spectrogram.unwrap();
        assert!(s.frames <= MAX_FRAMES + 1, "{}", s.frames);
        assert_eq!(s.bins, SPECTROGRAM_SIZE / 2 + 1);
        assert!((a.seconds - 600.0).abs() < 1e-9);
        let short = analyze_clip(&[vec![0.1; 100]], rate);
        assert_eq!(short.spectrogram.unwrap().frames, 1);
        assert!(short.tempo.is_none() && short.pitch.is_empty());
    }
}
