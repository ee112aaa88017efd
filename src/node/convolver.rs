//! Render thread: convolver (Web Audio's ConvolverNode): the input convolved with an impulse
//! response by partitioned FFT convolution, with no latency. The response's partition spectra
//! (normalised as Web Audio's `normalize` says) are made on the control side when the buffer
//! is given; the render side only moves them in.

use super::{NodeType, Prepare};
use crate::dsp::convolution::{normalization_scale, partition, Convolver as Engine};
use crate::graph::{EngineError, ErrorCode, NodeSpec, Prepared, RenderError, SettingKind, SettingSpec, SettingValue};
use crate::render::{AudioBuf, ProcessContext, Processor, Status};
use crate::{MAX_CHANNELS, QUANTUM};

const BUFFER: u8 = 0;
const NORMALIZE: u8 = 1;
const SETTINGS: [SettingSpec; 2] = [
    SettingSpec::new("buffer", SettingKind::Samples { stored: false }),
    SettingSpec::new("normalize", SettingKind::Flag).with_default(1.0),
];

pub const SPEC: NodeSpec = NodeSpec {
    name: "convolver",
    factory: "createConvolver",
    settings: &SETTINGS,
    tail_seconds: 10.0,
    ..NodeSpec::EFFECT
};
pub const TYPE: NodeType =
    NodeType { spec: &SPEC, build: |_, _| Box::new(Convolver::default()), memory: super::fixed_memory, prepare };

/// Control side: a buffer becomes its partition spectra.
fn prepare(setting: u8, value: SettingValue, cx: &Prepare<'_>) -> Result<SettingValue, EngineError> {
    match (setting, value) {
        (BUFFER, SettingValue::Samples { sample_rate, channels }) => {
            if (sample_rate - cx.config.sample_rate).abs() > 0.5 {
                return Err(EngineError::new(
                    ErrorCode::BadSetting,
                    format!(
                        "an impulse response at {sample_rate} Hz on an engine at {} Hz: resample it first",
                        cx.config.sample_rate
                    ),
                ));
            }
            let scale = if cx.flag(NORMALIZE) { normalization_scale(&channels, sample_rate) } else { 1.0 };
            Ok(SettingValue::Tables(partition(&channels, scale)))
        }
        (_, value) => Ok(value),
    }
}

/// A convolution reverb or filter.
#[derive(Debug, Default)]
pub struct Convolver {
    engine: Option<Box<Engine>>,
    /// The convolver a new response replaced, dropped by the engine off the render path.
    retired: Option<Box<Engine>>,
    /// Quanta of silent input since the last sound; once the response has rung out, the
    /// output is silent too.
    silent_quanta: usize,
}

impl Processor for Convolver {
    fn reset(&mut self) {
        if let Some(e) = &mut self.engine {
            e.reset();
        }
    }

    fn process(&mut self, inputs: &[&AudioBuf], outputs: &mut [AudioBuf], _cx: &ProcessContext) -> Status {
        let output = &mut outputs[0];
        let input = inputs[0];
        let Some(conv) = &mut self.engine else {
            output.set_silent(input.channels());
            return Status::Normal;
        };
        let partitions = conv.partitions();
        if input.is_silent() {
            self.silent_quanta = self.silent_quanta.saturating_add(1);
            if self.silent_quanta > partitions + 1 {
                output.set_silent(input.channels());
                return Status::Normal;
            }
        } else {
            self.silent_quanta = 0;
        }
        const ZERO: [f32; QUANTUM] = [0.0; QUANTUM];
        let in_channels = if input.is_silent() { 1 } else { input.channels() };
        let blocks: [&[f32; QUANTUM]; MAX_CHANNELS] =
            core::array::from_fn(|ch| if input.is_silent() { &ZERO } else { input.channel(ch) });
        conv.push(&blocks[..MAX_CHANNELS]);
        // Mono response: each input channel through it. Stereo response: a mono input feeds
        // both, a stereo input runs left through left and right through right.
        let out_channels = in_channels.max(conv.channels()).min(MAX_CHANNELS);
        for ch in 0..out_channels {
            let source = if in_channels == 1 { 0 } else { ch };
            let filter = if conv.channels() == 1 { 0 } else { ch };
            conv.render(source, filter, output.channel_mut(ch));
        }
        output.set_audible(out_channels);
        Status::Normal
    }

    fn prepare_setting(&self, setting: u8, value: &mut SettingValue) {
        if let (BUFFER, SettingValue::Tables(data)) = (setting, &*value) {
            if let Some(conv) = Engine::from_wire(data, MAX_CHANNELS) {
                *value = SettingValue::Prepared(Prepared(Some(Box::new(conv))));
            }
        }
    }

    fn configure(&mut self, setting: u8, value: &mut SettingValue) -> Result<(), RenderError> {
        match (setting, &mut *value) {
            (BUFFER, SettingValue::Prepared(Prepared(prepared))) => {
                // Moving the box out of the Any reuses its allocation: nothing is freed here.
                let conv = match prepared.take().map(|p| p.downcast::<Engine>()) {
                    Some(Ok(conv)) => conv,
                    Some(Err(other)) => {
                        *prepared = Some(other);
                        return Err(RenderError::new(ErrorCode::BadSetting, "that is not a convolver's state"));
                    }
                    None => {
                        return Err(RenderError::new(ErrorCode::BadSetting, "the impulse response was already taken"))
                    }
                };
                // The old one waits in `retired` for collect_garbage, off the render path; if a
                // second response comes before that, the older one is kept rather than dropped here.
                if let Some(old) = self.engine.replace(conv) {
                    if self.retired.is_none() {
                        self.retired = Some(old);
                    } else {
                        core::mem::forget(old);
                    }
                }
                self.silent_quanta = 0;
                Ok(())
            }
            (BUFFER, SettingValue::Tables(_)) => {
                Err(RenderError::new(ErrorCode::BadSetting, "the impulse response's spectra do not fit"))
            }
            (NORMALIZE, SettingValue::Flag(_)) => Ok(()),
            _ => Err(RenderError::new(ErrorCode::BadSetting, "a convolver takes a buffer and normalize")),
        }
    }

    fn collect_garbage(&mut self) {
        self.retired = None;
    }
}

#[cfg(test)]
mod tests {
    use crate::graph::{ErrorCode, SettingValue};
    use crate::offline::OfflineRenderer;

    #[test]
    fn an_impulse_through_it_is_its_response_normalised_or_not() {
        let response: Vec<f32> =
            (0..500).map(|i| (-(i as f32) / 80.0).exp() * if i % 2 == 0 { 1.0 } else { -0.5 }).collect();
        for normalize in [false, true] {
            let mut g = OfflineRenderer::new(48_000.0);
            let src = g.add("constant-source").unwrap();
            g.start(src, 0.0).unwrap();
            g.stop(src, 1.0 / 48_000.0).unwrap();
            let c = g.add("convolver").unwrap();
            g.configure(c, "normalize", SettingValue::Flag(normalize)).unwrap();
            g.configure(c, "buffer", SettingValue::Samples { sample_rate: 48_000.0, channels: vec![response.clone()] })
                .unwrap();
            g.connect(src, c).unwrap();
            g.connect(c, g.destination()).unwrap();
            let out = g.render_frames(1024).remove(0);
            let scale = if normalize {
                crate::dsp::convolution::normalization_scale(std::slice::from_ref(&response), 48_000.0)
            } else {
                1.0
            };
            for n in [0usize, 1, 200, 499] {
                assert!(
                    (out[n] - response[n] * scale).abs() < 1e-5 * scale.max(1.0),
                    "normalize {normalize}, frame {n}: {} vs {}",
                    out[n],
                    response[n] * scale
                );
            }
            assert!(out[600..].iter().all(|v| v.abs() < 1e-6), "nothing after the response");
        }
    }

    #[test]
    fn a_response_at_another_rate_is_refused() {
        let mut g = OfflineRenderer::new(48_000.0);
        let c = g.add("convolver").unwrap();
        let err = g
            .configure(c, "buffer", SettingValue::Samples { sample_rate: 44_100.0, channels: vec![vec![1.0; 10]] })
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::BadSetting);
    }
}
