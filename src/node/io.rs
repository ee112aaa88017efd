//! Render thread: the engine's own ends of the graph — the destination that everything
//! audible is mixed into, and the input that brings outside audio in.

use super::NodeType;
use crate::graph::{ChannelRule, NodeSpec};
use crate::render::{AudioBuf, ProcessContext, Processor, Status};
use crate::MAX_CHANNELS;

pub const DESTINATION_SPEC: NodeSpec =
    NodeSpec { name: "destination", channels: ChannelRule::Stereo, ..NodeSpec::EFFECT };
pub const DESTINATION: NodeType = NodeType {
    spec: &DESTINATION_SPEC,
    build: |_, _| Box::new(Destination::default()),
    memory: super::fixed_memory,
    prepare: super::as_given,
};

pub const INPUT_SPEC: NodeSpec = NodeSpec { name: "input", inputs: 0, ..NodeSpec::EFFECT };
pub const INPUT: NodeType = NodeType {
    spec: &INPUT_SPEC,
    build: |_, _| Box::new(ExternalInput),
    memory: super::fixed_memory,
    prepare: super::as_given,
};

/// Mixes everything connected to it (the engine sums the connections) into stereo.
#[derive(Debug, Default)]
pub struct Destination {
    /// The output holds real zeros from a silent quantum before (nothing else writes it), so
    /// another silent one need not write them again.
    zeroed: bool,
}

impl Processor for Destination {
    fn process(&mut self, inputs: &[&AudioBuf], outputs: &mut [AudioBuf], _cx: &ProcessContext) -> Status {
        let output = &mut outputs[0];
        let input = inputs[0];
        if input.is_silent() && self.zeroed && output.is_silent() {
            return Status::Normal;
        }
        // Real samples even when silent: JS reads this buffer without looking at the flag.
        output.copy_from(input, MAX_CHANNELS);
        self.zeroed = input.is_silent();
        Status::Normal
    }
}

/// Outputs the audio given to the engine from outside (the worklet's input). The host writes
/// it straight into this node's output buffer (`Engine::external_input_mut`), so there is
/// nothing to do here.
#[derive(Debug, Default)]
pub struct ExternalInput;

impl Processor for ExternalInput {
    fn process(&mut self, _inputs: &[&AudioBuf], _outputs: &mut [AudioBuf], _cx: &ProcessContext) -> Status {
        Status::Normal
    }
}
