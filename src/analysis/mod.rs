//! Control side: analysis of audio and MIDI — spectra and spectrograms, harmonic peaks, pitch,
//! onsets and tempo, key, loudness — and the one-call summaries the CLI, the library scan, the
//! Python package and the page share. Runs on the main thread, a Worker or natively, never in
//! the worklet.

pub mod detail;
pub mod fft;
pub mod harmonics;
pub mod key;
pub mod loudness;
pub mod pitch;
pub mod spectrum;
pub mod stft;
pub mod summary;
pub mod tempo;

/// Where the parabola through three equally spaced values `a`, `b`, `c` turns, in steps from
/// `b` (within ±½ when `b` is the largest or smallest of the three): how every analysis here
/// places a peak or a dip between bins, lags or frames. Three values in a line give 0.
pub(crate) fn vertex_offset(a: f64, b: f64, c: f64) -> f64 {
    let curvature = a - 2.0 * b + c;
    if curvature == 0.0 {
        0.0
    } else {
        0.5 * (a - c) / curvature
    }
}

/// Frames where sound begins after at least `gap` frames of exact silence (a note's onset in a
/// render whose notes are separated by silence).
pub fn sound_starts(samples: &[f32], gap: usize) -> Vec<usize> {
    let mut quiet = gap;
    let mut starts = Vec::new();
    for (i, v) in samples.iter().enumerate() {
        if *v == 0.0 {
            quiet += 1;
        } else {
            if quiet >= gap {
                starts.push(i);
            }
            quiet = 0;
        }
    }
    starts
}
