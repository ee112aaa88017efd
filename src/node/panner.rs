//! Render thread: stereo panner (Web Audio's StereoPannerNode), equal-power law.

use super::{params_for, NodeType};
use crate::graph::{Bound, ChannelRule, EngineConfig, NodeSpec, ParamSpec};
use crate::render::{AudioBuf, Param, ParamValues, ProcessContext, Processor, Status};
use core::f32::consts::FRAC_PI_2;

const PARAMS: [ParamSpec; 1] = [ParamSpec::new("pan", 0.0, Bound::Value(-1.0), Bound::Value(1.0))];

pub const SPEC: NodeSpec = NodeSpec {
    name: "stereo-panner",
    factory: "createStereoPanner",
    channels: ChannelRule::Stereo,
    params: &PARAMS,
    ..NodeSpec::EFFECT
};
pub const TYPE: NodeType = NodeType {
    spec: &SPEC,
    build: |config, _| Box::new(StereoPanner::new(config)),
    memory: super::fixed_memory,
    prepare: super::as_given,
};

/// Places its input in the stereo field by the `pan` parameter (−1 left, +1 right).
#[derive(Debug)]
pub struct StereoPanner {
    params: [Param; 1],
}

impl StereoPanner {
    pub fn new(config: &EngineConfig) -> Self {
        Self { params: params_for(&PARAMS, config) }
    }
}

/// Web Audio's equal-power panning as a 2×2 matrix from (left, right) in to (left, right)
/// out, so a constant pan costs one `sin_cos` per quantum instead of one per frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PanGains {
    left_from_left: f32,
    left_from_right: f32,
    right_from_left: f32,
    right_from_right: f32,
}

impl PanGains {
    /// A mono input is read from its only channel (`left`).
    #[inline]
    pub fn new(pan: f32, mono: bool) -> Self {
        if mono {
            let (gr, gl) = ((pan + 1.0) / 2.0 * FRAC_PI_2).sin_cos();
            Self { left_from_left: gl, left_from_right: 0.0, right_from_left: gr, right_from_right: 0.0 }
        } else if pan <= 0.0 {
            let (gr, gl) = ((pan + 1.0) * FRAC_PI_2).sin_cos();
            Self { left_from_left: 1.0, left_from_right: gl, right_from_left: 0.0, right_from_right: gr }
        } else {
            let (gr, gl) = (pan * FRAC_PI_2).sin_cos();
            Self { left_from_left: gl, left_from_right: 0.0, right_from_left: gr, right_from_right: 1.0 }
        }
    }

    #[inline]
    pub fn apply(&self, left: f32, right: f32) -> (f32, f32) {
        (
            self.left_from_left * left + self.left_from_right * right,
            self.right_from_left * left + self.right_from_right * right,
        )
    }
}

impl Processor for StereoPanner {
    fn process(&mut self, inputs: &[&AudioBuf], outputs: &mut [AudioBuf], cx: &ProcessContext) -> Status {
        let output = &mut outputs[0];
        let pan = self.params[0].render(cx.time, cx.sample_rate);
        let input = inputs[0];
        if input.is_silent() {
            output.set_silent(2);
            return Status::Normal;
        }
        let mono = input.channels() == 1;
        let (l_in, r_in) = (input.channel(0), input.channel(1));
        let constant = match pan {
            ParamValues::Constant(p) => Some(PanGains::new(p, mono)),
            ParamValues::Varying(_) => None,
        };
        for i in 0..crate::QUANTUM {
            let gains = constant.unwrap_or_else(|| PanGains::new(pan.at(i), mono));
            let (l, r) = gains.apply(l_in[i], r_in[i]);
            output.channel_mut(0)[i] = l;
            output.channel_mut(1)[i] = r;
        }
        output.set_audible(2);
        Status::Normal
    }

    fn params(&mut self) -> &mut [Param] {
        &mut self.params
    }
}

#[cfg(test)]
mod tests {
    use super::PanGains;

    fn pan_frame(pan: f32, left: f32, right: f32, mono: bool) -> (f32, f32) {
        PanGains::new(pan, mono).apply(left, right)
    }

    #[test]
    fn equal_power_law() {
        for pan in [-1.0f32, -0.5, 0.0, 0.3, 1.0] {
            let (l, r) = pan_frame(pan, 1.0, 1.0, true);
            assert!((l * l + r * r - 1.0).abs() < 1e-6, "power is constant at pan {pan}");
            let angle = (pan + 1.0) / 2.0 * core::f32::consts::FRAC_PI_2;
            assert!((l - angle.cos()).abs() < 1e-6 && (r - angle.sin()).abs() < 1e-6);
        }
        assert_eq!(pan_frame(-1.0, 0.25, 0.5, false), (0.75, 0.0));
        let (l, r) = pan_frame(1.0, 0.25, 0.5, false);
        assert!(l.abs() < 1e-7 && (r - 0.75).abs() < 1e-7);
        let (l, r) = pan_frame(0.0, 0.25, 0.5, false);
        assert!((l - 0.25).abs() < 1e-7 && (r - 0.5).abs() < 1e-7, "centre leaves stereo untouched");
    }
}
