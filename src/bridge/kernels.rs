//! Boundary, benchmarks only (feature `kernel-bench`): the kernels alone, quantum after quantum,
//! so benchmark G4 can time the SIMD128 build against the scalar build kernel by kernel rather
//! than through whole renders. Each run answers a checksum of what it computed, which the two
//! builds must agree on (and which keeps the work from being optimised away).

use crate::analysis::fft::RealFft;
use crate::dsp::biquad::{Design, FilterType};
use crate::simd::{
    biquad_bank, biquad_df1_side, gain_constant, mix_accumulate, BankCoeffs, BankState, History, Native, Native64,
};
use crate::QUANTUM;
use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};
use std::sync::Arc;
use wasm_bindgen::prelude::*;

/// Buffers and filter states made once; each method runs one kernel for `quanta` quanta.
#[wasm_bindgen]
#[derive(Debug)]
pub struct KernelBench {
    input: Vec<[f32; QUANTUM]>,
    output: Vec<[f32; QUANTUM]>,
    /// Each bank's signal, filtered in place quantum after quantum.
    frames: [Vec<[f32; 4]>; 2],
    bank: BankCoeffs,
    banks: [BankState; 2],
    side: [crate::dsp::biquad::Coefficients; 8],
    history: [History; 8],
    fft: Option<RealFft>,
    fft_noise: Vec<f32>,
    /// A complex transform straight from rustfft's planner, its input, output and scratch.
    complex: Option<ComplexBench>,
}

struct ComplexBench {
    plan: Arc<dyn Fft<f32>>,
    noise: Vec<Complex<f32>>,
    input: Vec<Complex<f32>>,
    output: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
}

impl core::fmt::Debug for ComplexBench {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ComplexBench").field("len", &self.noise.len()).finish()
    }
}

impl Default for KernelBench {
    fn default() -> Self {
        Self::new()
    }
}

#[wasm_bindgen]
impl KernelBench {
    /// Eight channels of the same seeded noise for every build, and lowpass filters from 300 Hz
    /// up (48 kHz).
    #[wasm_bindgen(constructor)]
    pub fn new() -> KernelBench {
        let mut seed = 0x2545_f491_u32;
        let mut noise = move || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            (seed as f32 / u32::MAX as f32) * 2.0 - 1.0
        };
        let input: Vec<[f32; QUANTUM]> = (0..8).map(|_| core::array::from_fn(|_| noise())).collect();
        let side: [_; 8] = core::array::from_fn(|k| {
            let design = Design {
                kind: FilterType::Lowpass,
                frequency: 300.0 * (k + 1) as f64,
                detune: 0.0,
                q: 1.0,
                gain_db: 0.0,
            };
            design.coefficients(48_000.0)
        });
        // The banks filter their own output again each quantum, so they get no resonant peak
        // (Q −3 dB) that would grow without end.
        let flat: [_; 4] = core::array::from_fn(|k| {
            let design = Design {
                kind: FilterType::Lowpass,
                frequency: 300.0 * (k + 1) as f64,
                detune: 0.0,
                q: -3.0,
                gain_db: 0.0,
            };
            design.coefficients(48_000.0)
        });
        let lane = |f: fn(&crate::dsp::biquad::Coefficients) -> f64| core::array::from_fn(|k| f(&flat[k]) as f32);
        let bank = BankCoeffs {
            b0: lane(|c| c.b0),
            b1: lane(|c| c.b1),
            b2: lane(|c| c.b2),
            a1: lane(|c| c.a1),
            a2: lane(|c| c.a2),
        };
        let frames: Vec<[f32; 4]> = (0..QUANTUM).map(|i| core::array::from_fn(|k| input[k][i])).collect();
        KernelBench {
            output: vec![[0.0; QUANTUM]; 8],
            input,
            frames: [frames.clone(), frames],
            bank,
            banks: [BankState::default(); 2],
            side,
            history: [History::default(); 8],
            fft: None,
            fft_noise: Vec::new(),
            complex: None,
        }
    }

    /// `dst = src · gain` over one channel, `quanta` times (a fader).
    pub fn gain(&mut self, quanta: u32) -> f64 {
        let mut sum = 0.0;
        for q in 0..quanta {
            let gain = 0.5 + (q % 7) as f32 * 0.01;
            gain_constant::<Native>(&mut self.output[0], &self.input[0], gain);
            sum += f64::from(self.output[0][q as usize % QUANTUM]);
        }
        sum
    }

    /// `dst += src` for eight channels into one, `quanta` times (a bus summing its inputs).
    pub fn mix(&mut self, quanta: u32) -> f64 {
        let mut sum = 0.0;
        for q in 0..quanta {
            self.output[0].fill(0.0);
            for channel in &self.input {
                mix_accumulate::<Native>(&mut self.output[0], channel);
            }
            sum += f64::from(self.output[0][q as usize % QUANTUM]);
        }
        sum
    }

    /// Four f32 biquads across the lanes of one register, `quanta` times.
    pub fn bank4(&mut self, quanta: u32) -> f64 {
        self.banks(quanta, 1)
    }

    /// Eight f32 biquads in two registers of four, `quanta` times.
    pub fn bank8(&mut self, quanta: u32) -> f64 {
        self.banks(quanta, 2)
    }

    /// Plans a forward FFT of `size` real samples (even, at most 2²⁰) for
    /// [`KernelBench::fft`]; false for a size it does not take.
    pub fn plan_fft(&mut self, size: usize) -> bool {
        self.fft = RealFft::new(size);
        self.fft_noise = self.input.iter().flatten().copied().cycle().take(size).collect();
        self.fft.is_some()
    }

    /// Plans a forward complex FFT of `size` points with rustfft's own planner (its SIMD128
    /// planner in the SIMD build, its scalar one in the other) for [`KernelBench::complex_fft`].
    pub fn plan_complex_fft(&mut self, size: usize) -> bool {
        if size == 0 || size > crate::analysis::fft::MAX_FFT_LENGTH {
            return false;
        }
        let plan = FftPlanner::<f32>::new().plan_fft_forward(size);
        let samples: Vec<f32> = self.input.iter().flatten().copied().cycle().take(2 * size).collect();
        let noise: Vec<Complex<f32>> = samples.chunks_exact(2).map(|p| Complex::new(p[0], p[1])).collect();
        let zero = Complex::new(0.0, 0.0);
        self.complex = Some(ComplexBench {
            scratch: vec![zero; plan.get_outofplace_scratch_len()],
            input: noise.clone(),
            output: vec![zero; size],
            noise,
            plan,
        });
        true
    }

    /// The planned complex FFT `reps` times over the same noise (copied in first, since rustfft
    /// may use its input as scratch): the transform alone, no real-input wrapper around it.
    /// The checksum is the last transform's magnitudes summed.
    pub fn complex_fft(&mut self, reps: u32) -> f64 {
        let Some(c) = self.complex.as_mut() else { return f64::NAN };
        for _ in 0..reps {
            c.input.copy_from_slice(&c.noise);
            c.plan.process_outofplace_with_scratch(&mut c.input, &mut c.output, &mut c.scratch);
        }
        c.output.iter().map(|v| f64::from(v.norm())).sum()
    }

    /// The planned FFT `reps` times over the same noise, inside wasm: rustfft's planner alone,
    /// with no copy across the boundary. The checksum is the last transform's magnitudes summed.
    pub fn fft(&mut self, reps: u32) -> f64 {
        let Some(fft) = self.fft.as_mut() else { return f64::NAN };
        for _ in 1..reps {
            fft.forward(&self.fft_noise);
        }
        fft.forward(&self.fft_noise).iter().map(|c| f64::from(c.norm())).sum()
    }

    /// The engine's own biquads: eight Web Audio (f64 direct form I) filters side by side,
    /// two to an f64 register, `quanta` times.
    pub fn side8(&mut self, quanta: u32) -> f64 {
        let mut sum = 0.0;
        for q in 0..quanta {
            let (first, rest) = self.output.split_at_mut(1);
            let mut outputs: [&mut [f32; QUANTUM]; 8] = {
                let mut all = core::iter::once(&mut first[0]).chain(rest.iter_mut());
                core::array::from_fn(|_| all.next().expect("eight outputs"))
            };
            let inputs: [&[f32; QUANTUM]; 8] = core::array::from_fn(|k| &self.input[k]);
            biquad_df1_side::<Native64, 8, 4>(&self.side, &mut self.history, &inputs, &mut outputs);
            sum += f64::from(outputs[(q % 8) as usize][q as usize % QUANTUM]);
        }
        sum
    }
}

impl KernelBench {
    fn banks(&mut self, quanta: u32, count: usize) -> f64 {
        let mut sum = 0.0;
        for q in 0..quanta {
            for (state, frames) in self.banks[..count].iter_mut().zip(&mut self.frames) {
                biquad_bank::<Native>(&self.bank, state, frames);
                state.flush_denormals();
            }
            sum += f64::from(self.frames[0][q as usize % QUANTUM][q as usize % 4]);
        }
        sum
    }
}
