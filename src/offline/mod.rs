//! Control side: a controller and an engine in one object, for rendering without a browser
//! (native tests, benchmarks, and later bounces).

use crate::control::Controller;
use crate::graph::{
    AutomationEvent, Command, Edge, EngineConfig, EngineError, ErrorCode, NodeId, SettingValue, PARAM_INPUT,
};
use crate::node::Host;
use crate::render::{BuiltNode, Engine, Processor};
use crate::QUANTUM;

/// A graph rendered on demand: every request is validated by the [`Controller`] and applied
/// by the [`Engine`] at the next quantum, exactly as in the worklet.
#[derive(Debug)]
pub struct OfflineRenderer {
    controller: Controller,
    engine: Engine,
    host: Host,
    batch: u32,
}

impl OfflineRenderer {
    /// A renderer with the default capacities.
    pub fn new(sample_rate: f32) -> Self {
        Self::with_config(EngineConfig::new(sample_rate))
    }

    pub fn with_config(config: EngineConfig) -> Self {
        Self {
            controller: Controller::new(config),
            engine: crate::node::engine(config),
            host: Host::new(config),
            batch: 0,
        }
    }

    pub fn controller(&self) -> &Controller {
        &self.controller
    }

    /// The controller, told the engine's time first (as the page tells it the context's).
    pub fn controller_mut(&mut self) -> &mut Controller {
        self.controller.advance_to(self.engine.time());
        &mut self.controller
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

    /// Adds a node of the registered kind `name`.
    pub fn add(&mut self, name: &str) -> Result<NodeId, EngineError> {
        self.controller_mut().add_node(name)
    }

    /// Adds a processor written in Rust with the given port counts.
    pub fn add_custom(
        &mut self,
        inputs: u8,
        outputs: u8,
        processor: Box<dyn Processor>,
    ) -> Result<NodeId, EngineError> {
        self.flush()?;
        let id = self.controller.add_custom(inputs, outputs)?;
        self.controller.take_batch();
        self.batch += 1;
        let ports = self.controller.topology().ports(id).expect("just added");
        self.engine.enqueue(self.batch, [Command::AddNode { id, node: BuiltNode { ports, processor } }]);
        Ok(id)
    }

    pub fn remove(&mut self, id: NodeId) -> Result<(), EngineError> {
        self.controller_mut().remove_node(id)
    }

    /// Connects output 0 of `from` to input 0 of `to`.
    pub fn connect(&mut self, from: NodeId, to: NodeId) -> Result<(), EngineError> {
        self.controller_mut().connect(Edge { from, output: 0, to, input: 0 })
    }

    /// Connects output 0 of `from` into parameter `name` of `to` (audio-rate modulation).
    pub fn connect_param(&mut self, from: NodeId, to: NodeId, name: &str) -> Result<(), EngineError> {
        let param = self.controller.param_index(to, name)?;
        self.controller_mut().connect(Edge { from, output: 0, to, input: PARAM_INPUT + param })
    }

    pub fn disconnect(&mut self, from: NodeId, to: NodeId) -> Result<(), EngineError> {
        self.controller_mut().disconnect(Edge { from, output: 0, to, input: 0 })
    }

    /// Sets parameter `name` of `id`.
    pub fn set(&mut self, id: NodeId, name: &str, value: f32) -> Result<(), EngineError> {
        let param = self.controller.param_index(id, name)?;
        self.controller_mut().set_value(id, param, value)
    }

    pub fn automate(&mut self, id: NodeId, name: &str, event: AutomationEvent) -> Result<(), EngineError> {
        let param = self.controller.param_index(id, name)?;
        self.controller_mut().automate(id, param, event)
    }

    /// Gives setting `name` of `id` a value.
    pub fn configure(&mut self, id: NodeId, name: &str, value: SettingValue) -> Result<(), EngineError> {
        let setting = self.controller.setting_index(id, name)?;
        self.controller_mut().configure(id, setting, value)
    }

    /// Picks `choice` for a choice setting (`choose(osc, "type", "sawtooth")`).
    pub fn choose(&mut self, id: NodeId, name: &str, choice: &str) -> Result<(), EngineError> {
        let setting = self.controller.setting_index(id, name)?;
        let spec = self.controller.spec_of(id)?.expect("a node with settings has a spec");
        let index = match spec.settings[usize::from(setting)].kind {
            crate::graph::SettingKind::Choice { choices } => choices.iter().position(|c| *c == choice),
            _ => None,
        };
        let index = index.ok_or_else(|| {
            EngineError::new(ErrorCode::BadSetting, format!("'{choice}' is not a choice of {}.{name}", spec.name))
                .at_node(id)
        })?;
        self.controller_mut().configure(id, setting, SettingValue::Choice(index as u8))
    }

    /// Starts a source at context time `when`.
    pub fn start(&mut self, id: NodeId, when: f64) -> Result<(), EngineError> {
        self.configure(id, "start", SettingValue::Time(when))
    }

    /// Stops a source at context time `when`.
    pub fn stop(&mut self, id: NodeId, when: f64) -> Result<(), EngineError> {
        self.configure(id, "stop", SettingValue::Time(when))
    }

    /// Sends the accepted commands to the engine; they apply at the next quantum.
    pub fn flush(&mut self) -> Result<(), EngineError> {
        if self.controller.pending() == 0 {
            return Ok(());
        }
        self.batch += 1;
        let built = self.host.build(self.controller.take(usize::MAX));
        self.engine.enqueue(self.batch, built.commands);
        match built.refused.first() {
            Some(r) => Err(EngineError::new(r.code, r.what)),
            None => Ok(()),
        }
    }

    /// Sends the accepted commands and has the engine apply them now, so the nodes they make
    /// can be reached (through [`Engine::handover`]) before the next quantum.
    pub fn settle(&mut self) -> Result<(), EngineError> {
        self.flush()?;
        self.engine.apply_pending();
        Ok(())
    }

    /// Buffers the render side holds, and the samples in them.
    pub fn stored(&self) -> (usize, usize) {
        self.host.stored()
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
