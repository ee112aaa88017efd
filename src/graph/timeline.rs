//! Both sides: a parameter's automation timeline as Web Audio defines it — the events, where a
//! new one goes, what cancelling removes, and which requests are refused. The control side
//! keeps one per parameter to refuse first whatever the render side would refuse; the render
//! side keeps the same one and evaluates it (`render::params`). Both make exactly the same
//! edits, so the two cannot drift apart.

use super::{ErrorCode, RenderError};
use serde::{Deserialize, Serialize};

/// One AudioParam automation call, as the page makes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum AutomationEvent {
    SetValueAtTime { value: f32, time: f64 },
    LinearRampToValueAtTime { value: f32, time: f64 },
    ExponentialRampToValueAtTime { value: f32, time: f64 },
    SetTargetAtTime { target: f32, time: f64, time_constant: f64 },
    SetValueCurveAtTime { values: Vec<f32>, time: f64, duration: f64 },
    CancelScheduledValues { time: f64 },
    CancelAndHoldAtTime { time: f64 },
}

#[cold]
const fn refuse(code: ErrorCode, what: &'static str) -> RenderError {
    RenderError::new(code, what)
}

impl AutomationEvent {
    /// Web Audio's argument checks: finite numbers, no negative time, exponential targets not
    /// zero, time constants not negative, curves of two or more finite values over a positive
    /// duration. Allocation-free, so the render side can check again whatever reaches it.
    pub fn check(&self) -> Result<(), RenderError> {
        let finite = |v: f64| v.is_finite();
        let (value, time, extra) = match *self {
            AutomationEvent::SetValueAtTime { value, time }
            | AutomationEvent::LinearRampToValueAtTime { value, time } => (value, time, 0.0),
            AutomationEvent::ExponentialRampToValueAtTime { value, time } => {
                if value == 0.0 {
                    return Err(refuse(ErrorCode::OutOfRange, "exponentialRampToValueAtTime needs a non-zero value"));
                }
                (value, time, 0.0)
            }
            AutomationEvent::SetTargetAtTime { target, time, time_constant } => (target, time, time_constant),
            AutomationEvent::SetValueCurveAtTime { ref values, time, duration } => {
                if values.len() < 2 {
                    return Err(refuse(ErrorCode::OutOfRange, "setValueCurveAtTime needs at least two values"));
                }
                if !values.iter().all(|v| v.is_finite()) {
                    return Err(refuse(ErrorCode::NonFinite, "curve values must be finite"));
                }
                if !(finite(duration) && duration > 0.0) {
                    return Err(refuse(ErrorCode::OutOfRange, "a curve's duration must be finite and positive"));
                }
                (0.0, time, duration)
            }
            AutomationEvent::CancelScheduledValues { time } | AutomationEvent::CancelAndHoldAtTime { time } => {
                (0.0, time, 0.0)
            }
        };
        if !value.is_finite() || !finite(time) || !finite(extra) {
            return Err(refuse(ErrorCode::NonFinite, "automation values and times must be finite"));
        }
        if time < 0.0 || extra < 0.0 {
            return Err(refuse(ErrorCode::OutOfRange, "automation times must not be negative"));
        }
        Ok(())
    }

    /// The method's name in Web Audio, for messages.
    pub fn method(&self) -> &'static str {
        match self {
            AutomationEvent::SetValueAtTime { .. } => "setValueAtTime",
            AutomationEvent::LinearRampToValueAtTime { .. } => "linearRampToValueAtTime",
            AutomationEvent::ExponentialRampToValueAtTime { .. } => "exponentialRampToValueAtTime",
            AutomationEvent::SetTargetAtTime { .. } => "setTargetAtTime",
            AutomationEvent::SetValueCurveAtTime { .. } => "setValueCurveAtTime",
            AutomationEvent::CancelScheduledValues { .. } => "cancelScheduledValues",
            AutomationEvent::CancelAndHoldAtTime { .. } => "cancelAndHoldAtTime",
        }
    }
}

/// One event on a timeline. Ramps and curves cut short by `cancelAndHoldAtTime` keep their
/// original shape and stop (holding their value) at `cut`, so both sides store the same
/// event without either having to compute the held value.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    Set {
        value: f32,
        time: f64,
    },
    Linear {
        value: f32,
        time: f64,
        cut: Option<f64>,
    },
    Exponential {
        value: f32,
        time: f64,
        cut: Option<f64>,
    },
    Target {
        target: f32,
        time: f64,
        time_constant: f64,
    },
    Curve {
        values: Vec<f32>,
        time: f64,
        duration: f64,
        cut: Option<f64>,
    },
    /// Holds whatever value the timeline has at `time` (what `cancelAndHoldAtTime` leaves
    /// after a `setTargetAtTime`).
    Hold {
        time: f64,
    },
}

impl Event {
    /// Where the event sits in the timeline: a ramp at its (possibly cut) end, everything
    /// else at its start.
    pub fn time(&self) -> f64 {
        match *self {
            Event::Linear { time, cut, .. } | Event::Exponential { time, cut, .. } => cut.unwrap_or(time),
            Event::Set { time, .. } | Event::Target { time, .. } | Event::Curve { time, .. } | Event::Hold { time } => {
                time
            }
        }
    }

    /// Whether the event, with nothing after it, is over by `now` (a target curve never is).
    pub fn finished_by(&self, now: f64) -> bool {
        match *self {
            Event::Target { .. } => false,
            Event::Curve { time, duration, cut, .. } => cut.unwrap_or(time + duration).min(time + duration) <= now,
            _ => self.time() <= now,
        }
    }

    pub fn is_ramp(&self) -> bool {
        matches!(self, Event::Linear { .. } | Event::Exponential { .. })
    }

    /// A value curve's span `[start, end)`.
    fn curve_span(&self) -> Option<(f64, f64)> {
        match *self {
            Event::Curve { time, duration, cut, .. } => Some((time, cut.unwrap_or(time + duration))),
            _ => None,
        }
    }
}

/// A parameter's events in time order, with a fixed capacity. `start` events at the front have
/// passed and no longer count against it. `cursor` is where the render side's evaluation has
/// got to (the control side does not evaluate, and leaves it alone): an edit before it moves it
/// back, so an event inserted in the past is still played.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Timeline {
    events: Vec<Event>,
    start: usize,
    cursor: usize,
    capacity: usize,
}

impl Timeline {
    /// Room for `capacity` events, reserved now: inserting never allocates.
    pub fn with_capacity(capacity: usize) -> Self {
        Self { events: Vec::with_capacity(capacity), start: 0, cursor: 0, capacity }
    }

    /// The events that have not passed.
    pub fn live(&self) -> &[Event] {
        &self.events[self.start..]
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.events.len()
    }

    /// The event evaluation has reached, and the one after it.
    pub fn current(&self) -> (Option<&Event>, Option<&Event>) {
        (self.events.get(self.cursor), self.events.get(self.cursor + 1))
    }

    /// Evaluation has finished the current event.
    pub fn advance(&mut self) {
        self.cursor = (self.cursor + 1).min(self.events.len());
    }

    /// Nothing is left to evaluate: the value holds.
    #[inline(always)]
    pub fn is_settled(&self) -> bool {
        self.cursor >= self.events.len()
    }

    /// Marks as passed every event whose successor has begun by `now`, and a last event that
    /// has finished by then. Both sides apply the same rule; the control side's `now` never
    /// runs ahead of the render side's, so it never passes an event the render side still
    /// plays. The render side never passes what it has not evaluated.
    pub fn pass_until(&mut self, now: f64, evaluated_only: bool) {
        let limit = if evaluated_only { self.cursor } else { self.events.len() };
        while self.start + 1 < self.events.len() && self.start < limit && self.events[self.start + 1].time() <= now {
            self.start += 1;
        }
        if self.start + 1 == self.events.len() && self.start < limit && self.events[self.start].finished_by(now) {
            self.start += 1;
        }
    }

    /// Applies one automation call. Removed events go to `retire` (the render side must not
    /// drop curve data itself). Refuses what Web Audio refuses, and a full timeline.
    pub fn apply(&mut self, request: AutomationEvent, retire: &mut impl FnMut(Event)) -> Result<(), RenderError> {
        request.check()?;
        let event = match request {
            AutomationEvent::CancelScheduledValues { time } => {
                self.remove_from(self.position_at_or_after(time), retire);
                return Ok(());
            }
            AutomationEvent::CancelAndHoldAtTime { time } => return self.cancel_and_hold(time, retire),
            AutomationEvent::SetValueAtTime { value, time } => Event::Set { value, time },
            AutomationEvent::LinearRampToValueAtTime { value, time } => Event::Linear { value, time, cut: None },
            AutomationEvent::ExponentialRampToValueAtTime { value, time } => {
                Event::Exponential { value, time, cut: None }
            }
            AutomationEvent::SetTargetAtTime { target, time, time_constant } => {
                Event::Target { target, time, time_constant }
            }
            AutomationEvent::SetValueCurveAtTime { values, time, duration } => {
                Event::Curve { values, time, duration, cut: None }
            }
        };
        self.insert(event, retire)
    }

    fn insert(&mut self, event: Event, retire: &mut impl FnMut(Event)) -> Result<(), RenderError> {
        let time = event.time();
        let live = self.live();
        if let Some((start, end)) = event.curve_span() {
            if live.iter().any(|e| e.time() > start && e.time() < end) {
                return Err(refuse(ErrorCode::NotSupported, "setValueCurveAtTime overlaps events already scheduled"));
            }
        }
        if live.iter().filter_map(Event::curve_span).any(|(start, end)| time >= start && time < end) {
            return Err(refuse(ErrorCode::NotSupported, "the event falls inside a value curve"));
        }
        if self.events.len() == self.capacity {
            for passed in self.events.drain(..self.start) {
                retire(passed);
            }
            self.cursor -= self.start.min(self.cursor);
            self.start = 0;
        }
        if self.events.len() == self.capacity {
            return Err(refuse(ErrorCode::QueueFull, "the parameter's automation timeline is full"));
        }
        // After every event at the same time, as Web Audio orders them.
        let at = self.start + self.live().partition_point(|e| e.time() <= time);
        self.events.insert(at, event);
        if at < self.cursor {
            self.cursor = at;
        }
        Ok(())
    }

    fn position_at_or_after(&self, time: f64) -> usize {
        self.start + self.live().partition_point(|e| e.time() < time)
    }

    fn remove_from(&mut self, at: usize, retire: &mut impl FnMut(Event)) {
        for removed in self.events.drain(at..) {
            retire(removed);
        }
        self.cursor = self.cursor.min(at);
    }

    /// Web Audio's cancelAndHoldAtTime: a ramp still running at `time` is cut there, a value
    /// curve too, a target curve is held by a hold event, and everything later goes.
    fn cancel_and_hold(&mut self, time: f64, retire: &mut impl FnMut(Event)) -> Result<(), RenderError> {
        let after = self.start + self.live().partition_point(|e| e.time() <= time);
        if let Some(next) = self.events.get_mut(after).filter(|e| e.is_ramp()) {
            if let Event::Linear { cut, .. } | Event::Exponential { cut, .. } = next {
                *cut = Some(time);
            }
            self.remove_from(after + 1, retire);
            self.cursor = self.cursor.min(after);
            return Ok(());
        }
        self.remove_from(after, retire);
        match self.events[self.start..].last_mut() {
            Some(Event::Target { .. }) => {
                if self.events.len() < self.capacity {
                    self.events.push(Event::Hold { time });
                    self.cursor = self.cursor.min(self.events.len() - 1);
                } else {
                    return Err(refuse(ErrorCode::QueueFull, "the parameter's automation timeline is full"));
                }
            }
            Some(Event::Curve { time: begin, duration, cut, .. }) if time < *begin + *duration => {
                *cut = Some(time.max(*begin));
                self.cursor = self.cursor.min(self.events.len() - 1);
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timeline() -> Timeline {
        Timeline::with_capacity(8)
    }

    fn apply(t: &mut Timeline, e: AutomationEvent) -> Result<(), RenderError> {
        t.apply(e, &mut |_| {})
    }

    #[test]
    fn events_at_the_same_time_keep_call_order() {
        let mut t = timeline();
        apply(&mut t, AutomationEvent::SetValueAtTime { value: 1.0, time: 1.0 }).unwrap();
        apply(&mut t, AutomationEvent::SetValueAtTime { value: 2.0, time: 0.5 }).unwrap();
        apply(&mut t, AutomationEvent::SetValueAtTime { value: 3.0, time: 1.0 }).unwrap();
        let values: Vec<_> =
            t.live().iter().map(|e| if let Event::Set { value, .. } = e { *value } else { 0.0 }).collect();
        assert_eq!(values, [2.0, 1.0, 3.0]);
    }

    #[test]
    fn curves_refuse_overlaps_both_ways() {
        let mut t = timeline();
        apply(&mut t, AutomationEvent::SetValueCurveAtTime { values: vec![0.0, 1.0], time: 1.0, duration: 1.0 })
            .unwrap();
        let inside = apply(&mut t, AutomationEvent::SetValueAtTime { value: 1.0, time: 1.5 }).unwrap_err();
        assert_eq!(inside.code, ErrorCode::NotSupported);
        assert_eq!(
            apply(&mut t, AutomationEvent::LinearRampToValueAtTime { value: 1.0, time: 1.0 }).unwrap_err().code,
            ErrorCode::NotSupported
        );
        apply(&mut t, AutomationEvent::SetValueAtTime { value: 1.0, time: 2.0 }).unwrap();
        apply(&mut t, AutomationEvent::SetValueAtTime { value: 1.0, time: 3.5 }).unwrap();
        let over =
            apply(&mut t, AutomationEvent::SetValueCurveAtTime { values: vec![0.0, 1.0], time: 3.0, duration: 1.0 });
        assert_eq!(over.unwrap_err().code, ErrorCode::NotSupported);
        assert_eq!(t.live().len(), 3);
    }

    #[test]
    fn cancel_and_hold_cuts_a_running_ramp_and_drops_what_follows() {
        let mut t = timeline();
        apply(&mut t, AutomationEvent::SetValueAtTime { value: 0.0, time: 0.0 }).unwrap();
        apply(&mut t, AutomationEvent::LinearRampToValueAtTime { value: 1.0, time: 2.0 }).unwrap();
        apply(&mut t, AutomationEvent::SetValueAtTime { value: 5.0, time: 3.0 }).unwrap();
        let mut retired = 0;
        t.apply(AutomationEvent::CancelAndHoldAtTime { time: 1.0 }, &mut |_| retired += 1).unwrap();
        assert_eq!(retired, 1);
        assert_eq!(t.live()[1], Event::Linear { value: 1.0, time: 2.0, cut: Some(1.0) });
        assert_eq!(t.live().len(), 2);
    }

    #[test]
    fn cancel_and_hold_after_a_target_adds_a_hold() {
        let mut t = timeline();
        apply(&mut t, AutomationEvent::SetTargetAtTime { target: 0.0, time: 0.0, time_constant: 0.1 }).unwrap();
        apply(&mut t, AutomationEvent::CancelAndHoldAtTime { time: 0.3 }).unwrap();
        assert_eq!(t.live()[1], Event::Hold { time: 0.3 });
    }

    #[test]
    fn a_full_timeline_refuses_and_passed_events_make_room() {
        let mut t = Timeline::with_capacity(2);
        apply(&mut t, AutomationEvent::SetValueAtTime { value: 0.0, time: 0.0 }).unwrap();
        apply(&mut t, AutomationEvent::SetValueAtTime { value: 1.0, time: 1.0 }).unwrap();
        let full = apply(&mut t, AutomationEvent::SetValueAtTime { value: 2.0, time: 2.0 }).unwrap_err();
        assert_eq!(full.code, ErrorCode::QueueFull);
        t.pass_until(0.5, false);
        assert_eq!(t.live().len(), 2, "the value set at 0 holds until 1");
        t.pass_until(1.5, false);
        assert!(t.is_empty(), "both values have been set by 1.5");
        apply(&mut t, AutomationEvent::SetValueAtTime { value: 2.0, time: 2.0 }).unwrap();
        assert_eq!(t.live().len(), 1);
    }
}
