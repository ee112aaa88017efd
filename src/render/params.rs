//! Render thread: parameters. Each owns a glide (for click-free `.value` changes) and an
//! automation timeline of fixed capacity; rendering a quantum never allocates.

use crate::control::{AutomationEvent, EngineConfig, ErrorCode, ParamSpec, RenderError};
use crate::QUANTUM;

/// How long a `.value` change on a running node glides, so that it never clicks.
pub const GLIDE_SECONDS: f64 = 0.01;

/// A quantum's worth of a parameter: one value, or one per frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ParamValues<'a> {
    Constant(f32),
    Varying(&'a [f32; QUANTUM]),
}

impl ParamValues<'_> {
    #[inline]
    pub fn at(&self, frame: usize) -> f32 {
        match self {
            ParamValues::Constant(v) => *v,
            ParamValues::Varying(values) => values[frame],
        }
    }
}

/// A parameter's value, nominal range, glide and automation timeline: everything but the
/// buffer its varying values are rendered into, so rendering borrows the two apart.
#[derive(Debug, Clone)]
struct Curve {
    min: f32,
    max: f32,
    value: f32,
    glide_target: f32,
    glide_step: f32,
    glide_left: u32,
    glide_frames: u32,
    events: Vec<AutomationEvent>,
    events_capacity: usize,
    anchor_time: f64,
    anchor_value: f32,
    target_started: bool,
    running: bool,
    now: f64,
}

/// One node parameter: value, nominal range, glide and automation.
#[derive(Debug, Clone)]
pub struct Param {
    curve: Curve,
    values: [f32; QUANTUM],
}

impl Param {
    /// A parameter at its default. Call [`Param::prepare`] before use.
    pub fn new(spec: &ParamSpec) -> Self {
        Self { curve: Curve::new(spec), values: [spec.default; QUANTUM] }
    }

    /// Sizes the timeline and resolves Nyquist-relative bounds. Allocates.
    pub fn prepare(&mut self, spec: &ParamSpec, config: &EngineConfig) {
        self.curve.prepare(spec, config);
    }

    /// `.value = v`: immediate before the node first renders, a short glide afterwards; while
    /// automation is scheduled it is a `setValueAtTime(v, now)`.
    pub fn set_value(&mut self, value: f32) -> Result<(), RenderError> {
        self.curve.set_value(value)
    }

    /// Moves linearly to `target` over `frames` frames.
    pub fn glide_to(&mut self, target: f32, frames: u32) {
        self.curve.glide_to(target, frames);
    }

    /// Adds an automation event, keeping the timeline sorted by time.
    pub fn push(&mut self, event: AutomationEvent) -> Result<(), RenderError> {
        self.curve.push(event)
    }

    /// The values for the quantum starting at `time` seconds.
    pub fn render(&mut self, time: f64, sample_rate: f32) -> ParamValues<'_> {
        let curve = &mut self.curve;
        curve.running = true;
        let dt = 1.0 / f64::from(sample_rate);
        curve.now = time + QUANTUM as f64 * dt;
        if curve.events.is_empty() && curve.glide_left == 0 {
            return ParamValues::Constant(curve.nominal(curve.value));
        }
        curve.fill(&mut self.values, time, dt);
        ParamValues::Varying(&self.values)
    }

    /// Writes one value per frame into `out`, frame `i` at `time + i·dt`.
    #[inline]
    pub fn fill_from(&mut self, out: &mut [f32], time: f64, dt: f64) {
        self.curve.fill(out, time, dt);
    }
}

impl Curve {
    fn new(spec: &ParamSpec) -> Self {
        Self {
            min: f32::MIN,
            max: f32::MAX,
            value: spec.default,
            glide_target: spec.default,
            glide_step: 0.0,
            glide_left: 0,
            glide_frames: 1,
            events: Vec::new(),
            events_capacity: 0,
            anchor_time: 0.0,
            anchor_value: spec.default,
            target_started: false,
            running: false,
            now: 0.0,
        }
    }

    fn prepare(&mut self, spec: &ParamSpec, config: &EngineConfig) {
        self.min = spec.min.resolve(config.sample_rate);
        self.max = spec.max.resolve(config.sample_rate);
        self.events = Vec::with_capacity(config.max_automation_events);
        self.events_capacity = config.max_automation_events;
        self.glide_frames = ((GLIDE_SECONDS * f64::from(config.sample_rate)).round() as u32).max(1);
    }

    fn set_value(&mut self, value: f32) -> Result<(), RenderError> {
        if !self.running {
            self.value = value;
            self.glide_target = value;
            self.glide_left = 0;
            return Ok(());
        }
        if !self.events.is_empty() {
            return self.push(AutomationEvent::SetValueAtTime { value, time: self.now });
        }
        self.glide_to(value, self.glide_frames);
        Ok(())
    }

    fn glide_to(&mut self, target: f32, frames: u32) {
        self.glide_target = target;
        self.glide_left = frames.max(1);
        self.glide_step = (target - self.value) / self.glide_left as f32;
    }

    fn push(&mut self, event: AutomationEvent) -> Result<(), RenderError> {
        if let AutomationEvent::CancelScheduledValues { time } = event {
            self.events.retain(|e| e.time() < time);
            return Ok(());
        }
        if self.events.len() >= self.events_capacity {
            return Err(RenderError {
                code: ErrorCode::QueueFull,
                what: "the parameter's automation timeline is full",
            });
        }
        self.glide_left = 0;
        let at = self.events.partition_point(|e| e.time() <= event.time());
        if at == 0 && self.events.is_empty() {
            self.anchor_time = self.now;
            self.anchor_value = self.value;
        }
        self.events.insert(at, event);
        Ok(())
    }

    #[inline]
    fn fill(&mut self, out: &mut [f32], time: f64, dt: f64) {
        if self.events.is_empty() && self.glide_left == 0 {
            out.fill(self.nominal(self.value));
            return;
        }
        if self.events.is_empty() {
            // Glide sample by sample, then the steady value in one fill.
            let gliding = (self.glide_left as usize).min(out.len());
            for slot in &mut out[..gliding] {
                let value = self.glide();
                *slot = self.nominal(value);
            }
            out[gliding..].fill(self.nominal(self.value));
            return;
        }
        for (i, slot) in out.iter_mut().enumerate() {
            let value = self.automate(time + i as f64 * dt);
            *slot = self.nominal(value);
        }
    }

    /// Clamps to the nominal range (min ≤ max always holds, so no panic path is needed).
    #[inline(always)]
    fn nominal(&self, value: f32) -> f32 {
        value.max(self.min).min(self.max)
    }

    #[inline]
    fn glide(&mut self) -> f32 {
        if self.glide_left > 0 {
            self.glide_left -= 1;
            self.value = if self.glide_left == 0 { self.glide_target } else { self.value + self.glide_step };
        }
        self.value
    }

    fn advance(&mut self, time: f64, value: f32) {
        self.value = value;
        self.anchor_time = time;
        self.anchor_value = value;
        self.target_started = false;
        self.events.remove(0);
    }

    fn automate(&mut self, t: f64) -> f32 {
        while let Some(&event) = self.events.first() {
            match event {
                AutomationEvent::SetValueAtTime { value, time } => {
                    if time > t {
                        break;
                    }
                    self.advance(time, value);
                }
                AutomationEvent::LinearRampToValueAtTime { value, time } => {
                    if time <= t {
                        self.advance(time, value);
                        continue;
                    }
                    let (t0, v0) = (self.anchor_time, self.anchor_value);
                    let share = ((t - t0) / (time - t0)).clamp(0.0, 1.0) as f32;
                    self.value = v0 + (value - v0) * share;
                    break;
                }
                AutomationEvent::ExponentialRampToValueAtTime { value, time } => {
                    if time <= t {
                        self.advance(time, value);
                        continue;
                    }
                    let (t0, v0) = (self.anchor_time, self.anchor_value);
                    // Web Audio: a ramp from zero or across zero holds its start value.
                    if v0 != 0.0 && (v0 > 0.0) == (value > 0.0) {
                        let share = ((t - t0) / (time - t0)).clamp(0.0, 1.0);
                        self.value = (f64::from(v0) * (f64::from(value) / f64::from(v0)).powf(share)) as f32;
                    } else {
                        self.value = v0;
                    }
                    break;
                }
                AutomationEvent::SetTargetAtTime { target, time, time_constant } => {
                    if time > t {
                        break;
                    }
                    if self.events.get(1).is_some_and(|next| next.time() <= t) {
                        let value = self.value;
                        self.advance(t, value);
                        continue;
                    }
                    if !self.target_started {
                        self.target_started = true;
                        self.anchor_time = time;
                        self.anchor_value = self.value;
                    }
                    self.value = if time_constant == 0.0 {
                        target
                    } else {
                        let decay = (-(t - self.anchor_time) / time_constant).exp() as f32;
                        target + (self.anchor_value - target) * decay
                    };
                    break;
                }
                AutomationEvent::CancelScheduledValues { .. } => {
                    self.events.remove(0);
                }
            }
        }
        self.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::Bound;

    const SR: f32 = 1000.0;

    fn param() -> Param {
        let spec = ParamSpec { name: "x", default: 1.0, min: Bound::Value(-10.0), max: Bound::Value(10.0) };
        let mut p = Param::new(&spec);
        p.prepare(&spec, &EngineConfig { max_automation_events: 4, ..EngineConfig::new(SR) });
        p
    }

    fn quantum(p: &mut Param, index: usize) -> [f32; QUANTUM] {
        let mut out = [0.0; QUANTUM];
        match p.render(index as f64 * QUANTUM as f64 / f64::from(SR), SR) {
            ParamValues::Constant(v) => out.fill(v),
            ParamValues::Varying(v) => out = *v,
        }
        out
    }

    #[test]
    fn value_before_first_render_is_immediate_and_glides_after() {
        let mut p = param();
        p.set_value(3.0).unwrap();
        assert_eq!(p.render(0.0, SR), ParamValues::Constant(3.0));
        p.set_value(5.0).unwrap();
        let q = quantum(&mut p, 1);
        // 10 ms at 1 kHz = 10 frames of glide, then the target.
        assert!((q[0] - 3.2).abs() < 1e-5, "{}", q[0]);
        assert!((q[4] - 4.0).abs() < 1e-5);
        assert_eq!(q[9], 5.0);
        assert_eq!(q[100], 5.0);
        assert_eq!(p.render(0.256, SR), ParamValues::Constant(5.0));
    }

    #[test]
    fn linear_and_exponential_ramps_follow_the_formulas() {
        let mut p = param();
        p.push(AutomationEvent::SetValueAtTime { value: 2.0, time: 0.0 }).unwrap();
        p.push(AutomationEvent::LinearRampToValueAtTime { value: 4.0, time: 0.1 }).unwrap();
        p.push(AutomationEvent::ExponentialRampToValueAtTime { value: 8.0, time: 0.2 }).unwrap();
        let q = quantum(&mut p, 0);
        assert!((q[50] - 3.0).abs() < 1e-5, "{}", q[50]);
        assert_eq!(q[100], 4.0);
        let expected = 4.0 * 2f64.powf(0.25);
        assert!((f64::from(q[125]) - expected).abs() < 1e-5, "{}", q[125]);
        let q2 = quantum(&mut p, 1);
        assert_eq!(q2[72], 8.0);
        assert_eq!(q2[127], 8.0);
    }

    #[test]
    fn set_target_decays_exponentially_and_values_clamp() {
        let mut p = param();
        p.push(AutomationEvent::SetTargetAtTime { target: 0.0, time: 0.01, time_constant: 0.02 }).unwrap();
        p.push(AutomationEvent::SetValueAtTime { value: 50.0, time: 0.1 }).unwrap();
        let q = quantum(&mut p, 0);
        assert_eq!(q[5], 1.0);
        let expected = (-(0.03f64 - 0.01) / 0.02).exp() as f32;
        assert!((q[30] - expected).abs() < 1e-6);
        assert_eq!(q[100], 10.0, "computed value is clamped to the nominal range");
    }

    #[test]
    fn timeline_capacity_is_an_error_and_cancel_removes_later_events() {
        let mut p = param();
        for i in 0..4 {
            p.push(AutomationEvent::SetValueAtTime { value: i as f32, time: f64::from(i) }).unwrap();
        }
        let err = p.push(AutomationEvent::SetValueAtTime { value: 9.0, time: 9.0 }).unwrap_err();
        assert_eq!(err.code, ErrorCode::QueueFull);
        p.push(AutomationEvent::CancelScheduledValues { time: 1.5 }).unwrap();
        assert_eq!(p.curve.events.len(), 2);
    }
}
