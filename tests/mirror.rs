//! The two sides cannot drift: a long random stream of mixed requests — at every capacity
//! (nodes, connections, automation timelines), stale ids, cycles with and without a delay,
//! curves and cancels — goes through the controller, and after every batch the render side
//! must hold exactly the same ids and connections, and every parameter timeline it plays
//! must be what the controller holds (less what has already passed). Nothing the controller
//! accepted may be refused by the render side.

use quaver::graph::{AutomationEvent, Edge, EngineConfig, NodeId, PARAM_INPUT};
use quaver::offline::OfflineRenderer;

mod common;
use common::Rng;

/// A time around the engine's clock, now and then in the past.
fn time_near(rng: &mut Rng, now: f64) -> f64 {
    (now + (rng.below(2000) as f64 - 50.0) / 1000.0).max(0.0)
}

const KINDS: [&str; 4] = ["oscillator", "gain", "biquad", "stereo-panner"];

fn compare(g: &mut OfflineRenderer, live: &[NodeId], step: usize) {
    let errors: Vec<_> = g.engine().errors_since(0).collect();
    assert!(errors.is_empty(), "step {step}: the render side refused what the controller accepted: {errors:?}");
    let slots = g.controller().config().max_nodes;
    for slot in 0..slots {
        assert_eq!(
            g.controller().topology().id_at(slot),
            g.engine().topology().id_at(slot),
            "step {step}: slot {slot} holds different nodes"
        );
    }
    let mut control: Vec<Edge> = g.controller().topology().edges().to_vec();
    let mut render: Vec<Edge> = g.engine().topology().edges().to_vec();
    control.sort();
    render.sort();
    assert_eq!(control, render, "step {step}: connections differ");
    for &id in live {
        let Some(spec) = g.controller().spec_of(id).unwrap() else { continue };
        for p in 0..spec.params.len() as u8 {
            let mirror = g.controller().timeline_of(id, p).map(|t| t.live().to_vec()).unwrap_or_default();
            let whole = g.engine_mut().processor_mut(id).unwrap().params()[usize::from(p)].timeline().clone();
            let played = whole.live().to_vec();
            assert!(
                mirror.ends_with(&played),
                "step {step}: node {id:?} param {p}: the render side plays {played:?} ({whole:?}), the controller holds {mirror:?}"
            );
        }
    }
}

#[test]
fn a_random_stream_keeps_ids_connections_and_timelines_in_step() {
    let mut rng = Rng(0x51ed_2701_c0ff_ee11);
    let config = EngineConfig { max_nodes: 20, max_edges: 12, max_automation_events: 6, ..EngineConfig::new(48_000.0) };
    let mut g = OfflineRenderer::with_config(config);
    let mut live: Vec<NodeId> = Vec::new();
    let mut ever: Vec<NodeId> = Vec::new();
    let (mut accepted, mut refused) = (0u32, 0u32);
    let mut capacity_refusals = std::collections::BTreeMap::new();
    for step in 0..6000 {
        let now = g.engine().time();
        let pick = |rng: &mut Rng, live: &[NodeId], ever: &[NodeId]| -> Option<NodeId> {
            let pool = if rng.below(5) == 0 || live.is_empty() { ever } else { live };
            (!pool.is_empty()).then(|| pool[rng.below(pool.len() as u64) as usize])
        };
        let result = match rng.below(12) {
            0 | 1 => g.add(rng.pick(&KINDS)).map(|id| {
                live.push(id);
                ever.push(id);
            }),
            2 => match pick(&mut rng, &live, &ever) {
                Some(id) => g.remove(id).map(|()| live.retain(|&n| n != id)),
                None => continue,
            },
            3 | 4 => {
                let (Some(a), Some(b)) = (pick(&mut rng, &live, &ever), pick(&mut rng, &live, &ever)) else { continue };
                let to = if rng.below(6) == 0 { g.destination() } else { b };
                if rng.below(4) == 0 {
                    let param = rng.below(3) as u8;
                    g.controller_mut().connect(Edge { from: a, output: 0, to, input: PARAM_INPUT + param })
                } else {
                    g.connect(a, to)
                }
            }
            5 => {
                let (Some(a), Some(b)) = (pick(&mut rng, &live, &ever), pick(&mut rng, &live, &ever)) else { continue };
                g.disconnect(a, b)
            }
            6 => match pick(&mut rng, &live, &ever) {
                Some(id) => g.set(id, rng.pick(&["frequency", "gain", "pan", "Q"]), rng.below(2000) as f32),
                None => continue,
            },
            _ => {
                let Some(id) = pick(&mut rng, &live, &ever) else { continue };
                let (value, time) = (rng.below(1000) as f32 + 1.0, time_near(&mut rng, now));
                let event = match rng.below(8) {
                    0 => AutomationEvent::SetValueAtTime { value, time },
                    1 => AutomationEvent::LinearRampToValueAtTime { value, time },
                    2 => AutomationEvent::ExponentialRampToValueAtTime { value, time },
                    3 => AutomationEvent::SetTargetAtTime { target: value, time, time_constant: 0.01 },
                    4 => AutomationEvent::SetValueCurveAtTime {
                        values: vec![value, value / 2.0, value],
                        time,
                        duration: 0.02 + rng.below(50) as f64 / 1000.0,
                    },
                    5 => AutomationEvent::CancelScheduledValues { time },
                    6 => AutomationEvent::CancelAndHoldAtTime { time },
                    _ => AutomationEvent::SetValueAtTime { value: f32::NAN, time },
                };
                g.automate(id, rng.pick(&["frequency", "gain", "pan", "detune"]), event)
            }
        };
        match result {
            Ok(()) => accepted += 1,
            Err(e) => {
                refused += 1;
                *capacity_refusals.entry(e.code.as_str()).or_insert(0u32) += 1;
            }
        }
        if step % 3 == 0 {
            g.render_quantum().unwrap();
            compare(&mut g, &live, step);
        }
    }
    g.render_quantum().unwrap();
    compare(&mut g, &live, 6000);
    let errors: Vec<_> = g.engine().errors_since(0).collect();
    assert!(errors.is_empty(), "the render side refused what the controller accepted: {errors:?}");
    for code in ["NodeCapacity", "EdgeCapacity", "QueueFull", "StaleNode", "Cycle", "NotSupported", "BadParam"] {
        assert!(capacity_refusals.get(code).copied().unwrap_or(0) > 0, "no {code} in {capacity_refusals:?}");
    }
    assert!(accepted > 2000 && refused > 1000, "{accepted} accepted, {refused} refused");
}
