//! Render thread: gain node (Web Audio's GainNode).

use super::{params_for, NodeType};
use crate::graph::{Bound, EngineConfig, NodeSpec, ParamSpec};
use crate::render::{AudioBuf, Param, ParamValues, ProcessContext, Processor, Status};
use crate::simd::{gain_constant, gain_varying, Native};

const PARAMS: [ParamSpec; 1] =
    [ParamSpec::new("gain", 1.0, Bound::Value(f32::MIN), Bound::Value(f32::MAX)).control(0.0, 2.0)];

pub const SPEC: NodeSpec = NodeSpec { name: "gain", factory: "createGain", params: &PARAMS, ..NodeSpec::EFFECT };
pub const TYPE: NodeType = NodeType {
    spec: &SPEC,
    build: |config, _| Box::new(Gain::new(config)),
    memory: super::fixed_memory,
    prepare: super::as_given,
};

/// Multiplies its input by the `gain` parameter; 0 gives a silent output, 1 a copy.
#[derive(Debug)]
pub struct Gain {
    params: [Param; 1],
}

impl Gain {
    pub fn new(config: &EngineConfig) -> Self {
        Self { params: params_for(&PARAMS, config) }
    }
}

impl Processor for Gain {
    fn process(&mut self, inputs: &[&AudioBuf], outputs: &mut [AudioBuf], cx: &ProcessContext) -> Status {
        let output = &mut outputs[0];
        let gain = self.params[0].render(cx.time, cx.sample_rate);
        let input = inputs[0];
        let channels = input.channels();
        if input.is_silent() || gain == ParamValues::Constant(0.0) {
            output.set_silent(channels);
            return Status::Normal;
        }
        for ch in 0..channels {
            let (src, dst) = (input.channel(ch), output.channel_mut(ch));
            match gain {
                ParamValues::Constant(1.0) => dst.copy_from_slice(src),
                ParamValues::Constant(g) => gain_constant::<Native>(dst, src, g),
                ParamValues::Varying(g) => gain_varying::<Native>(dst, src, g),
            }
        }
        output.set_audible(channels);
        Status::Normal
    }

    fn params(&mut self) -> &mut [Param] {
        &mut self.params
    }
}
