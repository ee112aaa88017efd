//! Control side: a forward FFT of real signals (realfft on rustfft, which picks its SIMD128
//! planner in the SIMD build), planned once with its buffers and scratch, then run as often as
//! needed without allocating.

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};
use std::sync::Arc;

/// The largest transform offered: 2²⁰ points keep the plan's buffers near 24 MB.
pub const MAX_FFT_LENGTH: usize = 1 << 20;

/// A planned forward transform of `len` real samples into `len / 2 + 1` complex bins.
pub struct RealFft {
    plan: Arc<dyn RealToComplex<f32>>,
    input: Vec<f32>,
    output: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
}

impl core::fmt::Debug for RealFft {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RealFft").field("len", &self.input.len()).finish()
    }
}

impl RealFft {
    /// A transform of `len` samples: any even length from 2 to [`MAX_FFT_LENGTH`].
    pub fn new(len: usize) -> Option<Self> {
        if len < 2 || len % 2 != 0 || len > MAX_FFT_LENGTH {
            return None;
        }
        let plan = RealFftPlanner::<f32>::new().plan_fft_forward(len);
        Some(Self {
            input: plan.make_input_vec(),
            output: plan.make_output_vec(),
            scratch: plan.make_scratch_vec(),
            plan,
        })
    }

    pub fn len(&self) -> usize {
        self.input.len()
    }

    pub fn is_empty(&self) -> bool {
        self.input.is_empty()
    }

    /// The frame the next [`transform`](Self::transform) reads, to be filled in place.
    pub fn input_mut(&mut self) -> &mut [f32] {
        &mut self.input
    }

    /// Transforms the frame in [`input_mut`](Self::input_mut) (which it overwrites) into
    /// `len / 2 + 1` bins, unscaled: bin k is Σ x[n]·e^(−2πikn/len).
    pub fn transform(&mut self) -> &[Complex<f32>] {
        self.plan
            .process_with_scratch(&mut self.input, &mut self.output, &mut self.scratch)
            .expect("buffers come from the plan");
        // realfft leaves rounding noise in the imaginary parts that are zero by definition.
        self.output[0].im = 0.0;
        if let Some(last) = self.output.last_mut() {
            last.im = 0.0;
        }
        &self.output
    }

    /// Transforms `samples` (exactly `len` of them; the caller checks), leaving them unchanged.
    pub fn forward(&mut self, samples: &[f32]) -> &[Complex<f32>] {
        self.input.copy_from_slice(samples);
        self.transform()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dft(x: &[f32]) -> Vec<(f64, f64)> {
        let n = x.len();
        (0..=n / 2)
            .map(|k| {
                x.iter().enumerate().fold((0.0, 0.0), |(re, im), (i, &v)| {
                    let phase = -core::f64::consts::TAU * (k * i % n) as f64 / n as f64;
                    (re + f64::from(v) * phase.cos(), im + f64::from(v) * phase.sin())
                })
            })
            .collect()
    }

    #[test]
    fn bins_equal_a_direct_dft_for_powers_of_two_and_other_even_lengths() {
        for len in [2, 6, 64, 250, 1024] {
            let signal: Vec<f32> = (0..len).map(|i| ((i * 7919 % 113) as f32 / 56.0) - 1.0).collect();
            let mut fft = RealFft::new(len).unwrap();
            let bins = fft.forward(&signal).to_vec();
            let expected = dft(&signal);
            assert_eq!(bins.len(), len / 2 + 1);
            let peak = expected.iter().map(|(re, im)| re.hypot(*im)).fold(0.0, f64::max);
            for (k, (got, (re, im))) in bins.iter().zip(&expected).enumerate() {
                let error = (f64::from(got.re) - re).hypot(f64::from(got.im) - im);
                assert!(error <= 1e-5 * peak.max(1.0), "len {len} bin {k}: {got} against {re} {im}");
            }
        }
    }

    #[test]
    fn forward_keeps_its_input_and_repeats_exactly() {
        let signal: Vec<f32> = (0..512).map(|i| (i as f32 * 0.37).sin()).collect();
        let copy = signal.clone();
        let mut fft = RealFft::new(512).unwrap();
        let first = fft.forward(&signal).to_vec();
        assert_eq!(signal, copy);
        assert_eq!(fft.forward(&signal), first.as_slice());
    }

    #[test]
    fn odd_zero_and_huge_lengths_are_refused() {
        for len in [0, 1, 3, 1001, MAX_FFT_LENGTH + 2] {
            assert!(RealFft::new(len).is_none(), "{len}");
        }
        assert_eq!(RealFft::new(MAX_FFT_LENGTH).map(|f| f.len()), Some(MAX_FFT_LENGTH));
    }
}
