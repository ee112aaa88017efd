//! Render thread: SIMD128 lanes for wasm32 (`core::arch::wasm32`).

use super::Lanes;
use core::arch::wasm32::{f32x4_add, f32x4_mul, f32x4_splat, f32x4_sub, v128, v128_load, v128_store};

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
