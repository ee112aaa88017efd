//! Boundary: the only Rust that uses wasm-bindgen. [`Controller`] runs on the main thread
//! (ids, validation, batches); [`WorkletEngine`] runs inside the AudioWorkletProcessor and
//! owns the audio buffers that `processor.js` reads and writes through pointers.
//! Errors reach JS as `Error("Code: message")`; the JS client splits off the code.

use crate::control::{
    self, AutomationEvent, Edge, EngineConfig, EngineError, ErrorCode, FilterType, NodeId, NodeKind, Setting, Waveform,
};
use crate::render::Engine;
use wasm_bindgen::prelude::*;

fn js(e: EngineError) -> JsError {
    JsError::new(&e.to_string())
}

fn config(sample_rate: f32, max_nodes: u32, max_edges: u32) -> Result<EngineConfig, JsError> {
    if !(sample_rate.is_finite() && (3000.0..=768_000.0).contains(&sample_rate)) {
        return Err(js(EngineError::new(
            ErrorCode::OutOfRange,
            format!("sample rate {sample_rate} is outside 3000–768000 Hz"),
        )));
    }
    if !(4..=65_536).contains(&max_nodes) || !(1..=1 << 20).contains(&max_edges) {
        return Err(js(EngineError::new(ErrorCode::OutOfRange, "maxNodes must be 4–65536 and maxEdges 1–1048576")));
    }
    let mut config = EngineConfig::new(sample_rate);
    config.max_nodes = max_nodes as usize;
    config.max_edges = max_edges as usize;
    config.max_pending_commands = config.max_pending_commands.max(config.max_nodes * 2 + config.max_edges);
    Ok(config)
}

/// Main-thread side of an engine: hands out node ids and refuses bad requests at once.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Controller {
    inner: control::Controller,
}

#[wasm_bindgen]
impl Controller {
    #[wasm_bindgen(constructor)]
    pub fn new(sample_rate: f32, max_nodes: u32, max_edges: u32) -> Result<Controller, JsError> {
        Ok(Controller { inner: control::Controller::new(config(sample_rate, max_nodes, max_edges)?) })
    }

    pub fn destination(&self) -> u32 {
        self.inner.destination().to_bits()
    }

    pub fn input(&self) -> u32 {
        self.inner.input().to_bits()
    }

    /// Adds a node of kind `"oscillator"`, `"gain"`, `"biquad"` or `"stereo-panner"`.
    pub fn add_node(&mut self, kind: &str) -> Result<u32, JsError> {
        let kind = NodeKind::from_name(kind).map_err(js)?;
        self.inner.add_node(kind).map(NodeId::to_bits).map_err(js)
    }

    pub fn remove_node(&mut self, id: u32) -> Result<(), JsError> {
        self.inner.remove_node(NodeId::from_bits(id)).map_err(js)
    }

    pub fn connect(&mut self, from: u32, output: u8, to: u32, input: u8) -> Result<(), JsError> {
        self.inner.connect(edge(from, output, to, input)).map_err(js)
    }

    pub fn disconnect(&mut self, from: u32, output: u8, to: u32, input: u8) -> Result<(), JsError> {
        self.inner.disconnect(edge(from, output, to, input)).map_err(js)
    }

    pub fn disconnect_outputs(&mut self, id: u32) -> Result<(), JsError> {
        self.inner.disconnect_outputs(NodeId::from_bits(id)).map_err(js)
    }

    pub fn param_index(&self, id: u32, name: &str) -> Result<u8, JsError> {
        self.inner.param_index(NodeId::from_bits(id), name).map_err(js)
    }

    /// The Web Audio default of parameter `param` of node `id`.
    pub fn param_default(&self, id: u32, param: u8) -> Result<f32, JsError> {
        let kind = self.inner.kind_of(NodeId::from_bits(id)).map_err(js)?;
        kind.params()
            .get(usize::from(param))
            .map(|p| p.default)
            .ok_or_else(|| js(EngineError::new(ErrorCode::BadParam, format!("{kind:?} has no parameter #{param}"))))
    }

    pub fn set_value(&mut self, id: u32, param: u8, value: f32) -> Result<(), JsError> {
        self.inner.set_value(NodeId::from_bits(id), param, value).map_err(js)
    }

    pub fn set_value_at_time(&mut self, id: u32, param: u8, value: f32, time: f64) -> Result<(), JsError> {
        self.automate(id, param, AutomationEvent::SetValueAtTime { value, time })
    }

    pub fn linear_ramp_to_value_at_time(&mut self, id: u32, param: u8, value: f32, time: f64) -> Result<(), JsError> {
        self.automate(id, param, AutomationEvent::LinearRampToValueAtTime { value, time })
    }

    pub fn exponential_ramp_to_value_at_time(
        &mut self,
        id: u32,
        param: u8,
        value: f32,
        time: f64,
    ) -> Result<(), JsError> {
        self.automate(id, param, AutomationEvent::ExponentialRampToValueAtTime { value, time })
    }

    pub fn set_target_at_time(
        &mut self,
        id: u32,
        param: u8,
        target: f32,
        time: f64,
        time_constant: f64,
    ) -> Result<(), JsError> {
        self.automate(id, param, AutomationEvent::SetTargetAtTime { target, time, time_constant })
    }

    pub fn cancel_scheduled_values(&mut self, id: u32, param: u8, time: f64) -> Result<(), JsError> {
        self.automate(id, param, AutomationEvent::CancelScheduledValues { time })
    }

    fn automate(&mut self, id: u32, param: u8, event: AutomationEvent) -> Result<(), JsError> {
        self.inner.automate(NodeId::from_bits(id), param, event).map_err(js)
    }

    pub fn set_waveform(&mut self, id: u32, name: &str) -> Result<(), JsError> {
        let waveform = Waveform::from_name(name).ok_or_else(|| {
            js(EngineError::new(
                ErrorCode::BadSetting,
                format!("unknown oscillator type '{name}' (sine, square, sawtooth, triangle)"),
            ))
        })?;
        self.inner.configure(NodeId::from_bits(id), Setting::Waveform(waveform)).map_err(js)
    }

    pub fn set_filter_type(&mut self, id: u32, name: &str) -> Result<(), JsError> {
        let kind = FilterType::from_name(name)
            .ok_or_else(|| js(EngineError::new(ErrorCode::BadSetting, format!("unknown filter type '{name}'"))))?;
        self.inner.configure(NodeId::from_bits(id), Setting::FilterType(kind)).map_err(js)
    }

    pub fn start(&mut self, id: u32, when: f64) -> Result<(), JsError> {
        self.inner.configure(NodeId::from_bits(id), Setting::Start(when)).map_err(js)
    }

    pub fn stop(&mut self, id: u32, when: f64) -> Result<(), JsError> {
        self.inner.configure(NodeId::from_bits(id), Setting::Stop(when)).map_err(js)
    }

    /// The accepted commands since the last call, encoded for [`WorkletEngine::submit`].
    pub fn take_batch(&mut self) -> Vec<u8> {
        control::encode_batch(&self.inner.take_batch())
    }

    pub fn pending(&self) -> u32 {
        self.inner.pending() as u32
    }

    pub fn node_count(&self) -> u32 {
        self.inner.node_count() as u32
    }

    pub fn edge_count(&self) -> u32 {
        self.inner.edge_count() as u32
    }
}

fn edge(from: u32, output: u8, to: u32, input: u8) -> Edge {
    Edge { from: NodeId::from_bits(from), output, to: NodeId::from_bits(to), input }
}

/// Render side of an engine, living in the AudioWorkletGlobalScope.
#[wasm_bindgen]
#[derive(Debug)]
pub struct WorkletEngine {
    engine: Engine,
    errors_reported: u64,
}

#[wasm_bindgen]
impl WorkletEngine {
    #[wasm_bindgen(constructor)]
    pub fn new(sample_rate: f32, max_nodes: u32, max_edges: u32) -> Result<WorkletEngine, JsError> {
        Ok(WorkletEngine { engine: Engine::new(config(sample_rate, max_nodes, max_edges)?), errors_reported: 0 })
    }

    /// Decodes batch `seq` and queues it for the next quantum. Called from `onmessage`,
    /// between quanta, so it may allocate; it also drops what earlier commands retired.
    pub fn submit(&mut self, seq: u32, bytes: &[u8]) -> Result<(), JsError> {
        self.engine.collect_garbage();
        let commands = control::decode_batch(bytes).map_err(js)?;
        self.engine.enqueue_wire(seq, commands).map_err(js)
    }

    /// Renders the quantum starting at context frame `frame` (AudioWorkletGlobalScope's `currentFrame`).
    pub fn process(&mut self, frame: f64) {
        self.engine.render(frame as u64);
    }

    /// Address of the output: left then right, 128 f32 each.
    pub fn output_ptr(&self) -> usize {
        self.engine.output().as_ptr() as usize
    }

    /// Copies output channel `channel` (0 left, 1 right) of the last quantum into `dst`,
    /// for callers that would rather not keep views on wasm memory.
    pub fn copy_output(&self, channel: usize, dst: &mut [f32]) {
        let samples = self.engine.output().channel(channel);
        let n = dst.len().min(samples.len());
        dst[..n].copy_from_slice(&samples[..n]);
    }

    /// Address of the external input: left then right, 128 f32 each.
    pub fn input_ptr(&mut self) -> usize {
        self.engine.external_input_mut().as_mut_ptr() as usize
    }

    /// How many input channels JS has just written (0: none, the input is silent).
    pub fn set_input_channels(&mut self, channels: u32) {
        let input = self.engine.external_input_mut();
        if channels == 0 {
            input.set_silent(1);
        } else {
            input.set_audible(channels as usize);
        }
    }

    pub fn applied_batch(&self) -> u32 {
        self.engine.applied_batch()
    }

    pub fn error_count(&self) -> f64 {
        self.engine.error_count() as f64
    }

    /// Errors not yet reported, as a JSON array of `{batch, node, code, message}`.
    pub fn take_errors(&mut self) -> String {
        let mut out = String::from("[");
        for (i, e) in self.engine.errors_since(self.errors_reported).enumerate() {
            if i > 0 {
                out.push(',');
            }
            let batch = e.batch.map_or("null".to_string(), |b| b.to_string());
            let node = e.node.map_or("null".to_string(), |n| n.to_bits().to_string());
            out.push_str(&format!(
                r#"{{"batch":{batch},"node":{node},"code":"{}","message":"{}"}}"#,
                e.code.as_str(),
                e.what.replace('\\', "\\\\").replace('"', "\\\"")
            ));
        }
        out.push(']');
        self.errors_reported = self.engine.error_count();
        out
    }

    pub fn node_count(&self) -> u32 {
        self.engine.node_count() as u32
    }
}
