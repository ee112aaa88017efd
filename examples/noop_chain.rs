//! Renders a chain of 1000 no-op nodes for a while: a profiling target for the engine's
//! per-node overhead (`perf record --call-graph=dwarf target/release/examples/noop_chain`).

use quaver::control::EngineConfig;
use quaver::node::{ProcessContext, Processor, Status};
use quaver::offline::OfflineRenderer;
use quaver::render::AudioBuf;

struct Noop;

impl Processor for Noop {
    fn prepare(&mut self, _config: &EngineConfig) {}
    fn reset(&mut self) {}
    fn process(&mut self, _inputs: &[&AudioBuf], output: &mut AudioBuf, _cx: &ProcessContext<'_>) -> Status {
        output.channel_mut(0).fill(0.0);
        output.set_audible(1);
        Status::Normal
    }
}

fn main() {
    let mut g =
        OfflineRenderer::with_config(EngineConfig { max_nodes: 1100, max_edges: 1100, ..EngineConfig::new(48_000.0) });
    let mut prev = None;
    for _ in 0..1000 {
        let id = g.add_custom(1, 1, Box::new(Noop)).unwrap();
        if let Some(p) = prev {
            g.connect(p, id).unwrap();
        }
        prev = Some(id);
    }
    g.connect(prev.unwrap(), g.destination()).unwrap();
    g.render_quantum().unwrap();
    let start = std::time::Instant::now();
    let quanta = 20_000;
    for _ in 0..quanta {
        let frame = g.engine().frame();
        g.engine_mut().render(frame);
    }
    let per = start.elapsed().as_secs_f64() / f64::from(quanta);
    println!("{:.2} µs per quantum, {:.2} ns per node", per * 1e6, per * 1e9 / 1000.0);
}
