//! Render thread: channel merger (Web Audio's ChannelMergerNode with two inputs): input `k`,
//! down-mixed to mono, becomes channel `k` of a stereo output.

use super::NodeType;
use crate::graph::{ChannelRule, NodeSpec};
use crate::render::{AudioBuf, ProcessContext, Processor, Status};

pub const SPEC: NodeSpec = NodeSpec {
    name: "channel-merger",
    factory: "createChannelMerger",
    inputs: 2,
    channels: ChannelRule::Stereo,
    ..NodeSpec::EFFECT
};
pub const TYPE: NodeType = NodeType {
    spec: &SPEC,
    build: |_, _| Box::new(ChannelMerger),
    memory: super::fixed_memory,
    prepare: super::as_given,
};

#[derive(Debug, Default)]
pub struct ChannelMerger;

impl Processor for ChannelMerger {
    fn process(&mut self, inputs: &[&AudioBuf], outputs: &mut [AudioBuf], _cx: &ProcessContext) -> Status {
        let output = &mut outputs[0];
        if inputs.iter().all(|i| i.is_silent()) {
            output.set_silent(2);
            return Status::Normal;
        }
        for (k, input) in inputs.iter().enumerate().take(2) {
            let out = output.channel_mut(k);
            if input.is_silent() {
                out.fill(0.0);
            } else if input.channels() == 1 {
                *out = *input.channel(0);
            } else {
                // Web Audio's speaker down-mix of stereo to mono.
                let (l, r) = (input.channel(0), input.channel(1));
                for (i, v) in out.iter_mut().enumerate() {
                    *v = 0.5 * (l[i] + r[i]);
                }
            }
        }
        output.set_audible(2);
        Status::Normal
    }
}
