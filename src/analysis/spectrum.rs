//! Control side: the spectrum Web Audio's AnalyserNode reports, from the time-domain window an
//! analyser node captured: Blackman window, FFT (rustfft, planned and sized once, run with
//! caller scratch), magnitudes smoothed over time, in decibels or scaled to bytes.

use super::fft::RealFft;

/// Smallest and largest `fftSize` Web Audio allows.
pub const MIN_FFT_SIZE: usize = 32;
pub const MAX_FFT_SIZE: usize = 32_768;

/// An analyser's state between calls: its plan, buffers and smoothed magnitudes.
pub struct Spectrum {
    fft: RealFft,
    window: Vec<f32>,
    smoothed: Vec<f32>,
    /// `smoothingTimeConstant`, 0 to 1.
    pub smoothing: f64,
    pub min_decibels: f64,
    pub max_decibels: f64,
}

impl core::fmt::Debug for Spectrum {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Spectrum").field("fft_size", &self.window.len()).field("smoothing", &self.smoothing).finish()
    }
}

impl Spectrum {
    /// An analyser of `fft_size` (a power of two from 32 to 32768) with Web Audio's defaults.
    pub fn new(fft_size: usize) -> Option<Self> {
        if !fft_size.is_power_of_two() || !(MIN_FFT_SIZE..=MAX_FFT_SIZE).contains(&fft_size) {
            return None;
        }
        let fft = RealFft::new(fft_size)?;
        // Web Audio's Blackman window, α = 0.16.
        let window = (0..fft_size)
            .map(|n| {
                let x = core::f64::consts::TAU * n as f64 / fft_size as f64;
                (0.42 - 0.5 * x.cos() + 0.08 * (2.0 * x).cos()) as f32
            })
            .collect();
        Some(Self {
            smoothed: vec![0.0; fft_size / 2],
            fft,
            window,
            smoothing: 0.8,
            min_decibels: -100.0,
            max_decibels: -30.0,
        })
    }

    pub fn fft_size(&self) -> usize {
        self.window.len()
    }

    /// Takes a new window of the last `fftSize` samples (oldest first) into the smoothed
    /// magnitudes, as AnalyserNode does once per render quantum it is asked about.
    pub fn analyse(&mut self, time_domain: &[f32]) {
        let n = self.fft_size();
        let start = time_domain.len().saturating_sub(n);
        let recent = &time_domain[start..];
        let input = self.fft.input_mut();
        input.fill(0.0);
        let pad = n - recent.len();
        for ((slot, &x), &w) in input[pad..].iter_mut().zip(recent).zip(&self.window[pad..]) {
            *slot = x * w;
        }
        let bins = self.fft.transform();
        // Web Audio's scale, 1/N: a full-scale sine on a bin reads half the window's coherent
        // gain, 0.21 (−13.6 dB).
        let scale = 1.0 / n as f64;
        let k = self.smoothing.clamp(0.0, 1.0);
        for (smoothed, c) in self.smoothed.iter_mut().zip(bins) {
            let magnitude = f64::from(c.re).hypot(f64::from(c.im)) * scale;
            *smoothed = (k * f64::from(*smoothed) + (1.0 - k) * magnitude) as f32;
        }
    }

    /// The smoothed magnitudes in decibels (`getFloatFrequencyData`).
    pub fn float_frequency_data(&self, out: &mut [f32]) {
        for (o, &m) in out.iter_mut().zip(&self.smoothed) {
            *o = (20.0 * f64::from(m).log10()) as f32;
        }
    }

    /// The magnitudes mapped from `[minDecibels, maxDecibels]` to 0–255 (`getByteFrequencyData`).
    pub fn byte_frequency_data(&self, out: &mut [u8]) {
        let range = self.max_decibels - self.min_decibels;
        for (o, &m) in out.iter_mut().zip(&self.smoothed) {
            let db = 20.0 * f64::from(m).log10();
            let scaled = 255.0 * (db - self.min_decibels) / range;
            *o = scaled.clamp(0.0, 255.0) as u8;
        }
    }
}

/// Time-domain samples as bytes, 128 for silence (`getByteTimeDomainData`).
pub fn byte_time_domain_data(samples: &[f32], out: &mut [u8]) {
    for (o, &v) in out.iter_mut().zip(samples) {
        // In single precision, as browsers do: a tiny negative sample is 128, not 127.
        *o = (128.0 * (v + 1.0)).clamp(0.0, 255.0) as u8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_scale_sine_on_a_bin_reads_the_window_gain() {
        let mut s = Spectrum::new(1024).unwrap();
        s.smoothing = 0.0;
        let sine: Vec<f32> = (0..1024).map(|i| (core::f32::consts::TAU * 64.0 * i as f32 / 1024.0).sin()).collect();
        s.analyse(&sine);
        let mut db = vec![0.0; 512];
        s.float_frequency_data(&mut db);
        assert!((db[64] - 20.0 * 0.21f32.log10()).abs() < 0.01, "{}", db[64]);
        assert!(db[200] < -100.0, "far from the tone the Blackman window keeps leakage low: {}", db[200]);
        let mut bytes = vec![0u8; 512];
        s.byte_frequency_data(&mut bytes);
        assert_eq!(bytes[64], 255, "above maxDecibels");
        assert_eq!(bytes[200], 0, "below minDecibels");
    }

    #[test]
    fn smoothing_averages_with_the_previous_frame() {
        let mut s = Spectrum::new(256).unwrap();
        s.smoothing = 0.5;
        let sine: Vec<f32> = (0..256).map(|i| (core::f32::consts::TAU * 8.0 * i as f32 / 256.0).sin()).collect();
        s.analyse(&sine);
        let first = s.smoothed[8];
        s.analyse(&vec![0.0; 256]);
        assert!((s.smoothed[8] - first / 2.0).abs() < 1e-6);
    }

    #[test]
    fn sizes_outside_web_audio_s_range_are_refused() {
        assert!(Spectrum::new(16).is_none());
        assert!(Spectrum::new(1000).is_none());
        assert!(Spectrum::new(65_536).is_none());
        assert!(Spectrum::new(32_768).is_some());
    }
}
