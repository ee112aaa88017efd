//! Render thread: analyser (Web Audio's AnalyserNode): passes its input through unchanged and
//! keeps the last 32768 samples, down-mixed to mono, for the page to take. The spectrum itself
//! is computed on the main thread (`analysis::spectrum`) from what the page takes, when it asks,
//! as browsers do; the audio thread only copies.

use super::NodeType;
use crate::analysis::spectrum::{MAX_FFT_SIZE, MIN_FFT_SIZE};
use crate::graph::{EngineError, ErrorCode, NodeSpec, RenderError, SettingKind, SettingSpec, SettingValue};
use crate::render::{AudioBuf, ProcessContext, Processor, Status};
use crate::QUANTUM;

const FFT_SIZE: u8 = 0;
const SETTINGS: [SettingSpec; 4] = [
    SettingSpec::new("fftSize", SettingKind::Number { min: MIN_FFT_SIZE as f64, max: MAX_FFT_SIZE as f64 })
        .with_default(2048.0),
    SettingSpec::new("smoothingTimeConstant", SettingKind::Number { min: 0.0, max: 1.0 }).with_default(0.8),
    SettingSpec::new("minDecibels", SettingKind::Number { min: -1000.0, max: 1000.0 }).with_default(-100.0),
    SettingSpec::new("maxDecibels", SettingKind::Number { min: -1000.0, max: 1000.0 }).with_default(-30.0),
];

pub const SPEC: NodeSpec =
    NodeSpec { name: "analyser", factory: "createAnalyser", settings: &SETTINGS, captures: true, ..NodeSpec::EFFECT };
pub const TYPE: NodeType = NodeType {
    spec: &SPEC,
    build: |_, _| Box::new(Analyser::new()),
    memory: |_, _| 2 * MAX_FFT_SIZE * core::mem::size_of::<f32>(),
    prepare: |setting, value, _cx| match (setting, &value) {
        (FFT_SIZE, SettingValue::Number(n)) if !(n.fract() == 0.0 && (*n as usize).is_power_of_two()) => {
            Err(EngineError::new(
                ErrorCode::BadSetting,
                format!("fftSize must be a power of two from 32 to 32768, got {n}"),
            ))
        }
        _ => Ok(value),
    },
};

/// A pass-through that remembers its recent input.
#[derive(Debug)]
pub struct Analyser {
    ring: Vec<f32>,
    write: usize,
    /// The ring in time order, made when someone takes it.
    window: Vec<f32>,
}

impl Analyser {
    pub fn new() -> Self {
        Self { ring: vec![0.0; MAX_FFT_SIZE], write: 0, window: vec![0.0; MAX_FFT_SIZE] }
    }
}

impl Default for Analyser {
    fn default() -> Self {
        Self::new()
    }
}

impl Processor for Analyser {
    fn process(&mut self, inputs: &[&AudioBuf], outputs: &mut [AudioBuf], _cx: &ProcessContext) -> Status {
        let input = inputs[0];
        let slot = &mut self.ring[self.write..self.write + QUANTUM];
        if input.is_silent() {
            slot.fill(0.0);
        } else if input.channels() == 1 {
            slot.copy_from_slice(input.channel(0));
        } else {
            let (l, r) = (input.channel(0), input.channel(1));
            for (i, s) in slot.iter_mut().enumerate() {
                *s = 0.5 * (l[i] + r[i]);
            }
        }
        self.write = (self.write + QUANTUM) % self.ring.len();
        outputs[0].copy_from(input, input.channels());
        Status::Normal
    }

    fn configure(&mut self, setting: u8, value: &mut SettingValue) -> Result<(), RenderError> {
        // Sizes and ranges matter to the analysis on the main thread; the render side keeps
        // the largest window whatever they are.
        match (setting, &*value) {
            (0..=3, SettingValue::Number(_)) => Ok(()),
            _ => Err(RenderError::new(ErrorCode::BadSetting, "an analyser takes fftSize, smoothing and decibel range")),
        }
    }

    fn capture(&mut self, frames: usize) -> Option<&[f32]> {
        let n = frames.min(self.ring.len());
        let (older, newer) = self.ring.split_at(self.write);
        let ordered = newer.iter().chain(older);
        for (w, &v) in self.window.iter_mut().zip(ordered) {
            *w = v;
        }
        Some(&self.window[self.ring.len() - n..])
    }
}

#[cfg(test)]
mod tests {
    use crate::graph::{ErrorCode, SettingValue};
    use crate::offline::OfflineRenderer;

    #[test]
    fn passes_audio_through_and_keeps_the_latest_window() {
        let mut g = OfflineRenderer::new(48_000.0);
        let src = g.add("constant-source").unwrap();
        g.start(src, 0.0).unwrap();
        g.stop(src, 300.0 / 48_000.0).unwrap();
        let a = g.add("analyser").unwrap();
        g.connect(src, a).unwrap();
        g.connect(a, g.destination()).unwrap();
        let out = g.render_frames(512).remove(0);
        assert!(out[..300].iter().all(|&v| v == 1.0) && out[300..].iter().all(|&v| v == 0.0));
        let window = g.engine_mut().capture(a, 512).unwrap().to_vec();
        assert_eq!(window, out, "the window is the last 512 samples, oldest first");
        let err = g.configure(a, "fftSize", SettingValue::Number(1000.0)).unwrap_err();
        assert_eq!(err.code, ErrorCode::BadSetting);
        g.configure(a, "fftSize", SettingValue::Number(1024.0)).unwrap();
    }
}
