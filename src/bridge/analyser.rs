//! Boundary, main thread: AnalyserNode's arithmetic for the JS client, on windows the worklet's
//! analyser nodes send: spectrum in decibels or bytes, and time-domain bytes.

use super::js_error;
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
