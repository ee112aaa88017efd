//! Harmonic peaks: the partials of a sound as frequency and level, strongest first. One long
//! Blackman–Harris frame (side lobes near −92 dB, so a partial 80 dB down is still seen next to
//! a loud one); each local maximum is refined by a parabola through the decibel values of its bin
//! and neighbours, which for this window puts frequency within a few hundredths of a bin and
//! level within about 0.1 dB.

use super::fft::RealFft;
use super::stft::Window;
use super::vertex_offset;

/// One spectral peak.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Partial {
    pub frequency: f64,
    /// dBFS of a sine's peak amplitude: a sine of amplitude 1 reads 0 dB.
    pub level_db: f64,
}

/// The longest frame analysed: 2¹⁶ samples, 1.4 s at 48 kHz (bins of 0.73 Hz).
pub const MAX_FRAME: usize = 1 << 16;
/// Peaks further below the strongest than this are noise and window leakage, not partials.
pub const RANGE_DB: f64 = 80.0;

/// The partials of `samples` (the middle [`MAX_FRAME`] of them when longer), strongest first, at
/// most `limit`. A silent or empty signal has none.
pub fn harmonic_peaks(samples: &[f32], sample_rate: f64, limit: usize) -> Vec<Partial> {
    let taken = samples.len().min(MAX_FRAME);
    if taken < 64 || limit == 0 {
        return Vec::new();
    }
    let start = (samples.len() - taken) / 2;
    let frame = &samples[start..start + taken];
    let size = taken.next_power_of_two();
    let window = Window::BlackmanHarris.coefficients(taken);
    let window_sum: f64 = window.iter().map(|&w| f64::from(w)).sum();
    let mut fft = RealFft::new(size).expect("2⁶ … 2¹⁶ is a valid length");
    let input = fft.input_mut();
    for ((slot, &x), &w) in input.iter_mut().zip(frame).zip(&window) {
        *slot = x * w;
    }
    input[taken..].fill(0.0);
    // A sine of amplitude A reads |X| = A·Σw/2 at its peak.
    let scale = 2.0 / window_sum;
    let decibels: Vec<f64> =
        fft.transform().iter().map(|c| 20.0 * (f64::from(c.norm()) * scale).max(1e-12).log10()).collect();
    let loudest = decibels.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let floor = (loudest - RANGE_DB).max(-200.0);
    let bin_hz = sample_rate / size as f64;
    let mut partials: Vec<Partial> = (1..decibels.len() - 1)
        .filter(|&k| decibels[k] > floor && decibels[k] > decibels[k - 1] && decibels[k] >= decibels[k + 1])
        .map(|k| {
            let (a, b, c) = (decibels[k - 1], decibels[k], decibels[k + 1]);
            let offset = vertex_offset(a, b, c);
            Partial { frequency: (k as f64 + offset) * bin_hz, level_db: b - 0.25 * (a - c) * offset }
        })
        .collect();
    partials.sort_by(|x, y| y.level_db.total_cmp(&x.level_db));
    partials.truncate(limit);
    partials
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_and_tiny_inputs_have_no_partials() {
        assert!(harmonic_peaks(&[0.0; 4096], 48_000.0, 10).is_empty());
        assert!(harmonic_peaks(&[0.5; 10], 48_000.0, 10).is_empty());
        assert!(harmonic_peaks(&[0.5; 4096], 48_000.0, 0).is_empty());
    }

    #[test]
    fn a_sine_between_bins_is_found_at_its_frequency_and_level() {
        let rate = 44_100.0;
        let samples: Vec<f32> =
            (0..20_000).map(|i| (0.25 * (core::f64::consts::TAU * 1234.567 * i as f64 / rate).sin()) as f32).collect();
        let peaks = harmonic_peaks(&samples, rate, 3);
        assert!((peaks[0].frequency - 1234.567).abs() < 0.05, "{peaks:?}");
        assert!((peaks[0].level_db - 20.0 * 0.25f64.log10()).abs() < 0.1, "{peaks:?}");
    }
}
