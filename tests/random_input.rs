//! Randomised bad input: long random sequences of requests (stale ids, wrong ports, NaN,
//! cycles, capacity), random raw commands that skip the control side's checks, and random
//! bytes as batches. Nothing may panic, the output must stay finite, and the control and
//! render sides must agree on the graph afterwards.

use quaver::graph::{
    decode_batch, AutomationEvent, Command, Edge, EngineConfig, KindRef, NewNode, NodeId, SettingValue,
};
use quaver::offline::OfflineRenderer;

mod common;
use common::Rng;

const KINDS: [&str; 4] = ["oscillator", "gain", "biquad", "stereo-panner"];
const PARAMS: [&str; 6] = ["frequency", "detune", "Q", "gain", "pan", "nonsense"];

fn all_finite(g: &OfflineRenderer) -> bool {
    let out = g.engine().output();
    (0..2).all(|ch| out.channel(ch).iter().all(|v| v.is_finite()))
}

#[test]
fn random_requests_are_refused_or_applied_and_both_sides_stay_in_step() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut g =
        OfflineRenderer::with_config(EngineConfig { max_nodes: 24, max_edges: 40, ..EngineConfig::new(48_000.0) });
    // Mostly live ids; a quarter of the time any id ever handed out, so stale ones get used too.
    let mut live: Vec<NodeId> = vec![g.destination(), g.input()];
    let mut ever = live.clone();
    let (mut accepted, mut refused) = (0, 0);
    for step in 0..6000 {
        let any = |rng: &mut Rng| {
            let pool = if rng.below(4) == 0 { &ever } else { &live };
            pool[rng.below(pool.len() as u64) as usize]
        };
        let (a, b) = (any(&mut rng), any(&mut rng));
        let result = match rng.below(9) {
            0 | 1 => g.add(rng.pick(&KINDS)).map(|id| {
                live.push(id);
                ever.push(id);
            }),
            2 => g.remove(a).map(|()| live.retain(|&id| id != a)),
            3 | 4 => g.connect(a, b),
            5 => g.disconnect(a, b),
            6 => g.set(a, rng.pick(&PARAMS), rng.number()),
            7 => {
                let event = match rng.below(5) {
                    0 => AutomationEvent::SetValueAtTime { value: rng.number(), time: rng.time() },
                    1 => AutomationEvent::LinearRampToValueAtTime { value: rng.number(), time: rng.time() },
                    2 => AutomationEvent::ExponentialRampToValueAtTime { value: rng.number(), time: rng.time() },
                    3 => AutomationEvent::SetTargetAtTime {
                        target: rng.number(),
                        time: rng.time(),
                        time_constant: rng.time(),
                    },
                    _ => AutomationEvent::CancelScheduledValues { time: rng.time() },
                };
                g.automate(a, rng.pick(&PARAMS), event)
            }
            _ => {
                let name = rng.pick(&["type", "start", "stop", "curve"]);
                let value = match rng.below(3) {
                    0 => SettingValue::Choice(rng.below(10) as u8),
                    1 => SettingValue::Number(f64::from(rng.number())),
                    _ => SettingValue::Time(rng.time()),
                };
                g.configure(a, name, value)
            }
        };
        match result {
            Ok(()) => accepted += 1,
            Err(e) => {
                assert!(!e.message.is_empty());
                refused += 1;
            }
        }
        if step % 16 == 0 {
            g.render_quantum().unwrap();
            assert!(all_finite(&g), "non-finite output at step {step}");
        }
    }
    g.render_quantum().unwrap();
    assert!(accepted > 1500 && refused > 1500, "the mix exercised both paths: {accepted} accepted, {refused} refused");
    assert_eq!(g.engine().error_count(), 0, "every bad request was stopped on the control side");
    assert_eq!(g.engine().node_count(), g.controller().node_count(), "both sides hold the same graph");
}

#[test]
fn random_raw_commands_never_panic_the_render_side() {
    // Commands straight into the engine, as if forged bytes reached the worklet's port.
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let config = EngineConfig { max_nodes: 16, max_edges: 24, ..EngineConfig::new(44_100.0) };
    let mut engine = quaver::node::engine(config);
    let random_id = |rng: &mut Rng| NodeId { index: rng.below(20) as u16, generation: rng.below(3) as u16 };
    for batch in 1..=600u32 {
        let mut commands = Vec::new();
        for _ in 0..rng.below(6) {
            let (a, b) = (random_id(&mut rng), random_id(&mut rng));
            let edge = Edge { from: a, output: rng.below(2) as u8, to: b, input: rng.below(2) as u8 };
            commands.push(match rng.below(8) {
                0 => Command::AddNode {
                    id: a,
                    node: NewNode { kind: KindRef::Registered(rng.below(8) as u16), options: vec![] },
                },
                1 => Command::RemoveNode { id: a },
                2 => Command::Connect(edge),
                3 => Command::Disconnect(edge),
                4 => Command::DisconnectOutputs { id: a },
                5 => Command::SetValue { id: a, param: rng.below(5) as u8, value: rng.number() },
                6 => Command::Automate {
                    id: a,
                    param: rng.below(5) as u8,
                    event: AutomationEvent::LinearRampToValueAtTime { value: rng.number(), time: rng.time() },
                },
                _ => Command::Configure { id: a, setting: rng.below(4) as u8, value: SettingValue::Time(rng.time()) },
            });
        }
        // Commands that cannot even be built (an unknown kind) are refused before the engine.
        engine.enqueue(batch, commands.into_iter().filter_map(|c| quaver::node::build_command(&config, c).ok()));
        let frame = engine.frame();
        engine.render(frame);
        engine.collect_garbage();
        let out = engine.output();
        assert!((0..2).all(|ch| out.channel(ch).iter().all(|v| v.is_finite())), "batch {batch}");
    }
    assert!(engine.error_count() > 100, "forged commands were refused and logged: {}", engine.error_count());
}

#[test]
fn random_bytes_are_decode_errors_not_panics() {
    let mut rng = Rng(42);
    let mut decoded = 0;
    for _ in 0..20_000 {
        let len = rng.below(40) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        if decode_batch(&bytes).is_ok() {
            decoded += 1;
        }
    }
    assert!(decoded < 20_000, "some inputs must be refused");
}
