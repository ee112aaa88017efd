//! Render thread (rebuilt between quanta): the flat list of steps the engine walks once per
//! quantum. Built from the topology's order without allocating; it decides which pool
//! buffer each node writes (a buffer is reused as soon as its last reader has run, so a
//! long chain keeps only a few buffers hot in cache) and where each input port — audio inputs
//! and modulated parameters — reads from.

use crate::graph::Topology;
use crate::simd::{CHAIN_GROUP, MAX_GROUP, SIDE_GROUP};
use crate::{MAX_INPUTS, MAX_OUTPUTS, MAX_PARAMS};

/// Ports a step can read: audio inputs first, then parameters (`MAX_INPUTS + index`).
pub const MAX_PORTS: usize = MAX_INPUTS + MAX_PARAMS;

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

/// What a step does with its node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Inputs in, output out.
    Whole,
    /// A split node's output, from what it stored earlier (its inputs have not run yet).
    SplitOutput,
    /// A split node taking this quantum's input, after every other node.
    SplitInput,
}

/// One node's turn in the quantum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    pub slot: u16,
    pub phase: Phase,
    /// The pool buffer of output 0.
    pub output: u16,
    /// The pool buffers of every output (`outputs` of them; `output` is the first).
    pub extra_outputs: [u16; MAX_OUTPUTS],
    pub outputs: u8,
    pub inputs: u8,
    pub params: u8,
    /// Whether any port needs summing first (the rare case, kept off the common path).
    pub mixes: bool,
    /// Whether any parameter is modulated by a connection.
    pub modulated: bool,
    pub feeds: [Feed; MAX_PORTS],
    /// How many steps from this one on may be rendered together (0 when this step starts
    /// no group): the same group key, one input and one output each, no buffer both read and
    /// written among them; side by side when none feeds another, or `chained`, when each
    /// one's only output is the next one's only input.
    pub group: u8,
    pub chained: bool,
}

/// The destination always writes this buffer, so the engine's output never moves.
pub const OUTPUT_BUFFER: u16 = 0;
/// The engine's input node always outputs this buffer, where the host writes outside audio
/// straight in (no copy per quantum); no other node ever writes it.
pub const INPUT_BUFFER: u16 = 1;

const RELEASED: u32 = u32::MAX;

/// A port's index in [`Step::feeds`] for an edge's `input`.
#[inline]
pub fn port_of(input: u8) -> usize {
    match input.checked_sub(crate::graph::PARAM_INPUT) {
        Some(param) => MAX_INPUTS + usize::from(param),
        None => usize::from(input),
    }
}

#[derive(Debug)]
pub struct Schedule {
    steps: Vec<Step>,
    buffer_of: Vec<[u16; MAX_OUTPUTS]>,
    position: Vec<u32>,
    last_use: Vec<u32>,
    free: Vec<u16>,
    /// Buffers released by a step that may be grouped with the next: they go back to `free`
    /// only once the group's last step has its output, so no member writes what one reads.
    held: Vec<u16>,
    buffers: usize,
}

impl Schedule {
    /// Room for `max_nodes` nodes (each split node takes two steps) and `buffers` pool buffers
    /// (enough when every node's every output could be live at once).
    pub fn new(max_nodes: usize, buffers: usize) -> Self {
        Self {
            steps: Vec::with_capacity(2 * max_nodes),
            buffer_of: vec![[0; MAX_OUTPUTS]; max_nodes],
            position: vec![0; max_nodes],
            last_use: vec![0; max_nodes],
            free: Vec::with_capacity(buffers),
            held: Vec::with_capacity(buffers),
            buffers,
        }
    }

    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The pool buffer that output `output` of slot `slot` wrote this quantum.
    pub fn buffer_of(&self, slot: usize, output: u8) -> u16 {
        self.buffer_of[slot][usize::from(output).min(MAX_OUTPUTS - 1)]
    }

    /// Rebuilds from a freshly planned topology. `ports(slot)` gives a node's audio input,
    /// parameter and output counts. `input`, if given, is the slot of the node whose output is
    /// [`INPUT_BUFFER`].
    pub fn rebuild(
        &mut self,
        topology: &Topology,
        destination: usize,
        input: Option<usize>,
        ports: impl Fn(usize) -> (usize, usize, usize),
        group_key: impl Fn(usize) -> Option<u32>,
    ) {
        let order = topology.order();
        let splits = topology.splits();
        let reader_position = |slot: usize, position: &[u32]| {
            if topology.is_split(slot) {
                // Split nodes read their inputs in the extra steps after the order.
                let k = splits.iter().position(|&s| usize::from(s) == slot).unwrap_or(0);
                (order.len() + k) as u32
            } else {
                position[slot]
            }
        };
        for (p, &slot) in order.iter().enumerate() {
            self.position[usize::from(slot)] = p as u32;
            self.last_use[usize::from(slot)] = p as u32;
        }
        for &slot in order {
            let reader = reader_position(usize::from(slot), &self.position);
            for e in topology.inputs_of(usize::from(slot)) {
                let last = &mut self.last_use[usize::from(e.from)];
                *last = (*last).max(reader);
            }
        }
        self.free.clear();
        let first_free = if input.is_some() { INPUT_BUFFER + 1 } else { INPUT_BUFFER };
        self.free.extend((first_free..self.buffers as u16).rev());
        self.steps.clear();
        let total = order.len() + splits.len();
        // Where this step would sit in a group of same-key neighbours.
        let mut group_position = 0;
        let mut group_in_series = false;
        for p in 0..total {
            let (slot, phase) = match order.get(p) {
                Some(&slot) if topology.is_split(usize::from(slot)) => (slot, Phase::SplitOutput),
                Some(&slot) => (slot, Phase::Whole),
                None => (splits[p - order.len()], Phase::SplitInput),
            };
            let index = usize::from(slot);
            let (inputs, params, outputs) = ports(index);
            let outputs = outputs.clamp(1, MAX_OUTPUTS);
            match phase {
                Phase::SplitInput => {}
                _ if index == destination => self.buffer_of[index] = [OUTPUT_BUFFER; MAX_OUTPUTS],
                _ if Some(index) == input => self.buffer_of[index] = [INPUT_BUFFER; MAX_OUTPUTS],
                _ => {
                    for k in 0..outputs {
                        self.buffer_of[index][k] = self.free.pop().expect("the pool has a buffer per output");
                    }
                }
            }
            let extra_outputs = self.buffer_of[index];
            let output = extra_outputs[0];
            // Whether the next step may join this one's group (`group_steps` decides; this
            // only keeps the group's buffers apart): the same key, and in series or side by side
            // as the group began, within the group's size.
            let groups_with_next = phase == Phase::Whole
                && order.get(p + 1).is_some_and(|&next| {
                    let next = usize::from(next);
                    let key = group_key(index);
                    let in_series = topology.inputs_of(next).iter().any(|e| usize::from(e.from) == index);
                    if group_position == 0 {
                        group_in_series = in_series;
                    }
                    key.is_some()
                        && key == group_key(next)
                        && !topology.is_split(next)
                        && in_series == group_in_series
                        && group_position + 1 < if group_in_series { CHAIN_GROUP } else { SIDE_GROUP }
                });
            if !groups_with_next {
                self.free.append(&mut self.held);
            }
            group_position = if groups_with_next { group_position + 1 } else { 0 };
            let (inputs, params) = (inputs.min(MAX_INPUTS), params.min(MAX_PARAMS));
            let edges = topology.inputs_of(index);
            let mut feeds = [Feed::Silent; MAX_PORTS];
            if phase != Phase::SplitOutput {
                for e in edges {
                    let port = port_of(e.input);
                    if port >= MAX_PORTS {
                        continue;
                    }
                    feeds[port] = match feeds[port] {
                        Feed::Silent => Feed::Buffer(self.buffer_of(usize::from(e.from), e.output)),
                        _ => Feed::Mix,
                    };
                }
            }
            let mixes = feeds.contains(&Feed::Mix);
            let modulated = feeds[MAX_INPUTS..].iter().any(|f| *f != Feed::Silent);
            self.steps.push(Step {
                slot,
                phase,
                output,
                extra_outputs,
                outputs: outputs as u8,
                inputs: inputs as u8,
                params: params as u8,
                mixes,
                modulated,
                feeds,
                group: 0,
                chained: false,
            });
            if phase == Phase::SplitOutput {
                continue;
            }
            // Sources read for the last time here give their buffers back.
            let released = if groups_with_next { &mut self.held } else { &mut self.free };
            for e in edges {
                let from = usize::from(e.from);
                if self.last_use[from] == p as u32 && from != destination && Some(from) != input {
                    let count = ports(from).2.clamp(1, MAX_OUTPUTS);
                    released.extend_from_slice(&self.buffer_of[from][..count]);
                    self.last_use[from] = RELEASED;
                }
            }
            if self.last_use[index] == p as u32 && index != destination && Some(index) != input {
                released.extend_from_slice(&extra_outputs[..outputs]);
                self.last_use[index] = RELEASED;
            }
        }
        self.free.append(&mut self.held);
        self.group_steps(topology, group_key);
    }

    /// Marks runs of neighbouring steps that can render together, greedily from the front.
    fn group_steps(&mut self, topology: &Topology, group_key: impl Fn(usize) -> Option<u32>) {
        let simple = |s: &Step| s.phase == Phase::Whole && s.inputs == 1 && s.outputs == 1 && !s.mixes && !s.modulated;
        let reads = |s: &Step| match s.feeds[0] {
            Feed::Buffer(buffer) => Some(buffer),
            _ => None,
        };
        let mut i = 0;
        while i < self.steps.len() {
            let head = self.steps[i];
            let key = group_key(usize::from(head.slot));
            if !simple(&head) || key.is_none() || reads(&head).is_none() {
                i += 1;
                continue;
            }
            let mut len = 1;
            let mut chained = false;
            while i + len < self.steps.len() {
                let most = match len {
                    1 => MAX_GROUP,
                    _ if chained => CHAIN_GROUP,
                    _ => SIDE_GROUP,
                };
                if len >= most {
                    break;
                }
                let (last, next) = (self.steps[i + len - 1], self.steps[i + len]);
                if !simple(&next) || group_key(usize::from(next.slot)) != key {
                    break;
                }
                let Some(next_reads) = reads(&next) else { break };
                let members = &self.steps[i..i + len];
                let next_inputs = topology.inputs_of(usize::from(next.slot));
                let in_series = next_inputs.len() == 1
                    && next_inputs[0].from == last.slot
                    && next_inputs[0].output == 0
                    && topology.output_count(usize::from(last.slot)) == 1;
                let independent = !next_inputs.iter().any(|e| members.iter().any(|m| m.slot == e.from));
                let fits = if len == 1 {
                    in_series || independent
                } else if chained {
                    in_series
                } else {
                    independent
                };
                // Every member reads while every other writes: no buffer may be both.
                let disjoint = members.iter().all(|m| {
                    m.output != next.output && reads(m) != Some(next.output) && (in_series || m.output != next_reads)
                });
                if !(fits && disjoint) {
                    break;
                }
                if len == 1 {
                    chained = in_series;
                }
                len += 1;
            }
            if len > 1 {
                self.steps[i].group = len as u8;
                self.steps[i].chained = chained;
            }
            i += len;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{Edge, Ports};

    const PORTS: Ports = Ports { inputs: 1, outputs: 1, params: 0, breaks_cycles: false };

    #[test]
    fn a_chain_reuses_two_buffers_and_never_overwrites_a_live_one() {
        let mut t = Topology::new(16, 32);
        let dest = t.add(PORTS).unwrap();
        let ids: Vec<_> = (0..10).map(|_| t.add(PORTS).unwrap()).collect();
        for w in ids.windows(2) {
            t.connect(Edge { from: w[0], output: 0, to: w[1], input: 0 }).unwrap();
        }
        t.connect(Edge { from: ids[9], output: 0, to: dest, input: 0 }).unwrap();
        let mut s = Schedule::new(16, 32);
        s.rebuild(&t, usize::from(dest.index), None, |_| (1, 0, 1), |_| None);
        let used: std::collections::BTreeSet<u16> = s.steps().iter().map(|st| st.output).collect();
        assert!(used.len() <= 3, "{used:?}");
        for st in s.steps() {
            if let Feed::Buffer(b) = st.feeds[0] {
                assert_ne!(b, st.output, "a node never writes the buffer it reads");
            }
        }
        assert_eq!(s.buffer_of(usize::from(dest.index), 0), OUTPUT_BUFFER);
    }

    #[test]
    fn the_input_node_alone_outputs_the_input_buffer_and_never_gives_it_back() {
        // input → a → b → … → dest: once a has read the input, the buffers freed go round again,
        // but never the input's (the host writes it between quanta).
        let mut t = Topology::new(16, 32);
        let dest = t.add(PORTS).unwrap();
        let input = t.add(Ports { inputs: 0, ..PORTS }).unwrap();
        let ids: Vec<_> = (0..10).map(|_| t.add(PORTS).unwrap()).collect();
        t.connect(Edge { from: input, output: 0, to: ids[0], input: 0 }).unwrap();
        for w in ids.windows(2) {
            t.connect(Edge { from: w[0], output: 0, to: w[1], input: 0 }).unwrap();
        }
        t.connect(Edge { from: ids[9], output: 0, to: dest, input: 0 }).unwrap();
        let mut s = Schedule::new(16, 32);
        s.rebuild(&t, usize::from(dest.index), Some(usize::from(input.index)), |_| (1, 0, 1), |_| None);
        assert_eq!(s.buffer_of(usize::from(input.index), 0), INPUT_BUFFER);
        let writers: Vec<u16> = s.steps().iter().filter(|st| st.output == INPUT_BUFFER).map(|st| st.slot).collect();
        assert_eq!(writers, [input.index], "only the input node's step has the input buffer");
        let used: std::collections::BTreeSet<u16> = s.steps().iter().map(|st| st.output).collect();
        assert!(used.len() <= 4, "the chain still reuses two buffers, beside the output's and the input's: {used:?}");
    }

    #[test]
    fn a_buffer_stays_reserved_until_its_last_reader() {
        // a feeds b and c; b feeds c's second reader d. a's buffer must survive until c runs.
        let mut t = Topology::new(8, 8);
        let dest = t.add(PORTS).unwrap();
        let a = t.add(PORTS).unwrap();
        let b = t.add(PORTS).unwrap();
        let c = t.add(Ports { inputs: 2, ..PORTS }).unwrap();
        t.connect(Edge { from: a, output: 0, to: b, input: 0 }).unwrap();
        t.connect(Edge { from: b, output: 0, to: c, input: 0 }).unwrap();
        t.connect(Edge { from: a, output: 0, to: c, input: 1 }).unwrap();
        t.connect(Edge { from: c, output: 0, to: dest, input: 0 }).unwrap();
        let mut s = Schedule::new(8, 16);
        s.rebuild(
            &t,
            usize::from(dest.index),
            None,
            |slot| if slot == usize::from(c.index) { (2, 0, 1) } else { (1, 0, 1) },
            |_| None,
        );
        let step_c = s.steps().iter().find(|st| st.slot == c.index).unwrap();
        let (buf_a, buf_b) = (s.buffer_of(usize::from(a.index), 0), s.buffer_of(usize::from(b.index), 0));
        assert_ne!(buf_a, buf_b, "b must not overwrite a while c still needs it");
        assert_eq!(step_c.feeds[0], Feed::Buffer(buf_b));
        assert_eq!(step_c.feeds[1], Feed::Buffer(buf_a));
    }

    #[test]
    fn a_split_node_reads_its_inputs_last_and_keeps_their_buffers_until_then() {
        // dest ← b ← delay ← a ← b: the delay is split; b's buffer must live to the end.
        let mut t = Topology::new(8, 8);
        let dest = t.add(PORTS).unwrap();
        let delay = t.add(Ports { breaks_cycles: true, ..PORTS }).unwrap();
        let a = t.add(PORTS).unwrap();
        let b = t.add(PORTS).unwrap();
        for (from, to) in [(delay, a), (a, b), (b, delay), (b, dest)] {
            t.connect(Edge { from, output: 0, to, input: 0 }).unwrap();
        }
        let mut s = Schedule::new(8, 16);
        s.rebuild(&t, usize::from(dest.index), None, |_| (1, 0, 1), |_| None);
        let steps = s.steps();
        assert_eq!(steps.len(), 5);
        assert_eq!(steps[0].phase, Phase::SplitOutput);
        let last = steps[4];
        assert_eq!((last.slot, last.phase), (delay.index, Phase::SplitInput));
        assert_eq!(last.feeds[0], Feed::Buffer(s.buffer_of(usize::from(b.index), 0)));
        let b_at = steps.iter().position(|st| st.slot == b.index).unwrap();
        for st in &steps[b_at + 1..4] {
            assert_ne!(
                st.output,
                s.buffer_of(usize::from(b.index), 0),
                "b's buffer is not reused before the delay reads it"
            );
        }
    }

    /// Every group's members write buffers no member reads (but the one each reads from the
    /// member before it, in series), and no two write the same buffer, over graphs of chains
    /// and fans of groupable nodes mixed with others.
    #[test]
    fn grouped_steps_never_write_a_buffer_a_member_reads() {
        let mut seed = 0x9e37_79b9u32;
        let mut random = move |n: u32| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed % n
        };
        let mut groups_seen = [0; 2];
        for _ in 0..200 {
            let mut t = Topology::new(64, 128);
            let dest = t.add(PORTS).unwrap();
            let mut nodes = vec![t.add(PORTS).unwrap()];
            for _ in 0..40 {
                let node = t.add(PORTS).unwrap();
                // Half the time the newest node, so chains grow as well as fans.
                let from =
                    if random(2) == 0 { nodes[nodes.len() - 1] } else { nodes[random(nodes.len() as u32) as usize] };
                t.connect(Edge { from, output: 0, to: node, input: 0 }).unwrap();
                nodes.push(node);
            }
            for &n in &nodes[nodes.len() - 8..] {
                let _ = t.connect(Edge { from: n, output: 0, to: dest, input: 0 });
            }
            t.plan().unwrap();
            let groupable: Vec<bool> = (0..64).map(|_| random(5) != 0).collect();
            let mut s = Schedule::new(64, 128);
            s.rebuild(&t, usize::from(dest.index), None, |_| (1, 0, 1), |slot| groupable[slot].then_some(7));
            let steps = s.steps();
            for (i, head) in steps.iter().enumerate().filter(|(_, st)| st.group > 1) {
                let members = &steps[i..i + usize::from(head.group)];
                groups_seen[usize::from(head.chained)] += 1;
                for (a, m) in members.iter().enumerate() {
                    for (b, other) in members.iter().enumerate() {
                        if a != b {
                            assert_ne!(m.output, other.output, "two members write one buffer");
                        }
                        let reads_previous = head.chained && b + 1 == a;
                        if !reads_previous {
                            assert_ne!(m.feeds[0], Feed::Buffer(other.output), "a member reads what another writes");
                        }
                    }
                }
            }
        }
        assert!(groups_seen[0] > 50 && groups_seen[1] > 10, "both kinds of group formed: {groups_seen:?}");
    }
}
