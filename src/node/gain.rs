//! Render thread: gain node (Web Audio's GainNode).

use super::{new_params, prepare_params, ProcessContext, Processor, Status};
use crate::control::{EngineConfig, NodeKind};
use crate::render::{AudioBuf, Param, ParamValues};
use crate::simd::{gain_constant, gain_varying, Native};

/// Multiplies its input by the `gain` parameter; 0 gives a silent output, 1 a copy.
#[derive(Debug)]
pub struct Gain {
    params: [Param; 1],
}

impl Gain {
    pub fn new() -> Self {
        Self { params: new_params(NodeKind::Gain) }
    }
}

impl Default for Gain {
    fn default() -> Self {
        Self::new()
    }
}

impl Processor for Gain {
    fn prepare(&mut self, config: &EngineConfig) {
        prepare_params(&mut self.params, NodeKind::Gain, config);
    }

    fn reset(&mut self) {}

    fn process(&mut self, inputs: &[&AudioBuf], output: &mut AudioBuf, cx: &ProcessContext<'_>) -> Status {
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

    fn param_mut(&mut self, index: u8) -> Option<&mut Param> {
        self.params.get_mut(usize::from(index))
    }
}
