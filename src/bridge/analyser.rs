//! Boundary, main thread: AnalyserNode's arithmetic for the JS client, on windows the worklet's
//! analyser nodes send: spectrum in decibels or bytes, and time-domain bytes; and the plain
//! forward FFT of real signals for apps of their own.

use super::js_error;
use crate::analysis::fft::{RealFft as Plan, MAX_FFT_LENGTH};
use crate::analysis::spectrum::{byte_time_domain_data, Spectrum};
use crate::graph::{EngineError, ErrorCode};
use wasm_bindgen::prelude::*;

/// One analyser's spectrum state (its smoothing carries from one window to the next).
#[wasm_bindgen]
#[derive(Debug)]
pub struct Analyser {
    inner: Spectrum,
}

#[wasm_bindgen]
impl Analyser {
    #[wasm_bindgen(constructor)]
    pub fn new(fft_size: u32) -> Result<Analyser, JsValue> {
        let inner = Spectrum::new(fft_size as usize).ok_or_else(|| {
            js_error(EngineError::new(
                ErrorCode::BadSetting,
                format!("fftSize must be a power of two from 32 to 32768, got {fft_size}"),
            ))
        })?;
        Ok(Analyser { inner })
    }

    pub fn set_smoothing(&mut self, smoothing: f64) {
        self.inner.smoothing = smoothing;
    }

    /// The byte scale's range; refused unless `min < max`, as in Web Audio.
    pub fn set_decibels(&mut self, min: f64, max: f64) -> Result<(), JsValue> {
        if !(min.is_finite() && max.is_finite() && min < max) {
            return Err(js_error(EngineError::new(
                ErrorCode::OutOfRange,
                format!("minDecibels ({min}) must be below maxDecibels ({max})"),
            )));
        }
        self.inner.min_decibels = min;
        self.inner.max_decibels = max;
        Ok(())
    }

    /// Takes a new window (oldest sample first) into the smoothed spectrum.
    pub fn analyse(&mut self, samples: &[f32]) {
        self.inner.analyse(samples);
    }

    pub fn float_frequency_data(&self, out: &mut [f32]) {
        self.inner.float_frequency_data(out);
    }

    pub fn byte_frequency_data(&self, out: &mut [u8]) {
        self.inner.byte_frequency_data(out);
    }

    pub fn byte_time_domain_data(samples: &[f32], out: &mut [u8]) {
        byte_time_domain_data(samples, out);
    }
}

/// A forward FFT of real signals, planned once for one length (`new RealFft(4096)`).
#[wasm_bindgen]
#[derive(Debug)]
pub struct RealFft {
    inner: Plan,
}

#[wasm_bindgen]
impl RealFft {
    /// A transform of `length` samples: any even length from 2 to 2²⁰.
    #[wasm_bindgen(constructor)]
    pub fn new(length: u32) -> Result<RealFft, JsValue> {
        let inner = Plan::new(length as usize).ok_or_else(|| {
            js_error(EngineError::new(
                ErrorCode::BadSetting,
                format!("an FFT length must be even, from 2 to {MAX_FFT_LENGTH}; got {length}"),
            ))
        })?;
        Ok(RealFft { inner })
    }

    #[wasm_bindgen(getter)]
    pub fn length(&self) -> u32 {
        self.inner.len() as u32
    }

    /// Transforms `input` (`length` samples) into `output` (`length + 2` floats: the real and
    /// imaginary parts of bins 0 to `length / 2`, interleaved, unscaled).
    pub fn forward(&mut self, input: &[f32], output: &mut [f32]) -> Result<(), JsValue> {
        let n = self.inner.len();
        if input.len() != n || output.len() != n + 2 {
            return Err(js_error(EngineError::new(
                ErrorCode::BadSetting,
                format!(
                    "an FFT of length {n} takes {n} samples and writes {} floats; got {} and {}",
                    n + 2,
                    input.len(),
                    output.len()
                ),
            )));
        }
        for (pair, bin) in output.chunks_exact_mut(2).zip(self.inner.forward(input)) {
            pair[0] = bin.re;
            pair[1] = bin.im;
        }
        Ok(())
    }
}
