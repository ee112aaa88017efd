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
