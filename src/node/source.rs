//! Render thread: what every scheduled source shares — `start(when)` and `stop(when)`,
//! sample-accurate, as Web Audio's AudioScheduledSourceNode defines them.

use crate::graph::{EngineConfig, ErrorCode, RenderError, SettingValue};
use crate::render::ProcessContext;
use crate::QUANTUM;
use core::ops::Range;

/// A source's start and stop frames.
#[derive(Clone, Copy, Debug)]
pub struct SourceClock {
    sample_rate: f64,
    start: Option<u64>,
    stop: Option<u64>,
}

impl SourceClock {
    pub fn new(config: &EngineConfig) -> Self {
        Self { sample_rate: f64::from(config.sample_rate), start: None, stop: None }
    }

    /// The first frame at or after `time` seconds. A time that lands on a frame but for the
    /// last bits of the multiplication (0.07 s × 48 kHz = 3360.0000000000005) is that frame, as
    /// browsers take it.
    fn frame_of(&self, time: f64) -> u64 {
        let frame = time * self.sample_rate;
        let nearest = frame.round();
        if (frame - nearest).abs() <= 1e-9 * nearest.max(1.0) {
            nearest as u64
        } else {
            frame.ceil() as u64
        }
    }

    /// Applies setting `setting` when it is `start` (index `base`) or `stop` (`base + 1`).
    pub fn configure(&mut self, setting: u8, value: &SettingValue, base: u8) -> Result<(), RenderError> {
        match (setting.checked_sub(base), value) {
            (Some(0), &SettingValue::Time(t)) => self.start = Some(self.frame_of(t)),
            (Some(1), &SettingValue::Time(t)) => self.stop = Some(self.frame_of(t)),
            _ => return Err(RenderError::new(ErrorCode::BadSetting, "a source takes start and stop times")),
        }
        Ok(())
    }

    /// Whether `setting` is one of the clock's.
    pub fn owns(setting: u8, base: u8) -> bool {
        setting.checked_sub(base).is_some_and(|s| s < 2)
    }

    /// The frames of this quantum during which the source sounds, if any.
    pub fn sounding(&self, cx: &ProcessContext) -> Option<Range<usize>> {
        let end = cx.frame + QUANTUM as u64;
        let first = self.start.map_or(end, |s| s.max(cx.frame));
        let last = self.stop.map_or(end, |s| s.min(end));
        (first < last).then(|| (first - cx.frame) as usize..(last - cx.frame) as usize)
    }

    /// Whether the source has stopped for good by the end of this quantum.
    pub fn ended(&self, cx: &ProcessContext) -> bool {
        self.stop_frame().is_some_and(|stop| stop <= cx.frame + QUANTUM as u64)
    }

    /// What a source's `process` reports: ended once its stop has come.
    pub fn status(&self, cx: &ProcessContext) -> crate::render::Status {
        if self.ended(cx) {
            crate::render::Status::Ended
        } else {
            crate::render::Status::Normal
        }
    }

    /// The frame at which the source stops sounding, once `stop()` has been given.
    pub fn stop_frame(&self) -> Option<u64> {
        self.stop.map(|s| s.max(self.start.unwrap_or(s)))
    }
}
