//! Boundary: the only Rust that uses wasm-bindgen. [`Controller`] runs on the main thread (ids,
//! validation, batches); [`WorkletEngine`] runs inside the AudioWorkletProcessor and owns the
//! audio buffers that `processor.js` reads and writes through pointers. Errors cross as typed
//! records — a JS `Error` with `code`, `node` and `param` — never as text to parse.

mod analyser;
mod analysis;
mod controller;
#[cfg(feature = "kernel-bench")]
mod kernels;
mod session;
mod threads;
mod worklet;

pub use analyser::{Analyser, RealFft};
pub use analysis::{analyze_batch, analyze_clip_js, analyze_decoded, analyze_file, key_of_notes};
pub use controller::Controller;
#[cfg(feature = "kernel-bench")]
pub use kernels::KernelBench;
pub use session::{encode_wav, read_wav, Bounce, Bounces, Session};
#[cfg(feature = "threads")]
pub use threads::init_thread_pool;
pub use threads::thread_count;
pub use worklet::WorkletEngine;

use crate::graph::{EngineConfig, EngineError, ErrorCode};
use wasm_bindgen::prelude::*;

/// A refusal as JS sees it: an `Error` whose `code` is stable, with the node id and the
/// parameter name it concerns where there is one.
#[cold]
fn js_error(e: EngineError) -> JsValue {
    let error = js_sys::Error::new(&e.message);
    let set = |key: &str, value: JsValue| {
        // Setting a property on a fresh Error object cannot fail.
        let _ = js_sys::Reflect::set(&error, &JsValue::from_str(key), &value);
    };
    set("code", JsValue::from_str(e.code.as_str()));
    set("node", e.node.map_or(JsValue::NULL, JsValue::from));
    set("param", e.param.as_deref().map_or(JsValue::NULL, JsValue::from_str));
    error.into()
}

/// Plain JS objects and arrays (not `Map`s) for what the engine describes or reports.
fn to_js<T: serde::Serialize>(value: &T) -> Result<JsValue, JsValue> {
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(JsValue::from)
}

fn config(sample_rate: f32, max_nodes: u32, max_edges: u32) -> Result<EngineConfig, JsValue> {
    if !(sample_rate.is_finite() && (3000.0..=768_000.0).contains(&sample_rate)) {
        return Err(js_error(EngineError::new(
            ErrorCode::OutOfRange,
            format!("sample rate {sample_rate} is outside 3000–768000 Hz"),
        )));
    }
    if !(4..=65_536).contains(&max_nodes) || !(1..=1 << 20).contains(&max_edges) {
        return Err(js_error(EngineError::new(
            ErrorCode::OutOfRange,
            "maxNodes must be 4–65536 and maxEdges 1–1048576",
        )));
    }
    let mut config = EngineConfig::new(sample_rate);
    config.max_nodes = max_nodes as usize;
    config.max_edges = max_edges as usize;
    Ok(config)
}
