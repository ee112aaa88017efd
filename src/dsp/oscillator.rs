//! Band-limited oscillator tables: Web Audio's Fourier series for square, sawtooth and
//! triangle, summed up to a power-of-two number of harmonics per table, so a note never
//! carries partials above Nyquist. Built once per process, on the control side.

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
    /// Web Audio's names, index for index with [`Waveform::ALL`].
    pub const NAMES: [&'static str; 4] = ["sine", "square", "sawtooth", "triangle"];

    pub fn from_index(index: u8) -> Option<Self> {
        Self::ALL.get(usize::from(index)).copied()
    }
}
use std::sync::OnceLock;

/// Samples per table (one period); a guard sample repeats the first for interpolation.
pub const TABLE_SIZE: usize = 4096;
/// Table `k` holds harmonics `1 ..= 2^k`.
pub const LEVELS: usize = 11;

/// One waveform's tables, from 1 harmonic up to 1024.
#[derive(Debug)]
pub struct WaveTables {
    levels: Vec<Vec<f32>>,
}

/// Web Audio's Fourier sine coefficient of harmonic `k` (no cosine terms for these shapes).
pub fn harmonic(waveform: Waveform, k: usize) -> f64 {
    use core::f64::consts::PI;
    let kf = k as f64;
    match waveform {
        Waveform::Sine => f64::from(u8::from(k == 1)),
        Waveform::Square => {
            if k % 2 == 1 {
                4.0 / (kf * PI)
            } else {
                0.0
            }
        }
        Waveform::Sawtooth => {
            let sign = if k % 2 == 1 { 1.0 } else { -1.0 };
            sign * 2.0 / (kf * PI)
        }
        Waveform::Triangle => 8.0 * (kf * PI / 2.0).sin() / (kf * PI).powi(2),
    }
}

impl WaveTables {
    fn build(waveform: Waveform) -> Self {
        let sine: Vec<f64> =
            (0..TABLE_SIZE).map(|n| (2.0 * core::f64::consts::PI * n as f64 / TABLE_SIZE as f64).sin()).collect();
        let mut acc = vec![0.0f64; TABLE_SIZE];
        let mut raw = Vec::with_capacity(LEVELS);
        let mut done = 0;
        for level in 0..LEVELS {
            let top = 1usize << level;
            for k in done + 1..=top {
                let b = harmonic(waveform, k);
                if b != 0.0 {
                    for (n, v) in acc.iter_mut().enumerate() {
                        *v += b * sine[(k * n) % TABLE_SIZE];
                    }
                }
            }
            done = top;
            raw.push(acc.clone());
        }
        // One scale for every table, from the fullest: the peak of the whole waveform is 1.
        let peak = raw[LEVELS - 1].iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let levels = raw
            .into_iter()
            .map(|t| {
                let mut table: Vec<f32> = t.iter().map(|v| (v / peak) as f32).collect();
                table.push(table[0]);
                table
            })
            .collect();
        Self { levels }
    }

    /// The table for a fundamental of `frequency` Hz at `sample_rate`: the most harmonics
    /// that stay below Nyquist. `None` when even the fundamental does not.
    pub fn table_for(&self, frequency: f64, sample_rate: f64) -> Option<&[f32]> {
        let allowed = (sample_rate / 2.0 / frequency.abs()).floor();
        if allowed.is_nan() || allowed < 1.0 {
            return None;
        }
        let level = (allowed.log2().floor() as usize).min(LEVELS - 1);
        Some(&self.levels[level])
    }
}

/// Reads a table at `phase` ∈ [0, 1) with linear interpolation.
#[inline]
pub fn read(table: &[f32], phase: f64) -> f32 {
    let position = phase * TABLE_SIZE as f64;
    let index = position as usize;
    let frac = (position - index as f64) as f32;
    let index = index.min(TABLE_SIZE - 1);
    let (a, b) = (table[index], table[index + 1]);
    a + (b - a) * frac
}

/// Builds every waveform's tables now (about 10 ms natively, once per process), so that no
/// later node creation does it on the audio thread.
pub fn prepare_all() {
    for waveform in [Waveform::Square, Waveform::Sawtooth, Waveform::Triangle] {
        tables(waveform);
    }
}

/// The shared tables of a band-limited waveform (not used for sine, which is computed).
pub fn tables(waveform: Waveform) -> &'static WaveTables {
    static SQUARE: OnceLock<WaveTables> = OnceLock::new();
    static SAWTOOTH: OnceLock<WaveTables> = OnceLock::new();
    static TRIANGLE: OnceLock<WaveTables> = OnceLock::new();
    match waveform {
        Waveform::Square => SQUARE.get_or_init(|| WaveTables::build(Waveform::Square)),
        Waveform::Sawtooth | Waveform::Sine => SAWTOOTH.get_or_init(|| WaveTables::build(Waveform::Sawtooth)),
        Waveform::Triangle => TRIANGLE.get_or_init(|| WaveTables::build(Waveform::Triangle)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_hold_web_audio_shapes() {
        // Full-band sawtooth rises in a straight line from 0 at phase 0 and peaks at 1
        // (normalised, so the Gibbs overshoot just before phase ½ is the peak).
        let saw = tables(Waveform::Sawtooth).table_for(20.0, 48_000.0).unwrap();
        assert!(read(saw, 0.0).abs() < 1e-3);
        assert!((read(saw, 0.25) / read(saw, 0.125) - 2.0).abs() < 1e-2);
        assert!((saw.iter().fold(0f32, |m, v| m.max(v.abs())) - 1.0).abs() < 1e-6);
        let square = tables(Waveform::Square).table_for(20.0, 48_000.0).unwrap();
        // Plateaus at ±1/1.18 (the overshoot at each edge is the normalised peak).
        let plateau = read(square, 0.25);
        assert!(plateau > 0.8 && plateau < 0.9 && (read(square, 0.75) + plateau).abs() < 1e-3, "{plateau}");
        let tri = tables(Waveform::Triangle).table_for(20.0, 48_000.0).unwrap();
        assert!((read(tri, 0.25) - 1.0).abs() < 1e-3);
        assert!((read(tri, 0.125) - 0.5).abs() < 1e-3);
    }

    #[test]
    fn table_choice_keeps_partials_below_nyquist() {
        let t = tables(Waveform::Square);
        assert!(t.table_for(30_000.0, 48_000.0).is_none());
        // 5 kHz at 48 kHz allows 4 harmonics: the table must hold no 5th.
        let table = t.table_for(5_000.0, 48_000.0).unwrap();
        let fifth: f64 = (0..TABLE_SIZE)
            .map(|n| f64::from(table[n]) * (2.0 * core::f64::consts::PI * 5.0 * n as f64 / TABLE_SIZE as f64).sin())
            .sum::<f64>()
            * 2.0
            / TABLE_SIZE as f64;
        assert!(fifth.abs() < 1e-6, "5th harmonic {fifth}");
    }
}
