//! Pitch over time with YIN (de Cheveigné & Kawahara, 2002): the cumulative-mean-normalised
//! difference function of each frame, its first dip under a threshold, refined by a parabola.
//! The difference function comes from an FFT cross-correlation and running energies, so a frame
//! costs two transforms instead of a window's worth of products per lag.

use super::vertex_offset;
use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use std::sync::Arc;

/// One frame's estimate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PitchFrame {
    /// Seconds at the centre of the samples the estimate used.
    pub time: f64,
    /// Hertz, or `None` where the frame holds no clear period (silence, noise).
    pub frequency: Option<f64>,
    /// 1 − the normalised difference at the chosen lag: near 1 for a clean periodic sound.
    pub clarity: f64,
}

/// Where YIN's normalised difference must dip to count as a period.
const THRESHOLD: f64 = 0.15;
/// A frame whose best dip stays above this is unvoiced.
const UNVOICED: f64 = 0.35;

/// YIN's plan for one range of pitches at one rate.
pub struct Yin {
    sample_rate: f64,
    min_lag: usize,
    max_lag: usize,
    window: usize,
    hop: usize,
    forward: Arc<dyn RealToComplex<f64>>,
    inverse: Arc<dyn ComplexToReal<f64>>,
    head: Vec<f64>,
    whole: Vec<f64>,
    head_bins: Vec<Complex<f64>>,
    whole_bins: Vec<Complex<f64>>,
    correlation: Vec<f64>,
    scratch: Vec<Complex<f64>>,
    normalised: Vec<f64>,
}

impl core::fmt::Debug for Yin {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Yin").field("lags", &(self.min_lag..=self.max_lag)).field("hop", &self.hop).finish()
    }
}

impl Yin {
    /// Pitches from `min_hz` to `max_hz` (40 Hz … rate/4), one estimate every `hop` samples.
    pub fn new(sample_rate: f64, min_hz: f64, max_hz: f64, hop: usize) -> Option<Self> {
        if !(sample_rate.is_finite() && min_hz >= 40.0 && max_hz > min_hz && max_hz <= sample_rate / 4.0 && hop > 0) {
            return None;
        }
        let min_lag = ((sample_rate / max_hz).floor() as usize).max(2);
        let max_lag = (sample_rate / min_hz).ceil() as usize;
        // Integrate over one longest period: enough for the lowest pitch, short enough to follow vibrato.
        let window = max_lag;
        let size = (window + max_lag + 1).next_power_of_two();
        let mut planner = RealFftPlanner::<f64>::new();
        let forward = planner.plan_fft_forward(size);
        let inverse = planner.plan_fft_inverse(size);
        let scratch_len = forward.get_scratch_len().max(inverse.get_scratch_len());
        Some(Self {
            sample_rate,
            min_lag,
            max_lag,
            window,
            hop,
            head: forward.make_input_vec(),
            whole: forward.make_input_vec(),
            head_bins: forward.make_output_vec(),
            whole_bins: forward.make_output_vec(),
            correlation: inverse.make_output_vec(),
            scratch: vec![Complex::default(); scratch_len],
            normalised: vec![0.0; max_lag + 2],
            forward,
            inverse,
        })
    }

    /// Samples one frame reads.
    pub fn span(&self) -> usize {
        self.window + self.max_lag + 1
    }

    /// The pitch track of `samples`: one frame every hop while a whole frame fits.
    pub fn track(&mut self, samples: &[f32]) -> Vec<PitchFrame> {
        let span = self.span();
        if samples.len() < span {
            return Vec::new();
        }
        (0..=(samples.len() - span) / self.hop)
            .map(|i| self.frame(&samples[i * self.hop..i * self.hop + span], i * self.hop))
            .collect()
    }

    fn frame(&mut self, x: &[f32], start: usize) -> PitchFrame {
        let (w, max_lag) = (self.window, self.max_lag);
        self.head.fill(0.0);
        self.whole.fill(0.0);
        for (slot, &v) in self.head.iter_mut().zip(&x[..w]) {
            *slot = f64::from(v);
        }
        for (slot, &v) in self.whole.iter_mut().zip(x) {
            *slot = f64::from(v);
        }
        let n = self.head.len() as f64;
        self.forward
            .process_with_scratch(&mut self.head, &mut self.head_bins, &mut self.scratch)
            .expect("planned sizes");
        self.forward
            .process_with_scratch(&mut self.whole, &mut self.whole_bins, &mut self.scratch)
            .expect("planned sizes");
        for (h, b) in self.head_bins.iter_mut().zip(&self.whole_bins) {
            *h = h.conj() * b / n;
        }
        self.head_bins[0].im = 0.0;
        if let Some(last) = self.head_bins.last_mut() {
            last.im = 0.0;
        }
        self.inverse
            .process_with_scratch(&mut self.head_bins, &mut self.correlation, &mut self.scratch)
            .expect("planned sizes");
        // d(τ) = Σ x[j]² + Σ x[j+τ]² − 2·r(τ) over j < w, energies kept running.
        let energy_at = |from: usize| x[from..from + w].iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>();
        let head_energy = energy_at(0);
        let mut shifted_energy = head_energy;
        let mut running_sum = 0.0;
        self.normalised[0] = 1.0;
        for lag in 1..=max_lag + 1 {
            let leaving = f64::from(x[lag - 1]);
            let entering = f64::from(x[lag - 1 + w]);
            shifted_energy += entering * entering - leaving * leaving;
            let difference = (head_energy + shifted_energy - 2.0 * self.correlation[lag]).max(0.0);
            running_sum += difference;
            self.normalised[lag] = if running_sum > 0.0 { difference * lag as f64 / running_sum } else { 1.0 };
        }
        let d = &self.normalised;
        let silent = head_energy <= 1e-10 * w as f64;
        let mut chosen = None;
        let mut lag = self.min_lag;
        while lag <= max_lag {
            if d[lag] < THRESHOLD {
                while lag < max_lag && d[lag + 1] < d[lag] {
                    lag += 1;
                }
                chosen = Some(lag);
                break;
            }
            lag += 1;
        }
        let lag = chosen.unwrap_or_else(|| {
            (self.min_lag..=max_lag).min_by(|&a, &b| d[a].total_cmp(&d[b])).expect("a non-empty range")
        });
        let (a, b, c) = (d[lag - 1], d[lag], d[lag + 1]);
        let period = lag as f64 + vertex_offset(a, b, c).clamp(-1.0, 1.0);
        let voiced = !silent && b < UNVOICED;
        PitchFrame {
            time: (start as f64 + (w as f64 + period) / 2.0) / self.sample_rate,
            frequency: voiced.then(|| self.sample_rate / period),
            clarity: if silent { 0.0 } else { (1.0 - b).clamp(0.0, 1.0) },
        }
    }
}

/// The pitch track of `samples` from 50 to 2000 Hz (or rate/4), every 10 ms.
pub fn pitch_track(samples: &[f32], sample_rate: f64) -> Vec<PitchFrame> {
    let hop = ((sample_rate / 100.0).round() as usize).max(1);
    Yin::new(sample_rate, 50.0, 2000.0f64.min(sample_rate / 4.0), hop)
        .map_or_else(Vec::new, |mut yin| yin.track(samples))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_steady_tone_with_harmonics_reads_its_fundamental_not_a_partial() {
        let rate = 44_100.0;
        let f0 = 196.0;
        let samples: Vec<f32> = (0..rate as usize / 2)
            .map(|i| {
                let t = i as f64 / rate;
                // The second partial louder than the first, as in many voices.
                (0.3 * (core::f64::consts::TAU * f0 * t).sin()
                    + 0.5 * (core::f64::consts::TAU * 2.0 * f0 * t).sin()
                    + 0.2 * (core::f64::consts::TAU * 3.0 * f0 * t).sin()) as f32
            })
            .collect();
        let track = pitch_track(&samples, rate);
        assert!(track.len() > 30);
        for frame in &track {
            let f = frame.frequency.expect("voiced");
            assert!((1200.0 * (f / f0).log2()).abs() < 1.0, "{frame:?}");
        }
    }

    #[test]
    fn silence_and_noise_are_unvoiced() {
        let rate = 48_000.0;
        assert!(pitch_track(&vec![0.0; 9600], rate).iter().all(|f| f.frequency.is_none() && f.clarity == 0.0));
        let mut seed = 1u32;
        let noise: Vec<f32> = (0..48_000)
            .map(|_| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5
            })
            .collect();
        let track = pitch_track(&noise, rate);
        let voiced = track.iter().filter(|f| f.frequency.is_some()).count();
        assert!(voiced * 20 < track.len(), "{voiced} of {} noise frames voiced", track.len());
        assert!(pitch_track(&[0.1; 100], rate).is_empty());
        assert!(Yin::new(rate, 10.0, 500.0, 480).is_none());
    }
}
