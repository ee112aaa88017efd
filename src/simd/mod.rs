//! Render thread: audio kernels written once against [`Lanes`], instantiated for SIMD128
//! ([`wasm128::Simd128`], wasm32 only) and for a plain-Rust twin ([`scalar::Scalar4`]) that
//! is always built and serves as the reference the SIMD build is tested against.

use crate::QUANTUM;

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

/// Coefficients of four biquads side by side, normalised so that a0 = 1.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BankCoeffs {
    pub b0: [f32; 4],
    pub b1: [f32; 4],
    pub b2: [f32; 4],
    pub a1: [f32; 4],
    pub a2: [f32; 4],
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

/// Two f64 lanes: the precision the Web Audio biquad needs at low cutoffs.
pub trait Lanes64: Copy {
    fn splat(value: f64) -> Self;
    fn from_pair(values: [f64; 2]) -> Self;
    fn from_f32(values: [f32; 2]) -> Self;
    /// Rounds each lane to f32 (the value that leaves the filter and feeds back).
    fn to_f32(self) -> [f32; 2];
    /// `self` rounded to f32 precision, kept as f64.
    fn round_to_f32(self) -> Self;
    /// [`Self::round_to_f32`] and [`Self::to_f32`] at once, rounding only once.
    fn narrow(self) -> (Self, [f32; 2]);
    fn add(self, other: Self) -> Self;
    fn sub(self, other: Self) -> Self;
    fn mul(self, other: Self) -> Self;
}

/// The f64 lanes the engine renders with.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128", feature = "simd"))]
pub type Native64 = wasm128::Simd128x2;
/// The f64 lanes the engine renders with.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128", feature = "simd")))]
pub type Native64 = scalar::Scalar2;

/// Direct form I history of two biquads (one per lane), in f64.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct DirectFormState {
    pub x1: [f64; 2],
    pub x2: [f64; 2],
    pub y1: [f64; 2],
    pub y2: [f64; 2],
}

impl DirectFormState {
    /// Zeroes history values in the f32 subnormal range; returns whether all history is zero.
    /// History that is NaN or infinite (a bad sample got in) is cleared: the filter starts
    /// afresh rather than output nothing but NaN from then on.
    pub fn flush_denormals(&mut self) -> bool {
        let values = [self.x1, self.x2, self.y1, self.y2];
        if !values.as_flattened().iter().all(|v| v.is_finite()) {
            *self = Self::default();
            return true;
        }
        let tiny = |v: f64| if v.abs() < f64::from(f32::MIN_POSITIVE) { 0.0 } else { v };
        let [x1, x2, y1, y2] = values.map(|pair| pair.map(tiny));
        *self = Self { x1, x2, y1, y2 };
        [x1, x2, y1, y2].as_flattened().iter().all(|&v| v == 0.0)
    }
}

/// Runs two biquads (one per lane, each with its coefficients) over two channels — a stereo
/// pair through one filter, or two filters side by side:
/// direct form I with f64 coefficients and history, each output rounded to f32 before it is
/// stored and fed back — the structure browsers use, so results match theirs closely —
/// summed as `b0·x + b1·x1 + b2·x2 − a2·y2 − a1·y1` in that order: the last output enters
/// last, so only one multiply and one subtraction wait for it (browsers subtract `a1·y1`
/// first; the two orders differ only in f64 rounding, which now and then moves an output
/// by one f32 step).
pub fn biquad_df1<L: Lanes64>(
    [c, d]: [&crate::dsp::biquad::Coefficients; 2],
    state: &mut DirectFormState,
    inputs: [&[f32]; 2],
    outputs: [&mut [f32]; 2],
) {
    let pair = |x: f64, y: f64| L::from_pair([x, y]);
    let (b0, b1, b2, a1, a2) =
        (pair(c.b0, d.b0), pair(c.b1, d.b1), pair(c.b2, d.b2), pair(c.a1, d.a1), pair(c.a2, d.a2));
    // History values are f32-exact (inputs and rounded outputs), so this load is exact.
    let load = |v: [f64; 2]| L::from_f32([v[0] as f32, v[1] as f32]);
    let (mut x1, mut x2, mut y1, mut y2) = (load(state.x1), load(state.x2), load(state.y1), load(state.y2));
    let [left_in, right_in] = inputs;
    let [left_out, right_out] = outputs;
    let n = left_in.len().min(right_in.len()).min(left_out.len()).min(right_out.len());
    for i in 0..n {
        let x = L::from_f32([left_in[i], right_in[i]]);
        let y = b0.mul(x).add(b1.mul(x1)).add(b2.mul(x2)).sub(a2.mul(y2)).sub(a1.mul(y1)).round_to_f32();
        [left_out[i], right_out[i]] = y.to_f32();
        x2 = x1;
        x1 = x;
        y2 = y1;
        y1 = y;
    }
    let store = |v: L| v.to_f32().map(f64::from);
    (state.x1, state.x2, state.y1, state.y2) = (store(x1), store(x2), store(y1), store(y2));
}

/// Direct form I history of one mono biquad, in f64 (values f32-exact: inputs and rounded outputs).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct History {
    pub x1: f64,
    pub x2: f64,
    pub y1: f64,
    pub y2: f64,
}

/// How many biquads in series [`biquad_df1_group`] runs at once. One biquad sample is a chain
/// of about 20 cycles of dependent operations; several filters in flight fill the gaps.
/// Measured in Chromium: in series (G1, 256 stages) 502 → 468 ms against two at a time, where
/// three were slower than two (the staggered pipeline runs short of registers).
pub const CHAIN_GROUP: usize = 4;

/// How many biquads side by side [`biquad_df1_side`] runs at once (pairs of them share a
/// register's two lanes). Natively, G2's graph took 112 µs a quantum with eight and 121–132 µs
/// with sixteen, whose history no longer fits in the registers.
pub const SIDE_GROUP: usize = 8;

/// The most steps the engine renders as one group, of either kind.
pub const MAX_GROUP: usize = if CHAIN_GROUP > SIDE_GROUP { CHAIN_GROUP } else { SIDE_GROUP };

/// One sample of one filter: [`biquad_df1_mono`]'s arithmetic exactly.
#[inline(always)]
fn df1_tick(c: &crate::dsp::biquad::Coefficients, h: &mut History, x: f64) -> f64 {
    let y = f64::from((c.b0 * x + c.b1 * h.x1 + c.b2 * h.x2 - c.a2 * h.y2 - c.a1 * h.y1) as f32);
    h.x2 = h.x1;
    h.x1 = x;
    h.y2 = h.y1;
    h.y1 = y;
    y
}

/// `K` mono biquads at once, their dependency chains interleaved, one quantum. Side by side
/// (`chained == false`), filter `k` reads `inputs[k]`; in series (`chained`), filter 0 reads
/// `inputs[0]` and filter `k` reads filter `k − 1`'s output, one sample behind it, so all `K`
/// are in flight at every step. Each filter's arithmetic is [`biquad_df1_mono`]'s, so every
/// output is bit for bit what the filters give one at a time.
pub fn biquad_df1_group<const K: usize>(
    coeffs: &[crate::dsp::biquad::Coefficients; K],
    history: &mut [History; K],
    inputs: &[&[f32; QUANTUM]; K],
    outputs: &mut [&mut [f32; QUANTUM]; K],
    chained: bool,
) {
    // Local copies, so the filters' state lives in registers for the whole quantum.
    let coeffs = *coeffs;
    let mut h = *history;
    if !chained {
        for i in 0..QUANTUM {
            for k in 0..K {
                outputs[k][i] = df1_tick(&coeffs[k], &mut h[k], f64::from(inputs[k][i])) as f32;
            }
        }
        *history = h;
        return;
    }
    let input = inputs[0];
    // Filter k works on sample `step − k`: the first K − 1 steps fill the pipeline…
    for step in 0..K - 1 {
        for k in (0..=step).rev() {
            let i = step - k;
            let x = if k == 0 { f64::from(input[i]) } else { f64::from(outputs[k - 1][i]) };
            outputs[k][i] = df1_tick(&coeffs[k], &mut h[k], x) as f32;
        }
    }
    // …then every filter runs, taking its input from the one before it, still in a register.
    for step in K - 1..QUANTUM {
        let mut before = [0.0; K];
        for k in 1..K {
            before[k] = h[k - 1].y1;
        }
        outputs[0][step] = df1_tick(&coeffs[0], &mut h[0], f64::from(input[step])) as f32;
        for k in 1..K {
            outputs[k][step - k] = df1_tick(&coeffs[k], &mut h[k], before[k]) as f32;
        }
    }
    // …and the last K − 1 steps drain it.
    for step in QUANTUM..QUANTUM + K - 1 {
        for k in step + 1 - QUANTUM..K {
            let i = step - k;
            outputs[k][i] = df1_tick(&coeffs[k], &mut h[k], f64::from(outputs[k - 1][i])) as f32;
        }
    }
    *history = h;
}

/// `K` mono biquads side by side (filter `k` reads `inputs[k]`), two to a register (`P`
/// pairs; with `K` odd the last pair's second lane repeats the last filter and is dropped),
/// in two passes over the quantum. First each pair's feed-forward sum `b0·x + b1·x1 + b2·x2`,
/// which no other sample waits on; then the feedback `− a2·y2 − a1·y1` and the rounding, the
/// only serial chain left, with all `P` pairs in flight at every sample. The operations and
/// their order are [`biquad_df1_mono`]'s, so every output is bit for bit the same.
pub fn biquad_df1_side<L: Lanes64, const K: usize, const P: usize>(
    coeffs: &[crate::dsp::biquad::Coefficients; K],
    history: &mut [History; K],
    inputs: &[&[f32; QUANTUM]; K],
    outputs: &mut [&mut [f32; QUANTUM]; K],
) {
    assert!(K > 0 && 2 * P >= K && 2 * P < K + 2, "{P} pairs cannot hold {K} filters");
    let lanes = |p: usize| [2 * p, (2 * p + 1).min(K - 1)];
    let both = |p: usize, f: &dyn Fn(usize) -> f64| {
        let [a, b] = lanes(p);
        L::from_pair([f(a), f(b)])
    };
    // Zeroed, then filled where it stands: nested `array::from_fn`s built each pair's sums
    // elsewhere and moved them (kilobytes) several times.
    let mut feed = [[L::splat(0.0); QUANTUM]; P];
    for (p, sums) in feed.iter_mut().enumerate() {
        let [a, b] = lanes(p);
        let (b0, b1, b2) = (both(p, &|k| coeffs[k].b0), both(p, &|k| coeffs[k].b1), both(p, &|k| coeffs[k].b2));
        let (mut x1, mut x2) = (both(p, &|k| history[k].x1), both(p, &|k| history[k].x2));
        let (left, right) = (inputs[a], inputs[b]);
        for (i, sum) in sums.iter_mut().enumerate() {
            let x = L::from_f32([left[i], right[i]]);
            *sum = b0.mul(x).add(b1.mul(x1)).add(b2.mul(x2));
            x2 = x1;
            x1 = x;
        }
    }
    for (h, input) in history.iter_mut().zip(inputs) {
        (h.x1, h.x2) = (f64::from(input[QUANTUM - 1]), f64::from(input[QUANTUM - 2]));
    }
    let a1: [L; P] = core::array::from_fn(|p| both(p, &|k| coeffs[k].a1));
    let a2: [L; P] = core::array::from_fn(|p| both(p, &|k| coeffs[k].a2));
    let mut y1: [L; P] = core::array::from_fn(|p| both(p, &|k| history[k].y1));
    // Every output is kept, and `y2` read back from two samples before (long since stored, so
    // the load waits on nothing): with it held in registers too, four pairs' state and
    // coefficients did not fit in x64's sixteen and V8 spilled some inside the chain (G2
    // 3.21× → 3.42×, W2 3.14× → 3.26×, the same outputs to the bit).
    let mut ys = [[L::splat(0.0); QUANTUM + 2]; P];
    for p in 0..P {
        ys[p][0] = both(p, &|k| history[k].y2);
        ys[p][1] = y1[p];
    }
    for i in 0..QUANTUM {
        for p in 0..P {
            let (y, [left, right]) = feed[p][i].sub(a2[p].mul(ys[p][i])).sub(a1[p].mul(y1[p])).narrow();
            outputs[2 * p][i] = left;
            if 2 * p + 1 < K {
                outputs[2 * p + 1][i] = right;
            }
            ys[p][i + 2] = y;
            y1[p] = y;
        }
    }
    for p in 0..P {
        let [a, b] = lanes(p);
        let ([y1a, y1b], [y2a, y2b]) = (y1[p].to_f32(), ys[p][QUANTUM].to_f32());
        (history[a].y1, history[a].y2) = (f64::from(y1a), f64::from(y2a));
        (history[b].y1, history[b].y2) = (f64::from(y1b), f64::from(y2b));
    }
}

/// [`biquad_df1`] for one channel, in lane 0 of `state`: the same arithmetic without a second
/// lane to pack and unpack. A biquad is one long chain of dependent operations, so this is
/// as fast as one filter runs; more speed comes only from running several filters at once.
pub fn biquad_df1_mono(
    c: &crate::dsp::biquad::Coefficients,
    state: &mut DirectFormState,
    input: &[f32],
    output: &mut [f32],
) {
    let (b0, b1, b2, a1, a2) = (c.b0, c.b1, c.b2, c.a1, c.a2);
    let (mut x1, mut x2, mut y1, mut y2) = (state.x1[0], state.x2[0], state.y1[0], state.y2[0]);
    for (x, out) in input.iter().zip(output.iter_mut()) {
        let x = f64::from(*x);
        let y = (b0 * x + b1 * x1 + b2 * x2 - a2 * y2 - a1 * y1) as f32;
        *out = y;
        x2 = x1;
        x1 = x;
        y2 = y1;
        y1 = f64::from(y);
    }
    (state.x1[0], state.x2[0], state.y1[0], state.y2[0]) = (x1, x2, y1, y2);
}

/// Whether any sample is NaN or infinite: `x − x` is 0 for every finite `x` and NaN otherwise,
/// so one lane-wise sum tells. Four sums, so each add waits on one a quarter as often: the
/// destination's whole quantum is scanned every time, and one sum made the scan latency-bound.
pub fn has_non_finite<L: Lanes>(samples: &[f32]) -> bool {
    let split = samples.len() - samples.len() % 16;
    let mut acc = [L::splat(0.0); 4];
    for chunk in samples[..split].chunks_exact(16) {
        for (k, four) in chunk.chunks_exact(4).enumerate() {
            let v = L::load(four);
            acc[k] = acc[k].add(v.sub(v));
        }
    }
    let tail = samples[split..].iter().any(|v| !v.is_finite());
    let sum = acc[0].add(acc[1]).add(acc[2].add(acc[3]));
    tail || sum.to_array().iter().sum::<f32>() != 0.0
}

/// Zeroes samples in the f32 subnormal range: wasm has no flush-to-zero mode, and a decaying
/// filter passes through that range on its way to silence.
pub fn flush_subnormals(samples: &mut [f32]) {
    // A select rather than a branch, so the loop vectorises: each sample is rewritten.
    for v in samples {
        *v = if v.abs() < f32::MIN_POSITIVE { 0.0 } else { *v };
    }
}
