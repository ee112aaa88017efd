//! Boundary, main thread: the controller as JS drives it. Node kinds, parameters and settings
//! are described by [`Controller::describe`], so the JS client keeps no list of its own.

use super::{config, js_error};
use crate::control;
use crate::graph::{AutomationEvent, Edge, EngineError, ErrorCode, NodeId, SequencedNote, SettingValue, PARAM_INPUT};
use wasm_bindgen::prelude::*;

/// About the most bytes one batch carries to the worklet: a long buffer goes in several, so no
/// message handler on the audio thread decodes megabytes at once.
const BATCH_BYTES: usize = 256 * 1024;

/// Main-thread side of an engine: hands out node ids and refuses bad requests at once.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Controller {
    inner: control::Controller,
}

fn edge(from: u32, output: u8, to: u32, input: u8) -> Edge {
    Edge { from: NodeId::from_bits(from), output, to: NodeId::from_bits(to), input }
}

fn param_edge(from: u32, output: u8, to: u32, param: u8) -> Result<Edge, JsValue> {
    let input = PARAM_INPUT
        .checked_add(param)
        .ok_or_else(|| js_error(EngineError::new(ErrorCode::BadParam, format!("no parameter #{param}"))))?;
    Ok(edge(from, output, to, input))
}

impl Controller {
    /// The control side itself, for the session's graph sync.
    pub(super) fn inner_mut(&mut self) -> &mut control::Controller {
        &mut self.inner
    }
}

#[wasm_bindgen]
impl Controller {
    #[wasm_bindgen(constructor)]
    pub fn new(sample_rate: f32, max_nodes: u32, max_edges: u32) -> Result<Controller, JsValue> {
        Ok(Controller { inner: control::Controller::new(config(sample_rate, max_nodes, max_edges)?) })
    }

    /// Every node kind the engine builds: name, factory, ports, channels, parameters (with
    /// `defaultValue`, `minValue`, `maxValue`, `automationRate`), settings, latency and tail.
    pub fn describe(&self) -> Result<JsValue, JsValue> {
        let sample_rate = self.inner.config().sample_rate;
        let kinds: Vec<_> =
            crate::node::REGISTRY.iter().filter(|t| !t.spec.internal).map(|t| t.spec.describe(sample_rate)).collect();
        super::to_js(&kinds)
    }

    pub fn destination(&self) -> u32 {
        self.inner.destination().to_bits()
    }

    pub fn input(&self) -> u32 {
        self.inner.input().to_bits()
    }

    /// The context time as the page sees it; see [`control::Controller::advance_to`].
    pub fn advance_to(&mut self, now: f64) {
        self.inner.advance_to(now);
    }

    /// Adds a node of a kind `describe()` lists, by name (not the hosts' own `internal` kinds).
    pub fn add_node(&mut self, kind: &str) -> Result<u32, JsValue> {
        if crate::node::find(kind).is_some_and(|(_, t)| t.spec.internal) {
            let message = format!("'{kind}' is the engine's own, made only by its hosts");
            return Err(js_error(crate::graph::EngineError::new(crate::graph::ErrorCode::UnknownKind, message)));
        }
        self.inner.add_node(kind).map(NodeId::to_bits).map_err(js_error)
    }

    pub fn remove_node(&mut self, id: u32) -> Result<(), JsValue> {
        self.inner.remove_node(NodeId::from_bits(id)).map_err(js_error)
    }

    pub fn connect(&mut self, from: u32, output: u8, to: u32, input: u8) -> Result<(), JsValue> {
        self.inner.connect(edge(from, output, to, input)).map_err(js_error)
    }

    /// Connects an output into a parameter: audio-rate modulation, summed with its value.
    pub fn connect_param(&mut self, from: u32, output: u8, to: u32, param: u8) -> Result<(), JsValue> {
        self.inner.connect(param_edge(from, output, to, param)?).map_err(js_error)
    }

    pub fn disconnect(&mut self, from: u32, output: u8, to: u32, input: u8) -> Result<(), JsValue> {
        self.inner.disconnect(edge(from, output, to, input)).map_err(js_error)
    }

    pub fn disconnect_param(&mut self, from: u32, output: u8, to: u32, param: u8) -> Result<(), JsValue> {
        self.inner.disconnect(param_edge(from, output, to, param)?).map_err(js_error)
    }

    pub fn disconnect_outputs(&mut self, id: u32) -> Result<(), JsValue> {
        self.inner.disconnect_outputs(NodeId::from_bits(id)).map_err(js_error)
    }

    pub fn set_value(&mut self, id: u32, param: u8, value: f32) -> Result<(), JsValue> {
        self.inner.set_value(NodeId::from_bits(id), param, value).map_err(js_error)
    }

    pub fn set_value_at_time(&mut self, id: u32, param: u8, value: f32, time: f64) -> Result<(), JsValue> {
        self.automate(id, param, AutomationEvent::SetValueAtTime { value, time })
    }

    pub fn linear_ramp_to_value_at_time(&mut self, id: u32, param: u8, value: f32, time: f64) -> Result<(), JsValue> {
        self.automate(id, param, AutomationEvent::LinearRampToValueAtTime { value, time })
    }

    pub fn exponential_ramp_to_value_at_time(
        &mut self,
        id: u32,
        param: u8,
        value: f32,
        time: f64,
    ) -> Result<(), JsValue> {
        self.automate(id, param, AutomationEvent::ExponentialRampToValueAtTime { value, time })
    }

    pub fn set_target_at_time(
        &mut self,
        id: u32,
        param: u8,
        target: f32,
        time: f64,
        time_constant: f64,
    ) -> Result<(), JsValue> {
        self.automate(id, param, AutomationEvent::SetTargetAtTime { target, time, time_constant })
    }

    pub fn set_value_curve_at_time(
        &mut self,
        id: u32,
        param: u8,
        values: Vec<f32>,
        time: f64,
        duration: f64,
    ) -> Result<(), JsValue> {
        self.automate(id, param, AutomationEvent::SetValueCurveAtTime { values, time, duration })
    }

    pub fn cancel_scheduled_values(&mut self, id: u32, param: u8, time: f64) -> Result<(), JsValue> {
        self.automate(id, param, AutomationEvent::CancelScheduledValues { time })
    }

    pub fn cancel_and_hold_at_time(&mut self, id: u32, param: u8, time: f64) -> Result<(), JsValue> {
        self.automate(id, param, AutomationEvent::CancelAndHoldAtTime { time })
    }

    fn automate(&mut self, id: u32, param: u8, event: AutomationEvent) -> Result<(), JsValue> {
        self.inner.automate(NodeId::from_bits(id), param, event).map_err(js_error)
    }

    fn configure(&mut self, id: u32, setting: u8, value: SettingValue) -> Result<(), JsValue> {
        self.inner.configure(NodeId::from_bits(id), setting, value).map_err(js_error)
    }

    /// A choice setting, by the index of the choice in `describe()`'s list.
    pub fn configure_choice(&mut self, id: u32, setting: u8, choice: u8) -> Result<(), JsValue> {
        self.configure(id, setting, SettingValue::Choice(choice))
    }

    pub fn configure_time(&mut self, id: u32, setting: u8, time: f64) -> Result<(), JsValue> {
        self.configure(id, setting, SettingValue::Time(time))
    }

    pub fn configure_number(&mut self, id: u32, setting: u8, value: f64) -> Result<(), JsValue> {
        self.configure(id, setting, SettingValue::Number(value))
    }

    pub fn configure_flag(&mut self, id: u32, setting: u8, on: bool) -> Result<(), JsValue> {
        self.configure(id, setting, SettingValue::Flag(on))
    }

    pub fn configure_curve(&mut self, id: u32, setting: u8, values: Vec<f32>) -> Result<(), JsValue> {
        self.configure(id, setting, SettingValue::Curve(values))
    }

    /// A custom wave from Fourier coefficients; `normalize` scales it to peak at 1.
    pub fn configure_wave(
        &mut self,
        id: u32,
        setting: u8,
        real: Vec<f32>,
        imag: Vec<f32>,
        normalize: bool,
    ) -> Result<(), JsValue> {
        self.configure(id, setting, SettingValue::Wave { real, imag, normalize })
    }

    /// A buffer of samples: `channels` is an array of `Float32Array`s of equal length.
    pub fn configure_samples(
        &mut self,
        id: u32,
        setting: u8,
        sample_rate: f32,
        channels: js_sys::Array,
    ) -> Result<(), JsValue> {
        let channels: Vec<Vec<f32>> = channels.iter().map(|c| js_sys::Float32Array::new(&c).to_vec()).collect();
        self.configure(id, setting, SettingValue::Samples { sample_rate, channels })
    }

    /// Sends a buffer to the worklet once (in pieces, outside the command batches) and answers
    /// its number, for any number of nodes to play with [`Controller::configure_stored`]:
    /// as an `AudioBuffer` is shared by the sources that play it.
    pub fn store_buffer(&mut self, sample_rate: f32, channels: js_sys::Array) -> Result<u32, JsValue> {
        let channels: Vec<Vec<f32>> = channels.iter().map(|c| js_sys::Float32Array::new(&c).to_vec()).collect();
        self.inner.store_buffer(sample_rate, &channels).map_err(js_error)
    }

    /// No new node will be given this buffer; the nodes playing it keep it.
    pub fn release_buffer(&mut self, buffer: u32) -> Result<(), JsValue> {
        self.inner.release_buffer(buffer).map_err(js_error)
    }

    /// A stored buffer ([`Controller::store_buffer`]) for a buffer setting.
    pub fn configure_stored(&mut self, id: u32, setting: u8, buffer: u32) -> Result<(), JsValue> {
        self.configure(id, setting, SettingValue::Stored(buffer))
    }

    /// An instrument's notes on the song timeline: `notes` holds `[start, length, key,
    /// velocity]` per note, start and length in song frames.
    pub fn configure_sequence(&mut self, id: u32, setting: u8, notes: Vec<f64>) -> Result<(), JsValue> {
        if !notes.len().is_multiple_of(4) || notes.iter().any(|v| !(v.is_finite() && *v >= 0.0)) {
            return Err(js_error(EngineError::new(
                ErrorCode::BadSetting,
                "a sequence is [start, length, key, velocity] per note, each a number not below 0",
            )));
        }
        let notes = notes
            .chunks_exact(4)
            .map(|n| SequencedNote {
                start: n[0] as u64,
                length: n[1] as u64,
                key: n[2].min(255.0) as u8,
                velocity: n[3].min(255.0) as u8,
            })
            .collect();
        self.configure(id, setting, SettingValue::Sequence(notes))
    }

    /// Play or stop the song: `frames` is `[at, position, loop_start, loop_end]` — from context
    /// frame `at`, song frame `position` plays, looping `[loop_start, loop_end)` when that is
    /// not empty.
    pub fn configure_transport(
        &mut self,
        id: u32,
        setting: u8,
        playing: bool,
        frames: Vec<f64>,
    ) -> Result<(), JsValue> {
        let &[at, position, loop_start, loop_end] = frames.as_slice() else {
            return Err(js_error(EngineError::new(
                ErrorCode::BadSetting,
                "a transport is [at, position, loopStart, loopEnd]",
            )));
        };
        let frame = |v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(v as u64)
            } else {
                Err(js_error(EngineError::new(ErrorCode::OutOfRange, format!("{v} is not a frame"))))
            }
        };
        let value = SettingValue::Transport {
            at: frame(at)?,
            playing,
            position: frame(position)?,
            loop_start: frame(loop_start)?,
            loop_end: frame(loop_end)?,
        };
        self.configure(id, setting, value)
    }

    /// A note played now (velocity 0 releases it).
    pub fn configure_note(&mut self, id: u32, setting: u8, key: u8, velocity: u8) -> Result<(), JsValue> {
        self.configure(id, setting, SettingValue::Note { key, velocity })
    }

    /// Starts or stops metering a node's output for the page.
    pub fn meter(&mut self, id: u32, on: bool) -> Result<(), JsValue> {
        self.inner.meter(NodeId::from_bits(id), on).map_err(js_error)
    }

    /// The accepted commands since the last call, encoded for [`super::WorkletEngine::submit`].
    pub fn take_batch(&mut self) -> Vec<u8> {
        crate::graph::encode_batch(&self.inner.take(BATCH_BYTES))
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
