//! Control side: a controller and an engine in one object, for rendering without a browser
//! (native tests, benchmarks, and later bounces).

use crate::control::{AutomationEvent, Controller, Edge, EngineConfig, EngineError, NodeId, NodeKind, Setting};
use crate::node::{BuiltNode, Processor};
use crate::render::Engine;
use crate::QUANTUM;

/// A graph rendered on demand: every request is validated by the [`Controller`] and
/// applied by the [`Engine`] at the next quantum, exactly as in the worklet.
#[derive(Debug)]
pub struct OfflineRenderer {
    controller: Controller,
    engine: Engine,
    batch: u32,
}

impl OfflineRenderer {
    /// A renderer with the default capacities.
    pub fn new(sample_rate: f32) -> Self {
        Self::with_config(EngineConfig::new(sample_rate))
    }

    pub fn with_config(config: EngineConfig) -> Self {
        Self { controller: Controller::new(config), engine: Engine::new(config), batch: 0 }
    }

    pub fn controller(&self) -> &Controller {
        &self.controller
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn engine_mut(&mut self) -> &mut Engine {
        &mut self.engine
    }

    pub fn destination(&self) -> NodeId {
        self.controller.destination()
    }

    pub fn input(&self) -> NodeId {
        self.controller.input()
    }

    pub fn add(&mut self, kind: NodeKind) -> Result<NodeId, EngineError> {
        self.controller.add_node(kind)
    }

    /// Adds a processor written in Rust with the given port counts.
    pub fn add_custom(
        &mut self,
        inputs: u8,
        outputs: u8,
        processor: Box<dyn Processor>,
    ) -> Result<NodeId, EngineError> {
        self.flush()?;
        let kind = NodeKind::Custom { inputs, outputs };
        let id = self.controller.add_node(kind)?;
        self.controller.take_batch();
        self.batch += 1;
        self.engine
            .enqueue(self.batch, crate::control::Command::AddNode { id, node: BuiltNode { kind, processor } })?;
        Ok(id)
    }

    pub fn remove(&mut self, id: NodeId) -> Result<(), EngineError> {
        self.controller.remove_node(id)
    }

    /// Connects output 0 of `from` to input 0 of `to`.
    pub fn connect(&mut self, from: NodeId, to: NodeId) -> Result<(), EngineError> {
        self.controller.connect(Edge { from, output: 0, to, input: 0 })
    }

    pub fn disconnect(&mut self, from: NodeId, to: NodeId) -> Result<(), EngineError> {
        self.controller.disconnect(Edge { from, output: 0, to, input: 0 })
    }

    /// Sets parameter `name` of `id`.
    pub fn set(&mut self, id: NodeId, name: &str, value: f32) -> Result<(), EngineError> {
        let param = self.controller.param_index(id, name)?;
        self.controller.set_value(id, param, value)
    }

    pub fn automate(&mut self, id: NodeId, name: &str, event: AutomationEvent) -> Result<(), EngineError> {
        let param = self.controller.param_index(id, name)?;
        self.controller.automate(id, param, event)
    }

    pub fn configure(&mut self, id: NodeId, setting: Setting) -> Result<(), EngineError> {
        self.controller.configure(id, setting)
    }

    /// Sends the accepted commands to the engine; they apply at the next quantum.
    pub fn flush(&mut self) -> Result<(), EngineError> {
        if self.controller.pending() == 0 {
            return Ok(());
        }
        self.batch += 1;
        self.engine.enqueue_wire(self.batch, self.controller.take_batch())
    }

    /// Renders one quantum on the engine's clock.
    pub fn render_quantum(&mut self) -> Result<(), EngineError> {
        self.flush()?;
        let frame = self.engine.frame();
        self.engine.render(frame);
        self.engine.collect_garbage();
        Ok(())
    }

    /// Renders at least `frames` frames and returns them as [left, right].
    pub fn render_frames(&mut self, frames: usize) -> Vec<Vec<f32>> {
        let mut out: Vec<Vec<f32>> = (0..2).map(|_| Vec::with_capacity(frames + QUANTUM)).collect();
        while out[0].len() < frames {
            self.render_quantum().expect("the engine accepts the batch");
            let buf = self.engine.output();
            for (ch, samples) in out.iter_mut().enumerate() {
                samples.extend_from_slice(buf.channel(ch));
            }
        }
        for ch in &mut out {
            ch.truncate(frames);
        }
        out
    }
}
