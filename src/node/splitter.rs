//! Render thread: channel splitter (Web Audio's ChannelSplitterNode with two outputs, the most
//! channels the engine carries): output `k` is channel `k` of the input, a mono input leaving
//! output 1 silent, as Web Audio's discrete up-mix does.

use super::NodeType;
use crate::graph::{ChannelRule, NodeSpec};
use crate::render::{AudioBuf, ProcessContext, Processor, Status};

pub const SPEC: NodeSpec = NodeSpec {
    name: "channel-splitter",
    factory: "createChannelSplitter",
    outputs: 2,
    channels: ChannelRule::Mono,
    ..NodeSpec::EFFECT
};
pub const TYPE: NodeType = NodeType {
    spec: &SPEC,
    build: |_, _| Box::new(ChannelSplitter),
    memory: super::fixed_memory,
    prepare: super::as_given,
};

#[derive(Debug, Default)]
pub struct ChannelSplitter;

impl Processor for ChannelSplitter {
    fn process(&mut self, inputs: &[&AudioBuf], outputs: &mut [AudioBuf], _cx: &ProcessContext) -> Status {
        let input = inputs[0];
        for (k, output) in outputs.iter_mut().enumerate() {
            if input.is_silent() || k >= input.channels() {
                output.set_silent(1);
            } else {
                *output.channel_mut(0) = *input.channel(k);
                output.set_audible(1);
            }
        }
        Status::Normal
    }
}

#[cfg(test)]
mod tests {
    use crate::graph::Edge;
    use crate::offline::OfflineRenderer;

    #[test]
    fn splitting_then_merging_swaps_channels_when_crossed() {
        let mut g = OfflineRenderer::new(48_000.0);
        let left = g.add("constant-source").unwrap();
        let right = g.add("constant-source").unwrap();
        g.set(left, "offset", 0.25).unwrap();
        g.set(right, "offset", -0.5).unwrap();
        let merge = g.add("channel-merger").unwrap();
        let split = g.add("channel-splitter").unwrap();
        let swap = g.add("channel-merger").unwrap();
        for id in [left, right] {
            g.start(id, 0.0).unwrap();
        }
        let c = g.controller_mut();
        for (from, output, to, input) in
            [(left, 0, merge, 0), (right, 0, merge, 1), (merge, 0, split, 0), (split, 0, swap, 1), (split, 1, swap, 0)]
        {
            c.connect(Edge { from, output, to, input }).unwrap();
        }
        g.connect(swap, g.destination()).unwrap();
        let out = g.render_frames(256);
        assert!(out[0].iter().all(|&v| v == -0.5) && out[1].iter().all(|&v| v == 0.25), "{} {}", out[0][0], out[1][0]);
    }

    #[test]
    fn a_mono_input_leaves_the_second_output_silent() {
        let mut g = OfflineRenderer::new(48_000.0);
        let src = g.add("constant-source").unwrap();
        g.start(src, 0.0).unwrap();
        let split = g.add("channel-splitter").unwrap();
        g.connect(src, split).unwrap();
        let to = g.destination();
        g.controller_mut().connect(Edge { from: split, output: 1, to, input: 0 }).unwrap();
        assert!(g.render_frames(256)[0].iter().all(|&v| v == 0.0));
    }
}
