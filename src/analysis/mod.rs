//! Control side: analysis of audio the engine has rendered — FFTs and spectra now; pitch, tempo, key and
//! loudness as the workstation grows. Runs on the main thread or a Worker, never in the worklet.

pub mod fft;
pub mod spectrum;

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
