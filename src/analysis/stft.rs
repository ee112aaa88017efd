//! Short-time Fourier transform: magnitudes of windowed frames, one transform planned for all of
//! them, and a spectrogram built from it. Frame `i` covers samples `i·hop .. i·hop + size`
//! (zeros past the end), so its centre is at `i·hop + size/2`.

use super::fft::RealFft;

/// Analysis windows. Hann for time-frequency pictures and onsets; Blackman–Harris (four terms,
/// side lobes near −92 dB) where levels of weak partials next to strong ones matter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    Hann,
    BlackmanHarris,
}

impl Window {
    /// `len` periodic window coefficients.
    pub fn coefficients(self, len: usize) -> Vec<f32> {
        let step = core::f64::consts::TAU / len as f64;
        (0..len)
            .map(|n| {
                let x = step * n as f64;
                let value = match self {
                    Window::Hann => 0.5 - 0.5 * x.cos(),
                    Window::BlackmanHarris => {
                        0.35875 - 0.48829 * x.cos() + 0.14128 * (2.0 * x).cos() - 0.01168 * (3.0 * x).cos()
                    }
                };
                value as f32
            })
            .collect()
    }
}

/// A planned STFT of `size` samples every `hop`.
#[derive(Debug)]
pub struct Stft {
    fft: RealFft,
    window: Vec<f32>,
    hop: usize,
    magnitudes: Vec<f32>,
}

impl Stft {
    /// `size` even (2 … 2²⁰), `hop` ≥ 1.
    pub fn new(size: usize, hop: usize, window: Window) -> Option<Self> {
        if hop == 0 {
            return None;
        }
        let fft = RealFft::new(size)?;
        Some(Self { fft, window: window.coefficients(size), hop, magnitudes: vec![0.0; size / 2 + 1] })
    }

    pub fn size(&self) -> usize {
        self.window.len()
    }

    pub fn hop(&self) -> usize {
        self.hop
    }

    pub fn bins(&self) -> usize {
        self.magnitudes.len()
    }

    /// How many frames `len` samples give: every hop whose frame starts inside the signal.
    pub fn frame_count(&self, len: usize) -> usize {
        len.div_ceil(self.hop)
    }

    /// Calls `each(frame, magnitudes)` for every frame of `samples`, in order. Magnitudes are
    /// |X[k]|, unscaled.
    pub fn for_each_frame(&mut self, samples: &[f32], each: impl FnMut(usize, &[f32])) {
        self.for_each_frame_led(samples, 0, each);
    }

    /// As [`for_each_frame`](Self::for_each_frame), with `lead` zeros before the signal: frame
    /// `i` starts at sample `i·hop − lead`, so a sound at sample 0 rises into view like any other.
    pub fn for_each_frame_led(&mut self, samples: &[f32], lead: usize, mut each: impl FnMut(usize, &[f32])) {
        let size = self.window.len();
        for frame in 0..self.frame_count(samples.len() + lead) {
            let start = frame * self.hop;
            // Window positions [skip, size) hold samples[from .. from + taken].
            let skip = lead.saturating_sub(start).min(size);
            let from = start.saturating_sub(lead);
            let taken = samples.len().saturating_sub(from).min(size - skip);
            let input = self.fft.input_mut();
            input[..skip].fill(0.0);
            for ((slot, &x), &w) in input[skip..].iter_mut().zip(&samples[from..from + taken]).zip(&self.window[skip..])
            {
                *slot = x * w;
            }
            input[skip + taken..].fill(0.0);
            let bins = self.fft.transform();
            for (m, c) in self.magnitudes.iter_mut().zip(bins) {
                *m = c.norm();
            }
            each(frame, &self.magnitudes);
        }
    }
}

/// Magnitudes in decibels over time: `frames × bins`, row by row.
#[derive(Clone, Debug, PartialEq)]
pub struct Spectrogram {
    pub sample_rate: f64,
    pub size: usize,
    pub hop: usize,
    pub bins: usize,
    pub frames: usize,
    /// dBFS of a sine whose peak fills the bin (so a full-scale sine reads near 0 dB).
    pub decibels: Vec<f32>,
}

impl Spectrogram {
    /// Seconds at the centre of `frame`.
    pub fn time(&self, frame: usize) -> f64 {
        (frame * self.hop + self.size / 2) as f64 / self.sample_rate
    }

    /// Hertz at the centre of `bin`.
    pub fn frequency(&self, bin: usize) -> f64 {
        bin as f64 * self.sample_rate / self.size as f64
    }

    /// The frame `frame`'s row.
    pub fn row(&self, frame: usize) -> &[f32] {
        &self.decibels[frame * self.bins..(frame + 1) * self.bins]
    }
}

/// The Hann spectrogram of `samples`; `None` when `size`/`hop` make no transform.
pub fn spectrogram(samples: &[f32], sample_rate: f64, size: usize, hop: usize) -> Option<Spectrogram> {
    let mut stft = Stft::new(size, hop, Window::Hann)?;
    let frames = stft.frame_count(samples.len());
    let bins = stft.bins();
    // A sine of amplitude A gives |X| = A·Σw/2 at its bin; Σw = size/2 for Hann.
    let scale = 4.0 / size as f32;
    let mut decibels = Vec::with_capacity(frames * bins);
    stft.for_each_frame(samples, |_, magnitudes| {
        decibels.extend(magnitudes.iter().map(|m| 20.0 * (m * scale).max(1e-10).log10()));
    });
    Some(Spectrogram { sample_rate, size, hop, bins, frames, decibels })
}

/// One channel from several: their mean, frame by frame.
pub fn mono(channels: &[Vec<f32>]) -> Vec<f32> {
    match channels {
        [] => Vec::new(),
        [only] => only.clone(),
        _ => {
            let len = channels.iter().map(Vec::len).min().unwrap_or(0);
            let scale = 1.0 / channels.len() as f32;
            (0..len).map(|i| channels.iter().map(|c| c[i]).sum::<f32>() * scale).collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_scale_sine_reads_near_zero_db_at_its_bin_and_its_time() {
        let rate = 48_000.0;
        let bin = 64;
        let size = 1024;
        let freq = bin as f64 * rate / size as f64;
        let samples: Vec<f32> =
            (0..rate as usize / 4).map(|i| (core::f64::consts::TAU * freq * i as f64 / rate).sin() as f32).collect();
        let s = spectrogram(&samples, rate, size, 256).unwrap();
        assert_eq!(s.frames, samples.len().div_ceil(256));
        assert_eq!(s.frequency(bin), freq);
        let middle = s.row(s.frames / 2);
        assert!(middle[bin].abs() < 0.01, "{}", middle[bin]);
        assert!(middle[bin + 8] < -60.0, "{}", middle[bin + 8]);
        assert!((s.time(10) - (10.0 * 256.0 + 512.0) / rate).abs() < 1e-12);
    }

    #[test]
    fn frames_past_the_end_are_padded_with_zeros_not_read_out_of_bounds() {
        let mut stft = Stft::new(8, 4, Window::Hann).unwrap();
        let mut seen = Vec::new();
        stft.for_each_frame(&[1.0; 10], |frame, m| seen.push((frame, m[0])));
        assert_eq!(seen.len(), 3);
        // Hann over [1,1,1,1,1,1,1,1] sums to 4; the last frame holds two ones at window 0 and 1/8.
        assert!((seen[0].1 - 4.0).abs() < 1e-5);
        assert!((seen[2].1 - (0.0 + 0.146_446_6)).abs() < 1e-5, "{:?}", seen[2]);
    }

    #[test]
    fn mono_is_the_mean_of_the_channels() {
        assert_eq!(mono(&[vec![1.0, 0.0], vec![0.0, -1.0]]), vec![0.5, -0.5]);
        assert!(mono(&[]).is_empty());
        assert!(Stft::new(8, 0, Window::Hann).is_none());
    }
}
