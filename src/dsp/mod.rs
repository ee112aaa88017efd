//! Pure math shared by nodes and tests: filter design and oscillator tables. No state, no I/O.

pub mod biquad;
pub mod convolution;
pub mod periodic_wave;
pub mod resample;
