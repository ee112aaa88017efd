//! Biquad design by the Web Audio spec's formulas (the Audio EQ Cookbook with S = 1, and Q
//! in dB for lowpass/highpass), computed in f64.

/// The eight Web Audio biquad types, in the order the biquad node's `type` setting lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterType {
    Lowpass,
    Highpass,
    Bandpass,
    Lowshelf,
    Highshelf,
    Peaking,
    Notch,
    Allpass,
}

impl FilterType {
    pub const ALL: [FilterType; 8] = [
        FilterType::Lowpass,
        FilterType::Highpass,
        FilterType::Bandpass,
        FilterType::Lowshelf,
        FilterType::Highshelf,
        FilterType::Peaking,
        FilterType::Notch,
        FilterType::Allpass,
    ];
    /// Web Audio's names, index for index with [`FilterType::ALL`].
    pub const NAMES: [&'static str; 8] =
        ["lowpass", "highpass", "bandpass", "lowshelf", "highshelf", "peaking", "notch", "allpass"];

    pub fn from_index(index: u8) -> Option<Self> {
        Self::ALL.get(usize::from(index)).copied()
    }

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}
use core::f64::consts::PI;

/// Normalised coefficients (a0 = 1) of `H(z) = (b0 + b1 z⁻¹ + b2 z⁻²) / (1 + a1 z⁻¹ + a2 z⁻²)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Coefficients {
    pub b0: f64,
    pub b1: f64,
    pub b2: f64,
    pub a1: f64,
    pub a2: f64,
}

impl Coefficients {
    /// A plain multiplier: `y = gain · x`.
    pub const fn gain(gain: f64) -> Self {
        Self { b0: gain, b1: 0.0, b2: 0.0, a1: 0.0, a2: 0.0 }
    }

    /// Divides through by a0 as one reciprocal and five products: the rounding browsers get,
    /// which matters at low corners where tiny coefficient differences are amplified.
    fn normalised(b0: f64, b1: f64, b2: f64, a0: f64, a1: f64, a2: f64) -> Self {
        let inv = 1.0 / a0;
        Self { b0: b0 * inv, b1: b1 * inv, b2: b2 * inv, a1: a1 * inv, a2: a2 * inv }
    }

    /// |H| at `frequency` Hz.
    pub fn magnitude_at(&self, frequency: f64, sample_rate: f64) -> f64 {
        let w = 2.0 * PI * frequency / sample_rate;
        let (c1, s1, c2, s2) = (w.cos(), w.sin(), (2.0 * w).cos(), (2.0 * w).sin());
        let num_re = self.b0 + self.b1 * c1 + self.b2 * c2;
        let num_im = -(self.b1 * s1 + self.b2 * s2);
        let den_re = 1.0 + self.a1 * c1 + self.a2 * c2;
        let den_im = -(self.a1 * s1 + self.a2 * s2);
        (num_re.hypot(num_im)) / (den_re.hypot(den_im))
    }
}

/// The filter's settings as its four parameters give them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Design {
    pub kind: FilterType,
    pub frequency: f64,
    pub detune: f64,
    pub q: f64,
    pub gain_db: f64,
}

impl Design {
    /// Coefficients at `sample_rate`. Frequencies at or beyond 0 and Nyquist take the
    /// limits of the formulas (pass, silence or a plain gain), as browsers do.
    pub fn coefficients(&self, sample_rate: f64) -> Coefficients {
        let nyquist = sample_rate / 2.0;
        let f0 = (self.frequency * (self.detune / 1200.0).exp2()).clamp(0.0, nyquist);
        let normalized = f0 / nyquist;
        let a = 10f64.powf(self.gain_db / 40.0);
        let q = self.q;
        let inside = normalized > 0.0 && normalized < 1.0;
        let w0 = PI * normalized;
        let (sin, cos) = w0.sin_cos();
        match self.kind {
            FilterType::Lowpass => {
                if normalized >= 1.0 {
                    return Coefficients::gain(1.0);
                }
                if normalized <= 0.0 {
                    return Coefficients::gain(0.0);
                }
                let alpha = sin / (2.0 * 10f64.powf(q / 20.0));
                let b1 = 1.0 - cos;
                Coefficients::normalised(b1 / 2.0, b1, b1 / 2.0, 1.0 + alpha, -2.0 * cos, 1.0 - alpha)
            }
            FilterType::Highpass => {
                if normalized >= 1.0 {
                    return Coefficients::gain(0.0);
                }
                if normalized <= 0.0 {
                    return Coefficients::gain(1.0);
                }
                let alpha = sin / (2.0 * 10f64.powf(q / 20.0));
                let b1 = -(1.0 + cos);
                Coefficients::normalised(-b1 / 2.0, b1, -b1 / 2.0, 1.0 + alpha, -2.0 * cos, 1.0 - alpha)
            }
            FilterType::Bandpass => {
                if !inside {
                    return Coefficients::gain(0.0);
                }
                if q <= 0.0 {
                    return Coefficients::gain(1.0);
                }
                let alpha = sin / (2.0 * q);
                Coefficients::normalised(alpha, 0.0, -alpha, 1.0 + alpha, -2.0 * cos, 1.0 - alpha)
            }
            FilterType::Lowshelf => {
                if normalized >= 1.0 {
                    return Coefficients::gain(a * a);
                }
                if normalized <= 0.0 {
                    return Coefficients::gain(1.0);
                }
                let k2 = 2.0 * a.sqrt() * (sin / 2.0 * 2f64.sqrt());
                let (ap, am) = (a + 1.0, a - 1.0);
                Coefficients::normalised(
                    a * (ap - am * cos + k2),
                    2.0 * a * (am - ap * cos),
                    a * (ap - am * cos - k2),
                    ap + am * cos + k2,
                    -2.0 * (am + ap * cos),
                    ap + am * cos - k2,
                )
            }
            FilterType::Highshelf => {
                if normalized >= 1.0 {
                    return Coefficients::gain(1.0);
                }
                if normalized <= 0.0 {
                    return Coefficients::gain(a * a);
                }
                let k2 = 2.0 * a.sqrt() * (sin / 2.0 * 2f64.sqrt());
                let (ap, am) = (a + 1.0, a - 1.0);
                Coefficients::normalised(
                    a * (ap + am * cos + k2),
                    -2.0 * a * (am + ap * cos),
                    a * (ap + am * cos - k2),
                    ap - am * cos + k2,
                    2.0 * (am - ap * cos),
                    ap - am * cos - k2,
                )
            }
            FilterType::Peaking => {
                if !inside {
                    return Coefficients::gain(1.0);
                }
                if q <= 0.0 {
                    return Coefficients::gain(a * a);
                }
                let alpha = sin / (2.0 * q);
                Coefficients::normalised(
                    1.0 + alpha * a,
                    -2.0 * cos,
                    1.0 - alpha * a,
                    1.0 + alpha / a,
                    -2.0 * cos,
                    1.0 - alpha / a,
                )
            }
            FilterType::Notch => {
                if !inside {
                    return Coefficients::gain(1.0);
                }
                if q <= 0.0 {
                    return Coefficients::gain(0.0);
                }
                let alpha = sin / (2.0 * q);
                Coefficients::normalised(1.0, -2.0 * cos, 1.0, 1.0 + alpha, -2.0 * cos, 1.0 - alpha)
            }
            FilterType::Allpass => {
                if !inside {
                    return Coefficients::gain(1.0);
                }
                if q <= 0.0 {
                    return Coefficients::gain(-1.0);
                }
                let alpha = sin / (2.0 * q);
                Coefficients::normalised(1.0 - alpha, -2.0 * cos, 1.0 + alpha, 1.0 + alpha, -2.0 * cos, 1.0 - alpha)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn design(kind: FilterType, frequency: f64, q: f64, gain_db: f64) -> Coefficients {
        Design { kind, frequency, detune: 0.0, q, gain_db }.coefficients(48_000.0)
    }

    #[test]
    fn textbook_points_of_each_type() {
        let sr = 48_000.0;
        // Lowpass with Q = 0 dB... resonance 10^(0/20) = 1 → |H(f0)| = 1/(2·α·...) = Q_lin = 1.
        let lp = design(FilterType::Lowpass, 1000.0, 0.0, 0.0);
        assert!((lp.magnitude_at(1000.0, sr) - 1.0).abs() < 1e-9);
        assert!((lp.magnitude_at(0.0, sr) - 1.0).abs() < 1e-12);
        let hp = design(FilterType::Highpass, 1000.0, 6.0, 0.0);
        assert!((hp.magnitude_at(1000.0, sr) - 10f64.powf(6.0 / 20.0)).abs() < 1e-9);
        assert!(hp.magnitude_at(0.0, sr) < 1e-12);
        let bp = design(FilterType::Bandpass, 2000.0, 3.0, 0.0);
        assert!((bp.magnitude_at(2000.0, sr) - 1.0).abs() < 1e-9);
        let notch = design(FilterType::Notch, 2000.0, 3.0, 0.0);
        assert!(notch.magnitude_at(2000.0, sr) < 1e-9);
        let peak = design(FilterType::Peaking, 2000.0, 2.0, 12.0);
        assert!((peak.magnitude_at(2000.0, sr) - 10f64.powf(12.0 / 20.0)).abs() < 1e-9);
        let low = design(FilterType::Lowshelf, 500.0, 1.0, -9.0);
        assert!((low.magnitude_at(0.0, sr) - 10f64.powf(-9.0 / 20.0)).abs() < 1e-9);
        assert!((low.magnitude_at(24_000.0, sr) - 1.0).abs() < 1e-9);
        let high = design(FilterType::Highshelf, 500.0, 1.0, 9.0);
        assert!((high.magnitude_at(24_000.0, sr) - 10f64.powf(9.0 / 20.0)).abs() < 1e-9);
        assert!((high.magnitude_at(0.0, sr) - 1.0).abs() < 1e-9);
        let all = design(FilterType::Allpass, 3000.0, 0.7, 0.0);
        for f in [10.0, 3000.0, 15_000.0] {
            assert!((all.magnitude_at(f, sr) - 1.0).abs() < 1e-9);
        }
    }

    #[test]
    fn detune_moves_the_corner_by_cents() {
        let up = Design { kind: FilterType::Bandpass, frequency: 1000.0, detune: 1200.0, q: 5.0, gain_db: 0.0 };
        let c = up.coefficients(48_000.0);
        assert!((c.magnitude_at(2000.0, 48_000.0) - 1.0).abs() < 1e-9);
    }
}
