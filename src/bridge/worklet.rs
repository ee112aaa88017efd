//! Boundary, audio thread: the engine inside the AudioWorkletProcessor. `processor.js` makes
//! one call per quantum ([`WorkletEngine::process`]) and asks for acknowledgements and errors
//! only when that call says there are some.

use super::{config, js_error};
use crate::graph::{decode_batch, NodeId, MAX_METERS};
use crate::node::Host;
use crate::render::{Engine, MeterReading};
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// Render side of an engine, living in the AudioWorkletGlobalScope.
#[wasm_bindgen]
#[derive(Debug)]
pub struct WorkletEngine {
    engine: Engine,
    host: Host,
    errors_reported: u64,
    ended_reported: u64,
    /// The last meter readings taken, [`METER_WORDS`] words each, made once so taking them
    /// allocates nothing on the audio thread.
    meter_words: Vec<u32>,
}

/// Words per meter record in [`WorkletEngine::meter_words_ptr`]: node id, frames measured,
/// then as f32 bits peak left and right, RMS left and right, and the node's own reading (NaN
/// when it has none). `www/src/engine/protocol.js` reads the same layout.
pub const METER_WORDS: usize = 7;

/// The meter records' layout for JS: `[most meters at once, words per record]`.
#[wasm_bindgen(js_name = meterLayout)]
pub fn meter_layout() -> Vec<u32> {
    vec![MAX_METERS as u32, METER_WORDS as u32]
}

fn meter_record(m: &MeterReading, node: NodeId) -> [u32; METER_WORDS] {
    let rms = m.rms();
    [
        node.to_bits(),
        m.frames,
        m.peak[0].to_bits(),
        m.peak[1].to_bits(),
        rms[0].to_bits(),
        rms[1].to_bits(),
        m.reading.unwrap_or(f32::NAN).to_bits(),
    ]
}

/// One render-side refusal or failure, as JS receives it.
#[derive(Serialize)]
struct ErrorRecord {
    batch: Option<u32>,
    node: Option<u32>,
    param: Option<u8>,
    code: &'static str,
    message: &'static str,
}

#[wasm_bindgen]
impl WorkletEngine {
    #[wasm_bindgen(constructor)]
    pub fn new(sample_rate: f32, max_nodes: u32, max_edges: u32) -> Result<WorkletEngine, JsValue> {
        let config = config(sample_rate, max_nodes, max_edges)?;
        Ok(WorkletEngine {
            engine: crate::node::engine(config),
            host: Host::new(config),
            errors_reported: 0,
            ended_reported: 0,
            meter_words: vec![0; MAX_METERS * METER_WORDS],
        })
    }

    /// Decodes batch `seq`, stores its buffer pieces, builds its new nodes and queues it for
    /// the next quantum. Called from `onmessage`, between quanta, so it may allocate; it also
    /// drops what earlier commands retired. What cannot be built is refused alone, with an
    /// error for its batch; the rest of the batch goes ahead.
    pub fn submit(&mut self, seq: u32, bytes: &[u8]) -> Result<(), JsValue> {
        self.engine.collect_garbage();
        let batch = decode_batch(bytes).map_err(js_error)?;
        let built = self.host.build(batch);
        self.engine.enqueue(seq, built.commands);
        for r in built.refused {
            self.engine.refuse(seq, r.node, r.code, r.what);
        }
        Ok(())
    }

    /// Renders the quantum starting at context frame `frame` (`currentFrame`), with
    /// `input_channels` channels of outside audio just written at [`WorkletEngine::input_ptr`]
    /// (0: silence). Answers with news bits: 1, a batch was applied; 2, errors were logged;
    /// 4, a source ended.
    pub fn process(&mut self, frame: f64, input_channels: u32) -> u32 {
        let input = self.engine.external_input_mut();
        if input_channels == 0 {
            input.set_silent(1);
        } else {
            input.set_audible(input_channels as usize);
        }
        self.engine.render(frame as u64)
    }

    /// Address of the output: left then right, 128 f32 each.
    pub fn output_ptr(&self) -> usize {
        self.engine.output().as_ptr() as usize
    }

    /// Copies output channel `channel` (0 left, 1 right) of the last quantum into `dst`, for
    /// callers that would rather not keep views on wasm memory.
    pub fn copy_output(&self, channel: usize, dst: &mut [f32]) {
        let samples = self.engine.output().channel(channel);
        let n = dst.len().min(samples.len());
        dst[..n].copy_from_slice(&samples[..n]);
    }

    /// Address of the external input: left then right, 128 f32 each.
    pub fn input_ptr(&mut self) -> usize {
        self.engine.external_input_mut().as_mut_ptr() as usize
    }

    pub fn applied_batch(&self) -> u32 {
        self.engine.applied_batch()
    }

    pub fn error_count(&self) -> f64 {
        self.engine.error_count() as f64
    }

    /// Errors not yet reported: an array of `{batch, node, param, code, message}`.
    pub fn take_errors(&mut self) -> Result<JsValue, JsValue> {
        let records: Vec<ErrorRecord> = self
            .engine
            .errors_since(self.errors_reported)
            .map(|e| ErrorRecord {
                batch: e.batch,
                node: e.node.map(|n| n.to_bits()),
                param: e.param,
                code: e.code.as_str(),
                message: e.what,
            })
            .collect();
        self.errors_reported = self.engine.error_count();
        super::to_js(&records)
    }

    pub fn node_count(&self) -> u32 {
        self.engine.node_count() as u32
    }

    /// Sources that ended since the last call, as node ids.
    pub fn take_ended(&mut self) -> Vec<u32> {
        let ended = self.engine.ended_since(self.ended_reported).map(|id| id.to_bits()).collect();
        self.ended_reported = self.engine.ended_count();
        ended
    }

    /// Address of the last `frames` samples a capturing node (an analyser) kept, oldest first,
    /// for a view to copy from; 0 when the node keeps none. Between quanta only.
    pub fn capture_ptr(&mut self, node: u32, frames: u32) -> usize {
        self.engine.capture(NodeId::from_bits(node), frames as usize).map_or(0, |s| s.as_ptr() as usize)
    }

    /// Takes every metered output's reading since the last call into the words at
    /// [`WorkletEngine::meter_words_ptr`] ([`METER_WORDS`] a record) and answers how many
    /// records there are. Allocates nothing.
    pub fn take_meters(&mut self) -> u32 {
        let mut count = 0;
        let words = &mut self.meter_words;
        self.engine.take_meters(|m| {
            if let Some(node) = m.node {
                words[count * METER_WORDS..(count + 1) * METER_WORDS].copy_from_slice(&meter_record(m, node));
                count += 1;
            }
        });
        count as u32
    }

    /// Address of the meter records [`WorkletEngine::take_meters`] wrote.
    pub fn meter_words_ptr(&self) -> usize {
        self.meter_words.as_ptr() as usize
    }
}
