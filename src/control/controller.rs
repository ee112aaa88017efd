//! Control side: validates every request against a mirror of the graph, hands out ids, and
//! records the accepted commands as a batch for the render side.

use crate::graph::{
    AutomationEvent, Batch, Command, Edge, EngineConfig, EngineError, ErrorCode, KindRef, NewNode, NodeId, NodeSpec,
    Ports, SettingKind, SettingValue, StoreOp, Timeline, Topology, WireCommand,
};
use crate::node;
use std::collections::HashMap;

/// What the controller knows of one live node.
#[derive(Clone, Debug)]
struct NodeMeta {
    kind: KindRef,
    spec: Option<&'static NodeSpec>,
    started: bool,
    stopped: bool,
    /// One mirror per parameter, made on first automation.
    timelines: Vec<Timeline>,
    /// Sample memory the node holds, counted against the budget: what its options size, and
    /// the prepared data (tables, spectra) it was last given. A buffer is counted once, where
    /// it is stored.
    memory: usize,
    samples: usize,
    /// The stored buffers the node plays, by setting (a drum kit has one a pad).
    buffers: Vec<(u8, u32)>,
    metered: bool,
    /// Flag settings as last given, bit `i` for setting `i` (from their defaults).
    flags: u64,
}

/// The control side's authority over a graph: ids, validation, and the commands to send.
///
/// A refused request returns an error and changes nothing; an accepted one is applied to the
/// mirror at once and queued for [`Controller::take_batch`].
#[derive(Debug)]
pub struct Controller {
    config: EngineConfig,
    topology: Topology,
    meta: Vec<Option<NodeMeta>>,
    destination: NodeId,
    input: NodeId,
    batch: Vec<WireCommand>,
    now: f64,
    memory: usize,
    meters: usize,
    buffers: HashMap<u32, StoredBuffer>,
    next_buffer: u32,
    /// Buffer pieces to send before `batch`, and buffers to forget after it.
    store: Vec<StoreOp>,
    forget: Vec<u32>,
}

/// A buffer sent to the render side once, for any number of nodes to play.
#[derive(Clone, Copy, Debug)]
struct StoredBuffer {
    bytes: usize,
    /// Nodes playing it.
    users: usize,
    /// Kept for more nodes until released ([`Controller::release_buffer`]).
    held: bool,
}

/// Frames a buffer piece carries: 64 KB of one channel.
pub const PIECE_FRAMES: usize = 16_384;

impl Controller {
    /// A controller whose graph holds the engine's destination and input nodes, in slots 0 and 1
    /// where the render side puts them.
    pub fn new(config: EngineConfig) -> Self {
        let mut c = Self {
            config,
            topology: Topology::new(config.max_nodes, config.max_edges),
            meta: vec![None; config.max_nodes],
            destination: NodeId { index: 0, generation: 0 },
            input: NodeId { index: 1, generation: 0 },
            batch: Vec::new(),
            now: 0.0,
            memory: 0,
            meters: 0,
            buffers: HashMap::new(),
            next_buffer: 1,
            store: Vec::new(),
            forget: Vec::new(),
        };
        for index in [node::DESTINATION, node::INPUT] {
            let spec = node::registered(index).expect("the registry starts with the engine's own nodes").spec;
            let id = c.topology.add(spec.ports()).expect("capacity holds the engine's own nodes");
            c.meta[usize::from(id.index)] = Some(NodeMeta::new(KindRef::Registered(index), Some(spec)));
        }
        c
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    pub fn destination(&self) -> NodeId {
        self.destination
    }

    pub fn input(&self) -> NodeId {
        self.input
    }

    pub fn node_count(&self) -> usize {
        self.topology.node_count()
    }

    pub fn edge_count(&self) -> usize {
        self.topology.edge_count()
    }

    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// Tells the controller the context's time as the page sees it (never ahead of the render
    /// side): automation events that have passed by then stop counting against capacity, and
    /// a `.value` change while automation runs is scheduled from then.
    pub fn advance_to(&mut self, now: f64) {
        if now.is_finite() && now > self.now {
            self.now = now;
        }
    }

    pub fn now(&self) -> f64 {
        self.now
    }

    fn meta(&self, id: NodeId) -> Result<&NodeMeta, EngineError> {
        if !self.topology.contains(id) {
            return Err(stale(id));
        }
        Ok(self.meta[usize::from(id.index)].as_ref().expect("live nodes have metadata"))
    }

    fn meta_mut(&mut self, id: NodeId) -> Result<&mut NodeMeta, EngineError> {
        if !self.topology.contains(id) {
            return Err(stale(id));
        }
        Ok(self.meta[usize::from(id.index)].as_mut().expect("live nodes have metadata"))
    }

    /// The descriptor of `id`'s kind (`None` for a custom Rust processor).
    pub fn spec_of(&self, id: NodeId) -> Result<Option<&'static NodeSpec>, EngineError> {
        self.meta(id).map(|m| m.spec)
    }

    /// The wire form of `id`'s kind.
    pub fn kind_of(&self, id: NodeId) -> Result<KindRef, EngineError> {
        self.meta(id).map(|m| m.kind)
    }

    /// Adds a node of the registered kind `name` (`"oscillator"`, `"delay"`, ...).
    pub fn add_node(&mut self, name: &str) -> Result<NodeId, EngineError> {
        let Some((kind, node_type)) = node::find(name) else {
            let offered = node::REGISTRY.iter().skip(2).filter(|t| !t.spec.internal);
            let known: Vec<_> = offered.map(|t| t.spec.name).collect();
            return Err(EngineError::new(
                ErrorCode::UnknownKind,
                format!("unknown node kind '{name}' (known: {})", known.join(", ")),
            ));
        };
        if matches!(kind, KindRef::Registered(node::DESTINATION | node::INPUT)) {
            return Err(EngineError::new(ErrorCode::Protected, "the engine has exactly one destination and one input"));
        }
        self.add(kind, Some(node_type.spec), node_type.spec.ports())
    }

    /// Adds a slot for a processor written in Rust, with the given port counts.
    pub fn add_custom(&mut self, inputs: u8, outputs: u8) -> Result<NodeId, EngineError> {
        if usize::from(inputs) > crate::MAX_INPUTS || outputs > 1 {
            return Err(EngineError::new(
                ErrorCode::BadPort,
                format!("a node may have at most {} inputs and 1 output", crate::MAX_INPUTS),
            ));
        }
        let ports = Ports { inputs, outputs, ..Ports::default() };
        self.add(KindRef::Custom { inputs, outputs }, None, ports)
    }

    fn add(&mut self, kind: KindRef, spec: Option<&'static NodeSpec>, ports: Ports) -> Result<NodeId, EngineError> {
        let id = self.topology.add(ports).map_err(|e| {
            EngineError::new(e.code, format!("{} (the engine holds {} nodes)", e.what, self.config.max_nodes))
        })?;
        let mut meta = NodeMeta::new(kind, spec);
        if let KindRef::Registered(index) = kind {
            meta.memory = self.memory_of(index, &[]);
            if let Err(e) = self.charge(0, meta.memory) {
                self.topology.remove(id).expect("just added");
                return Err(e);
            }
        }
        self.meta[usize::from(id.index)] = Some(meta);
        self.batch.push(Command::AddNode { id, node: NewNode { kind, options: Vec::new() } });
        Ok(id)
    }

    fn memory_of(&self, index: u16, options: &[(u8, SettingValue)]) -> usize {
        node::registered(index).map_or(0, |t| (t.memory)(&self.config, options))
    }

    /// Swaps `old` bytes of sample memory for `new`, unless that goes past the budget.
    fn charge(&mut self, old: usize, new: usize) -> Result<(), EngineError> {
        let total = self.memory - old + new;
        if total > self.config.memory_budget {
            return Err(EngineError::new(
                ErrorCode::TooLarge,
                format!(
                    "that needs {:.1} MB of sample memory; {:.1} MB of the engine's {:.1} MB are in use",
                    new as f64 / 1e6,
                    (self.memory - old) as f64 / 1e6,
                    self.config.memory_budget as f64 / 1e6
                ),
            ));
        }
        self.memory = total;
        Ok(())
    }

    /// Sample memory the graph's nodes hold.
    pub fn memory(&self) -> usize {
        self.memory
    }

    pub fn remove_node(&mut self, id: NodeId) -> Result<(), EngineError> {
        if id == self.destination || id == self.input {
            return Err(
                EngineError::new(ErrorCode::Protected, "the destination and input nodes cannot be removed").at_node(id)
            );
        }
        self.topology.remove(id).map_err(|_| stale(id))?;
        let meta = self.meta[usize::from(id.index)].take().expect("live nodes have metadata");
        for &(_, buffer) in &meta.buffers {
            self.let_go(buffer);
        }
        self.memory -= meta.memory + meta.samples;
        self.meters -= usize::from(meta.metered);
        self.batch.push(Command::RemoveNode { id });
        Ok(())
    }

    /// Sends a buffer to the render side once, in pieces outside any command, for nodes to be
    /// given with [`SettingValue::Stored`] (its number, returned). Counted against the memory
    /// budget once, however many nodes play it, until released and played by none.
    pub fn store_buffer(&mut self, sample_rate: f32, channels: &[Vec<f32>]) -> Result<u32, EngineError> {
        check_samples(sample_rate, channels).map_err(|(code, why)| EngineError::new(code, why))?;
        self.store_checked(sample_rate, channels)
    }

    /// [`Controller::store_buffer`] for samples [`check_samples`] has passed already.
    fn store_checked(&mut self, sample_rate: f32, channels: &[Vec<f32>]) -> Result<u32, EngineError> {
        let bytes = channels.iter().map(|c| c.len() * core::mem::size_of::<f32>()).sum();
        self.charge(0, bytes)?;
        let buffer = self.next_buffer;
        self.next_buffer += 1;
        let frames = channels[0].len();
        self.store.push(StoreOp::Begin { buffer, sample_rate, channels: channels.len() as u8, frames: frames as u32 });
        for (channel, samples) in channels.iter().enumerate() {
            for (piece, data) in samples.chunks(PIECE_FRAMES).enumerate() {
                let offset = (piece * PIECE_FRAMES) as u32;
                self.store.push(StoreOp::Fill { buffer, channel: channel as u8, offset, data: data.to_vec() });
            }
        }
        self.buffers.insert(buffer, StoredBuffer { bytes, users: 0, held: true });
        Ok(buffer)
    }

    /// Gives up a stored buffer: nodes playing it keep it, no new node can be given it, and
    /// its memory is freed once none plays it.
    pub fn release_buffer(&mut self, buffer: u32) -> Result<(), EngineError> {
        let stored = self.buffers.get_mut(&buffer).filter(|b| b.held).ok_or_else(|| no_buffer(buffer))?;
        stored.held = false;
        self.forget_if_unused(buffer);
        Ok(())
    }

    /// Buffers stored and not yet forgotten.
    pub fn stored_buffers(&self) -> usize {
        self.buffers.len()
    }

    // Moves node `id` from the buffer it plays to `buffer`.
    /// `id` plays `buffer` for `setting`, in place of what it played there before.
    fn use_buffer(&mut self, id: NodeId, setting: u8, buffer: u32) {
        let meta = self.meta[usize::from(id.index)].as_mut().expect("live nodes have metadata");
        let old = match meta.buffers.iter_mut().find(|(s, _)| *s == setting) {
            Some((_, held)) => Some(core::mem::replace(held, buffer)),
            None => {
                meta.buffers.push((setting, buffer));
                None
            }
        };
        if let Some(stored) = self.buffers.get_mut(&buffer) {
            stored.users += 1;
        }
        if let Some(old) = old {
            self.let_go(old);
        }
    }

    /// One node fewer plays `buffer`.
    fn let_go(&mut self, buffer: u32) {
        self.buffers.get_mut(&buffer).expect("a node's buffer is stored").users -= 1;
        self.forget_if_unused(buffer);
    }

    fn forget_if_unused(&mut self, buffer: u32) {
        if let Some(stored) = self.buffers.get(&buffer).filter(|b| !b.held && b.users == 0) {
            self.memory -= stored.bytes;
            self.buffers.remove(&buffer);
            self.forget.push(buffer);
        }
    }

    pub fn connect(&mut self, edge: Edge) -> Result<(), EngineError> {
        let added = self.topology.connect(edge).map_err(|e| edge_error(e.into(), &edge))?;
        if added {
            self.batch.push(Command::Connect(edge));
        }
        Ok(())
    }

    pub fn disconnect(&mut self, edge: Edge) -> Result<(), EngineError> {
        self.topology.disconnect(edge).map_err(|e| edge_error(e.into(), &edge))?;
        self.batch.push(Command::Disconnect(edge));
        Ok(())
    }

    pub fn disconnect_outputs(&mut self, id: NodeId) -> Result<(), EngineError> {
        self.topology.disconnect_outputs(id).map_err(|_| stale(id))?;
        self.batch.push(Command::DisconnectOutputs { id });
        Ok(())
    }

    /// The index of `id`'s parameter called `name`.
    pub fn param_index(&self, id: NodeId, name: &str) -> Result<u8, EngineError> {
        let spec = self.meta(id)?.spec;
        spec.and_then(|s| s.param_index(name)).ok_or_else(|| {
            let names: Vec<_> = spec.map(|s| s.params.iter().map(|p| p.name).collect()).unwrap_or_default();
            let kind = spec.map_or("this node", |s| s.name);
            EngineError::new(
                ErrorCode::BadParam,
                format!("{kind} has no parameter '{name}' (it has: {})", names.join(", ")),
            )
            .at_node(id)
            .at_param(name)
        })
    }

    fn param_name(&self, id: NodeId, param: u8) -> Result<&'static str, EngineError> {
        let spec = self.meta(id)?.spec;
        spec.and_then(|s| s.params.get(usize::from(param))).map(|p| p.name).ok_or_else(|| {
            EngineError::new(
                ErrorCode::BadParam,
                format!("{} has no parameter #{param}", spec.map_or("this node", |s| s.name)),
            )
            .at_node(id)
        })
    }

    /// Sets a parameter now. Values outside the nominal range are kept and clamped when
    /// rendered, as Web Audio does; NaN and infinities are refused. While automation is
    /// scheduled on the parameter this is `setValueAtTime(value, now)`, as in Web Audio.
    pub fn set_value(&mut self, id: NodeId, param: u8, value: f32) -> Result<(), EngineError> {
        let name = self.param_name(id, param)?;
        if !value.is_finite() {
            return Err(EngineError::new(ErrorCode::NonFinite, format!("parameter value must be finite, got {value}"))
                .at_node(id)
                .at_param(name));
        }
        let now = self.now;
        let automated = self.timeline(id, param).is_some_and(|t| {
            t.pass_until(now, false);
            !t.is_empty()
        });
        if automated {
            return self.automate(id, param, AutomationEvent::SetValueAtTime { value, time: now });
        }
        self.batch.push(Command::SetValue { id, param, value });
        Ok(())
    }

    fn timeline(&mut self, id: NodeId, param: u8) -> Option<&mut Timeline> {
        self.meta_mut(id).ok()?.timelines.get_mut(usize::from(param))
    }

    pub fn automate(&mut self, id: NodeId, param: u8, event: AutomationEvent) -> Result<(), EngineError> {
        let name = self.param_name(id, param)?;
        let (now, capacity) = (self.now, self.config.max_automation_events);
        let meta = self.meta_mut(id)?;
        let params = meta.spec.map_or(0, |s| s.params.len());
        if meta.timelines.is_empty() {
            meta.timelines = (0..params).map(|_| Timeline::with_capacity(capacity)).collect();
        }
        let timeline = &mut meta.timelines[usize::from(param)];
        timeline.pass_until(now, false);
        let method = event.method();
        timeline
            .apply(event.clone(), &mut drop)
            .map_err(|e| EngineError::new(e.code, format!("{method}: {}", e.what)).at_node(id).at_param(name))?;
        self.batch.push(Command::Automate { id, param, event });
        Ok(())
    }

    /// The control side's copy of a parameter's timeline, as of the last [`Controller::advance_to`].
    pub fn timeline_of(&self, id: NodeId, param: u8) -> Option<&Timeline> {
        self.meta(id).ok()?.timelines.get(usize::from(param))
    }

    /// The index of `id`'s setting called `name`.
    pub fn setting_index(&self, id: NodeId, name: &str) -> Result<u8, EngineError> {
        let spec = self.meta(id)?.spec;
        spec.and_then(|s| s.setting_index(name)).ok_or_else(|| {
            let names: Vec<_> = spec.map(|s| s.settings.iter().map(|p| p.name).collect()).unwrap_or_default();
            let kind = spec.map_or("this node", |s| s.name);
            EngineError::new(
                ErrorCode::BadSetting,
                format!("{kind} has no setting '{name}' (it has: {})", names.join(", ")),
            )
            .at_node(id)
        })
    }

    /// Gives setting number `setting` of `id` a value, checked against the kind's descriptor:
    /// the right form, a known choice, a time that is finite and not negative, a number in range,
    /// finite samples; a source starts once and stops after it started; a creation-only
    /// setting comes before anything else is done with the node.
    pub fn configure(&mut self, id: NodeId, setting: u8, value: SettingValue) -> Result<(), EngineError> {
        let meta = self.meta(id)?;
        let refuse = |message: String| Err(EngineError::new(ErrorCode::BadSetting, message).at_node(id));
        let Some(spec) = meta.spec.and_then(|s| s.settings.get(usize::from(setting)).map(|set| (s, set))) else {
            return refuse(format!("the node has no setting #{setting}"));
        };
        let (kind, setting_spec) = spec;
        let name = setting_spec.name;
        check_setting_value(setting_spec.kind, &value)
            .map_err(|(code, why)| EngineError::new(code, format!("{}.{name}: {why}", kind.name)).at_node(id))?;
        if setting_spec.at_creation {
            // Into the node's creation, while it has not been sent: what it sizes is allocated
            // when the node is built, never on the render path.
            let creation =
                self.batch.iter().rposition(|c| matches!(c, Command::AddNode { id: made, .. } if *made == id));
            let Some(at) = creation else {
                return refuse(format!("{}.{name} can only be given when the node is made", kind.name));
            };
            let Command::AddNode { node, .. } = &self.batch[at] else { unreachable!("found above") };
            let mut options = node.options.clone();
            options.retain(|(s, _)| *s != setting);
            options.push((setting, value));
            let KindRef::Registered(index) = node.kind else { return refuse("a custom node takes no settings".into()) };
            let (old, new) = (meta.memory, self.memory_of(index, &options));
            self.charge(old, new).map_err(|e| e.at_node(id))?;
            self.meta_mut(id)?.memory = new;
            if let Command::AddNode { node, .. } = &mut self.batch[at] {
                node.options = options;
            }
            return Ok(());
        }
        if kind.source && name == "start" && meta.started {
            return refuse("start() may be called only once on a source".into());
        }
        if kind.source && name == "stop" && !meta.started {
            return refuse("stop() before start()".into());
        }
        if let SettingValue::Stored(buffer) = value {
            if !self.buffers.get(&buffer).is_some_and(|b| b.held) {
                return Err(no_buffer(buffer).at_node(id));
            }
        }
        let meta = self.meta(id)?;
        let value = match meta.kind {
            KindRef::Registered(index) => {
                let node_type = node::registered(index).expect("live nodes have a registered kind");
                let cx = node::Prepare { config: &self.config, flags: meta.flags };
                (node_type.prepare)(setting, value, &cx).map_err(|e| e.at_node(id))?
            }
            KindRef::Custom { .. } => value,
        };
        // A buffer the kind plays as it is is stored, for this node alone.
        let value = match value {
            SettingValue::Samples { sample_rate, channels } => {
                // Checked with the setting above: a long buffer is not scanned twice.
                let buffer = self.store_checked(sample_rate, &channels).map_err(|e| e.at_node(id))?;
                self.buffers.get_mut(&buffer).expect("just stored").held = false;
                SettingValue::Stored(buffer)
            }
            value => value,
        };
        if let SettingValue::Stored(buffer) = value {
            self.use_buffer(id, setting, buffer);
        }
        if let SettingValue::Tables(data) = &value {
            // Prepared data (a wave's tables, a response's spectra) is what the node will hold.
            let bytes = data.len() * core::mem::size_of::<f32>();
            let held = self.meta(id)?.samples;
            self.charge(held, bytes).map_err(|e| e.at_node(id))?;
            self.meta_mut(id)?.samples = bytes;
        }
        let meta = self.meta_mut(id)?;
        if let SettingValue::Flag(on) = value {
            meta.flags = (meta.flags & !(1 << setting)) | (u64::from(on) << setting);
        }
        match name {
            "start" if kind.source => meta.started = true,
            "stop" if kind.source => meta.stopped = true,
            _ => {}
        }
        self.batch.push(Command::Configure { id, setting, value });
        Ok(())
    }

    /// Starts or stops metering `id`'s output (peak and RMS, sent to the page while on).
    pub fn meter(&mut self, id: NodeId, on: bool) -> Result<(), EngineError> {
        let metered = self.meta(id)?.metered;
        if on == metered {
            return Ok(());
        }
        if on && self.meters >= crate::graph::MAX_METERS {
            return Err(EngineError::new(
                ErrorCode::QueueFull,
                format!("at most {} node outputs can be metered at once", crate::graph::MAX_METERS),
            )
            .at_node(id));
        }
        self.meta_mut(id)?.metered = on;
        self.meters = if on { self.meters + 1 } else { self.meters - 1 };
        self.batch.push(Command::Meter { id, on });
        Ok(())
    }

    /// The commands accepted since the last call, in order (without the buffer pieces: see
    /// [`Controller::take`]).
    pub fn take_batch(&mut self) -> Vec<WireCommand> {
        std::mem::take(&mut self.batch)
    }

    /// What is ready to send, in a batch of about `budget` bytes at most: buffer pieces first
    /// (at least one), and only once all of them are taken, the commands and the buffers to
    /// forget. Call again while [`Controller::pending`] is not 0.
    pub fn take(&mut self, budget: usize) -> Batch {
        let mut size = 0;
        let pieces = self
            .store
            .iter()
            .take_while(|op| {
                size += match op {
                    StoreOp::Begin { .. } => 16,
                    StoreOp::Fill { data, .. } => 16 + data.len() * core::mem::size_of::<f32>(),
                };
                size <= budget
            })
            .count()
            .max(1)
            .min(self.store.len());
        let store: Vec<_> = self.store.drain(..pieces).collect();
        if !self.store.is_empty() {
            return Batch { store, ..Batch::default() };
        }
        Batch { store, commands: self.take_batch(), forget: std::mem::take(&mut self.forget) }
    }

    pub fn pending(&self) -> usize {
        self.batch.len() + self.store.len() + self.forget.len()
    }
}

impl NodeMeta {
    fn new(kind: KindRef, spec: Option<&'static NodeSpec>) -> Self {
        let flags = spec.map_or(0, |s| {
            s.settings.iter().enumerate().filter(|(_, set)| set.default == Some(1.0)).fold(0, |f, (i, _)| f | 1 << i)
        });
        Self {
            kind,
            spec,
            started: false,
            stopped: false,
            timelines: Vec::new(),
            memory: 0,
            samples: 0,
            buffers: Vec::new(),
            metered: false,
            flags,
        }
    }
}

/// Coefficients a custom wave may have (more than any table holds partials).
pub const MAX_WAVE_COEFFICIENTS: usize = 1 << 16;

/// Notes a sequence may hold (a dense piano part has some thousands).
pub const MAX_SEQUENCE_NOTES: usize = 1 << 20;

/// Samples a setting may carry at most (per channel): ten minutes at 96 kHz.
pub const MAX_SETTING_SAMPLES: usize = 96_000 * 600;

/// Checks a buffer: a rate in range, 1 to `MAX_CHANNELS` channels of one length under the
/// limit, finite samples.
fn check_samples(sample_rate: f32, channels: &[Vec<f32>]) -> Result<(), (ErrorCode, String)> {
    let bad = |why: String| Err((ErrorCode::BadSetting, why));
    if !(sample_rate.is_finite() && (3000.0..=768_000.0).contains(&sample_rate)) {
        return Err((ErrorCode::OutOfRange, format!("sample rate {sample_rate} is outside 3000–768000 Hz")));
    }
    if channels.is_empty() || channels.len() > crate::MAX_CHANNELS {
        return bad(format!("a buffer needs 1 to {} channels", crate::MAX_CHANNELS));
    }
    if channels.iter().any(|c| c.len() != channels[0].len()) {
        return bad("every channel of a buffer needs the same length".into());
    }
    if channels[0].len() > MAX_SETTING_SAMPLES {
        return Err((
            ErrorCode::TooLarge,
            format!("{} frames is over the limit of {MAX_SETTING_SAMPLES}", channels[0].len()),
        ));
    }
    if !channels.iter().flatten().all(|x| x.is_finite()) {
        return Err((ErrorCode::NonFinite, "samples must be finite".into()));
    }
    Ok(())
}

#[cold]
fn no_buffer(buffer: u32) -> EngineError {
    EngineError::new(ErrorCode::BadSetting, format!("no stored buffer #{buffer} is held (never stored, or released)"))
}

/// Checks a setting's value against what its kind takes.
fn check_setting_value(kind: SettingKind, value: &SettingValue) -> Result<(), (ErrorCode, String)> {
    let bad = |why: &str| Err((ErrorCode::BadSetting, why.to_string()));
    let finite = |v: &[f32]| v.iter().all(|x| x.is_finite());
    match (kind, value) {
        (SettingKind::Choice { choices }, SettingValue::Choice(i)) => {
            if usize::from(*i) < choices.len() {
                Ok(())
            } else {
                bad(&format!("choice #{i} is not one of {}", choices.join(", ")))
            }
        }
        (SettingKind::Time, SettingValue::Time(t)) => {
            if t.is_finite() && *t >= 0.0 {
                Ok(())
            } else {
                Err((ErrorCode::OutOfRange, format!("a time must be finite and not negative, got {t}")))
            }
        }
        (SettingKind::Number { min, max }, SettingValue::Number(v)) => {
            if v.is_finite() && (min..=max).contains(v) {
                Ok(())
            } else {
                Err((ErrorCode::OutOfRange, format!("{v} is outside {min}–{max}")))
            }
        }
        (SettingKind::Flag, SettingValue::Flag(_)) => Ok(()),
        (SettingKind::Samples { .. }, SettingValue::Samples { sample_rate, channels }) => {
            check_samples(*sample_rate, channels)
        }
        (SettingKind::Samples { stored: true }, SettingValue::Stored(_)) => Ok(()),
        (SettingKind::Samples { stored: false }, SettingValue::Stored(_)) => {
            bad("this buffer is prepared from its samples (given as samples, not as a stored buffer)")
        }
        (SettingKind::Curve, SettingValue::Curve(values)) => {
            if values.len() == 1 {
                return bad("a curve needs at least two values (or none, to pass the signal through)");
            }
            if values.len() > MAX_SETTING_SAMPLES {
                return Err((ErrorCode::TooLarge, "the curve is too long".into()));
            }
            if !finite(values) {
                return Err((ErrorCode::NonFinite, "curve values must be finite".into()));
            }
            Ok(())
        }
        (SettingKind::Wave, SettingValue::Wave { real, imag, .. }) => {
            if real.len() != imag.len() {
                return bad(&format!("real has {} values and imag {}: they must match", real.len(), imag.len()));
            }
            if real.len() < 2 {
                return bad("a wave needs at least two coefficients");
            }
            if real.len() > MAX_WAVE_COEFFICIENTS {
                return Err((
                    ErrorCode::TooLarge,
                    format!("a wave takes at most {MAX_WAVE_COEFFICIENTS} coefficients"),
                ));
            }
            if !finite(real) || !finite(imag) {
                return Err((ErrorCode::NonFinite, "coefficients must be finite".into()));
            }
            Ok(())
        }
        (SettingKind::Sequence, SettingValue::Sequence(notes)) => {
            if notes.len() > MAX_SEQUENCE_NOTES {
                return Err((ErrorCode::TooLarge, format!("a sequence holds at most {MAX_SEQUENCE_NOTES} notes")));
            }
            if let Some(n) = notes.iter().find(|n| n.key > 127 || !(1..=127).contains(&n.velocity) || n.length == 0) {
                return Err((
                    ErrorCode::OutOfRange,
                    format!(
                        "note {} (velocity {}, {} frames long) is outside MIDI's ranges or has no length",
                        n.key, n.velocity, n.length
                    ),
                ));
            }
            Ok(())
        }
        (SettingKind::Breakpoints, SettingValue::Breakpoints(points)) => {
            if points.len() > MAX_SEQUENCE_NOTES {
                return Err((ErrorCode::TooLarge, format!("a lane holds at most {MAX_SEQUENCE_NOTES} points")));
            }
            if points.iter().any(|p| !p.value.is_finite()) {
                return Err((ErrorCode::NonFinite, "lane values must be finite".into()));
            }
            if points.windows(2).any(|w| w[1].frame <= w[0].frame) {
                return bad("a lane's points must come in frame order, one per frame");
            }
            Ok(())
        }
        (SettingKind::Transport, SettingValue::Transport { loop_start, loop_end, .. }) => {
            if loop_end < loop_start {
                return Err((
                    ErrorCode::OutOfRange,
                    format!("the loop ends ({loop_end}) before it starts ({loop_start})"),
                ));
            }
            Ok(())
        }
        (SettingKind::Note, SettingValue::Note { key, velocity }) => {
            if *key > 127 || *velocity > 127 {
                return Err((ErrorCode::OutOfRange, format!("key {key} or velocity {velocity} is outside 0–127")));
            }
            Ok(())
        }
        _ => bad("the value is not of the form this setting takes"),
    }
}

#[cold]
fn stale(id: NodeId) -> EngineError {
    EngineError::new(
        ErrorCode::StaleNode,
        format!("node {} (slot {}, generation {}) no longer exists", id.to_bits(), id.index, id.generation),
    )
    .at_node(id)
}

#[cold]
fn edge_error(e: EngineError, edge: &Edge) -> EngineError {
    let target = match edge.param() {
        Some(p) => format!("parameter #{p}"),
        None => format!("input {}", edge.input),
    };
    EngineError::new(
        e.code,
        format!(
            "{} (connecting node {} output {} to node {} {target})",
            e.message,
            edge.from.to_bits(),
            edge.output,
            edge.to.to_bits(),
        ),
    )
    .at_node(edge.to)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn controller() -> Controller {
        Controller::new(EngineConfig { max_nodes: 4, max_edges: 4, ..EngineConfig::new(48_000.0) })
    }

    fn edge(from: NodeId, to: NodeId) -> Edge {
        Edge { from, output: 0, to, input: 0 }
    }

    const START: u8 = 1;
    const STOP: u8 = 2;

    #[test]
    fn refused_requests_record_nothing() {
        let mut c = controller();
        let osc = c.add_node("oscillator").unwrap();
        let gain = c.add_node("gain").unwrap();
        let before = c.take_batch().len();
        assert_eq!(before, 2);
        assert_eq!(c.add_node("biquad").unwrap_err().code, ErrorCode::NodeCapacity);
        assert_eq!(c.connect(edge(gain, osc)).unwrap_err().code, ErrorCode::BadPort);
        let nan = c.set_value(gain, 0, f32::NAN).unwrap_err();
        assert_eq!(
            (nan.code, nan.node, nan.param.as_deref()),
            (ErrorCode::NonFinite, Some(gain.to_bits()), Some("gain"))
        );
        assert_eq!(c.set_value(gain, 3, 1.0).unwrap_err().code, ErrorCode::BadParam);
        assert_eq!(c.remove_node(c.destination()).unwrap_err().code, ErrorCode::Protected);
        assert_eq!(c.configure(gain, START, SettingValue::Time(0.0)).unwrap_err().code, ErrorCode::BadSetting);
        assert_eq!(c.configure(osc, 0, SettingValue::Choice(9)).unwrap_err().code, ErrorCode::BadSetting);
        assert_eq!(c.configure(osc, START, SettingValue::Choice(0)).unwrap_err().code, ErrorCode::BadSetting);
        assert_eq!(c.configure(osc, START, SettingValue::Time(-1.0)).unwrap_err().code, ErrorCode::OutOfRange);
        assert_eq!(
            c.automate(gain, 0, AutomationEvent::ExponentialRampToValueAtTime { value: 0.0, time: 1.0 })
                .unwrap_err()
                .code,
            ErrorCode::OutOfRange
        );
        assert_eq!(c.add_node("resonator").unwrap_err().code, ErrorCode::UnknownKind);
        assert_eq!(c.add_node("destination").unwrap_err().code, ErrorCode::Protected);
        assert_eq!(c.pending(), 0);
        c.remove_node(osc).unwrap();
        let err = c.connect(edge(osc, gain)).unwrap_err();
        assert_eq!(err.code, ErrorCode::StaleNode);
        assert!(err.message.contains("stale"), "{err}");
    }

    #[test]
    fn custom_nodes_fit_the_engine_s_port_limits() {
        let mut c = controller();
        assert_eq!(c.add_custom(5, 1).unwrap_err().code, ErrorCode::BadPort);
        assert_eq!(c.add_custom(1, 2).unwrap_err().code, ErrorCode::BadPort);
        c.add_custom(4, 1).unwrap();
    }

    #[test]
    fn a_source_starts_once() {
        let mut c = controller();
        let osc = c.add_node("oscillator").unwrap();
        assert_eq!(c.configure(osc, STOP, SettingValue::Time(1.0)).unwrap_err().code, ErrorCode::BadSetting);
        c.configure(osc, START, SettingValue::Time(0.0)).unwrap();
        assert_eq!(c.configure(osc, START, SettingValue::Time(1.0)).unwrap_err().code, ErrorCode::BadSetting);
        c.configure(osc, STOP, SettingValue::Time(1.0)).unwrap();
    }

    #[test]
    fn value_while_automated_is_scheduled_at_now() {
        let mut c = controller();
        let gain = c.add_node("gain").unwrap();
        c.automate(gain, 0, AutomationEvent::LinearRampToValueAtTime { value: 0.0, time: 2.0 }).unwrap();
        c.advance_to(1.0);
        c.set_value(gain, 0, 0.5).unwrap();
        let batch = c.take_batch();
        assert!(matches!(
            batch.last(),
            Some(Command::Automate { event: AutomationEvent::SetValueAtTime { value, time }, .. }) if *value == 0.5 && *time == 1.0
        ));
        c.advance_to(3.0);
        c.set_value(gain, 0, 0.25).unwrap();
        assert!(matches!(c.take_batch()[0], Command::SetValue { .. }), "the timeline has run out: a plain set");
    }

    #[test]
    fn batch_round_trips_through_the_wire_format() {
        let mut c = controller();
        let osc = c.add_node("oscillator").unwrap();
        c.connect(edge(osc, c.destination())).unwrap();
        c.set_value(osc, 0, 220.0).unwrap();
        c.store_buffer(48_000.0, &[vec![0.25; 100]]).unwrap();
        // Every kind of setting value that travels, so none is numbered differently on the way back.
        let values = [
            SettingValue::Choice(1),
            SettingValue::Time(0.5),
            SettingValue::Number(2.0),
            SettingValue::Flag(true),
            SettingValue::Samples { sample_rate: 48_000.0, channels: vec![vec![0.5]] },
            SettingValue::Stored(7),
            SettingValue::Curve(vec![0.0, 1.0]),
            SettingValue::Wave { real: vec![0.0, 1.0], imag: vec![0.0, 0.0], normalize: true },
            SettingValue::Tables(vec![0.25]),
            SettingValue::Sequence(vec![crate::graph::SequencedNote { start: 1, length: 2, key: 60, velocity: 9 }]),
            SettingValue::Breakpoints(vec![crate::graph::Breakpoint { frame: 3, value: 0.5 }]),
            SettingValue::Transport { at: 1, playing: true, position: 2, loop_start: 3, loop_end: 4 },
            SettingValue::Note { key: 60, velocity: 1 },
        ];
        let commands: Vec<_> =
            values.into_iter().map(|value| Command::Configure { id: osc, setting: 0, value }).collect();
        let bytes = crate::graph::encode_batch(&Batch { commands, ..Batch::default() });
        let back = crate::graph::decode_batch(&bytes).unwrap().commands;
        assert_eq!(back.len(), 13);
        assert!(matches!(back[5], Command::Configure { value: SettingValue::Stored(7), .. }));
        assert!(matches!(back[6], Command::Configure { value: SettingValue::Curve(_), .. }));
        assert!(matches!(back[12], Command::Configure { value: SettingValue::Note { key: 60, velocity: 1 }, .. }));
        let batch = c.take(usize::MAX);
        let bytes = crate::graph::encode_batch(&batch);
        let back = crate::graph::decode_batch(&bytes).unwrap();
        assert_eq!(format!("{batch:?}"), format!("{back:?}"));
        assert_eq!(crate::graph::decode_batch(&bytes[..bytes.len() - 2]).unwrap_err().code, ErrorCode::Decode);
    }

    fn roomy() -> Controller {
        Controller::new(EngineConfig { max_nodes: 16, max_edges: 16, ..EngineConfig::new(48_000.0) })
    }

    #[test]
    fn a_buffer_goes_in_pieces_before_the_commands_that_name_it() {
        let mut c = roomy();
        let player = c.add_node("buffer-source").unwrap();
        let setting = c.setting_index(player, "buffer").unwrap();
        let frames = 3 * PIECE_FRAMES + 5;
        let buffer = c.store_buffer(44_100.0, &[vec![0.5; frames], vec![-0.5; frames]]).unwrap();
        c.configure(player, setting, SettingValue::Stored(buffer)).unwrap();
        // Each batch stays near its budget: two pieces at most, then the commands.
        let budget = 2 * PIECE_FRAMES * 4 + 64;
        let mut batches = Vec::new();
        while c.pending() > 0 {
            batches.push(c.take(budget));
        }
        assert_eq!(batches.len(), 4, "1 Begin + 8 pieces, two pieces a batch");
        assert!(batches[..3].iter().all(|b| b.commands.is_empty() && !b.store.is_empty()));
        let last = batches.last().unwrap();
        assert_eq!(last.commands.len(), 2, "the node and its buffer, with the last pieces");
        let fills: Vec<_> = batches
            .iter()
            .flat_map(|b| &b.store)
            .filter_map(|op| match op {
                StoreOp::Fill { channel, offset, data, .. } => Some((*channel, *offset as usize, data.len())),
                StoreOp::Begin { .. } => None,
            })
            .collect();
        assert_eq!(fills.len(), 8);
        assert_eq!(fills.iter().map(|f| f.2).sum::<usize>(), 2 * frames);
        assert!(fills.windows(2).all(|w| w[0].0 < w[1].0 || w[0].1 + w[0].2 == w[1].1), "in order: {fills:?}");
    }

    #[test]
    fn a_stored_buffer_is_counted_once_and_forgotten_when_released_and_unplayed() {
        let mut c = roomy();
        let players: Vec<_> = (0..3).map(|_| c.add_node("buffer-source").unwrap()).collect();
        let setting = c.setting_index(players[0], "buffer").unwrap();
        let buffer = c.store_buffer(48_000.0, &[vec![0.1; 1000]]).unwrap();
        for &p in &players {
            c.configure(p, setting, SettingValue::Stored(buffer)).unwrap();
        }
        assert_eq!(c.memory(), 4000, "three players, one copy");
        c.release_buffer(buffer).unwrap();
        let err = c.configure(players[0], setting, SettingValue::Stored(buffer)).unwrap_err();
        assert_eq!(err.code, ErrorCode::BadSetting, "a released buffer is given to no new node");
        assert_eq!(c.release_buffer(buffer).unwrap_err().code, ErrorCode::BadSetting);
        c.take(usize::MAX);
        c.remove_node(players[0]).unwrap();
        c.remove_node(players[1]).unwrap();
        assert!(c.take(usize::MAX).forget.is_empty(), "one node still plays it");
        assert_eq!(c.memory(), 4000);
        // Given other samples, the last player lets it go.
        let samples = SettingValue::Samples { sample_rate: 48_000.0, channels: vec![vec![0.0; 10]] };
        c.configure(players[2], setting, samples).unwrap();
        let batch = c.take(usize::MAX);
        assert_eq!(batch.forget, vec![buffer]);
        assert_eq!(c.memory(), 40, "only the new samples");
        assert_eq!(c.stored_buffers(), 1);
    }

    #[test]
    fn a_drum_kit_holds_a_buffer_a_pad_and_lets_each_go_alone() {
        let mut c = roomy();
        let kit = c.add_node("drums").unwrap();
        let (kick, snare) = (c.setting_index(kit, "pad36").unwrap(), c.setting_index(kit, "pad38").unwrap());
        let samples =
            |frames: usize| SettingValue::Samples { sample_rate: 48_000.0, channels: vec![vec![0.5; frames]] };
        c.configure(kit, kick, samples(100)).unwrap();
        c.configure(kit, snare, samples(200)).unwrap();
        assert_eq!((c.stored_buffers(), c.memory()), (2, 1200), "each pad's sample is held");
        c.take(usize::MAX);
        // A new kick lets the old one go, and the snare's stays.
        c.configure(kit, kick, samples(10)).unwrap();
        assert_eq!(c.take(usize::MAX).forget.len(), 1);
        assert_eq!((c.stored_buffers(), c.memory()), (2, 840));
        c.remove_node(kit).unwrap();
        assert_eq!(c.take(usize::MAX).forget.len(), 2, "the kit gone, both go");
        assert_eq!((c.stored_buffers(), c.memory()), (0, 0));
    }

    #[test]
    fn buffers_are_refused_past_the_memory_budget_and_where_they_cannot_be_played() {
        let mut c = Controller::new(EngineConfig { memory_budget: 1000, max_nodes: 16, ..EngineConfig::new(48_000.0) });
        assert_eq!(c.store_buffer(48_000.0, &[vec![0.0; 300]]).unwrap_err().code, ErrorCode::TooLarge);
        assert_eq!(c.store_buffer(48_000.0, &[vec![f32::NAN; 3]]).unwrap_err().code, ErrorCode::NonFinite);
        assert_eq!(c.store_buffer(48_000.0, &[]).unwrap_err().code, ErrorCode::BadSetting);
        assert_eq!(c.pending(), 0, "nothing refused is sent");
        let buffer = c.store_buffer(48_000.0, &[vec![0.0; 10]]).unwrap();
        let convolver = c.add_node("convolver").unwrap();
        let setting = c.setting_index(convolver, "buffer").unwrap();
        let err = c.configure(convolver, setting, SettingValue::Stored(buffer)).unwrap_err();
        assert_eq!(err.code, ErrorCode::BadSetting, "{}", err.message);
        let gain = c.add_node("gain").unwrap();
        assert!(c.configure(gain, 0, SettingValue::Stored(buffer)).is_err(), "a gain has no buffer");
    }
}
