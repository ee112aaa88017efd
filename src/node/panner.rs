//! Render thread: stereo panner (Web Audio's StereoPannerNode), equal-power law.

use super::{new_params, prepare_params, ProcessContext, Processor, Status};
use crate::control::{EngineConfig, NodeKind};
use crate::render::{AudioBuf, Param, ParamValues};
use core::f32::consts::FRAC_PI_2;

/// Places its input in the stereo field by the `pan` parameter (−1 left, +1 right).
#[derive(Debug)]
pub struct StereoPanner {
    params: [Param; 1],
}

impl StereoPanner {
    pub fn new() -> Self {
        Self { params: new_params(NodeKind::StereoPanner) }
    }
}

impl Default for StereoPanner {
    fn default() -> Self {
        Self::new()
    }
}

/// Web Audio's equal-power stereo panning of one frame.
#[inline]
pub fn pan_frame(pan: f32, left: f32, right: f32, mono: bool) -> (f32, f32) {
    if mono {
        let x = (pan + 1.0) / 2.0;
        let (gr, gl) = (x * FRAC_PI_2).sin_cos();
        (left * gl, left * gr)
    } else if pan <= 0.0 {
        let x = pan + 1.0;
        let (gr, gl) = (x * FRAC_PI_2).sin_cos();
        (left + right * gl, right * gr)
    } else {
        let (gr, gl) = (pan * FRAC_PI_2).sin_cos();
        (left * gl, right + left * gr)
    }
}

impl Processor for StereoPanner {
    fn prepare(&mut self, config: &EngineConfig) {
        prepare_params(&mut self.params, NodeKind::StereoPanner, config);
    }

    fn reset(&mut self) {}

    fn process(&mut self, inputs: &[&AudioBuf], output: &mut AudioBuf, cx: &ProcessContext<'_>) -> Status {
        let pan = self.params[0].render(cx.time, cx.sample_rate);
        let input = inputs[0];
        if input.is_silent() {
            output.set_silent(2);
            return Status::Normal;
        }
        let mono = input.channels() == 1;
        let (l_in, r_in) = (*input.channel(0), *input.channel(1));
        let mut left = [0.0; crate::QUANTUM];
        let mut right = [0.0; crate::QUANTUM];
        for i in 0..crate::QUANTUM {
            let p = match pan {
                ParamValues::Constant(p) => p,
                ParamValues::Varying(v) => v[i],
            };
            (left[i], right[i]) = pan_frame(p, l_in[i], r_in[i], mono);
        }
        *output.channel_mut(0) = left;
        *output.channel_mut(1) = right;
        output.set_audible(2);
        Status::Normal
    }

    fn param_mut(&mut self, index: u8) -> Option<&mut Param> {
        self.params.get_mut(usize::from(index))
    }
}

#[cfg(test)]
mod tests {
    use super::pan_frame;

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
