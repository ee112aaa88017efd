//! Render thread: constant source (Web Audio's ConstantSourceNode): its `offset` parameter as
//! a signal, from `start()` to `stop()`, sample-accurately. Connected into another node's
//! parameter it is the simplest modulator.

use super::{params_for, NodeType, SourceClock};
use crate::graph::{Bound, EngineConfig, NodeSpec, ParamSpec, RenderError, SettingKind, SettingSpec, SettingValue};
use crate::render::{AudioBuf, Param, ParamValues, ProcessContext, Processor, Status};

const PARAMS: [ParamSpec; 1] =
    [ParamSpec::new("offset", 1.0, Bound::Value(f32::MIN), Bound::Value(f32::MAX)).control(-1.0, 1.0)];
const SETTINGS: [SettingSpec; 2] =
    [SettingSpec::new("start", SettingKind::Time), SettingSpec::new("stop", SettingKind::Time)];

pub const SPEC: NodeSpec = NodeSpec {
    name: "constant-source",
    factory: "createConstantSource",
    params: &PARAMS,
    settings: &SETTINGS,
    ..NodeSpec::SOURCE
};
pub const TYPE: NodeType = NodeType {
    spec: &SPEC,
    build: |config, _| Box::new(ConstantSource::new(config)),
    memory: super::fixed_memory,
    prepare: super::as_given,
};

/// Outputs `offset` while started.
#[derive(Debug)]
pub struct ConstantSource {
    params: [Param; 1],
    clock: SourceClock,
}

impl ConstantSource {
    pub fn new(config: &EngineConfig) -> Self {
        Self { params: params_for(&PARAMS, config), clock: SourceClock::new(config) }
    }
}

impl Processor for ConstantSource {
    fn process(&mut self, _inputs: &[&AudioBuf], outputs: &mut [AudioBuf], cx: &ProcessContext) -> Status {
        let output = &mut outputs[0];
        let offset = self.params[0].render(cx.time, cx.sample_rate);
        let Some(range) = self.clock.sounding(cx) else {
            output.set_silent(1);
            return self.clock.status(cx);
        };
        let out = output.channel_mut(0);
        out[..range.start].fill(0.0);
        out[range.end..].fill(0.0);
        match offset {
            ParamValues::Constant(v) => out[range.clone()].fill(v),
            ParamValues::Varying(values) => out[range.clone()].copy_from_slice(&values[range]),
        }
        output.set_audible(1);
        self.clock.status(cx)
    }

    fn params(&mut self) -> &mut [Param] {
        &mut self.params
    }

    fn configure(&mut self, setting: u8, value: &mut SettingValue) -> Result<(), RenderError> {
        self.clock.configure(setting, value, 0)
    }
}

#[cfg(test)]
mod tests {
    use crate::graph::AutomationEvent;
    use crate::offline::OfflineRenderer;

    #[test]
    fn outputs_its_offset_between_start_and_stop() {
        let mut g = OfflineRenderer::new(48_000.0);
        let c = g.add("constant-source").unwrap();
        g.set(c, "offset", 0.25).unwrap();
        g.start(c, 100.0 / 48_000.0).unwrap();
        g.stop(c, 300.0 / 48_000.0).unwrap();
        g.connect(c, g.destination()).unwrap();
        let out = g.render_frames(512).remove(0);
        assert!(out[..100].iter().all(|&v| v == 0.0));
        assert!(out[100..300].iter().all(|&v| v == 0.25));
        assert!(out[300..].iter().all(|&v| v == 0.0));
    }

    #[test]
    fn modulates_a_parameter_at_audio_rate() {
        // A ramp from a constant source into a gain's (zero) gain: the output is the ramp.
        let mut g = OfflineRenderer::new(48_000.0);
        let one = g.add("constant-source").unwrap();
        let ramp = g.add("constant-source").unwrap();
        let vca = g.add("gain").unwrap();
        g.set(vca, "gain", 0.0).unwrap();
        g.automate(ramp, "offset", AutomationEvent::SetValueAtTime { value: 0.0, time: 0.0 }).unwrap();
        g.automate(ramp, "offset", AutomationEvent::LinearRampToValueAtTime { value: 1.0, time: 0.01 }).unwrap();
        g.start(one, 0.0).unwrap();
        g.start(ramp, 0.0).unwrap();
        g.connect(one, vca).unwrap();
        g.connect_param(ramp, vca, "gain").unwrap();
        g.connect(vca, g.destination()).unwrap();
        let out = g.render_frames(960).remove(0);
        for n in [0usize, 120, 240, 479] {
            assert!((out[n] - n as f32 / 480.0).abs() < 1e-5, "frame {n}: {}", out[n]);
        }
        assert!(out[480..].iter().all(|&v| (v - 1.0).abs() < 1e-6));
    }
}
