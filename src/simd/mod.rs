//! Render thread: audio kernels written once against [`Lanes`], instantiated for SIMD128
//! ([`wasm128::Simd128`], wasm32 only) and for a plain-Rust twin ([`scalar::Scalar4`]) that
//! is always built and serves as the reference the SIMD build is tested against.

pub mod scalar;
#[cfg(target_arch = "wasm32")]
pub mod wasm128;

/// Four f32 lanes and the handful of operations the kernels need.
pub trait Lanes: Copy {
    fn splat(value: f32) -> Self;
    /// Loads the first four values of `src` (panics if it is shorter).
    fn load(src: &[f32]) -> Self;
    /// Stores into the first four values of `dst` (panics if it is shorter).
    fn store(self, dst: &mut [f32]);
    fn from_array(values: [f32; 4]) -> Self;
    fn to_array(self) -> [f32; 4];
    fn add(self, other: Self) -> Self;
    fn sub(self, other: Self) -> Self;
    fn mul(self, other: Self) -> Self;
}

/// The lanes the engine renders with: SIMD128 in a wasm build with the `simd` feature.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128", feature = "simd"))]
pub type Native = wasm128::Simd128;
/// The lanes the engine renders with: the scalar twin where SIMD128 is not available.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128", feature = "simd")))]
pub type Native = scalar::Scalar4;

/// `dst[i] = src[i] * gain`.
pub fn gain_constant<L: Lanes>(dst: &mut [f32], src: &[f32], gain: f32) {
    let n = dst.len().min(src.len());
    let g = L::splat(gain);
    let split = n - n % 4;
    for (d, s) in dst[..split].chunks_exact_mut(4).zip(src[..split].chunks_exact(4)) {
        L::load(s).mul(g).store(d);
    }
    for i in split..n {
        dst[i] = src[i] * gain;
    }
}

/// `dst[i] = src[i] * gain[i]`.
pub fn gain_varying<L: Lanes>(dst: &mut [f32], src: &[f32], gain: &[f32]) {
    let n = dst.len().min(src.len()).min(gain.len());
    let split = n - n % 4;
    for ((d, s), g) in
        dst[..split].chunks_exact_mut(4).zip(src[..split].chunks_exact(4)).zip(gain[..split].chunks_exact(4))
    {
        L::load(s).mul(L::load(g)).store(d);
    }
    for i in split..n {
        dst[i] = src[i] * gain[i];
    }
}

/// `dst[i] += src[i]`.
pub fn mix_accumulate<L: Lanes>(dst: &mut [f32], src: &[f32]) {
    let n = dst.len().min(src.len());
    let split = n - n % 4;
    for (d, s) in dst[..split].chunks_exact_mut(4).zip(src[..split].chunks_exact(4)) {
        L::load(d).add(L::load(s)).store(d);
    }
    for i in split..n {
        dst[i] += src[i];
    }
}

/// `dst[i] += src[i] * gain`.
pub fn mix_accumulate_gain<L: Lanes>(dst: &mut [f32], src: &[f32], gain: f32) {
    let n = dst.len().min(src.len());
    let g = L::splat(gain);
    let split = n - n % 4;
    for (d, s) in dst[..split].chunks_exact_mut(4).zip(src[..split].chunks_exact(4)) {
        L::load(d).add(L::load(s).mul(g)).store(d);
    }
    for i in split..n {
        dst[i] += src[i] * gain;
    }
}

/// Coefficients of four biquads side by side, normalised so that a0 = 1.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BankCoeffs {
    pub b0: [f32; 4],
    pub b1: [f32; 4],
    pub b2: [f32; 4],
    pub a1: [f32; 4],
    pub a2: [f32; 4],
}

impl BankCoeffs {
    /// The same coefficients in every lane.
    pub fn uniform(c: crate::dsp::biquad::Coefficients) -> Self {
        let lane = |v: f64| [v as f32; 4];
        Self { b0: lane(c.b0), b1: lane(c.b1), b2: lane(c.b2), a1: lane(c.a1), a2: lane(c.a2) }
    }
}

/// Transposed direct form II state of four biquads.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BankState {
    pub s1: [f32; 4],
    pub s2: [f32; 4],
}

/// Below this a state value is flushed to zero: wasm has no flush-to-zero mode and
/// subnormal arithmetic is slow.
pub const DENORMAL_FLOOR: f32 = 1e-30;

impl BankState {
    /// Zeroes state values too small to matter; returns whether all state is now zero.
    pub fn flush_denormals(&mut self) -> bool {
        let mut all_zero = true;
        for v in self.s1.iter_mut().chain(self.s2.iter_mut()) {
            if v.abs() < DENORMAL_FLOOR {
                *v = 0.0;
            } else {
                all_zero = false;
            }
        }
        all_zero
    }
}

/// Runs four independent biquads (transposed direct form II) over interleaved frames,
/// in place: lane k of every frame is filter k's signal.
pub fn biquad_bank<L: Lanes>(coeffs: &BankCoeffs, state: &mut BankState, frames: &mut [[f32; 4]]) {
    let (b0, b1, b2) = (L::from_array(coeffs.b0), L::from_array(coeffs.b1), L::from_array(coeffs.b2));
    let (a1, a2) = (L::from_array(coeffs.a1), L::from_array(coeffs.a2));
    let mut s1 = L::from_array(state.s1);
    let mut s2 = L::from_array(state.s2);
    for frame in frames.iter_mut() {
        let x = L::from_array(*frame);
        let y = b0.mul(x).add(s1);
        s1 = b1.mul(x).sub(a1.mul(y)).add(s2);
        s2 = b2.mul(x).sub(a2.mul(y));
        *frame = y.to_array();
    }
    state.s1 = s1.to_array();
    state.s2 = s2.to_array();
}
