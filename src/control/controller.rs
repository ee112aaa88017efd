//! Control side: validates every request against a mirror of the graph, hands out ids, and
//! records the accepted commands as a batch for the render side.

use super::graph::Ports;
use super::{
    AutomationEvent, Command, Edge, EngineConfig, EngineError, ErrorCode, NodeId, NodeKind, Setting, Topology,
    WireCommand,
};

#[derive(Clone, Copy, Debug)]
struct NodeMeta {
    kind: NodeKind,
    started: bool,
    stopped: bool,
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
}

fn ports_of(kind: NodeKind) -> Ports {
    let (inputs, outputs) = kind.ports();
    Ports { inputs, outputs }
}

impl Controller {
    /// A controller whose graph holds the engine's destination and input nodes, made in
    /// the same order as the render side makes them so both agree on their ids.
    pub fn new(config: EngineConfig) -> Self {
        let mut topology = Topology::new(config.max_nodes, config.max_edges);
        let mut meta = vec![None; config.max_nodes];
        let mut fixed = |kind: NodeKind| {
            let id = topology.add(ports_of(kind)).expect("capacity holds the engine's own nodes");
            meta[usize::from(id.index)] = Some(NodeMeta { kind, started: false, stopped: false });
            id
        };
        let destination = fixed(NodeKind::Destination);
        let input = fixed(NodeKind::Input);
        Self { config, topology, meta, destination, input, batch: Vec::new() }
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

    fn meta(&self, id: NodeId) -> Result<NodeMeta, EngineError> {
        if !self.topology.contains(id) {
            return Err(stale(id));
        }
        Ok(self.meta[usize::from(id.index)].expect("live nodes have metadata"))
    }

    pub fn kind_of(&self, id: NodeId) -> Result<NodeKind, EngineError> {
        self.meta(id).map(|m| m.kind)
    }

    pub fn add_node(&mut self, kind: NodeKind) -> Result<NodeId, EngineError> {
        if matches!(kind, NodeKind::Destination | NodeKind::Input) {
            return Err(EngineError::new(ErrorCode::Protected, "the engine has exactly one destination and one input"));
        }
        if let NodeKind::Custom { inputs, outputs } = kind {
            if usize::from(inputs) > crate::MAX_INPUTS || outputs > 1 {
                return Err(EngineError::new(
                    ErrorCode::BadPort,
                    format!("a node may have at most {} inputs and 1 output", crate::MAX_INPUTS),
                ));
            }
        }
        let id = self.topology.add(ports_of(kind)).map_err(|e| {
            EngineError::new(e.code, format!("{} (the engine holds {} nodes)", e.what, self.config.max_nodes))
        })?;
        self.meta[usize::from(id.index)] = Some(NodeMeta { kind, started: false, stopped: false });
        self.batch.push(Command::AddNode { id, node: kind });
        Ok(id)
    }

    pub fn remove_node(&mut self, id: NodeId) -> Result<(), EngineError> {
        if id == self.destination || id == self.input {
            return Err(EngineError::new(ErrorCode::Protected, "the destination and input nodes cannot be removed"));
        }
        self.topology.remove(id).map_err(|_| stale(id))?;
        self.meta[usize::from(id.index)] = None;
        self.batch.push(Command::RemoveNode { id });
        Ok(())
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
        let kind = self.kind_of(id)?;
        kind.param_index(name).ok_or_else(|| {
            let names: Vec<_> = kind.params().iter().map(|p| p.name).collect();
            EngineError::new(
                ErrorCode::BadParam,
                format!("{kind:?} has no parameter '{name}' (it has: {})", names.join(", ")),
            )
        })
    }

    fn check_param(&self, id: NodeId, param: u8) -> Result<(), EngineError> {
        let kind = self.kind_of(id)?;
        if usize::from(param) >= kind.params().len() {
            return Err(EngineError::new(ErrorCode::BadParam, format!("{kind:?} has no parameter #{param}")));
        }
        Ok(())
    }

    /// Sets a parameter now. Values outside the nominal range are kept and clamped when
    /// rendered, as Web Audio does; NaN and infinities are refused.
    pub fn set_value(&mut self, id: NodeId, param: u8, value: f32) -> Result<(), EngineError> {
        self.check_param(id, param)?;
        if !value.is_finite() {
            return Err(EngineError::new(ErrorCode::NonFinite, format!("parameter value must be finite, got {value}")));
        }
        self.batch.push(Command::SetValue { id, param, value });
        Ok(())
    }

    pub fn automate(&mut self, id: NodeId, param: u8, event: AutomationEvent) -> Result<(), EngineError> {
        self.check_param(id, param)?;
        event.validate()?;
        self.batch.push(Command::Automate { id, param, event });
        Ok(())
    }

    pub fn configure(&mut self, id: NodeId, setting: Setting) -> Result<(), EngineError> {
        let meta = self.meta(id)?;
        let fits = matches!(
            (meta.kind, setting),
            (NodeKind::Oscillator, Setting::Waveform(_) | Setting::Start(_) | Setting::Stop(_))
                | (NodeKind::Biquad, Setting::FilterType(_))
        );
        if !fits {
            return Err(EngineError::new(ErrorCode::BadSetting, format!("{:?} does not take {setting:?}", meta.kind)));
        }
        setting.check()?;
        let slot = self.meta[usize::from(id.index)].as_mut().expect("checked above");
        match setting {
            Setting::Start(_) if slot.started => {
                return Err(EngineError::new(ErrorCode::BadSetting, "start() may be called only once on a source"));
            }
            Setting::Stop(_) if !slot.started => {
                return Err(EngineError::new(ErrorCode::BadSetting, "stop() before start()"));
            }
            Setting::Start(_) => slot.started = true,
            Setting::Stop(_) => slot.stopped = true,
            _ => {}
        }
        self.batch.push(Command::Configure { id, setting });
        Ok(())
    }

    /// The commands accepted since the last call, in order.
    pub fn take_batch(&mut self) -> Vec<WireCommand> {
        std::mem::take(&mut self.batch)
    }

    pub fn pending(&self) -> usize {
        self.batch.len()
    }
}

#[cold]
fn stale(id: NodeId) -> EngineError {
    EngineError::new(
        ErrorCode::StaleNode,
        format!("node {} (slot {}, generation {}) no longer exists", id.to_bits(), id.index, id.generation),
    )
}

#[cold]
fn edge_error(e: EngineError, edge: &Edge) -> EngineError {
    EngineError::new(
        e.code,
        format!(
            "{} (connecting node {} output {} to node {} input {})",
            e.message,
            edge.from.to_bits(),
            edge.output,
            edge.to.to_bits(),
            edge.input
        ),
    )
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

    #[test]
    fn refused_requests_record_nothing() {
        let mut c = controller();
        let osc = c.add_node(NodeKind::Oscillator).unwrap();
        let gain = c.add_node(NodeKind::Gain).unwrap();
        let before = c.take_batch().len();
        assert_eq!(before, 2);
        assert_eq!(c.add_node(NodeKind::Biquad).unwrap_err().code, ErrorCode::NodeCapacity);
        assert_eq!(c.connect(edge(gain, osc)).unwrap_err().code, ErrorCode::BadPort);
        assert_eq!(c.set_value(gain, 0, f32::NAN).unwrap_err().code, ErrorCode::NonFinite);
        assert_eq!(c.set_value(gain, 3, 1.0).unwrap_err().code, ErrorCode::BadParam);
        assert_eq!(c.remove_node(c.destination()).unwrap_err().code, ErrorCode::Protected);
        assert_eq!(c.configure(gain, Setting::Start(0.0)).unwrap_err().code, ErrorCode::BadSetting);
        assert_eq!(
            c.automate(gain, 0, AutomationEvent::ExponentialRampToValueAtTime { value: 0.0, time: 1.0 })
                .unwrap_err()
                .code,
            ErrorCode::OutOfRange
        );
        assert_eq!(c.pending(), 0);
        c.remove_node(osc).unwrap();
        let err = c.connect(edge(osc, gain)).unwrap_err();
        assert_eq!(err.code, ErrorCode::StaleNode);
        assert!(err.message.contains("stale"), "{err}");
    }

    #[test]
    fn custom_nodes_fit_the_engine_s_port_limits() {
        let mut c = controller();
        let err = c.add_node(NodeKind::Custom { inputs: 5, outputs: 1 }).unwrap_err();
        assert_eq!(err.code, ErrorCode::BadPort);
        assert_eq!(c.add_node(NodeKind::Custom { inputs: 1, outputs: 2 }).unwrap_err().code, ErrorCode::BadPort);
        c.add_node(NodeKind::Custom { inputs: 4, outputs: 1 }).unwrap();
    }

    #[test]
    fn a_source_starts_once() {
        let mut c = controller();
        let osc = c.add_node(NodeKind::Oscillator).unwrap();
        assert_eq!(c.configure(osc, Setting::Stop(1.0)).unwrap_err().code, ErrorCode::BadSetting);
        c.configure(osc, Setting::Start(0.0)).unwrap();
        assert_eq!(c.configure(osc, Setting::Start(1.0)).unwrap_err().code, ErrorCode::BadSetting);
        c.configure(osc, Setting::Stop(1.0)).unwrap();
    }

    #[test]
    fn batch_round_trips_through_the_wire_format() {
        let mut c = controller();
        let osc = c.add_node(NodeKind::Oscillator).unwrap();
        c.connect(edge(osc, c.destination())).unwrap();
        c.set_value(osc, 0, 220.0).unwrap();
        let batch = c.take_batch();
        let bytes = crate::control::encode_batch(&batch);
        let back = crate::control::decode_batch(&bytes).unwrap();
        assert_eq!(format!("{batch:?}"), format!("{back:?}"));
        assert_eq!(crate::control::decode_batch(&bytes[..bytes.len() - 2]).unwrap_err().code, ErrorCode::Decode);
    }
}
