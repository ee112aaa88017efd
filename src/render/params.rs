//! Render thread: parameters. Each owns a glide (for click-free `.value` changes), an
//! automation [`Timeline`] of fixed capacity that it evaluates as Web Audio defines, and a
//! buffer for audio-rate modulation from connected nodes. Rendering never allocates.

use crate::graph::{AutomationEvent, EngineConfig, Event, ParamSpec, Rate, RenderError, Timeline};
use crate::render::AudioBuf;
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

/// Everything about a parameter but its two sample buffers, so rendering can borrow apart.
#[derive(Debug, Clone)]
struct Curve {
    min: f32,
    max: f32,
    rate: Rate,
    /// The intrinsic value as of the last frame evaluated.
    value: f32,
    glide_target: f32,
    glide_step: f32,
    glide_left: u32,
    glide_frames: u32,
    timeline: Timeline,
    /// Where the running ramp starts: the end of the event before it.
    anchor_time: f64,
    anchor_value: f32,
    /// The value a running `setTargetAtTime` started from.
    target_from: Option<f32>,
    running: bool,
    /// When the next quantum starts: where a `.value` change or a first ramp begins.
    now: f64,
}

/// One node parameter: value, nominal range, glide, automation and modulation.
#[derive(Debug, Clone)]
pub struct Param {
    curve: Curve,
    modulated: bool,
    modulation: [f32; QUANTUM],
    values: [f32; QUANTUM],
}

/// What the first live event says about time `t`.
enum Step {
    /// The value holds (the event lies ahead).
    Hold,
    /// The event is over: it left this value at this time; go on with the next.
    Done(f64, f32),
    /// The event is running and gives this value.
    Now(f32),
}

#[inline]
fn linear(t0: f64, v0: f32, t1: f64, v1: f32, t: f64) -> f32 {
    if t1 <= t0 {
        return v1;
    }
    let share = ((t - t0) / (t1 - t0)) as f32;
    v0 + (v1 - v0) * share
}

#[inline]
fn exponential(t0: f64, v0: f32, t1: f64, v1: f32, t: f64) -> f32 {
    if t1 <= t0 {
        return v1;
    }
    // Web Audio: a ramp from zero or across zero holds its start value.
    if v0 == 0.0 || (v0 > 0.0) != (v1 > 0.0) {
        return v0;
    }
    let share = (t - t0) / (t1 - t0);
    (f64::from(v0) * (f64::from(v1) / f64::from(v0)).powf(share)) as f32
}

#[inline]
fn curve_at(values: &[f32], start: f64, duration: f64, t: f64) -> f32 {
    let n = values.len();
    let position = (n - 1) as f64 * (t - start) / duration;
    let k = (position.floor().max(0.0) as usize).min(n - 1);
    if k + 1 >= n {
        return values[n - 1];
    }
    let frac = (position - k as f64) as f32;
    values[k] + (values[k + 1] - values[k]) * frac
}

impl Param {
    /// A parameter at its default, with a timeline sized for `config`. Allocates.
    pub fn new(spec: &ParamSpec, config: &EngineConfig) -> Self {
        let sample_rate = config.sample_rate;
        let curve = Curve {
            min: spec.min.resolve(sample_rate),
            max: spec.max.resolve(sample_rate),
            rate: spec.rate,
            value: spec.default,
            glide_target: spec.default,
            glide_step: 0.0,
            glide_left: 0,
            glide_frames: ((GLIDE_SECONDS * f64::from(sample_rate)).round() as u32).max(1),
            timeline: Timeline::with_capacity(config.max_automation_events),
            anchor_time: 0.0,
            anchor_value: spec.default,
            target_from: None,
            running: false,
            now: 0.0,
        };
        Self { curve, modulated: false, modulation: [0.0; QUANTUM], values: [spec.default; QUANTUM] }
    }

    /// `.value = v`: immediate before the node first renders, a short glide afterwards; while
    /// automation is scheduled it is a `setValueAtTime(v, now)` (the control side sends it as
    /// one, so this case only meets bytes from elsewhere).
    pub fn set_value(&mut self, value: f32, retire: &mut impl FnMut(Event)) -> Result<(), RenderError> {
        let curve = &mut self.curve;
        if !curve.running {
            curve.value = value;
            curve.glide_target = value;
            curve.glide_left = 0;
            return Ok(());
        }
        if !curve.timeline.is_empty() {
            let time = curve.now;
            return self.automate(AutomationEvent::SetValueAtTime { value, time }, retire);
        }
        curve.glide_to(value, curve.glide_frames);
        Ok(())
    }

    /// Moves linearly to `target` over `frames` frames.
    pub fn glide_to(&mut self, target: f32, frames: u32) {
        self.curve.glide_to(target, frames);
    }

    /// Applies one automation call to the timeline; events it removes go to `retire`.
    pub fn automate(&mut self, event: AutomationEvent, retire: &mut impl FnMut(Event)) -> Result<(), RenderError> {
        let curve = &mut self.curve;
        // As the control side does before every edit: what has passed makes room.
        curve.timeline.pass_until(curve.now, true);
        let was_settled = curve.timeline.is_settled();
        curve.timeline.apply(event, retire)?;
        if was_settled && !curve.timeline.is_settled() {
            curve.glide_left = 0;
            curve.anchor_time = curve.now;
            curve.anchor_value = curve.value;
        }
        Ok(())
    }

    /// The events still to come or running.
    pub fn timeline(&self) -> &Timeline {
        &self.curve.timeline
    }

    /// Adds a connected node's output to this quantum's value (down-mixed to mono).
    pub fn modulate(&mut self, input: &AudioBuf) {
        if input.is_silent() {
            return;
        }
        let first = !self.modulated;
        self.modulated = true;
        let (left, right) = (input.channel(0), input.channel(1));
        let stereo = input.channels() > 1;
        for (i, m) in self.modulation.iter_mut().enumerate() {
            let v = if stereo { 0.5 * (left[i] + right[i]) } else { left[i] };
            *m = if first { v } else { *m + v };
        }
    }

    /// Whether the next quantum is one value with nothing to evaluate: no automation running
    /// or ahead, no glide, no modulation. Reads only.
    pub fn is_steady(&self) -> bool {
        self.curve.timeline.is_settled() && self.curve.glide_left == 0 && !self.modulated
    }

    /// The values for the quantum starting at `time` seconds: the intrinsic value (glide or
    /// timeline) plus modulation, clamped to the nominal range.
    pub fn render(&mut self, time: f64, sample_rate: f32) -> ParamValues<'_> {
        let curve = &mut self.curve;
        curve.running = true;
        let dt = 1.0 / f64::from(sample_rate);
        curve.now = time + QUANTUM as f64 * dt;
        let modulated = core::mem::take(&mut self.modulated);
        let steady = curve.timeline.is_settled() && curve.glide_left == 0;
        if curve.rate == Rate::KRate || (steady && !modulated) {
            let intrinsic = if steady { curve.value } else { curve.at(time, QUANTUM as u32) };
            let offset = if modulated { self.modulation[0] } else { 0.0 };
            return ParamValues::Constant(curve.nominal(intrinsic + offset));
        }
        curve.fill(&mut self.values, time, dt);
        if modulated {
            for (v, m) in self.values.iter_mut().zip(&self.modulation) {
                *v = curve.nominal(*v + m);
            }
        } else {
            for v in &mut self.values {
                *v = curve.nominal(*v);
            }
        }
        ParamValues::Varying(&self.values)
    }

    /// Writes one intrinsic value per frame into `out`, frame `i` at `time + i·dt`, unclamped.
    #[inline(always)]
    pub fn fill_from(&mut self, out: &mut [f32], time: f64, dt: f64) {
        self.curve.fill(out, time, dt);
    }
}

impl Curve {
    fn glide_to(&mut self, target: f32, frames: u32) {
        self.glide_target = target;
        self.glide_left = frames.max(1);
        self.glide_step = (target - self.value) / self.glide_left as f32;
    }

    /// Clamps to the nominal range (min ≤ max always holds, so no panic path is needed); NaN
    /// becomes the minimum. Comparisons rather than `f32::max`, which wasm builds call out of
    /// line (its NaN rules differ from the instruction's).
    #[inline(always)]
    fn nominal(&self, value: f32) -> f32 {
        if !(value >= self.min) {
            self.min
        } else if value > self.max {
            self.max
        } else {
            value
        }
    }

    #[inline(always)]
    fn fill(&mut self, out: &mut [f32], time: f64, dt: f64) {
        if self.glide_left == 0 && self.timeline.is_settled() {
            out.fill(self.value);
            return;
        }
        self.fill_moving(out, time, dt);
    }

    /// [`Curve::fill`] while a glide or automation runs.
    fn fill_moving(&mut self, out: &mut [f32], time: f64, dt: f64) {
        if self.timeline.is_settled() {
            // Glide sample by sample, then the steady value in one fill.
            let gliding = (self.glide_left as usize).min(out.len());
            for slot in &mut out[..gliding] {
                *slot = self.glide();
            }
            out[gliding..].fill(self.value);
            return;
        }
        for (i, slot) in out.iter_mut().enumerate() {
            *slot = self.automate(time + i as f64 * dt);
        }
        self.timeline.pass_until(time + (out.len() - 1) as f64 * dt, true);
    }

    /// One value at `time` for a k-rate parameter, advancing a glide by `frames`.
    fn at(&mut self, time: f64, frames: u32) -> f32 {
        if self.timeline.is_settled() {
            let value = self.value;
            for _ in 0..frames.min(self.glide_left) {
                self.glide();
            }
            return value;
        }
        let value = self.automate(time);
        self.timeline.pass_until(time, true);
        value
    }

    #[inline]
    fn glide(&mut self) -> f32 {
        if self.glide_left > 0 {
            self.glide_left -= 1;
            self.value = if self.glide_left == 0 { self.glide_target } else { self.value + self.glide_step };
        }
        self.value
    }

    fn step(&mut self, t: f64) -> Step {
        let (current, next) = self.timeline.current();
        let Some(event) = current else { return Step::Hold };
        let (t0, v0) = (self.anchor_time, self.anchor_value);
        match *event {
            Event::Set { value, time } => {
                if t < time {
                    Step::Hold
                } else {
                    Step::Done(time, value)
                }
            }
            Event::Hold { time } => {
                if t < time {
                    Step::Hold
                } else {
                    Step::Done(time, self.value)
                }
            }
            Event::Linear { value, time, cut } => {
                let end = cut.unwrap_or(time);
                if t >= end {
                    Step::Done(end, if cut.is_some() { linear(t0, v0, time, value, end) } else { value })
                } else {
                    Step::Now(linear(t0, v0, time, value, t))
                }
            }
            Event::Exponential { value, time, cut } => {
                let end = cut.unwrap_or(time);
                if t >= end {
                    Step::Done(end, if cut.is_some() { exponential(t0, v0, time, value, end) } else { value })
                } else {
                    Step::Now(exponential(t0, v0, time, value, t))
                }
            }
            Event::Target { target, time, time_constant } => {
                if t < time {
                    return Step::Hold;
                }
                let from = *self.target_from.get_or_insert(self.value);
                let at = |when: f64| {
                    if time_constant == 0.0 {
                        target
                    } else {
                        target + (from - target) * (-(when - time) / time_constant).exp() as f32
                    }
                };
                match next {
                    // A ramp after a target starts where the target would have begun.
                    Some(next) if next.is_ramp() => Step::Done(time, from),
                    Some(next) if next.time() <= t => Step::Done(next.time(), at(next.time())),
                    _ => Step::Now(at(t)),
                }
            }
            Event::Curve { ref values, time, duration, cut } => {
                if t < time {
                    return Step::Hold;
                }
                let full = time + duration;
                let end = cut.map_or(full, |c| c.min(full));
                if t >= end {
                    let last =
                        if end >= full { values[values.len() - 1] } else { curve_at(values, time, duration, end) };
                    Step::Done(end, last)
                } else {
                    Step::Now(curve_at(values, time, duration, t))
                }
            }
        }
    }

    fn automate(&mut self, t: f64) -> f32 {
        loop {
            match self.step(t) {
                Step::Hold => return self.value,
                Step::Now(value) => {
                    self.value = value;
                    return value;
                }
                Step::Done(time, value) => {
                    self.value = value;
                    self.anchor_time = time;
                    self.anchor_value = value;
                    self.target_from = None;
                    self.timeline.advance();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{Bound, ErrorCode};

    const SR: f32 = 1000.0;

    fn param() -> Param {
        let spec = ParamSpec::new("x", 1.0, Bound::Value(-10.0), Bound::Value(10.0));
        Param::new(&spec, &EngineConfig { max_automation_events: 4, ..EngineConfig::new(SR) })
    }

    fn push(p: &mut Param, event: AutomationEvent) -> Result<(), RenderError> {
        p.automate(event, &mut drop)
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
        p.set_value(3.0, &mut drop).unwrap();
        assert_eq!(p.render(0.0, SR), ParamValues::Constant(3.0));
        p.set_value(5.0, &mut drop).unwrap();
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
        push(&mut p, AutomationEvent::SetValueAtTime { value: 2.0, time: 0.0 }).unwrap();
        push(&mut p, AutomationEvent::LinearRampToValueAtTime { value: 4.0, time: 0.1 }).unwrap();
        push(&mut p, AutomationEvent::ExponentialRampToValueAtTime { value: 8.0, time: 0.2 }).unwrap();
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
        push(&mut p, AutomationEvent::SetTargetAtTime { target: 0.0, time: 0.01, time_constant: 0.02 }).unwrap();
        push(&mut p, AutomationEvent::SetValueAtTime { value: 50.0, time: 0.1 }).unwrap();
        let q = quantum(&mut p, 0);
        assert_eq!(q[5], 1.0);
        let expected = (-(0.03f64 - 0.01) / 0.02).exp() as f32;
        assert!((q[30] - expected).abs() < 1e-6);
        assert_eq!(q[100], 10.0, "computed value is clamped to the nominal range");
    }

    #[test]
    fn value_curve_interpolates_then_holds_its_last_value() {
        let mut p = param();
        let values = vec![0.0, 4.0, 2.0];
        push(&mut p, AutomationEvent::SetValueCurveAtTime { values, time: 0.01, duration: 0.04 }).unwrap();
        let q = quantum(&mut p, 0);
        assert_eq!(q[9], 1.0, "before the curve the value holds");
        assert_eq!(q[10], 0.0);
        assert!((q[20] - 2.0).abs() < 1e-5, "{}", q[20]);
        assert!((q[40] - 3.0).abs() < 1e-5, "{}", q[40]);
        assert_eq!(q[50], 2.0);
        assert_eq!(q[127], 2.0);
    }

    #[test]
    fn cancel_and_hold_freezes_a_ramp_where_it_was() {
        let mut p = param();
        push(&mut p, AutomationEvent::SetValueAtTime { value: 0.0, time: 0.0 }).unwrap();
        push(&mut p, AutomationEvent::LinearRampToValueAtTime { value: 10.0, time: 0.1 }).unwrap();
        push(&mut p, AutomationEvent::CancelAndHoldAtTime { time: 0.05 }).unwrap();
        let q = quantum(&mut p, 0);
        assert!((q[25] - 2.5).abs() < 1e-5, "{}", q[25]);
        assert!((q[50] - 5.0).abs() < 1e-5);
        assert!((q[90] - 5.0).abs() < 1e-5, "{}", q[90]);
    }

    #[test]
    fn modulation_adds_to_the_intrinsic_value_before_clamping() {
        let mut p = param();
        let mut input = AudioBuf::default();
        input.channel_mut(0).iter_mut().enumerate().for_each(|(i, v)| *v = i as f32 * 0.1);
        input.set_audible(1);
        p.modulate(&input);
        let q = quantum(&mut p, 0);
        assert!((q[5] - 1.5).abs() < 1e-5);
        assert_eq!(q[127], 10.0);
        assert_eq!(p.render(0.128, SR), ParamValues::Constant(1.0), "modulation lasts one quantum");
    }

    #[test]
    fn a_full_timeline_is_an_error_and_cancel_removes_later_events() {
        let mut p = param();
        for i in 0..4 {
            push(&mut p, AutomationEvent::SetValueAtTime { value: i as f32, time: f64::from(i) }).unwrap();
        }
        let err = push(&mut p, AutomationEvent::SetValueAtTime { value: 9.0, time: 9.0 }).unwrap_err();
        assert_eq!(err.code, ErrorCode::QueueFull);
        push(&mut p, AutomationEvent::CancelScheduledValues { time: 1.5 }).unwrap();
        assert_eq!(p.timeline().live().len(), 2);
    }
}
