//! `wasm-pack test --node`: the SIMD128 kernels against their scalar twins, in the same
//! wasm build, over 10 000 samples of noise.
#![cfg(target_arch = "wasm32")]

use quaver::dsp::biquad::FilterType;
use quaver::dsp::biquad::{Coefficients, Design};
use quaver::simd::scalar::{Scalar2, Scalar4};
use quaver::simd::{
    biquad_bank, biquad_df1, biquad_df1_mono, gain_constant, gain_varying, mix_accumulate, BankCoeffs, BankState,
    DirectFormState, Native, Native64,
};
use wasm_bindgen_test::wasm_bindgen_test;

const N: usize = 10_000;

/// Deterministic noise in [-1, 1) (xorshift32).
fn noise(seed: u32, len: usize) -> Vec<f32> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state as f32 / u32::MAX as f32) * 2.0 - 1.0
        })
        .collect()
}

/// Largest difference relative to the reference's peak.
fn relative_error(simd: &[f32], scalar: &[f32]) -> f32 {
    let peak = scalar.iter().fold(0f32, |m, v| m.max(v.abs()));
    simd.iter().zip(scalar).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max) / peak
}

#[wasm_bindgen_test]
fn this_build_really_uses_simd128() {
    assert!(std::any::type_name::<Native>().ends_with("Simd128"), "{}", std::any::type_name::<Native>());
    assert!(std::any::type_name::<Native64>().ends_with("Simd128x2"), "{}", std::any::type_name::<Native64>());
}

#[wasm_bindgen_test]
fn gain_kernels_agree() {
    let src = noise(1, N);
    let gains = noise(2, N);
    let (mut a, mut b) = (vec![0.0; N], vec![0.0; N]);
    gain_constant::<Native>(&mut a, &src, 0.7);
    gain_constant::<Scalar4>(&mut b, &src, 0.7);
    assert!(relative_error(&a, &b) <= 1e-6);
    gain_varying::<Native>(&mut a, &src, &gains);
    gain_varying::<Scalar4>(&mut b, &src, &gains);
    assert!(relative_error(&a, &b) <= 1e-6);
    assert!(a.iter().any(|v| v.abs() > 0.1), "kernels produced signal");
}

#[wasm_bindgen_test]
fn mix_kernels_agree() {
    let src = noise(3, N);
    let (mut a, mut b) = (noise(4, N), noise(4, N));
    mix_accumulate::<Native>(&mut a, &src);
    mix_accumulate::<Scalar4>(&mut b, &src);
    assert!(relative_error(&a, &b) <= 1e-6);
}

#[wasm_bindgen_test]
fn biquad_bank_agrees() {
    // Four different filters across the lanes, each fed its own noise.
    let designs = [
        Design { kind: FilterType::Lowpass, frequency: 800.0, detune: 0.0, q: 6.0, gain_db: 0.0 },
        Design { kind: FilterType::Highpass, frequency: 3000.0, detune: 0.0, q: 0.0, gain_db: 0.0 },
        Design { kind: FilterType::Peaking, frequency: 1200.0, detune: 0.0, q: 4.0, gain_db: 9.0 },
        Design { kind: FilterType::Notch, frequency: 60.0, detune: 0.0, q: 2.0, gain_db: 0.0 },
    ];
    let mut coeffs = BankCoeffs::default();
    for (lane, d) in designs.iter().enumerate() {
        let c = d.coefficients(48_000.0);
        coeffs.b0[lane] = c.b0 as f32;
        coeffs.b1[lane] = c.b1 as f32;
        coeffs.b2[lane] = c.b2 as f32;
        coeffs.a1[lane] = c.a1 as f32;
        coeffs.a2[lane] = c.a2 as f32;
    }
    let inputs: Vec<Vec<f32>> = (0..4).map(|lane| noise(10 + lane, N)).collect();
    let mut frames_simd: Vec<[f32; 4]> =
        (0..N).map(|i| [inputs[0][i], inputs[1][i], inputs[2][i], inputs[3][i]]).collect();
    let mut frames_scalar = frames_simd.clone();
    let (mut state_simd, mut state_scalar) = (BankState::default(), BankState::default());
    // In quantum-sized blocks, as the engine calls it.
    for (s, r) in frames_simd.chunks_mut(128).zip(frames_scalar.chunks_mut(128)) {
        biquad_bank::<Native>(&coeffs, &mut state_simd, s);
        biquad_bank::<Scalar4>(&coeffs, &mut state_scalar, r);
    }
    for lane in 0..4 {
        let a: Vec<f32> = frames_simd.iter().map(|f| f[lane]).collect();
        let b: Vec<f32> = frames_scalar.iter().map(|f| f[lane]).collect();
        let err = relative_error(&a, &b);
        assert!(err <= 1e-5, "lane {lane}: relative error {err}");
        assert!(b.iter().any(|v| v.abs() > 0.05), "lane {lane} produced signal");
    }
}

#[wasm_bindgen_test]
fn f64_direct_form_biquad_agrees() {
    // The Web Audio node's kernels: a 30 Hz highpass (where f32 state would drift) on stereo
    // noise, two-lane SIMD against its scalar twin, and the mono kernel against lane 0.
    let c = Design { kind: FilterType::Highpass, frequency: 30.0, detune: 0.0, q: 6.0, gain_db: 0.0 }
        .coefficients(48_000.0);
    let (left, right) = (noise(20, N), noise(21, N));
    let mut simd = [vec![0.0; N], vec![0.0; N]];
    let mut scalar = [vec![0.0; N], vec![0.0; N]];
    let mut mono = vec![0.0; N];
    let (mut s_simd, mut s_scalar, mut s_mono) =
        (DirectFormState::default(), DirectFormState::default(), DirectFormState::default());
    for start in (0..N).step_by(128) {
        let r = start..(start + 128).min(N);
        let inputs = [&left[r.clone()], &right[r.clone()]];
        let [a, b] = &mut simd;
        biquad_df1::<Native64>([&c, &c], &mut s_simd, inputs, [&mut a[r.clone()], &mut b[r.clone()]]);
        let [a, b] = &mut scalar;
        biquad_df1::<Scalar2>([&c, &c], &mut s_scalar, inputs, [&mut a[r.clone()], &mut b[r.clone()]]);
        biquad_df1_mono(&c, &mut s_mono, &left[r.clone()], &mut mono[r]);
    }
    for lane in 0..2 {
        let err = relative_error(&simd[lane], &scalar[lane]);
        assert!(err <= 1e-5, "lane {lane}: relative error {err}");
        assert!(scalar[lane].iter().any(|v| v.abs() > 0.05), "lane {lane} produced signal");
    }
    assert_eq!(mono, scalar[0], "the mono kernel is lane 0 of the two-lane one");
}

#[wasm_bindgen_test]
fn non_finite_detection_agrees() {
    let mut samples = noise(7, N);
    assert!(!quaver::simd::has_non_finite::<Native>(&samples));
    assert!(!quaver::simd::has_non_finite::<Scalar4>(&samples));
    // One bad sample in each of the four sums in turn (0, 4101, 10, 15), then the last.
    for (at, bad) in
        [(0, f32::NAN), (4101, f32::INFINITY), (10, f32::NAN), (15, f32::NEG_INFINITY), (N - 1, f32::NEG_INFINITY)]
    {
        let keep = samples[at];
        samples[at] = bad;
        assert!(quaver::simd::has_non_finite::<Native>(&samples), "SIMD misses {bad} at {at}");
        assert!(quaver::simd::has_non_finite::<Scalar4>(&samples), "scalar misses {bad} at {at}");
        samples[at] = keep;
    }
    // A length that leaves a tail past the last block of sixteen, the bad sample in the tail.
    let short = &mut samples[..N - 3];
    short[N - 5] = f32::NAN;
    assert!(quaver::simd::has_non_finite::<Native>(short), "SIMD misses NaN in the tail");
    assert!(quaver::simd::has_non_finite::<Scalar4>(short), "scalar misses NaN in the tail");
}

#[wasm_bindgen_test]
fn two_different_filters_in_the_two_lanes_equal_each_filter_alone_bit_for_bit() {
    let lowpass = Design { kind: FilterType::Lowpass, frequency: 900.0, detune: 0.0, q: 3.0, gain_db: 0.0 }
        .coefficients(48_000.0);
    let peaking = Design { kind: FilterType::Peaking, frequency: 2500.0, detune: 0.0, q: 1.5, gain_db: 8.0 }
        .coefficients(48_000.0);
    let (left, right) = (noise(11, N), noise(12, N));
    let (mut a, mut b) = (vec![0.0; N], vec![0.0; N]);
    let mut pair = DirectFormState::default();
    for r in (0..N).step_by(128).map(|s| s..(s + 128).min(N)) {
        biquad_df1::<Native64>(
            [&lowpass, &peaking],
            &mut pair,
            [&left[r.clone()], &right[r.clone()]],
            [&mut a[r.clone()], &mut b[r]],
        );
    }
    let (mut alone_a, mut alone_b) = (vec![0.0; N], vec![0.0; N]);
    let (mut sa, mut sb) = (DirectFormState::default(), DirectFormState::default());
    biquad_df1_mono(&lowpass, &mut sa, &left, &mut alone_a);
    biquad_df1_mono(&peaking, &mut sb, &right, &mut alone_b);
    assert_eq!(a, alone_a);
    assert_eq!(b, alone_b);
    assert!(a.iter().any(|v| v.abs() > 0.05));
}

/// Runs `K` filters through [`biquad_df1_group`] quantum by quantum, side by side or in series.
fn grouped<const K: usize>(coeffs: &[Coefficients; K], inputs: &[Vec<f32>], chained: bool) -> Vec<Vec<f32>> {
    use quaver::simd::{biquad_df1_group, History};
    let mut history = [History::default(); K];
    let frames = N / 128 * 128;
    let mut outputs = vec![vec![0.0; frames]; K];
    let mut lane_in = [[0.0f32; 128]; K];
    let mut lane_out = [[0.0f32; 128]; K];
    for start in (0..frames).step_by(128) {
        for (k, lane) in lane_in.iter_mut().enumerate() {
            lane.copy_from_slice(&inputs[if chained { 0 } else { k }][start..start + 128]);
        }
        let ins: [&[f32; 128]; K] = core::array::from_fn(|k| &lane_in[k]);
        let mut it = lane_out.iter_mut();
        let mut outs: [&mut [f32; 128]; K] = core::array::from_fn(|_| it.next().unwrap());
        biquad_df1_group::<K>(coeffs, &mut history, &ins, &mut outs, chained);
        for (k, out) in outputs.iter_mut().enumerate() {
            out[start..start + 128].copy_from_slice(&lane_out[k]);
        }
    }
    outputs
}

fn group_matches_filters_one_at_a_time<const K: usize>() {
    let kinds = [FilterType::Lowpass, FilterType::Highshelf, FilterType::Peaking, FilterType::Bandpass];
    let coeffs: [Coefficients; K] = core::array::from_fn(|k| {
        Design { kind: kinds[k], frequency: 700.0 + 900.0 * k as f64, detune: 0.0, q: 1.5, gain_db: -4.0 }
            .coefficients(48_000.0)
    });
    let frames = N / 128 * 128;
    let inputs: Vec<Vec<f32>> = (0..K).map(|k| noise(30 + k as u32, frames)).collect();
    for chained in [false, true] {
        let got = grouped::<K>(&coeffs, &inputs, chained);
        let mut previous: Option<Vec<f32>> = None;
        for (k, c) in coeffs.iter().enumerate() {
            let input = if chained { previous.clone().unwrap_or_else(|| inputs[0].clone()) } else { inputs[k].clone() };
            let mut alone = vec![0.0; frames];
            biquad_df1_mono(c, &mut DirectFormState::default(), &input, &mut alone);
            assert_eq!(got[k], alone, "{K} filters, chained {chained}: filter {k} differs from running alone");
            assert!(alone.iter().any(|v| v.abs() > 0.01));
            previous = Some(alone);
        }
    }
}

#[wasm_bindgen_test]
fn two_three_or_four_filters_at_once_equal_each_alone_bit_for_bit_side_by_side_and_in_series() {
    group_matches_filters_one_at_a_time::<2>();
    group_matches_filters_one_at_a_time::<3>();
    group_matches_filters_one_at_a_time::<4>();
}

/// Runs `K` filters side by side through [`biquad_df1_side`] with lanes `L`, quantum by quantum.
fn side_by_side<L: quaver::simd::Lanes64, const K: usize, const P: usize>(
    coeffs: &[Coefficients; K],
    inputs: &[Vec<f32>],
) -> Vec<Vec<f32>> {
    use quaver::simd::{biquad_df1_side, History};
    let mut history = [History::default(); K];
    let frames = inputs[0].len();
    let mut outputs = vec![vec![0.0; frames]; K];
    let mut lane_in = [[0.0f32; 128]; K];
    let mut lane_out = [[0.0f32; 128]; K];
    for start in (0..frames).step_by(128) {
        for (k, lane) in lane_in.iter_mut().enumerate() {
            lane.copy_from_slice(&inputs[k][start..start + 128]);
        }
        let ins: [&[f32; 128]; K] = core::array::from_fn(|k| &lane_in[k]);
        let mut it = lane_out.iter_mut();
        let mut outs: [&mut [f32; 128]; K] = core::array::from_fn(|_| it.next().unwrap());
        biquad_df1_side::<L, K, P>(coeffs, &mut history, &ins, &mut outs);
        for (k, out) in outputs.iter_mut().enumerate() {
            out[start..start + 128].copy_from_slice(&lane_out[k]);
        }
    }
    outputs
}

fn side_by_side_matches_filters_one_at_a_time<const K: usize, const P: usize>() {
    let kinds = [FilterType::Lowpass, FilterType::Highshelf, FilterType::Peaking, FilterType::Highpass];
    let coeffs: [Coefficients; K] = core::array::from_fn(|k| {
        Design { kind: kinds[k % 4], frequency: 40.0 + 1700.0 * k as f64, detune: 0.0, q: 0.7 + k as f64, gain_db: 5.0 }
            .coefficients(48_000.0)
    });
    let frames = N / 128 * 128;
    // Each filter hears noise, then silence, so the tail rings down through the rounding too.
    let inputs: Vec<Vec<f32>> = (0..K)
        .map(|k| {
            let mut x = noise(50 + k as u32, frames);
            x[frames / 2..].fill(0.0);
            x
        })
        .collect();
    let simd = side_by_side::<Native64, K, P>(&coeffs, &inputs);
    let scalar = side_by_side::<Scalar2, K, P>(&coeffs, &inputs);
    for k in 0..K {
        let mut alone = vec![0.0; frames];
        biquad_df1_mono(&coeffs[k], &mut DirectFormState::default(), &inputs[k], &mut alone);
        assert_eq!(simd[k], alone, "{K} filters side by side: filter {k} differs from running alone");
        assert_eq!(scalar[k], alone, "{K} filters, scalar lanes: filter {k} differs from running alone");
        assert!(alone.iter().any(|v| v.abs() > 0.01), "filter {k} produced signal");
    }
}

#[wasm_bindgen_test]
fn one_to_eight_filters_side_by_side_in_lane_pairs_equal_each_alone_bit_for_bit() {
    side_by_side_matches_filters_one_at_a_time::<1, 1>();
    side_by_side_matches_filters_one_at_a_time::<2, 1>();
    side_by_side_matches_filters_one_at_a_time::<3, 2>();
    side_by_side_matches_filters_one_at_a_time::<4, 2>();
    side_by_side_matches_filters_one_at_a_time::<5, 3>();
    side_by_side_matches_filters_one_at_a_time::<7, 4>();
    side_by_side_matches_filters_one_at_a_time::<8, 4>();
}

#[wasm_bindgen_test]
fn real_fft_on_the_simd128_planner_agrees_with_rustfft_s_scalar_planner() {
    use rustfft::num_complex::Complex;
    for size in [32, 256, 1024, 4096, 32_768] {
        let signal = noise(size as u32, size);
        let mut fft = quaver::analysis::fft::RealFft::new(size).unwrap();
        let bins = fft.forward(&signal).to_vec();
        let mut reference: Vec<Complex<f32>> = signal.iter().map(|&x| Complex::new(x, 0.0)).collect();
        rustfft::FftPlannerScalar::new().plan_fft_forward(size).process(&mut reference);
        let flatten = |c: &[Complex<f32>]| c.iter().flat_map(|z| [z.re, z.im]).collect::<Vec<f32>>();
        let error = relative_error(&flatten(&bins), &flatten(&reference[..=size / 2]));
        assert!(error < 1e-5, "size {size}: relative error {error}");
    }
}

#[wasm_bindgen_test]
fn the_js_real_fft_refuses_bad_lengths_with_a_typed_error_and_interleaves_its_bins() {
    use quaver::bridge::RealFft;
    let code = |e: wasm_bindgen::JsValue| js_sys::Reflect::get(&e, &"code".into()).unwrap().as_string();
    for length in [0, 3, 1001, (1 << 20) + 2] {
        assert_eq!(code(RealFft::new(length).unwrap_err()).as_deref(), Some("BadSetting"), "length {length}");
    }
    let mut fft = RealFft::new(8).unwrap();
    assert_eq!(fft.length(), 8);
    let mut out = vec![0.0; 10];
    assert_eq!(code(fft.forward(&[0.0; 7], &mut out).unwrap_err()).as_deref(), Some("BadSetting"));
    assert_eq!(code(fft.forward(&[0.0; 8], &mut [0.0; 8]).unwrap_err()).as_deref(), Some("BadSetting"));
    // A cosine on bin 1: 4 in bin 1's real part and nothing elsewhere, as Σ x·e^(−iωn) gives.
    let cosine: Vec<f32> = (0..8).map(|n| (core::f32::consts::TAU * n as f32 / 8.0).cos()).collect();
    fft.forward(&cosine, &mut out).unwrap();
    for (i, v) in out.iter().enumerate() {
        let expected = if i == 2 { 4.0 } else { 0.0 };
        assert!((v - expected).abs() < 1e-5, "float {i}: {v}");
    }
}

#[wasm_bindgen_test]
fn describe_offers_every_kind_but_the_parted_bounces_own_ends() {
    let controller = quaver::bridge::Controller::new(48_000.0, 64, 64).unwrap();
    let kinds = js_sys::Array::from(&controller.describe().unwrap());
    let names: Vec<String> =
        kinds.iter().map(|k| js_sys::Reflect::get(&k, &"name".into()).unwrap().as_string().unwrap()).collect();
    for offered in ["destination", "biquad", "audio-clip", "automation"] {
        assert!(names.iter().any(|n| n == offered), "{offered} in {names:?}");
    }
    assert!(!names.iter().any(|n| n.starts_with("part-")), "{names:?}");
    assert_eq!(names.len(), quaver::node::REGISTRY.len() - 2);
}
