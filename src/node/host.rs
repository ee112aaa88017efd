//! Render host, between quanta (the worklet's `onmessage`, an offline renderer's loop): turns
//! batches into render commands. It may allocate: nothing here runs inside a quantum.

use super::build_command;
use crate::graph::{Batch, EngineConfig, ErrorCode, NodeId, SampleData, SettingValue, StoreOp};
use crate::render::RenderCommand;
use std::collections::HashMap;
use std::sync::Arc;

/// Builds batches for one engine, keeping the buffers the control side stored until it
/// forgets them. Nodes given a stored buffer share it: it crosses once, whatever plays it.
#[derive(Debug)]
pub struct Host {
    config: EngineConfig,
    buffers: HashMap<u32, Stored>,
}

#[derive(Debug)]
struct Stored {
    frames: usize,
    data: Arc<SampleData>,
}

impl Stored {
    fn complete(&self) -> bool {
        self.data.channels.iter().all(|c| c.len() == self.frames)
    }
}

/// What one batch became: commands for the engine, and what could not be built (the node it
/// was for, if any, and why), for the engine to report against the batch.
#[derive(Debug, Default)]
pub struct Built {
    pub commands: Vec<RenderCommand>,
    pub refused: Vec<Refusal>,
}

/// Something in a batch the host could not take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub node: Option<NodeId>,
    pub code: ErrorCode,
    pub what: &'static str,
}

impl Host {
    pub fn new(config: EngineConfig) -> Self {
        Self { config, buffers: HashMap::new() }
    }

    /// Takes a batch: stores its buffer pieces, builds its commands (handing stored buffers to
    /// the nodes that name them), then forgets what it says to. A piece or command that does
    /// not fit is refused alone; the rest go ahead.
    pub fn build(&mut self, batch: Batch) -> Built {
        let mut built = Built::default();
        for op in batch.store {
            if let Err(what) = self.store(op) {
                built.refused.push(Refusal { node: None, code: ErrorCode::Decode, what });
            }
        }
        for mut command in batch.commands {
            let node = Some(command.node());
            if let crate::graph::Command::Configure { value, .. } = &mut command {
                if let Err(what) = self.resolve(value) {
                    built.refused.push(Refusal { node, code: ErrorCode::BadSetting, what });
                    continue;
                }
            }
            match build_command(&self.config, command) {
                Ok(c) => built.commands.push(c),
                Err(e) => built.refused.push(Refusal {
                    node,
                    code: e.code,
                    what: "the batch names a node kind this engine lacks",
                }),
            }
        }
        for buffer in batch.forget {
            self.buffers.remove(&buffer);
        }
        built
    }

    /// Buffers held now, and the samples in them (for tests and memory reports).
    pub fn stored(&self) -> (usize, usize) {
        (self.buffers.len(), self.buffers.values().map(|s| s.data.channels.iter().map(Vec::len).sum::<usize>()).sum())
    }

    fn store(&mut self, op: StoreOp) -> Result<(), &'static str> {
        match op {
            StoreOp::Begin { buffer, sample_rate, channels, frames } => {
                let frames = frames as usize;
                // Capacity only: the pieces fill it, so no long zeroing pass happens here.
                let channels = (0..channels).map(|_| Vec::with_capacity(frames)).collect();
                let data = Arc::new(SampleData { sample_rate, channels });
                self.buffers.insert(buffer, Stored { frames, data });
                Ok(())
            }
            StoreOp::Fill { buffer, channel, offset, data } => {
                let stored = self.buffers.get_mut(&buffer).ok_or("a buffer piece names a buffer never begun")?;
                let frames = stored.frames;
                let samples = Arc::get_mut(&mut stored.data)
                    .and_then(|d| d.channels.get_mut(usize::from(channel)))
                    .filter(|c| c.len() == offset as usize && c.len() + data.len() <= frames)
                    .ok_or("a buffer piece came out of order or past the buffer's end")?;
                samples.extend_from_slice(&data);
                Ok(())
            }
        }
    }

    fn resolve(&self, value: &mut SettingValue) -> Result<(), &'static str> {
        if let SettingValue::Stored(buffer) = *value {
            let stored = self
                .buffers
                .get(&buffer)
                .filter(|s| s.complete())
                .ok_or("the batch names a stored buffer that has not arrived whole")?;
            *value = SettingValue::Buffer(Arc::clone(&stored.data));
        }
        Ok(())
    }
}
