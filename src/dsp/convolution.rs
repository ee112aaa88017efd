//! Pure math: uniformly partitioned FFT convolution (overlap-save, 128-frame partitions in
//! 256-point FFTs). The impulse response's partition spectra are computed once, off the render
//! path; per quantum the engine runs one forward and one inverse FFT per channel with
//! preallocated scratch, and multiplies the spectra of recent input blocks with the
//! partitions'. No latency: a block's output includes the block itself.

use crate::QUANTUM;
use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use std::sync::Arc;

/// FFT length: two partitions.
pub const FFT_SIZE: usize = 2 * QUANTUM;
/// Complex bins of one partition's spectrum.
pub const BINS: usize = FFT_SIZE / 2 + 1;

/// Web Audio's normalisation of an impulse response (its `normalize` attribute): by the
/// inverse RMS power, calibrated to −58 dB at 44.1 kHz. (The spec writes the calibration as
/// 0.00125; browsers use 10^(−58/20) = 0.0012589, 0.7% more, and so does this.)
pub fn normalization_scale(channels: &[Vec<f32>], sample_rate: f32) -> f32 {
    let gain_calibration = 10f64.powf(-58.0 / 20.0);
    const CALIBRATION_RATE: f64 = 44_100.0;
    const MIN_POWER: f64 = 0.000125;
    let length = channels.first().map_or(0, Vec::len);
    let sum: f64 = channels.iter().flatten().map(|&v| f64::from(v) * f64::from(v)).sum();
    let mut power = (sum / (channels.len() * length).max(1) as f64).sqrt();
    if !power.is_finite() || power < MIN_POWER {
        power = MIN_POWER;
    }
    (gain_calibration / power * CALIBRATION_RATE / f64::from(sample_rate)) as f32
}

/// An impulse response's partition spectra, for the wire: `[partitions, channels]` then, per
/// channel and partition, `BINS` complex values as (re, im) pairs.
pub fn partition(channels: &[Vec<f32>], scale: f32) -> Vec<f32> {
    let length = channels.first().map_or(0, Vec::len);
    let partitions = length.div_ceil(QUANTUM).max(1);
    let fft = RealFftPlanner::<f32>::new().plan_fft_forward(FFT_SIZE);
    let mut input = fft.make_input_vec();
    let mut spectrum = fft.make_output_vec();
    let mut out = Vec::with_capacity(2 + channels.len() * partitions * BINS * 2);
    out.push(partitions as f32);
    out.push(channels.len() as f32);
    for channel in channels {
        for p in 0..partitions {
            input.fill(0.0);
            let block = &channel[(p * QUANTUM).min(length)..((p + 1) * QUANTUM).min(length)];
            for (slot, &v) in input.iter_mut().zip(block) {
                *slot = v * scale;
            }
            fft.process(&mut input, &mut spectrum).expect("buffers come from the plan");
            for c in &spectrum {
                out.push(c.re);
                out.push(c.im);
            }
        }
    }
    out
}

/// One channel pair's convolution state.
pub struct Convolver {
    forward: Arc<dyn RealToComplex<f32>>,
    inverse: Arc<dyn ComplexToReal<f32>>,
    /// `[channel][partition][bin]` of the impulse response.
    filters: Vec<Vec<Complex<f32>>>,
    partitions: usize,
    /// Spectra of the most recent input blocks per input channel, a ring of `partitions`.
    history: Vec<Vec<Complex<f32>>>,
    head: usize,
    /// The previous input block per channel (the first half of each FFT frame).
    previous: Vec<[f32; QUANTUM]>,
    frame: Vec<f32>,
    spectrum: Vec<Complex<f32>>,
    sum: Vec<Complex<f32>>,
    time: Vec<f32>,
    scratch_forward: Vec<Complex<f32>>,
    scratch_inverse: Vec<Complex<f32>>,
}

impl core::fmt::Debug for Convolver {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Convolver")
            .field("partitions", &self.partitions)
            .field("channels", &self.filters.len())
            .finish()
    }
}

impl Convolver {
    /// From [`partition`]'s output, for up to `inputs` input channels; `None` if it is not one.
    pub fn from_wire(data: &[f32], inputs: usize) -> Option<Self> {
        let (&partitions, &channels) = (data.first()?, data.get(1)?);
        let (partitions, channels) = (partitions as usize, channels as usize);
        if partitions == 0 || channels == 0 || data.len() != 2 + channels * partitions * BINS * 2 {
            return None;
        }
        let filters = (0..channels)
            .map(|ch| {
                let base = 2 + ch * partitions * BINS * 2;
                data[base..base + partitions * BINS * 2].chunks_exact(2).map(|c| Complex::new(c[0], c[1])).collect()
            })
            .collect();
        let mut planner = RealFftPlanner::<f32>::new();
        let forward = planner.plan_fft_forward(FFT_SIZE);
        let inverse = planner.plan_fft_inverse(FFT_SIZE);
        Some(Self {
            filters,
            partitions,
            history: vec![vec![Complex::new(0.0, 0.0); partitions * BINS]; inputs],
            head: 0,
            previous: vec![[0.0; QUANTUM]; inputs],
            frame: forward.make_input_vec(),
            spectrum: forward.make_output_vec(),
            sum: inverse.make_input_vec(),
            time: inverse.make_output_vec(),
            scratch_forward: forward.make_scratch_vec(),
            scratch_inverse: inverse.make_scratch_vec(),
            forward,
            inverse,
        })
    }

    pub fn channels(&self) -> usize {
        self.filters.len()
    }

    pub fn partitions(&self) -> usize {
        self.partitions
    }

    /// Takes one input block per input channel into the history.
    pub fn push(&mut self, inputs: &[&[f32; QUANTUM]]) {
        self.head = (self.head + self.partitions - 1) % self.partitions;
        for (ch, input) in inputs.iter().enumerate().take(self.history.len()) {
            self.frame[..QUANTUM].copy_from_slice(&self.previous[ch]);
            self.frame[QUANTUM..].copy_from_slice(&input[..]);
            self.previous[ch] = **input;
            self.forward
                .process_with_scratch(&mut self.frame, &mut self.spectrum, &mut self.scratch_forward)
                .expect("buffers come from the plan");
            let at = self.head * BINS;
            self.history[ch][at..at + BINS].copy_from_slice(&self.spectrum);
        }
    }

    /// The output block of input channel `input` through filter channel `filter`.
    pub fn render(&mut self, input: usize, filter: usize, out: &mut [f32; QUANTUM]) {
        self.sum.fill(Complex::new(0.0, 0.0));
        let (history, taps) = (&self.history[input], &self.filters[filter]);
        for p in 0..self.partitions {
            let block = ((self.head + p) % self.partitions) * BINS;
            let (x, h) = (&history[block..block + BINS], &taps[p * BINS..(p + 1) * BINS]);
            for ((s, a), b) in self.sum.iter_mut().zip(x).zip(h) {
                *s += a * b;
            }
        }
        // The inverse of a real signal's spectrum has no imaginary DC or Nyquist term.
        self.sum[0].im = 0.0;
        self.sum[BINS - 1].im = 0.0;
        self.inverse
            .process_with_scratch(&mut self.sum, &mut self.time, &mut self.scratch_inverse)
            .expect("buffers come from the plan");
        let scale = 1.0 / FFT_SIZE as f32;
        for (o, &t) in out.iter_mut().zip(&self.time[QUANTUM..]) {
            *o = t * scale;
        }
    }

    pub fn reset(&mut self) {
        for h in &mut self.history {
            h.fill(Complex::new(0.0, 0.0));
        }
        for p in &mut self.previous {
            p.fill(0.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_direct_convolution() {
        let ir: Vec<f32> = (0..300).map(|i| ((i * 7919) % 23) as f32 / 23.0 - 0.5).collect();
        let input: Vec<f32> = (0..1024).map(|i| ((i * 104_729) % 31) as f32 / 31.0 - 0.5).collect();
        let mut conv = Convolver::from_wire(&partition(std::slice::from_ref(&ir), 1.0), 1).unwrap();
        let mut out = Vec::new();
        for block in input.chunks_exact(QUANTUM) {
            let block: &[f32; QUANTUM] = block.try_into().unwrap();
            conv.push(&[block]);
            let mut y = [0.0; QUANTUM];
            conv.render(0, 0, &mut y);
            out.extend_from_slice(&y);
        }
        for n in [0usize, 1, 127, 128, 299, 300, 640, 1023] {
            let direct: f32 = (0..=n.min(ir.len() - 1)).map(|k| ir[k] * input[n - k]).sum();
            assert!((out[n] - direct).abs() < 1e-4, "frame {n}: {} vs {direct}", out[n]);
        }
    }

    #[test]
    fn normalisation_follows_web_audio() {
        let ir = vec![vec![0.5f32; 1000]];
        let scale = normalization_scale(&ir, 48_000.0);
        assert!((f64::from(scale) - 10f64.powf(-2.9) / 0.5 * 44_100.0 / 48_000.0).abs() < 1e-9);
        assert!(normalization_scale(&[vec![0.0; 10]], 44_100.0) > 9.9, "silence is held at the minimum power");
        assert!(Convolver::from_wire(&[3.0, 1.0, 0.0], 1).is_none());
    }
}
