//! Render thread: the engine. Commands wait in a fixed-capacity inbox and are applied at
//! the start of the next quantum; the schedule is a flat array walked once per quantum;
//! what a command replaces is retired and dropped later, off the render path.

use crate::control::graph::{InEdge, Ports};
use crate::control::{
    Command, EngineConfig, EngineError, ErrorCode, NodeId, NodeKind, RenderError, Topology, WireCommand,
};
use crate::node::{build, BuiltNode, ProcessContext, Processor, Status};
use crate::render::{AudioBuf, Feed, Schedule, OUTPUT_BUFFER, SILENCE};
use crate::simd::{mix_accumulate, Native};
use crate::{MAX_CHANNELS, MAX_INPUTS, QUANTUM};

/// A command as the render side receives it: new nodes arrive built.
pub type RenderCommand = Command<BuiltNode>;

/// One thing that went wrong on the render side, kept until someone reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErrorEntry {
    /// The batch whose command failed; `None` for a node that failed while rendering.
    pub batch: Option<u32>,
    pub node: Option<NodeId>,
    pub code: ErrorCode,
    pub what: &'static str,
}

const ERROR_LOG: usize = 64;

struct NodeSlot {
    processor: Box<dyn Processor>,
    inputs: usize,
    failed: bool,
}

/// The render side of a graph.
pub struct Engine {
    config: EngineConfig,
    topology: Topology,
    nodes: Vec<Option<NodeSlot>>,
    schedule: Schedule,
    pool: Vec<AudioBuf>,
    mixes: Vec<AudioBuf>,
    inbox: Vec<(u32, RenderCommand)>,
    retired: Vec<Box<dyn Processor>>,
    errors: [Option<ErrorEntry>; ERROR_LOG],
    error_count: u64,
    external_input: AudioBuf,
    destination: NodeId,
    applied_batch: u32,
    frame: u64,
}

impl core::fmt::Debug for Engine {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.config)
            .field("nodes", &self.topology.node_count())
            .field("edges", &self.topology.edge_count())
            .field("frame", &self.frame)
            .finish()
    }
}

#[cold]
fn render_error(code: ErrorCode, what: &'static str) -> RenderError {
    RenderError { code, what }
}

impl Engine {
    /// Allocates everything the engine will ever use (oscillator tables included), and makes
    /// the destination and input nodes (in the order the [`crate::control::Controller`] expects).
    pub fn new(config: EngineConfig) -> Self {
        crate::dsp::oscillator::prepare_all();
        let mut engine = Self {
            config,
            topology: Topology::new(config.max_nodes, config.max_edges),
            nodes: (0..config.max_nodes).map(|_| None).collect(),
            schedule: Schedule::new(config.max_nodes),
            pool: vec![AudioBuf::default(); config.max_nodes],
            mixes: vec![AudioBuf::default(); MAX_INPUTS],
            inbox: Vec::with_capacity(config.max_pending_commands),
            retired: Vec::with_capacity(config.max_nodes + config.max_pending_commands),
            errors: [None; ERROR_LOG],
            error_count: 0,
            external_input: AudioBuf::default(),
            destination: NodeId { index: 0, generation: 0 },
            applied_batch: 0,
            frame: 0,
        };
        for kind in [NodeKind::Destination, NodeKind::Input] {
            let node = build(kind, &config).expect("built-in kinds build");
            let id = engine.insert(node).expect("capacity holds the engine's own nodes");
            if kind == NodeKind::Destination {
                engine.destination = id;
            }
        }
        engine.topology.plan().expect("no edges yet");
        engine.reschedule();
        engine
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    pub fn node_count(&self) -> usize {
        self.topology.node_count()
    }

    /// The context frame the next quantum starts at, when rendering on the engine's own clock.
    pub fn frame(&self) -> u64 {
        self.frame
    }

    /// Builds the processors of a wire batch and queues the batch. Allocates: call it off
    /// the render path (in the worklet: from `onmessage`, between quanta).
    pub fn enqueue_wire(&mut self, batch: u32, commands: Vec<WireCommand>) -> Result<(), EngineError> {
        if self.inbox.len() + commands.len() > self.inbox.capacity() {
            return Err(EngineError::new(
                ErrorCode::QueueFull,
                format!("the batch has {} commands; the engine holds {}", commands.len(), self.inbox.capacity()),
            ));
        }
        let config = self.config;
        let built: Result<Vec<RenderCommand>, RenderError> = commands
            .into_iter()
            .map(|cmd| match cmd {
                Command::AddNode { id, node } => build(node, &config).map(|node| Command::AddNode { id, node }),
                other => Ok(other.map_node(|_| unreachable!("only AddNode carries a node"))),
            })
            .collect();
        for cmd in built? {
            self.inbox.push((batch, cmd));
        }
        Ok(())
    }

    /// Queues one command for the next quantum. Fails only when the inbox is full.
    pub fn enqueue(&mut self, batch: u32, command: RenderCommand) -> Result<(), EngineError> {
        if self.inbox.len() == self.inbox.capacity() {
            return Err(EngineError::new(ErrorCode::QueueFull, "the engine's command queue is full"));
        }
        self.inbox.push((batch, command));
        Ok(())
    }

    /// The highest batch number whose commands have all been applied.
    pub fn applied_batch(&self) -> u32 {
        self.applied_batch
    }

    /// Drops what commands replaced. Call off the render path.
    pub fn collect_garbage(&mut self) {
        self.retired.clear();
    }

    /// Errors raised since the count `since` (see [`Engine::error_count`]), oldest first;
    /// at most the last 64 are kept.
    pub fn errors_since(&self, since: u64) -> impl Iterator<Item = ErrorEntry> + '_ {
        let first = since.max(self.error_count.saturating_sub(ERROR_LOG as u64));
        (first..self.error_count).filter_map(|n| self.errors[(n % ERROR_LOG as u64) as usize])
    }

    pub fn error_count(&self) -> u64 {
        self.error_count
    }

    fn log(&mut self, entry: ErrorEntry) {
        self.errors[(self.error_count % ERROR_LOG as u64) as usize] = Some(entry);
        self.error_count += 1;
    }

    /// The audio given to the engine from outside; the input node plays it.
    pub fn external_input_mut(&mut self) -> &mut AudioBuf {
        &mut self.external_input
    }

    /// The destination's stereo mix of the last rendered quantum.
    pub fn output(&self) -> &AudioBuf {
        &self.pool[usize::from(OUTPUT_BUFFER)]
    }

    fn insert(&mut self, node: BuiltNode) -> Result<NodeId, RenderError> {
        let (inputs, outputs) = node.kind.ports();
        let id = self.topology.add(Ports { inputs, outputs })?;
        let slot = usize::from(id.index);
        self.nodes[slot] = Some(NodeSlot { processor: node.processor, inputs: usize::from(inputs), failed: false });
        Ok(id)
    }

    fn node_mut(&mut self, id: NodeId) -> Result<&mut dyn Processor, RenderError> {
        if !self.topology.contains(id) {
            return Err(render_error(ErrorCode::StaleNode, "node id is stale: the node was removed or never existed"));
        }
        let slot = self.nodes[usize::from(id.index)].as_mut().expect("live nodes have processors");
        Ok(slot.processor.as_mut())
    }

    fn apply(&mut self, command: RenderCommand) -> Result<bool, RenderError> {
        match command {
            Command::AddNode { id, node } => {
                let got = self.insert(node)?;
                if got != id {
                    self.remove(got)?;
                    return Err(render_error(
                        ErrorCode::Desync,
                        "render side gave a new node another id than the control side",
                    ));
                }
                Ok(false)
            }
            Command::RemoveNode { id } => self.remove(id).map(|()| true),
            Command::Connect(edge) => self.topology.connect_unplanned(edge).map(|_| true),
            Command::Disconnect(edge) => self.topology.disconnect(edge).map(|()| true),
            Command::DisconnectOutputs { id } => self.topology.disconnect_outputs(id).map(|()| true),
            // Numbers are checked again here: the worklet applies whatever bytes reach its port.
            Command::SetValue { value, .. } if !value.is_finite() => {
                Err(render_error(ErrorCode::NonFinite, "parameter value must be finite"))
            }
            Command::SetValue { id, param, value } => {
                let param = self
                    .node_mut(id)?
                    .param_mut(param)
                    .ok_or(render_error(ErrorCode::BadParam, "no such parameter"))?;
                param.set_value(value).map(|()| false)
            }
            Command::Automate { id, param, event } => {
                event.check()?;
                let param = self
                    .node_mut(id)?
                    .param_mut(param)
                    .ok_or(render_error(ErrorCode::BadParam, "no such parameter"))?;
                param.push(event).map(|()| false)
            }
            Command::Configure { id, setting } => {
                setting.check()?;
                self.node_mut(id)?.configure(setting).map(|()| false)
            }
        }
    }

    fn remove(&mut self, id: NodeId) -> Result<(), RenderError> {
        self.topology.remove(id)?;
        if let Some(slot) = self.nodes[usize::from(id.index)].take() {
            // Capacity covers every node plus a full inbox, so this push never grows.
            self.retired.push(slot.processor);
        }
        Ok(())
    }

    fn apply_inbox(&mut self) {
        if self.inbox.is_empty() {
            return;
        }
        let edges_before = self.topology.edge_count();
        let mut replan = false;
        let mut inbox = core::mem::take(&mut self.inbox);
        for (batch, command) in inbox.drain(..) {
            let node = command_node(&command);
            match self.apply(command) {
                Ok(structural) => replan |= structural,
                Err(e) => self.log(ErrorEntry { batch: Some(batch), node, code: e.code, what: e.what }),
            }
            self.applied_batch = self.applied_batch.max(batch);
        }
        self.inbox = inbox;
        if !replan {
            return;
        }
        if self.topology.plan().is_err() {
            // Only reachable if the two sides disagree: drop this batch's new connections.
            self.topology.truncate_edges(edges_before.min(self.topology.edge_count()));
            let _ = self.topology.plan();
            self.log(ErrorEntry {
                batch: Some(self.applied_batch),
                node: None,
                code: ErrorCode::Desync,
                what: "a cycle reached the render side; new connections were dropped",
            });
        }
        self.reschedule();
    }

    fn reschedule(&mut self) {
        let nodes = &self.nodes;
        self.schedule.rebuild(&self.topology, usize::from(self.destination.index), |slot| {
            nodes[slot].as_ref().map_or(0, |n| n.inputs)
        });
    }

    /// Renders one quantum starting at context frame `frame`: applies waiting commands,
    /// then runs every node in schedule order. Allocation-free.
    pub fn render(&mut self, frame: u64) {
        self.apply_inbox();
        let sample_rate = self.config.sample_rate;
        let cx = ProcessContext {
            sample_rate,
            frame,
            time: frame as f64 / f64::from(sample_rate),
            external_input: &self.external_input,
        };
        let mut failures: [Option<(u16, &'static str)>; 4] = [None; 4];
        let mut failure_count = 0;
        for step in self.schedule.steps() {
            let slot_index = usize::from(step.slot);
            let output_index = usize::from(step.output);
            let Some(slot) = self.nodes[slot_index].as_mut() else { continue };
            if slot.failed {
                self.pool[output_index].set_silent(1);
                continue;
            }
            let ports = usize::from(step.inputs);
            if step.mixes {
                for port in (0..ports).filter(|&p| step.feeds[p] == Feed::Mix) {
                    let edges = self.topology.inputs_of(slot_index);
                    mix_into(&mut self.mixes[port], &self.pool, edges, port, &self.schedule);
                }
            }
            let (before, rest) = self.pool.split_at_mut(output_index);
            let (output, after) = rest.split_first_mut().expect("buffer index is in range");
            let mut inputs: [&AudioBuf; MAX_INPUTS] = [&SILENCE; MAX_INPUTS];
            for (port, (input, feed)) in inputs.iter_mut().zip(&step.feeds[..ports]).enumerate() {
                *input = match *feed {
                    Feed::Silent => &SILENCE,
                    Feed::Buffer(b) if usize::from(b) < output_index => &before[usize::from(b)],
                    Feed::Buffer(b) => &after[usize::from(b) - output_index - 1],
                    Feed::Mix => &self.mixes[port],
                };
            }
            if let Status::Error(what) = slot.processor.process(&inputs[..ports], output, &cx) {
                slot.failed = true;
                output.set_silent(1);
                if failure_count < failures.len() {
                    failures[failure_count] = Some((step.slot, what));
                    failure_count += 1;
                }
            }
        }
        for (index, what) in failures.into_iter().flatten() {
            let node = self.topology.id_at(usize::from(index));
            self.log(ErrorEntry { batch: None, node, code: ErrorCode::NodeFailed, what });
        }
        self.frame = frame + QUANTUM as u64;
    }
}

fn command_node(command: &RenderCommand) -> Option<NodeId> {
    match command {
        Command::AddNode { id, .. }
        | Command::RemoveNode { id }
        | Command::DisconnectOutputs { id }
        | Command::SetValue { id, .. }
        | Command::Automate { id, .. }
        | Command::Configure { id, .. } => Some(*id),
        Command::Connect(e) | Command::Disconnect(e) => Some(e.to),
    }
}

/// Sums every connection arriving at `port` into `mix`, up-mixing mono to stereo.
fn mix_into(mix: &mut AudioBuf, pool: &[AudioBuf], edges: &[InEdge], port: usize, schedule: &Schedule) {
    let sources = edges
        .iter()
        .filter(|e| usize::from(e.input) == port)
        .map(|e| &pool[usize::from(schedule.buffer_of(usize::from(e.from)))]);
    let channels = sources.clone().filter(|b| !b.is_silent()).map(AudioBuf::channels).max();
    let Some(channels) = channels else {
        mix.set_silent(1);
        return;
    };
    for ch in 0..channels.min(MAX_CHANNELS) {
        mix.channel_mut(ch).fill(0.0);
    }
    for src in sources.filter(|b| !b.is_silent()) {
        for ch in 0..channels {
            mix_accumulate::<Native>(mix.channel_mut(ch), src.channel(ch));
        }
    }
    mix.set_audible(channels);
}
