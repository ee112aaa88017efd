//! Render thread: the engine. Commands arrive built (off the render path, where the inbox may
//! grow) and are applied at the start of the next quantum; the schedule is a flat array
//! walked once per quantum; whatever a command replaces is retired and dropped later, off
//! the render path. Node ids come from the control side: the engine puts each node exactly
//! where it is told, so a command it refuses can never shift the ids of later nodes.

use crate::graph::{
    Command, EngineConfig, ErrorCode, Event, InEdge, NodeId, Ports, RenderError, SettingValue, Topology, MAX_METERS,
};
use crate::render::{
    port_of, AudioBuf, Feed, Handover, Phase, ProcessContext, Processor, Schedule, Status, Step, INPUT_BUFFER,
    MAX_PORTS, OUTPUT_BUFFER, SILENCE,
};
use crate::simd::{has_non_finite, mix_accumulate, Native, MAX_GROUP};
use crate::{MAX_CHANNELS, MAX_INPUTS, MAX_OUTPUTS, QUANTUM};

/// A node ready for the render side: its ports (for the topology) and its processor.
#[derive(Debug)]
pub struct BuiltNode {
    pub ports: Ports,
    pub processor: Box<dyn Processor>,
}

/// A command as the render side receives it: new nodes arrive built.
pub type RenderCommand = Command<BuiltNode>;

/// One thing that went wrong on the render side, kept until someone reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErrorEntry {
    /// The batch whose command failed; `None` for a node that failed while rendering.
    pub batch: Option<u32>,
    pub node: Option<NodeId>,
    pub param: Option<u8>,
    pub code: ErrorCode,
    pub what: &'static str,
}

/// Bits of [`Engine::render`]'s answer: a batch was applied since the last quantum.
pub const NEWS_ACK: u32 = 1;
/// Bits of [`Engine::render`]'s answer: an error was logged since the last quantum.
pub const NEWS_ERRORS: u32 = 2;
/// Bits of [`Engine::render`]'s answer: a source ended in this quantum.
pub const NEWS_ENDED: u32 = 4;

const ERROR_LOG: usize = 64;

struct NodeSlot {
    processor: Box<dyn Processor>,
    inputs: usize,
    params: usize,
    outputs: usize,
    failed: bool,
    /// Index in `meters` while the node's output is metered.
    meter: Option<usize>,
    /// NaN or infinite samples from this node have been reported (once is enough).
    bad_samples_reported: bool,
    /// Audio input ports (bit per port) faded out and in around a structural edit.
    duck: u8,
    /// The source has played out: it is reported once and skipped from then on.
    ended: bool,
}

/// Where a structural edit made while sound plays is: the edited inputs fade out over one
/// quantum, the edit is applied, and they fade back in over the next, so no edit clicks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Duck {
    None,
    Out,
    In,
}

/// Peak and energy of one node's output since the host last took them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MeterReading {
    pub node: Option<NodeId>,
    pub peak: [f32; MAX_CHANNELS],
    pub sum_of_squares: [f64; MAX_CHANNELS],
    pub frames: u32,
    /// The node's own reading (see `Processor::reading`), as of the last quantum.
    pub reading: Option<f32>,
}

impl MeterReading {
    /// RMS of each channel over the frames measured.
    pub fn rms(&self) -> [f32; MAX_CHANNELS] {
        core::array::from_fn(|ch| {
            if self.frames == 0 {
                0.0
            } else {
                (self.sum_of_squares[ch] / f64::from(self.frames)).sqrt() as f32
            }
        })
    }

    fn add(&mut self, buf: &AudioBuf) {
        self.frames += QUANTUM as u32;
        if buf.is_silent() {
            return;
        }
        for ch in 0..MAX_CHANNELS {
            let samples = buf.channel(ch);
            let peak = samples.iter().fold(0f32, |m, v| m.max(v.abs()));
            self.peak[ch] = self.peak[ch].max(peak);
            self.sum_of_squares[ch] += samples.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>();
        }
    }
}

/// What commands replaced, waiting to be dropped off the render path. Each list's room is
/// reserved when a command that may fill it is queued, so pushing never allocates.
#[derive(Default)]
struct Retired {
    processors: Vec<Box<dyn Processor>>,
    events: Vec<Event>,
    settings: Vec<SettingValue>,
}

/// The render side of a graph.
pub struct Engine {
    config: EngineConfig,
    topology: Topology,
    nodes: Vec<Option<NodeSlot>>,
    schedule: Schedule,
    pool: Vec<AudioBuf>,
    mixes: Vec<AudioBuf>,
    /// Where a node with several outputs renders them before they join the pool.
    scratch: Vec<AudioBuf>,
    /// A group's inputs while its members render (see `render_group`).
    group_inputs: [[f32; QUANTUM]; MAX_GROUP],
    meters: [MeterReading; MAX_METERS],
    inbox: Vec<(u32, RenderCommand)>,
    retired: Retired,
    /// Value curves on timelines or in the inbox: how many `retired.events` may have to take.
    curves: usize,
    errors: [Option<ErrorEntry>; ERROR_LOG],
    error_count: u64,
    errors_at_last_render: u64,
    destination: NodeId,
    input: NodeId,
    applied_batch: u32,
    frame: u64,
    duck: Duck,
    ducked: Vec<u16>,
    ended: [Option<NodeId>; ENDED_LOG],
    ended_count: u64,
}

const ENDED_LOG: usize = 64;

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
    RenderError::new(code, what)
}

fn is_curve(event: &crate::graph::AutomationEvent) -> bool {
    matches!(event, crate::graph::AutomationEvent::SetValueCurveAtTime { .. })
}

impl Engine {
    /// Allocates everything the engine will ever use and places the engine's own destination
    /// and input nodes in slots 0 and 1, as the control side expects.
    pub fn new(config: EngineConfig, destination: BuiltNode, input: BuiltNode) -> Self {
        let mut engine = Self {
            config,
            topology: Topology::new(config.max_nodes, config.max_edges),
            nodes: (0..config.max_nodes).map(|_| None).collect(),
            schedule: Schedule::new(config.max_nodes, config.max_nodes * MAX_OUTPUTS),
            pool: vec![AudioBuf::default(); config.max_nodes * MAX_OUTPUTS],
            mixes: vec![AudioBuf::default(); MAX_PORTS],
            scratch: vec![AudioBuf::default(); MAX_OUTPUTS],
            group_inputs: [[0.0; QUANTUM]; MAX_GROUP],
            meters: [MeterReading::default(); MAX_METERS],
            inbox: Vec::new(),
            retired: Retired { processors: Vec::with_capacity(config.max_nodes), ..Retired::default() },
            curves: 0,
            errors: [None; ERROR_LOG],
            error_count: 0,
            errors_at_last_render: 0,
            destination: NodeId { index: 0, generation: 0 },
            input: NodeId { index: 1, generation: 0 },
            applied_batch: 0,
            frame: 0,
            duck: Duck::None,
            ducked: Vec::with_capacity(config.max_nodes),
            ended: [None; ENDED_LOG],
            ended_count: 0,
        };
        for (id, node) in [(engine.destination, destination), (engine.input, input)] {
            engine.insert(id, node).expect("capacity holds the engine's own nodes");
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

    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// The steps of the current plan, as the engine walks them.
    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }

    /// The context frame the next quantum starts at, when rendering on the engine's own clock.
    pub fn frame(&self) -> u64 {
        self.frame
    }

    /// Seconds at the start of the next quantum.
    pub fn time(&self) -> f64 {
        self.frame as f64 / f64::from(self.config.sample_rate)
    }

    /// Queues built commands of batch `batch` for the next quantum. Off the render path (in the
    /// worklet: `onmessage`, between quanta): the inbox and the retire lists grow here, so
    /// the render side never refuses a batch for want of room.
    pub fn enqueue(&mut self, batch: u32, commands: impl IntoIterator<Item = RenderCommand>) {
        let first = self.inbox.len();
        for mut command in commands {
            if let Command::Configure { id, setting, value } = &mut command {
                // The processor is live already, or arrives earlier in the inbox.
                let queued = self.inbox[first..].iter().rev().find_map(|(_, c)| match c {
                    Command::AddNode { id: made, node } if made == id => Some(node.processor.as_ref()),
                    _ => None,
                });
                let live = self.topology.contains(*id).then(|| self.nodes[usize::from(id.index)].as_ref()).flatten();
                if let Some(processor) = queued.or(live.map(|slot| slot.processor.as_ref())) {
                    processor.prepare_setting(*setting, value);
                }
            }
            if let Command::Automate { event, .. } = &command {
                self.curves += usize::from(is_curve(event));
            }
            self.inbox.push((batch, command));
        }
        // Room for everything the waiting commands can retire, beyond what is retired already.
        let removals = self.inbox.iter().filter(|(_, c)| matches!(c, Command::RemoveNode { .. })).count();
        let settings = self.inbox.iter().filter(|(_, c)| matches!(c, Command::Configure { .. })).count();
        self.retired.processors.reserve(removals);
        self.retired.settings.reserve(settings);
        self.retired.events.reserve(self.curves);
    }

    /// The highest batch number whose commands have all been applied.
    pub fn applied_batch(&self) -> u32 {
        self.applied_batch
    }

    /// Drops what commands replaced. Call off the render path.
    pub fn collect_garbage(&mut self) {
        for slot in self.nodes.iter_mut().flatten() {
            slot.processor.collect_garbage();
        }
        self.curves -= self.retired.events.len().min(self.curves);
        self.retired.processors.clear();
        self.retired.events.clear();
        self.retired.settings.clear();
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

    /// Sources that ended since the count `since` (see [`Engine::ended_count`]), oldest first;
    /// at most the last 64 are kept.
    pub fn ended_since(&self, since: u64) -> impl Iterator<Item = NodeId> + '_ {
        let first = since.max(self.ended_count.saturating_sub(ENDED_LOG as u64));
        (first..self.ended_count).filter_map(|n| self.ended[(n % ENDED_LOG as u64) as usize])
    }

    pub fn ended_count(&self) -> u64 {
        self.ended_count
    }

    /// Records that a command of batch `batch` about `node` was refused before it reached the
    /// engine (it could not be built).
    pub fn refuse(&mut self, batch: u32, node: Option<NodeId>, code: ErrorCode, what: &'static str) {
        self.log(ErrorEntry { batch: Some(batch), node, param: None, code, what });
    }

    fn log(&mut self, entry: ErrorEntry) {
        self.errors[(self.error_count % ERROR_LOG as u64) as usize] = Some(entry);
        self.error_count += 1;
    }

    /// The audio given to the engine from outside, written between quanta: the input node's
    /// own output buffer, which no other node writes (the NaN screen clears it if bad audio
    /// comes in).
    pub fn external_input_mut(&mut self) -> &mut AudioBuf {
        &mut self.pool[usize::from(INPUT_BUFFER)]
    }

    /// The destination's stereo mix of the last rendered quantum.
    pub fn output(&self) -> &AudioBuf {
        &self.pool[usize::from(OUTPUT_BUFFER)]
    }

    /// The readings of every metered output since the last call, which starts them afresh.
    pub fn take_meters(&mut self, mut each: impl FnMut(&MeterReading)) {
        for reading in self.meters.iter_mut().filter(|m| m.node.is_some()) {
            each(reading);
            *reading = MeterReading { node: reading.node, reading: reading.reading, ..MeterReading::default() };
        }
    }

    /// What a capturing node (an analyser) kept: its last `frames` input samples, oldest first.
    pub fn capture(&mut self, id: NodeId, frames: usize) -> Option<&[f32]> {
        self.node_mut(id).ok()?.capture(frames)
    }

    /// Applies the waiting commands now, between quanta, instead of at the next render: for a
    /// host that must reach a node it just made before that node's first quantum. Only while
    /// the output is silent (a fresh engine): while sound plays, rewiring waits a quantum to
    /// fade out, and this would apply nothing.
    pub fn apply_pending(&mut self) {
        debug_assert!(self.output().is_silent(), "commands applied between quanta only before any sound");
        self.apply_inbox();
    }

    /// The block of quanta a handing-over node trades with its host (see [`Processor::handover`]).
    pub fn handover(&mut self, id: NodeId) -> Option<&mut Handover> {
        self.node_mut(id).ok()?.handover()
    }

    /// The processor of a live node, for inspection (tests compare timelines through it).
    pub fn processor_mut(&mut self, id: NodeId) -> Option<&mut dyn Processor> {
        self.node_mut(id).ok()
    }

    fn insert(&mut self, id: NodeId, node: BuiltNode) -> Result<(), RenderError> {
        self.topology.add_at(id, node.ports)?;
        self.nodes[usize::from(id.index)] = Some(NodeSlot {
            processor: node.processor,
            inputs: usize::from(node.ports.inputs),
            params: usize::from(node.ports.params),
            outputs: usize::from(node.ports.outputs),
            failed: false,
            meter: None,
            bad_samples_reported: false,
            duck: 0,
            ended: false,
        });
        Ok(())
    }

    fn node_mut(&mut self, id: NodeId) -> Result<&mut dyn Processor, RenderError> {
        if !self.topology.contains(id) {
            return Err(render_error(ErrorCode::StaleNode, "node id is stale: the node was removed or never existed"));
        }
        let slot = self.nodes[usize::from(id.index)].as_mut().expect("live nodes have processors");
        Ok(slot.processor.as_mut())
    }

    /// Applies one command; returns whether the graph must be re-planned.
    fn apply(&mut self, command: RenderCommand) -> Result<bool, RenderError> {
        match command {
            Command::AddNode { id, node } => self.insert(id, node).map(|()| true),
            Command::RemoveNode { id } => self.remove(id).map(|()| true),
            Command::Connect(edge) => self.topology.connect_unplanned(edge).map(|_| true),
            Command::Disconnect(edge) => self.topology.disconnect(edge).map(|()| true),
            Command::DisconnectOutputs { id } => self.topology.disconnect_outputs(id).map(|()| true),
            // Numbers are checked again here: the worklet applies whatever bytes reach its port.
            Command::SetValue { value, .. } if !value.is_finite() => {
                Err(render_error(ErrorCode::NonFinite, "parameter value must be finite"))
            }
            Command::SetValue { id, param, value } => {
                let Self { nodes, topology, retired, .. } = self;
                let param = param_of(nodes, topology, id, param)?;
                param.set_value(value, &mut |e| retire_event(&mut retired.events, e)).map(|()| false)
            }
            Command::Automate { id, param, event } => {
                let curve = is_curve(&event);
                let Self { nodes, topology, retired, .. } = self;
                let param = param_of(nodes, topology, id, param)?;
                let applied = param.automate(event, &mut |e| retire_event(&mut retired.events, e));
                if applied.is_err() && curve {
                    self.curves -= 1;
                }
                applied.map(|()| false)
            }
            Command::Meter { id, on } => {
                self.node_mut(id)?;
                let meters = &mut self.meters;
                let slot = self.nodes[usize::from(id.index)].as_mut().expect("checked above");
                match (on, slot.meter) {
                    (true, None) => {
                        let free = meters
                            .iter()
                            .position(|m| m.node.is_none())
                            .ok_or(render_error(ErrorCode::QueueFull, "every meter is in use"))?;
                        meters[free] = MeterReading { node: Some(id), ..MeterReading::default() };
                        slot.meter = Some(free);
                    }
                    (false, Some(index)) => {
                        meters[index] = MeterReading::default();
                        slot.meter = None;
                    }
                    _ => {}
                }
                Ok(false)
            }
            Command::Configure { id, setting, mut value } => {
                let applied = value.check().and_then(|()| self.node_mut(id)?.configure(setting, &mut value));
                // Capacity was reserved when the command was queued.
                self.retired.settings.push(value);
                applied.map(|()| false)
            }
        }
    }

    fn remove(&mut self, id: NodeId) -> Result<(), RenderError> {
        // The control side refuses this first; the bytes reaching the worklet are checked again,
        // since the input's slot owns the buffer the host writes.
        if id == self.destination || id == self.input {
            return Err(render_error(ErrorCode::Protected, "the destination and input nodes belong to the engine"));
        }
        self.topology.remove(id)?;
        if let Some(slot) = self.nodes[usize::from(id.index)].take() {
            if let Some(index) = slot.meter {
                self.meters[index] = MeterReading::default();
            }
            // Capacity was reserved when the command was queued.
            self.retired.processors.push(slot.processor);
        }
        Ok(())
    }

    /// Marks the audio inputs the waiting commands rewire; returns whether there are any.
    fn mark_edited_inputs(&mut self) -> bool {
        let Self { inbox, nodes, topology, ducked, .. } = self;
        let mut mark = |slot: u16, input: u8| {
            if usize::from(input) >= MAX_INPUTS {
                return;
            }
            if let Some(node) = nodes[usize::from(slot)].as_mut() {
                if node.duck == 0 {
                    ducked.push(slot);
                }
                node.duck |= 1 << input;
            }
        };
        for (_, command) in inbox.iter() {
            match command {
                Command::Connect(e) | Command::Disconnect(e) => mark(e.to.index, e.input),
                Command::RemoveNode { id } | Command::DisconnectOutputs { id } if topology.contains(*id) => {
                    for e in topology.edges().iter().filter(|e| e.from == *id) {
                        mark(e.to.index, e.input);
                    }
                }
                _ => {}
            }
        }
        !ducked.is_empty()
    }

    fn apply_inbox(&mut self) -> bool {
        match self.duck {
            Duck::In => {
                for &slot in &self.ducked {
                    if let Some(node) = self.nodes[usize::from(slot)].as_mut() {
                        node.duck = 0;
                    }
                }
                self.ducked.clear();
                self.duck = Duck::None;
            }
            Duck::Out => self.duck = Duck::In,
            Duck::None => {}
        }
        if self.inbox.is_empty() {
            return false;
        }
        // While sound plays, rewiring waits one quantum for the inputs it touches to fade out.
        let playing = !self.output().is_silent();
        if self.duck == Duck::None && playing && self.mark_edited_inputs() {
            self.duck = Duck::Out;
            return false;
        }
        let edges_before = self.topology.edge_count();
        let mut replan = false;
        let mut inbox = core::mem::take(&mut self.inbox);
        for (batch, command) in inbox.drain(..) {
            let node = command.node();
            let param = match &command {
                Command::SetValue { param, .. } | Command::Automate { param, .. } => Some(*param),
                _ => None,
            };
            match self.apply(command) {
                Ok(structural) => replan |= structural,
                Err(e) => {
                    self.log(ErrorEntry { batch: Some(batch), node: Some(node), param, code: e.code, what: e.what })
                }
            }
            self.applied_batch = self.applied_batch.max(batch);
        }
        self.inbox = inbox;
        if replan {
            if self.topology.plan().is_err() {
                // Only reachable if the two sides disagree: drop this batch's new connections.
                self.topology.truncate_edges(edges_before.min(self.topology.edge_count()));
                let _ = self.topology.plan();
                self.log(ErrorEntry {
                    batch: Some(self.applied_batch),
                    node: None,
                    param: None,
                    code: ErrorCode::Desync,
                    what: "a cycle reached the render side; new connections were dropped",
                });
            }
            self.reschedule();
        }
        true
    }

    fn reschedule(&mut self) {
        let nodes = &self.nodes;
        self.schedule.rebuild(
            &self.topology,
            usize::from(self.destination.index),
            Some(usize::from(self.input.index)),
            |slot| nodes[slot].as_ref().map_or((0, 0, 1), |n| (n.inputs, n.params, n.outputs)),
            |slot| nodes[slot].as_ref().and_then(|n| n.processor.group_key()),
        );
    }

    /// Renders the group of `K` steps starting at step `i` together when every member can
    /// this quantum; returns whether it did (if not, nothing was touched and they run one by one).
    fn render_group<const K: usize>(&mut self, i: usize, cx: &ProcessContext) -> bool {
        let steps: [Step; K] = core::array::from_fn(|k| self.schedule.steps()[i + k]);
        let chained = steps[0].chained;
        let readers = if chained { 1 } else { K };
        let ready = |slot: &Option<NodeSlot>| {
            slot.as_ref()
                .is_some_and(|n| !n.failed && !n.ended && n.duck == 0 && n.meter.is_none() && n.processor.groupable())
        };
        if !steps.iter().all(|s| ready(&self.nodes[usize::from(s.slot)])) {
            return false;
        }
        let feeds = |s: &Step| match s.feeds[0] {
            Feed::Buffer(b) => Some(usize::from(b)),
            _ => None,
        };
        let audible_mono = |b: usize| !self.pool[b].is_silent() && self.pool[b].channels() == 1;
        if !steps[..readers].iter().all(|s| feeds(s).is_some_and(audible_mono)) {
            return false;
        }
        // The members write pool buffers while they read: their inputs are copied out first
        // (one channel each), so reads and writes never borrow the pool at once.
        for (k, s) in steps[..readers].iter().enumerate() {
            let Some(b) = feeds(s) else { return false };
            self.group_inputs[k] = *self.pool[b].channel(0);
        }
        let Ok(nodes) = self.nodes.get_disjoint_mut(steps.map(|s| usize::from(s.slot))) else { return false };
        let Ok(outputs) = self.pool.get_disjoint_mut(steps.map(|s| usize::from(s.output))) else { return false };
        let mut outputs = outputs;
        let mut members = nodes.map(|n| n.as_mut().expect("checked ready above").processor.as_mut());
        let inputs: [&[f32; QUANTUM]; MAX_GROUP] = core::array::from_fn(|k| &self.group_inputs[k]);
        let Some((head, rest)) = members.split_first_mut() else { return false };
        if !head.process_group(rest, &inputs[..readers], &mut outputs, chained, cx) {
            return false;
        }
        // Members only ever produce finite audio with a plain status; a bad sample is cleared
        // and the node is checked on its own next quantum.
        for out in outputs {
            if suspect(out) {
                out.clear(1);
            }
        }
        true
    }

    /// Renders one quantum starting at context frame `frame`: applies waiting commands, then
    /// runs every node in schedule order. Allocation-free. Answers with [`NEWS_ACK`] and
    /// [`NEWS_ERRORS`] bits, so a host asks for acknowledgements and errors only when there
    /// are some.
    pub fn render(&mut self, frame: u64) -> u32 {
        let applied = self.apply_inbox();
        let sample_rate = self.config.sample_rate;
        let cx = ProcessContext { sample_rate, frame, time: frame as f64 / f64::from(sample_rate) };
        let mut failures: [Option<(u16, ErrorCode, &'static str)>; 4] = [None; 4];
        let mut failure_count = 0;
        let mut ended_now = false;
        let step_count = self.schedule.steps().len();
        let mut next = 0;
        while next < step_count {
            let index = next;
            next += 1;
            let group = usize::from(self.schedule.steps()[index].group);
            macro_rules! sizes {
                ($($k:literal)*) => {
                    match group {
                        $($k => self.render_group::<$k>(index, &cx),)*
                        _ => false,
                    }
                };
            }
            const _: () = assert!(MAX_GROUP == 8, "the group sizes below go up to MAX_GROUP");
            let grouped = sizes!(2 3 4 5 6 7 8);
            if grouped {
                next += group - 1;
                continue;
            }
            let step = &self.schedule.steps()[index];
            let slot_index = usize::from(step.slot);
            let output_index = usize::from(step.output);
            let Some(slot) = self.nodes[slot_index].as_mut() else { continue };
            if slot.failed || slot.ended {
                if step.phase != Phase::SplitInput {
                    for &b in &step.extra_outputs[..usize::from(step.outputs)] {
                        self.pool[usize::from(b)].set_silent(1);
                    }
                }
                continue;
            }
            let several = step.outputs > 1;
            let ports = usize::from(step.inputs);
            // Feeds change only where inputs are summed or faded; a plain step reads its own.
            let mut changed_feeds: [Feed; MAX_PORTS];
            let mut feeds = &step.feeds;
            if step.mixes || slot.duck != 0 {
                changed_feeds = step.feeds;
                let edges = self.topology.inputs_of(slot_index);
                for (port, feed) in changed_feeds.iter_mut().enumerate() {
                    let ducked = port < MAX_INPUTS && slot.duck & (1 << port) != 0;
                    if *feed == Feed::Mix || (ducked && *feed != Feed::Silent) {
                        mix_into(&mut self.mixes[port], &self.pool, edges, port, &self.schedule);
                        *feed = Feed::Mix;
                        if ducked {
                            fade(&mut self.mixes[port], self.duck == Duck::Out);
                        }
                    }
                }
                feeds = &changed_feeds;
            }
            let (before, rest) = self.pool.split_at_mut(output_index);
            let (output, after) = rest.split_first_mut().expect("buffer index is in range");
            let read = |feed: Feed, port: usize| -> &AudioBuf {
                match feed {
                    Feed::Silent => &SILENCE,
                    Feed::Buffer(b) if usize::from(b) < output_index => &before[usize::from(b)],
                    Feed::Buffer(b) if usize::from(b) == output_index => &SILENCE,
                    Feed::Buffer(b) => &after[usize::from(b) - output_index - 1],
                    Feed::Mix => &self.mixes[port],
                }
            };
            if step.modulated {
                let params = slot.processor.params();
                for (i, param) in params.iter_mut().enumerate().take(usize::from(step.params)) {
                    let feed = feeds[MAX_INPUTS + i];
                    if feed != Feed::Silent {
                        param.modulate(read(feed, MAX_INPUTS + i));
                    }
                }
            }
            let status = match step.phase {
                Phase::Whole => {
                    let mut inputs: [&AudioBuf; MAX_INPUTS] = [&SILENCE; MAX_INPUTS];
                    for (port, input) in inputs.iter_mut().enumerate().take(ports) {
                        *input = read(feeds[port], port);
                    }
                    if several {
                        let outputs = &mut self.scratch[..usize::from(step.outputs)];
                        slot.processor.process(&inputs[..ports], outputs, &cx)
                    } else {
                        slot.processor.process(&inputs[..ports], core::slice::from_mut(output), &cx)
                    }
                }
                Phase::SplitOutput => slot.processor.render_split_output(output, &cx),
                Phase::SplitInput => {
                    let mut inputs: [&AudioBuf; MAX_INPUTS] = [&SILENCE; MAX_INPUTS];
                    for (port, input) in inputs.iter_mut().enumerate().take(ports) {
                        // A split node reading itself reads the output it rendered this quantum.
                        *input = match feeds[port] {
                            Feed::Buffer(b) if usize::from(b) == output_index => &*output,
                            feed => read(feed, port),
                        };
                    }
                    slot.processor.take_split_input(&inputs[..ports], &cx);
                    Status::Normal
                }
            };
            // NaN or infinite samples are silenced where they appear and reported once per node.
            // A node's output is sampled (a NaN or infinity persists, so a few samples tell);
            // the destination's is scanned whole, so none reaches the speakers, and filters
            // guard their own memory.
            if step.phase != Phase::SplitInput {
                let whole = slot_index == usize::from(self.destination.index);
                let outputs: &mut [AudioBuf] = if several {
                    &mut self.scratch[..usize::from(step.outputs)]
                } else {
                    core::slice::from_mut(output)
                };
                for buf in outputs.iter_mut() {
                    if buf.is_silent() || !(whole || suspect(buf)) {
                        continue;
                    }
                    let channels = buf.channels();
                    if (0..channels).any(|ch| has_non_finite::<Native>(buf.channel(ch))) {
                        buf.clear(channels);
                        if !slot.bad_samples_reported && failure_count < failures.len() {
                            slot.bad_samples_reported = true;
                            failures[failure_count] = Some((
                                step.slot,
                                ErrorCode::BadSamples,
                                "the node produced NaN or infinite samples; they were silenced",
                            ));
                            failure_count += 1;
                        }
                    }
                }
            }
            if let (Some(index), false) = (slot.meter, step.phase == Phase::SplitInput) {
                self.meters[index].add(if several { &self.pool[usize::from(step.extra_outputs[0])] } else { output });
                self.meters[index].reading = slot.processor.reading();
            }
            if several && step.phase == Phase::Whole {
                for (k, &b) in step.extra_outputs[..usize::from(step.outputs)].iter().enumerate() {
                    core::mem::swap(&mut self.pool[usize::from(b)], &mut self.scratch[k]);
                }
            }
            if status == Status::Ended {
                slot.ended = true;
                ended_now = true;
                let id = self.topology.id_at(slot_index);
                self.ended[(self.ended_count % ENDED_LOG as u64) as usize] = id;
                self.ended_count += 1;
            }
            if let Status::Error(what) = status {
                slot.failed = true;
                for &b in &step.extra_outputs[..usize::from(step.outputs)] {
                    self.pool[usize::from(b)].set_silent(1);
                }
                if failure_count < failures.len() {
                    failures[failure_count] = Some((step.slot, ErrorCode::NodeFailed, what));
                    failure_count += 1;
                }
            }
        }
        for (index, code, what) in failures.into_iter().flatten() {
            let node = self.topology.id_at(usize::from(index));
            self.log(ErrorEntry { batch: None, node, param: None, code, what });
        }
        self.frame = frame + QUANTUM as u64;
        let mut news = if applied { NEWS_ACK } else { 0 };
        if ended_now {
            news |= NEWS_ENDED;
        }
        if self.error_count != self.errors_at_last_render {
            self.errors_at_last_render = self.error_count;
            news |= NEWS_ERRORS;
        }
        news
    }
}

fn param_of<'a>(
    nodes: &'a mut [Option<NodeSlot>],
    topology: &Topology,
    id: NodeId,
    param: u8,
) -> Result<&'a mut crate::render::Param, RenderError> {
    if !topology.contains(id) {
        return Err(render_error(ErrorCode::StaleNode, "node id is stale: the node was removed or never existed"));
    }
    let slot = nodes[usize::from(id.index)].as_mut().expect("live nodes have processors");
    slot.processor.params().get_mut(usize::from(param)).ok_or(render_error(ErrorCode::BadParam, "no such parameter"))
}

/// Keeps a removed event that owns memory for dropping later; plain events own none.
fn retire_event(retired: &mut Vec<Event>, event: Event) {
    if matches!(event, Event::Curve { .. }) && retired.len() < retired.capacity() {
        retired.push(event);
    } else if matches!(event, Event::Curve { .. }) {
        // Never expected (room is reserved per curve queued); losing the memory beats
        // freeing it on the audio thread.
        core::mem::forget(event);
    }
}

/// Whether a node's output may hold NaN or infinity, from a sum of a few of its samples (NaN
/// and infinity survive addition; a finite sum that overflows only costs the full scan).
/// Each sample probed is the first of one of the 64-byte stores with which `memset` and
/// `memcpy` write a channel (counted from the channel's start): a load there is forwarded from
/// the store just made, where a load inside one (the last sample, say) waits for the store to
/// reach the cache, which cost a no-op node a sixth of its time. The price: a NaN that first
/// appears in a quantum's last 15 samples is caught at the start of the next quantum (it
/// persists), and the destination's whole scan still keeps it from the speakers.
#[inline]
fn suspect(buf: &AudioBuf) -> bool {
    let probe = |c: &[f32; QUANTUM]| c[0] + c[QUANTUM / 2] + c[QUANTUM - 16];
    !(probe(buf.channel(0)) + probe(buf.channel(1))).is_finite()
}

/// Fades a quantum out (1 → 0) or in (0 → 1), linearly.
fn fade(buf: &mut AudioBuf, out: bool) {
    if buf.is_silent() {
        return;
    }
    for ch in 0..buf.channels() {
        for (i, v) in buf.channel_mut(ch).iter_mut().enumerate() {
            let share = (i + 1) as f32 / QUANTUM as f32;
            *v *= if out { 1.0 - share } else { share };
        }
    }
}

/// Sums every connection arriving at `port` into `mix`, up-mixing mono to stereo.
fn mix_into(mix: &mut AudioBuf, pool: &[AudioBuf], edges: &[InEdge], port: usize, schedule: &Schedule) {
    let sources = edges
        .iter()
        .filter(|e| port_of(e.input) == port)
        .map(|e| &pool[usize::from(schedule.buffer_of(usize::from(e.from), e.output))]);
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
