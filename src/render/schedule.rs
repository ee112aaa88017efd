//! Render thread (rebuilt between quanta): the flat list of steps the engine walks once per
//! quantum. Built from the topology's order without allocating; it decides which pool
//! buffer each node writes (a buffer is reused as soon as its last reader has run, so a
//! long chain keeps only a few buffers hot in cache) and where each input port reads from.

use crate::control::Topology;
use crate::MAX_INPUTS;

/// Where one input port reads from this quantum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feed {
    /// Nothing connected.
    Silent,
    /// Exactly one connection: read that pool buffer directly.
    Buffer(u16),
    /// Two or more connections: the engine sums them first.
    Mix,
}

/// One node's turn in the quantum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    pub slot: u16,
    pub output: u16,
    pub inputs: u8,
    /// Whether any port needs summing first (the rare case, kept off the common path).
    pub mixes: bool,
    pub feeds: [Feed; MAX_INPUTS],
}

/// The destination always writes this buffer, so the engine's output never moves.
pub const OUTPUT_BUFFER: u16 = 0;

const RELEASED: u32 = u32::MAX;

#[derive(Debug)]
pub struct Schedule {
    steps: Vec<Step>,
    buffer_of: Vec<u16>,
    position: Vec<u32>,
    last_use: Vec<u32>,
    free: Vec<u16>,
}

impl Schedule {
    /// Room for `max_nodes` nodes and as many pool buffers.
    pub fn new(max_nodes: usize) -> Self {
        Self {
            steps: Vec::with_capacity(max_nodes),
            buffer_of: vec![0; max_nodes],
            position: vec![0; max_nodes],
            last_use: vec![0; max_nodes],
            free: Vec::with_capacity(max_nodes),
        }
    }

    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The pool buffer that slot `slot` wrote this quantum.
    pub fn buffer_of(&self, slot: usize) -> u16 {
        self.buffer_of[slot]
    }

    /// Rebuilds from a freshly planned topology. `inputs(slot)` gives a node's port count.
    pub fn rebuild(&mut self, topology: &Topology, destination: usize, inputs: impl Fn(usize) -> usize) {
        let order = topology.order();
        for (p, &slot) in order.iter().enumerate() {
            self.position[usize::from(slot)] = p as u32;
            self.last_use[usize::from(slot)] = p as u32;
        }
        for &slot in order {
            let reader = self.position[usize::from(slot)];
            for e in topology.inputs_of(usize::from(slot)) {
                let last = &mut self.last_use[usize::from(e.from)];
                *last = (*last).max(reader);
            }
        }
        self.free.clear();
        let buffers = self.buffer_of.len() as u16;
        self.free.extend((1..buffers).rev());
        self.steps.clear();
        for (p, &slot) in order.iter().enumerate() {
            let index = usize::from(slot);
            let output =
                if index == destination { OUTPUT_BUFFER } else { self.free.pop().expect("one buffer per node") };
            self.buffer_of[index] = output;
            let edges = topology.inputs_of(index);
            let ports = inputs(index).min(MAX_INPUTS);
            let mut feeds = [Feed::Silent; MAX_INPUTS];
            for (port, feed) in feeds.iter_mut().enumerate().take(ports) {
                let mut feeding = edges.iter().filter(|e| usize::from(e.input) == port);
                *feed = match (feeding.next(), feeding.next()) {
                    (None, _) => Feed::Silent,
                    (Some(e), None) => Feed::Buffer(self.buffer_of[usize::from(e.from)]),
                    (Some(_), Some(_)) => Feed::Mix,
                };
            }
            let mixes = feeds.contains(&Feed::Mix);
            self.steps.push(Step { slot, output, inputs: ports as u8, mixes, feeds });
            // Sources read for the last time here give their buffers back.
            for e in edges {
                let from = usize::from(e.from);
                if self.last_use[from] == p as u32 && from != destination {
                    self.free.push(self.buffer_of[from]);
                    self.last_use[from] = RELEASED;
                }
            }
            if self.last_use[index] == p as u32 && index != destination {
                self.free.push(output);
                self.last_use[index] = RELEASED;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::graph::Ports;
    use crate::control::Edge;

    const PORTS: Ports = Ports { inputs: 1, outputs: 1 };

    #[test]
    fn a_chain_reuses_two_buffers_and_never_overwrites_a_live_one() {
        let mut t = Topology::new(16, 32);
        let dest = t.add(PORTS).unwrap();
        let ids: Vec<_> = (0..10).map(|_| t.add(PORTS).unwrap()).collect();
        for w in ids.windows(2) {
            t.connect(Edge { from: w[0], output: 0, to: w[1], input: 0 }).unwrap();
        }
        t.connect(Edge { from: ids[9], output: 0, to: dest, input: 0 }).unwrap();
        let mut s = Schedule::new(16);
        s.rebuild(&t, usize::from(dest.index), |_| 1);
        let used: std::collections::BTreeSet<u16> = s.steps().iter().map(|st| st.output).collect();
        assert!(used.len() <= 3, "{used:?}");
        for st in s.steps() {
            if let Feed::Buffer(b) = st.feeds[0] {
                assert_ne!(b, st.output, "a node never writes the buffer it reads");
            }
        }
        assert_eq!(s.buffer_of(usize::from(dest.index)), OUTPUT_BUFFER);
    }

    #[test]
    fn a_buffer_stays_reserved_until_its_last_reader() {
        // a feeds b and c; b feeds c's second reader d. a's buffer must survive until c runs.
        let mut t = Topology::new(8, 8);
        let dest = t.add(PORTS).unwrap();
        let a = t.add(PORTS).unwrap();
        let b = t.add(PORTS).unwrap();
        let c = t.add(Ports { inputs: 2, outputs: 1 }).unwrap();
        t.connect(Edge { from: a, output: 0, to: b, input: 0 }).unwrap();
        t.connect(Edge { from: b, output: 0, to: c, input: 0 }).unwrap();
        t.connect(Edge { from: a, output: 0, to: c, input: 1 }).unwrap();
        t.connect(Edge { from: c, output: 0, to: dest, input: 0 }).unwrap();
        let mut s = Schedule::new(8);
        s.rebuild(&t, usize::from(dest.index), |slot| if slot == usize::from(c.index) { 2 } else { 1 });
        let step_c = s.steps().iter().find(|st| st.slot == c.index).unwrap();
        let (buf_a, buf_b) = (s.buffer_of(usize::from(a.index)), s.buffer_of(usize::from(b.index)));
        assert_ne!(buf_a, buf_b, "b must not overwrite a while c still needs it");
        assert_eq!(step_c.feeds[0], Feed::Buffer(buf_b));
        assert_eq!(step_c.feeds[1], Feed::Buffer(buf_a));
    }
}
