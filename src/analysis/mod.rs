//! Control side: analysis of audio the engine has rendered — spectra now; pitch, tempo, key and
//! loudness as the workstation grows. Runs on the main thread or a Worker, never in the worklet.

pub mod spectrum;
