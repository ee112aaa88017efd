//! Pure math: band-limited wave tables from Fourier coefficients, as browsers build them for
//! OscillatorNode and PeriodicWave. A wave has a table per pitch range — three ranges an
//! octave — each keeping only the partials that stay below Nyquist across its range; a note
//! reads the two tables around its pitch and crossfades between them, so brightness follows
//! the pitch smoothly and nothing aliases. Built once, off the render path.

use realfft::RealFftPlanner;
use std::sync::{Mutex, OnceLock};

/// Oscillator shapes, in the order the oscillator's `type` setting lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waveform {
    Sine,
    Square,
    Sawtooth,
    Triangle,
}

impl Waveform {
    pub const ALL: [Waveform; 4] = [Waveform::Sine, Waveform::Square, Waveform::Sawtooth, Waveform::Triangle];
    /// Web Audio's names, index for index with [`Waveform::ALL`]; `custom` follows them.
    pub const NAMES: [&'static str; 5] = ["sine", "square", "sawtooth", "triangle", "custom"];

    pub fn from_index(index: u8) -> Option<Self> {
        Self::ALL.get(usize::from(index)).copied()
    }

    /// Web Audio's sine coefficient of harmonic `k` (these shapes have no cosine terms).
    pub fn harmonic(self, k: usize) -> f64 {
        use core::f64::consts::PI;
        let kf = k as f64;
        match self {
            Waveform::Sine => f64::from(u8::from(k == 1)),
            Waveform::Square if k % 2 == 1 => 4.0 / (kf * PI),
            Waveform::Square => 0.0,
            Waveform::Sawtooth => {
                let sign = if k % 2 == 1 { 1.0 } else { -1.0 };
                sign * 2.0 / (kf * PI)
            }
            Waveform::Triangle => 8.0 * (kf * PI / 2.0).sin() / (kf * PI).powi(2),
        }
    }
}

/// Pitch ranges per octave.
const RANGES_PER_OCTAVE: f32 = 3.0;

/// A wave's band-limited tables.
#[derive(Clone, Debug, PartialEq)]
pub struct PeriodicWave {
    size: usize,
    ranges: usize,
    /// `ranges × size` samples, range 0 (every partial) first.
    bands: Vec<f32>,
    /// The fundamental whose partials exactly fill the table: `sample_rate / size`.
    lowest_frequency: f32,
}

impl PeriodicWave {
    /// Table length browsers use at `sample_rate`.
    pub fn size_for(sample_rate: f32) -> usize {
        if sample_rate <= 24_000.0 {
            2048
        } else if sample_rate <= 88_200.0 {
            4096
        } else {
            16_384
        }
    }

    /// Partials range `range` keeps, of `max` (half the table).
    fn partials_in_range(range: usize, max: usize) -> usize {
        let cents = range as f32 * (1200.0 / RANGES_PER_OCTAVE);
        ((-cents / 1200.0).exp2() * max as f32) as usize
    }

    /// Tables for `x(t) = Σ real[k]·cos(2πkt) + imag[k]·sin(2πkt)` (`[0]` is ignored), scaled
    /// so the fullest table peaks at 1 when `normalize` is set. Allocates and runs one inverse
    /// FFT per range: control side only.
    pub fn from_coefficients(real: &[f32], imag: &[f32], sample_rate: f32, normalize: bool) -> Self {
        let size = Self::size_for(sample_rate);
        let half = size / 2;
        let ranges = (RANGES_PER_OCTAVE * (size as f32).log2()).round() as usize;
        let given = real.len().min(imag.len());
        let inverse = RealFftPlanner::<f64>::new().plan_fft_inverse(size);
        let mut spectrum = inverse.make_input_vec();
        let mut table = inverse.make_output_vec();
        let mut bands = Vec::with_capacity(ranges * size);
        for range in 0..ranges {
            let partials = Self::partials_in_range(range, half).min(given.saturating_sub(1));
            for (k, bin) in spectrum.iter_mut().enumerate() {
                // x[n] = Σ Re(X_k e^{iθ})·2 for this real inverse: X_k = (a_k − i·b_k) / 2.
                *bin = if (1..=partials).contains(&k) && k < half {
                    realfft::num_complex::Complex::new(f64::from(real[k]) / 2.0, -f64::from(imag[k]) / 2.0)
                } else {
                    realfft::num_complex::Complex::new(0.0, 0.0)
                };
            }
            inverse.process(&mut spectrum, &mut table).expect("buffers are sized by the plan");
            bands.extend(table.iter().map(|&v| v as f32));
        }
        if normalize {
            let peak = bands[..size].iter().fold(0f32, |m, v| m.max(v.abs()));
            if peak > 0.0 {
                for v in &mut bands {
                    *v /= peak;
                }
            }
        }
        Self { size, ranges, bands, lowest_frequency: sample_rate / size as f32 }
    }

    /// The built-in shape's tables at `sample_rate`, made once per rate and kept.
    pub fn builtin(waveform: Waveform, sample_rate: f32) -> &'static PeriodicWave {
        type Cache = Mutex<Vec<(Waveform, u32, &'static PeriodicWave)>>;
        static CACHE: OnceLock<Cache> = OnceLock::new();
        let cache = CACHE.get_or_init(|| Mutex::new(Vec::new()));
        let mut cache = cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(&(_, _, wave)) = cache.iter().find(|(w, sr, _)| *w == waveform && *sr == sample_rate.to_bits()) {
            return wave;
        }
        let half = Self::size_for(sample_rate) / 2;
        let imag: Vec<f32> = (0..=half).map(|k| waveform.harmonic(k) as f32).collect();
        let real = vec![0.0; imag.len()];
        let wave: &'static PeriodicWave = Box::leak(Box::new(Self::from_coefficients(&real, &imag, sample_rate, true)));
        cache.push((waveform, sample_rate.to_bits(), wave));
        wave
    }

    pub fn size(&self) -> usize {
        self.size
    }

    /// For a fundamental of `frequency` Hz: the table with more partials, the one with fewer,
    /// and how far to crossfade from the first to the second.
    #[inline]
    pub fn tables_for(&self, frequency: f32) -> (&[f32], &[f32], f32) {
        let frequency = frequency.abs();
        let ratio = if frequency > 0.0 { frequency / self.lowest_frequency } else { 0.5 };
        let cents = ratio.log2() * 1200.0;
        // One range up, so partials are dropped just before they would reach Nyquist.
        let range = (1.0 + cents / (1200.0 / RANGES_PER_OCTAVE)).clamp(0.0, (self.ranges - 1) as f32);
        let higher = range as usize;
        let lower = (higher + 1).min(self.ranges - 1);
        let band = |r: usize| &self.bands[r * self.size..(r + 1) * self.size];
        (band(higher), band(lower), range - higher as f32)
    }

    /// The wave as one flat array for the wire: size, then every band.
    pub fn to_wire(&self) -> Vec<f32> {
        let mut out = Vec::with_capacity(1 + self.bands.len());
        out.push(self.size as f32);
        out.extend_from_slice(&self.bands);
        out
    }

    /// Gives the tables' storage back (to be dropped off the render path).
    pub fn into_wire_storage(self) -> Vec<f32> {
        self.bands
    }

    /// A wave back from [`PeriodicWave::to_wire`]; `None` if the array is not one.
    pub fn from_wire(data: Vec<f32>, sample_rate: f32) -> Option<Self> {
        let size = *data.first()? as usize;
        if size != Self::size_for(sample_rate) || !(data.len() - 1).is_multiple_of(size) {
            return None;
        }
        let ranges = (data.len() - 1) / size;
        let mut bands = data;
        bands.remove(0);
        (ranges > 0).then_some(Self { size, ranges, bands, lowest_frequency: sample_rate / size as f32 })
    }
}

/// Reads `table` at `index` (in table frames), interpolating linearly as browsers do.
#[inline]
pub fn read(table: &[f32], index: f64) -> f32 {
    let mask = table.len() - 1;
    let first = (index as usize) & mask;
    let second = (first + 1) & mask;
    let share = index as f32 - first as f32;
    (1.0 - share) * table[first] + share * table[second]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Amplitude of harmonic `k` in one period of `table`.
    fn harmonic_level(table: &[f32], k: usize) -> f64 {
        let n = table.len() as f64;
        let (mut re, mut im) = (0.0, 0.0);
        for (i, &v) in table.iter().enumerate() {
            let w = core::f64::consts::TAU * k as f64 * i as f64 / n;
            re += f64::from(v) * w.cos();
            im += f64::from(v) * w.sin();
        }
        2.0 * re.hypot(im) / n
    }

    #[test]
    fn tables_keep_the_partials_of_their_range_and_no_more() {
        let wave = PeriodicWave::builtin(Waveform::Sawtooth, 48_000.0);
        assert_eq!((wave.size, wave.ranges), (4096, 36));
        // 220 Hz sits in range 13.7: the fuller table has 101 partials, the other 80.
        let (higher, lower, share) = wave.tables_for(220.0);
        assert!((share - 0.69).abs() < 0.01, "{share}");
        assert!(harmonic_level(higher, 101) > 1e-4 && harmonic_level(higher, 102) < 1e-6);
        assert!(harmonic_level(lower, 80) > 1e-4 && harmonic_level(lower, 81) < 1e-6);
        // Normalised: the fullest table peaks at 1, and the partials keep the saw's 1/k law.
        let full = &wave.bands[..4096];
        assert!((full.iter().fold(0f32, |m, v| m.max(v.abs())) - 1.0).abs() < 1e-6);
        let ratio = harmonic_level(full, 3) / harmonic_level(full, 1);
        assert!((ratio - 1.0 / 3.0).abs() < 1e-4, "{ratio}");
    }

    #[test]
    fn no_table_a_note_reads_holds_a_partial_at_or_above_nyquist() {
        let wave = PeriodicWave::builtin(Waveform::Square, 48_000.0);
        for hz in [30.0f32, 220.0, 1000.0, 1699.0, 5000.0, 11_000.0] {
            let (higher, _, _) = wave.tables_for(hz);
            let allowed = (24_000.0 / hz).floor() as usize;
            for k in [allowed + 1, allowed + 2] {
                assert!(harmonic_level(higher, k) < 1e-6, "{hz} Hz: harmonic {k} would alias");
            }
        }
    }

    #[test]
    fn wire_form_round_trips() {
        let wave = PeriodicWave::from_coefficients(&[0.0, 0.5, 0.0], &[0.0, 0.0, 0.25], 48_000.0, false);
        let back = PeriodicWave::from_wire(wave.to_wire(), 48_000.0).unwrap();
        assert_eq!(back, wave);
        assert!(PeriodicWave::from_wire(vec![17.0, 1.0], 48_000.0).is_none());
        let unnormalised = &wave.bands[..4096];
        assert!((unnormalised[0] - 0.5).abs() < 1e-6, "cos term at phase 0: {}", unnormalised[0]);
    }
}
