//! Render thread: the scalar twin of the SIMD128 lanes, always built; the reference.

use super::Lanes;

/// Four f32 values handled one at a time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scalar4(pub [f32; 4]);

impl Lanes for Scalar4 {
    #[inline(always)]
    fn splat(value: f32) -> Self {
        Scalar4([value; 4])
    }
    #[inline(always)]
    fn load(src: &[f32]) -> Self {
        Scalar4([src[0], src[1], src[2], src[3]])
    }
    #[inline(always)]
    fn store(self, dst: &mut [f32]) {
        dst[..4].copy_from_slice(&self.0);
    }
    #[inline(always)]
    fn from_array(values: [f32; 4]) -> Self {
        Scalar4(values)
    }
    #[inline(always)]
    fn to_array(self) -> [f32; 4] {
        self.0
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        Scalar4([self.0[0] + o.0[0], self.0[1] + o.0[1], self.0[2] + o.0[2], self.0[3] + o.0[3]])
    }
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        Scalar4([self.0[0] - o.0[0], self.0[1] - o.0[1], self.0[2] - o.0[2], self.0[3] - o.0[3]])
    }
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        Scalar4([self.0[0] * o.0[0], self.0[1] * o.0[1], self.0[2] * o.0[2], self.0[3] * o.0[3]])
    }
}

/// Two f64 values handled one at a time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scalar2(pub [f64; 2]);

impl super::Lanes64 for Scalar2 {
    #[inline(always)]
    fn splat(value: f64) -> Self {
        Scalar2([value; 2])
    }
    #[inline(always)]
    fn from_pair(values: [f64; 2]) -> Self {
        Scalar2(values)
    }
    #[inline(always)]
    fn from_f32(values: [f32; 2]) -> Self {
        Scalar2([f64::from(values[0]), f64::from(values[1])])
    }
    #[inline(always)]
    fn to_f32(self) -> [f32; 2] {
        [self.0[0] as f32, self.0[1] as f32]
    }
    #[inline(always)]
    fn round_to_f32(self) -> Self {
        Self::from_f32(self.to_f32())
    }
    #[inline(always)]
    fn narrow(self) -> (Self, [f32; 2]) {
        let narrow = self.to_f32();
        (Self::from_f32(narrow), narrow)
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        Scalar2([self.0[0] + o.0[0], self.0[1] + o.0[1]])
    }
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        Scalar2([self.0[0] - o.0[0], self.0[1] - o.0[1]])
    }
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        Scalar2([self.0[0] * o.0[0], self.0[1] * o.0[1]])
    }
}
