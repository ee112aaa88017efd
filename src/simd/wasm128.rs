//! Render thread: SIMD128 lanes for wasm32 (`core::arch::wasm32`).

use super::Lanes;
use core::arch::wasm32::{
    f32x4, f32x4_add, f32x4_demote_f64x2_zero, f32x4_extract_lane, f32x4_mul, f32x4_splat, f32x4_sub, f64x2, f64x2_add,
    f64x2_mul, f64x2_promote_low_f32x4, f64x2_splat, f64x2_sub, v128, v128_load, v128_store,
};

/// Four f32 lanes in one wasm `v128`.
#[derive(Clone, Copy, Debug)]
pub struct Simd128(v128);

impl Lanes for Simd128 {
    #[inline(always)]
    fn splat(value: f32) -> Self {
        Simd128(f32x4_splat(value))
    }
    #[inline(always)]
    fn load(src: &[f32]) -> Self {
        let four = &src[..4];
        // SAFETY: `four` is 16 readable bytes; wasm loads need no alignment.
        Simd128(unsafe { v128_load(four.as_ptr().cast()) })
    }
    #[inline(always)]
    fn store(self, dst: &mut [f32]) {
        let four = &mut dst[..4];
        // SAFETY: `four` is 16 writable bytes; wasm stores need no alignment.
        unsafe { v128_store(four.as_mut_ptr().cast(), self.0) }
    }
    #[inline(always)]
    fn from_array(values: [f32; 4]) -> Self {
        Self::load(&values)
    }
    #[inline(always)]
    fn to_array(self) -> [f32; 4] {
        let mut out = [0.0; 4];
        self.store(&mut out);
        out
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        Simd128(f32x4_add(self.0, o.0))
    }
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        Simd128(f32x4_sub(self.0, o.0))
    }
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        Simd128(f32x4_mul(self.0, o.0))
    }
}

/// Two f64 lanes in one wasm `v128`.
#[derive(Clone, Copy, Debug)]
pub struct Simd128x2(v128);

impl super::Lanes64 for Simd128x2 {
    #[inline(always)]
    fn splat(value: f64) -> Self {
        Simd128x2(f64x2_splat(value))
    }
    #[inline(always)]
    fn from_pair(values: [f64; 2]) -> Self {
        Simd128x2(f64x2(values[0], values[1]))
    }
    #[inline(always)]
    fn from_f32(values: [f32; 2]) -> Self {
        Simd128x2(f64x2_promote_low_f32x4(f32x4(values[0], values[1], 0.0, 0.0)))
    }
    #[inline(always)]
    fn to_f32(self) -> [f32; 2] {
        let narrow = f32x4_demote_f64x2_zero(self.0);
        [f32x4_extract_lane::<0>(narrow), f32x4_extract_lane::<1>(narrow)]
    }
    #[inline(always)]
    fn round_to_f32(self) -> Self {
        Simd128x2(f64x2_promote_low_f32x4(f32x4_demote_f64x2_zero(self.0)))
    }
    #[inline(always)]
    fn narrow(self) -> (Self, [f32; 2]) {
        let narrow = f32x4_demote_f64x2_zero(self.0);
        (Simd128x2(f64x2_promote_low_f32x4(narrow)), [f32x4_extract_lane::<0>(narrow), f32x4_extract_lane::<1>(narrow)])
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        Simd128x2(f64x2_add(self.0, o.0))
    }
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        Simd128x2(f64x2_sub(self.0, o.0))
    }
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        Simd128x2(f64x2_mul(self.0, o.0))
    }
}
