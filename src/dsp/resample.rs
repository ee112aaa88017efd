//! Pure math: integer-factor up- and down-sampling with windowed-sinc (Blackman) FIR filters,
//! for nodes that oversample (the waveshaper). Filters are designed once, when the node is
//! made; `process` only multiplies and adds.

/// Taps per phase of each filter: a 2× filter has 64 taps at the high rate, a 4× one 128.
const TAPS_PER_PHASE: usize = 32;

/// A lowpass at `cutoff` cycles per sample (of the high rate), `len` taps, gain `gain` at DC.
fn design(len: usize, cutoff: f64, gain: f64) -> Vec<f64> {
    use core::f64::consts::PI;
    let centre = (len - 1) as f64 / 2.0;
    let mut taps: Vec<f64> = (0..len)
        .map(|n| {
            let x = n as f64 - centre;
            let sinc = if x == 0.0 { 2.0 * cutoff } else { (2.0 * PI * cutoff * x).sin() / (PI * x) };
            let w = 2.0 * PI * n as f64 / (len - 1) as f64;
            sinc * (0.42 - 0.5 * w.cos() + 0.08 * (2.0 * w).cos())
        })
        .collect();
    let sum: f64 = taps.iter().sum();
    for t in &mut taps {
        *t *= gain / sum;
    }
    taps
}

/// Raises the rate by `factor`, one channel; the filter keeps everything below the old Nyquist.
#[derive(Clone, Debug)]
pub struct Upsampler {
    factor: usize,
    /// `phases[p][k]`: tap `k·factor + p`.
    phases: Vec<Vec<f32>>,
    history: Vec<f32>,
}

impl Upsampler {
    pub fn new(factor: usize) -> Self {
        let len = TAPS_PER_PHASE * factor;
        let taps = design(len, 0.45 / factor as f64, factor as f64);
        let phases = (0..factor).map(|p| (0..TAPS_PER_PHASE).map(|k| taps[k * factor + p] as f32).collect()).collect();
        Self { factor, phases, history: vec![0.0; TAPS_PER_PHASE] }
    }

    /// Writes `input.len() × factor` samples into `output`.
    pub fn process(&mut self, input: &[f32], output: &mut [f32]) {
        let f = self.factor;
        for (j, &x) in input.iter().enumerate() {
            self.history.rotate_right(1);
            self.history[0] = x;
            for (p, phase) in self.phases.iter().enumerate() {
                output[j * f + p] = phase.iter().zip(&self.history).map(|(h, v)| h * v).sum();
            }
        }
    }

    /// Delay it adds, in high-rate frames.
    pub fn latency(&self) -> usize {
        (TAPS_PER_PHASE * self.factor - 1) / 2
    }

    pub fn reset(&mut self) {
        self.history.fill(0.0);
    }
}

/// Lowers the rate by `factor` after filtering away what would alias, one channel.
#[derive(Clone, Debug)]
pub struct Downsampler {
    factor: usize,
    taps: Vec<f32>,
    history: Vec<f32>,
}

impl Downsampler {
    pub fn new(factor: usize) -> Self {
        let len = TAPS_PER_PHASE * factor;
        let taps = design(len, 0.45 / factor as f64, 1.0).into_iter().map(|t| t as f32).collect();
        Self { factor, taps, history: vec![0.0; len] }
    }

    /// Reads `output.len() × factor` samples from `input`.
    pub fn process(&mut self, input: &[f32], output: &mut [f32]) {
        let f = self.factor;
        for (j, out) in output.iter_mut().enumerate() {
            for &x in &input[j * f..(j + 1) * f] {
                self.history.rotate_right(1);
                self.history[0] = x;
            }
            *out = self.taps.iter().zip(&self.history).map(|(h, v)| h * v).sum();
        }
    }

    pub fn latency(&self) -> usize {
        (TAPS_PER_PHASE * self.factor - 1) / 2
    }

    pub fn reset(&mut self) {
        self.history.fill(0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_low_tone_survives_the_round_trip_and_unity_gain_holds() {
        for factor in [2, 4] {
            let (mut up, mut down) = (Upsampler::new(factor), Downsampler::new(factor));
            let n = 4096;
            let tone: Vec<f32> = (0..n).map(|i| (core::f32::consts::TAU * 0.01 * i as f32).sin()).collect();
            let mut high = vec![0.0; n * factor];
            let mut back = vec![0.0; n];
            up.process(&tone, &mut high);
            down.process(&high, &mut back);
            let lag = (up.latency() + down.latency()) / factor;
            let err = (1000..n).map(|i| (back[i] - tone[i - lag]).abs()).fold(0.0, f32::max);
            assert!(err < 0.02, "{factor}×: round-trip error {err} at lag {lag}");
        }
    }
}
