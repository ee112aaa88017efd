//! Both sides: graph topology with fixed capacity, and its topological order by Kahn's
//! algorithm. After construction nothing here allocates, so the render side can apply
//! connections and re-plan between two quanta.
//!
//! A cycle is allowed when a node that breaks cycles (a delay) lies on it, as in Web Audio:
//! such a node is *split* — its output is rendered early from what it stored in earlier
//! quanta, and its input is taken after everything else has run.

use super::{Arena, Edge, ErrorCode, NodeId, RenderError};

/// A node's ports, as far as the topology cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Ports {
    pub inputs: u8,
    pub outputs: u8,
    /// Parameters that a connection can modulate.
    pub params: u8,
    /// A cycle through this node is allowed.
    pub breaks_cycles: bool,
}

/// One connection arriving at a node, as the render side gathers inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct InEdge {
    pub from: u16,
    pub output: u8,
    pub input: u8,
}

#[cold]
const fn refuse(code: ErrorCode, what: &'static str) -> RenderError {
    RenderError { code, what }
}

const STALE: RenderError = refuse(ErrorCode::StaleNode, "node id is stale: the node was removed or never existed");

/// Nodes, connections and the order to run them in. Capacities are fixed at construction.
#[derive(Debug)]
pub struct Topology {
    nodes: Arena<Ports>,
    edges: Vec<Edge>,
    max_edges: usize,
    order: Vec<u16>,
    indegree: Vec<u32>,
    cursor: Vec<u32>,
    out_start: Vec<u32>,
    out_targets: Vec<u16>,
    in_start: Vec<u32>,
    in_edges: Vec<InEdge>,
    split: Vec<bool>,
    splits: Vec<u16>,
}

impl Topology {
    pub fn new(max_nodes: usize, max_edges: usize) -> Self {
        Self {
            nodes: Arena::with_capacity(max_nodes),
            edges: Vec::with_capacity(max_edges),
            max_edges,
            order: Vec::with_capacity(max_nodes),
            indegree: vec![0; max_nodes],
            cursor: vec![0; max_nodes + 1],
            out_start: vec![0; max_nodes + 1],
            out_targets: vec![0; max_edges],
            in_start: vec![0; max_nodes + 1],
            in_edges: vec![InEdge::default(); max_edges],
            split: vec![false; max_nodes],
            splits: Vec::with_capacity(max_nodes),
        }
    }

    pub fn add(&mut self, ports: Ports) -> Result<NodeId, RenderError> {
        self.nodes.insert(ports).map_err(|_| refuse(ErrorCode::NodeCapacity, "node capacity is used up"))
    }

    /// Adds a node under the id the control side gave it (the render side's way).
    pub fn add_at(&mut self, id: NodeId, ports: Ports) -> Result<(), RenderError> {
        self.nodes.insert_at(id, ports).map_err(|_| refuse(ErrorCode::Desync, "that node slot is not free"))
    }

    /// Removes the node and every connection to or from it.
    pub fn remove(&mut self, id: NodeId) -> Result<(), RenderError> {
        self.nodes.remove(id).ok_or(STALE)?;
        self.edges.retain(|e| e.from != id && e.to != id);
        Ok(())
    }

    pub fn contains(&self, id: NodeId) -> bool {
        self.nodes.contains(id)
    }

    pub fn ports(&self, id: NodeId) -> Option<Ports> {
        self.nodes.get(id).copied()
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    pub fn edge_count(&self) -> usize {
        self.edges.len()
    }

    pub fn edges(&self) -> &[Edge] {
        &self.edges
    }

    pub fn is_connected(&self, edge: &Edge) -> bool {
        self.edges.contains(edge)
    }

    fn check_edge(&self, edge: &Edge) -> Result<(), RenderError> {
        let from = self.ports(edge.from).ok_or(STALE)?;
        let to = self.ports(edge.to).ok_or(STALE)?;
        if edge.output >= from.outputs {
            return Err(refuse(ErrorCode::BadPort, "output index is out of range for the source node"));
        }
        match edge.param() {
            Some(param) if param >= to.params => {
                return Err(refuse(ErrorCode::BadParam, "the destination node has no such parameter"));
            }
            None if edge.input >= to.inputs => {
                return Err(refuse(ErrorCode::BadPort, "input index is out of range for the destination node"));
            }
            _ => {}
        }
        Ok(())
    }

    /// Adds a connection without looking for cycles; call [`Topology::plan`] afterwards.
    /// Connecting twice is allowed and changes nothing, as in Web Audio. Returns whether
    /// the connection is new.
    pub fn connect_unplanned(&mut self, edge: Edge) -> Result<bool, RenderError> {
        self.check_edge(&edge)?;
        if edge.from == edge.to && !self.ports(edge.from).is_some_and(|p| p.breaks_cycles) {
            return Err(refuse(ErrorCode::Cycle, "a node cannot feed itself"));
        }
        if self.is_connected(&edge) {
            return Ok(false);
        }
        if self.edges.len() >= self.max_edges {
            return Err(refuse(ErrorCode::EdgeCapacity, "connection capacity is used up"));
        }
        self.edges.push(edge);
        Ok(true)
    }

    /// Adds a connection and re-plans; a connection that would close a cycle is refused
    /// and the graph is left as it was.
    pub fn connect(&mut self, edge: Edge) -> Result<bool, RenderError> {
        let added = self.connect_unplanned(edge)?;
        if added && self.plan().is_err() {
            self.edges.pop();
            self.plan().expect("the graph was acyclic before this connection");
            return Err(refuse(ErrorCode::Cycle, "the connection would create a cycle"));
        }
        Ok(added)
    }

    pub fn disconnect(&mut self, edge: Edge) -> Result<(), RenderError> {
        self.check_edge(&edge)?;
        let at = self
            .edges
            .iter()
            .position(|e| *e == edge)
            .ok_or(refuse(ErrorCode::NotConnected, "those nodes are not connected that way"))?;
        self.edges.remove(at);
        Ok(())
    }

    /// Removes every connection leaving `id`.
    pub fn disconnect_outputs(&mut self, id: NodeId) -> Result<(), RenderError> {
        if !self.contains(id) {
            return Err(STALE);
        }
        self.edges.retain(|e| e.from != id);
        Ok(())
    }

    /// Drops connections added after the first `len` (undo of a batch's new connections).
    pub fn truncate_edges(&mut self, len: usize) {
        self.edges.truncate(len);
    }

    /// Orders the nodes so that each comes after everything feeding it (Kahn's algorithm,
    /// iterative, into preallocated arrays), and indexes each node's incoming connections.
    /// When a cycle remains, cycle-breaking nodes among the nodes left over are split one at a
    /// time (lowest slot first) until the order is complete; a cycle with none is refused.
    pub fn plan(&mut self) -> Result<(), RenderError> {
        let slots = self.nodes.capacity();
        self.out_start.fill(0);
        self.in_start.fill(0);
        for e in &self.edges {
            self.out_start[usize::from(e.from.index) + 1] += 1;
            self.in_start[usize::from(e.to.index) + 1] += 1;
        }
        for i in 0..slots {
            self.out_start[i + 1] += self.out_start[i];
            self.in_start[i + 1] += self.in_start[i];
        }
        self.cursor.copy_from_slice(&self.out_start);
        for e in &self.edges {
            let at = &mut self.cursor[usize::from(e.from.index)];
            self.out_targets[*at as usize] = e.to.index;
            *at += 1;
        }
        self.cursor.copy_from_slice(&self.in_start);
        for e in &self.edges {
            let at = &mut self.cursor[usize::from(e.to.index)];
            self.in_edges[*at as usize] = InEdge { from: e.from.index, output: e.output, input: e.input };
            *at += 1;
        }
        self.split.fill(false);
        self.splits.clear();
        loop {
            self.kahn();
            if self.order.len() == self.nodes.len() {
                return Ok(());
            }
            // The nodes left over still have an unmet input: they are on or after a cycle.
            let breaker = (0..slots).find(|&i| {
                self.indegree[i] > 0 && !self.split[i] && self.nodes.get_index(i).is_some_and(|p| p.breaks_cycles)
            });
            let Some(breaker) = breaker else {
                self.split.fill(false);
                self.splits.clear();
                return Err(refuse(ErrorCode::Cycle, "the graph has a cycle with no delay in it"));
            };
            self.split[breaker] = true;
            self.splits.push(breaker as u16);
        }
    }

    fn kahn(&mut self) {
        let slots = self.nodes.capacity();
        self.indegree.fill(0);
        for e in &self.edges {
            let to = usize::from(e.to.index);
            if !self.split[to] {
                self.indegree[to] += 1;
            }
        }
        self.order.clear();
        for index in 0..slots {
            if self.nodes.get_index(index).is_some() && self.indegree[index] == 0 {
                self.order.push(index as u16);
            }
        }
        let mut head = 0;
        while head < self.order.len() {
            let node = usize::from(self.order[head]);
            head += 1;
            for t in self.out_start[node]..self.out_start[node + 1] {
                let target = self.out_targets[t as usize];
                if self.split[usize::from(target)] {
                    continue;
                }
                let deg = &mut self.indegree[usize::from(target)];
                *deg -= 1;
                if *deg == 0 {
                    self.order.push(target);
                }
            }
        }
    }

    /// Slots of split nodes: they render their output in [`Topology::order`] and take their
    /// input after every node has run, in this order.
    pub fn splits(&self) -> &[u16] {
        &self.splits
    }

    pub fn is_split(&self, index: usize) -> bool {
        self.split[index]
    }

    /// Slot indices in processing order, as of the last successful [`Topology::plan`].
    pub fn order(&self) -> &[u16] {
        &self.order
    }

    /// How many connections leave slot `index`, as of the last plan.
    pub fn output_count(&self, index: usize) -> usize {
        (self.out_start[index + 1] - self.out_start[index]) as usize
    }

    /// Connections arriving at slot `index`, as of the last plan.
    pub fn inputs_of(&self, index: usize) -> &[InEdge] {
        let (start, end) = (self.in_start[index] as usize, self.in_start[index + 1] as usize);
        &self.in_edges[start..end]
    }

    pub fn id_at(&self, index: usize) -> Option<NodeId> {
        self.nodes.id_at(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::PARAM_INPUT;

    const ONE_IN_ONE_OUT: Ports = Ports { inputs: 1, outputs: 1, params: 0, breaks_cycles: false };

    fn edge(from: NodeId, to: NodeId) -> Edge {
        Edge { from, output: 0, to, input: 0 }
    }

    fn position(t: &Topology, id: NodeId) -> usize {
        t.order().iter().position(|&i| i == id.index).unwrap()
    }

    #[test]
    fn order_puts_every_source_before_its_targets() {
        let mut t = Topology::new(16, 32);
        let ids: Vec<_> = (0..6).map(|_| t.add(ONE_IN_ONE_OUT).unwrap()).collect();
        // A diamond added in an order that differs from the processing order.
        for (a, b) in [(5, 0), (0, 3), (0, 4), (3, 1), (4, 1), (1, 2)] {
            t.connect(edge(ids[a], ids[b])).unwrap();
        }
        t.plan().unwrap();
        assert_eq!(t.order().len(), 6);
        for e in t.edges() {
            assert!(position(&t, e.from) < position(&t, e.to), "{e:?}");
        }
        assert_eq!(t.inputs_of(usize::from(ids[1].index)).len(), 2);
    }

    #[test]
    fn cycle_is_refused_and_graph_unchanged() {
        let mut t = Topology::new(4, 8);
        let a = t.add(ONE_IN_ONE_OUT).unwrap();
        let b = t.add(ONE_IN_ONE_OUT).unwrap();
        let c = t.add(ONE_IN_ONE_OUT).unwrap();
        t.connect(edge(a, b)).unwrap();
        t.connect(edge(b, c)).unwrap();
        let err = t.connect(edge(c, a)).unwrap_err();
        assert_eq!(err.code, ErrorCode::Cycle);
        assert_eq!(t.edge_count(), 2);
        assert_eq!(t.order().len(), 3);
        assert_eq!(t.connect(edge(a, a)).unwrap_err().code, ErrorCode::Cycle);
    }

    #[test]
    fn capacity_errors_and_stale_ids() {
        let mut t = Topology::new(2, 1);
        let a = t.add(ONE_IN_ONE_OUT).unwrap();
        let b = t.add(ONE_IN_ONE_OUT).unwrap();
        assert_eq!(t.add(ONE_IN_ONE_OUT).unwrap_err().code, ErrorCode::NodeCapacity);
        t.connect(edge(a, b)).unwrap();
        assert_eq!(t.connect(Edge { from: b, output: 0, to: a, input: 0 }).unwrap_err().code, ErrorCode::EdgeCapacity);
        t.remove(a).unwrap();
        assert_eq!(t.edge_count(), 0, "edges of a removed node go with it");
        assert_eq!(t.remove(a).unwrap_err().code, ErrorCode::StaleNode);
        let c = t.add(ONE_IN_ONE_OUT).unwrap();
        assert_eq!(c.index, a.index);
        assert_eq!(t.connect(edge(a, b)).unwrap_err().code, ErrorCode::StaleNode);
        assert_eq!(t.disconnect(edge(c, b)).unwrap_err().code, ErrorCode::NotConnected);
        assert_eq!(t.connect(Edge { from: c, output: 1, to: b, input: 0 }).unwrap_err().code, ErrorCode::BadPort);
        let param = Edge { from: c, output: 0, to: b, input: PARAM_INPUT };
        assert_eq!(t.connect(param).unwrap_err().code, ErrorCode::BadParam);
    }

    #[test]
    fn a_cycle_through_a_delay_is_split_there_and_one_without_is_refused() {
        let mut t = Topology::new(8, 8);
        let delay = t.add(Ports { breaks_cycles: true, ..ONE_IN_ONE_OUT }).unwrap();
        let a = t.add(ONE_IN_ONE_OUT).unwrap();
        let b = t.add(ONE_IN_ONE_OUT).unwrap();
        t.connect(edge(a, delay)).unwrap();
        t.connect(edge(delay, b)).unwrap();
        assert!(t.splits().is_empty(), "no cycle, no split");
        t.connect(edge(b, a)).unwrap();
        assert_eq!(t.splits(), [delay.index]);
        assert!(position(&t, delay) < position(&t, b) && position(&t, b) < position(&t, a));
        let c = t.add(ONE_IN_ONE_OUT).unwrap();
        t.connect(edge(b, c)).unwrap();
        assert_eq!(t.connect(edge(c, b)).unwrap_err().code, ErrorCode::Cycle);
        assert_eq!(t.edge_count(), 4);
        t.connect(edge(delay, delay)).unwrap();
    }

    #[test]
    fn a_parameter_connection_orders_its_source_first() {
        let mut t = Topology::new(4, 4);
        let lfo = t.add(ONE_IN_ONE_OUT).unwrap();
        let filter = t.add(Ports { params: 2, ..ONE_IN_ONE_OUT }).unwrap();
        let err = t.connect(Edge { from: filter, output: 0, to: lfo, input: PARAM_INPUT }).unwrap_err();
        assert_eq!(err.code, ErrorCode::BadParam);
        t.connect(Edge { from: lfo, output: 0, to: filter, input: PARAM_INPUT + 1 }).unwrap();
        assert!(position(&t, lfo) < position(&t, filter));
    }
}
