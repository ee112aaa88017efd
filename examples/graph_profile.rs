//! Native per-quantum cost of the browser benchmark's graph shapes (G1, G2), for profiling
//! with `perf record`: `cargo run --release --example graph_profile -- g2 2000`.
use quaver::offline::OfflineRenderer;
use std::time::Instant;

fn g1(g: &mut OfflineRenderer) {
    let mut last = g.add("noise").unwrap();
    g.start(last, 0.0).unwrap();
    for _ in 0..256 {
        let f = g.add("biquad").unwrap();
        g.set(f, "frequency", 5000.0).unwrap();
        g.set(f, "Q", -3.0103).unwrap();
        g.connect(last, f).unwrap();
        last = f;
    }
    g.connect(last, g.destination()).unwrap();
}

fn g2(g: &mut OfflineRenderer) {
    let src = g.add("noise").unwrap();
    g.start(src, 0.0).unwrap();
    let bus = g.add("gain").unwrap();
    for t in 0..64 {
        let t = t as f32;
        let filters = [
            ("highpass", 60.0 + t, 0.0, 0.0),
            ("peaking", 400.0 + 20.0 * t, 1.2, 3.0),
            ("highshelf", 6000.0 + 30.0 * t, 1.0, -4.0),
            ("lowpass", 14000.0 - 50.0 * t, 1.0, 0.0),
        ];
        let mut last = src;
        for (kind, f, q, gain) in filters {
            let n = g.add("biquad").unwrap();
            g.choose(n, "type", kind).unwrap();
            g.set(n, "frequency", f).unwrap();
            g.set(n, "Q", q).unwrap();
            g.set(n, "gain", gain).unwrap();
            g.connect(last, n).unwrap();
            last = n;
        }
        let gain = g.add("gain").unwrap();
        g.set(gain, "gain", 0.05).unwrap();
        let pan = g.add("stereo-panner").unwrap();
        g.set(pan, "pan", -1.0 + 2.0 * t / 63.0).unwrap();
        g.connect(last, gain).unwrap();
        g.connect(gain, pan).unwrap();
        g.connect(pan, bus).unwrap();
    }
    g.connect(bus, g.destination()).unwrap();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let which = args.get(1).map_or("g2", String::as_str);
    let quanta: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(2000);
    let mut g = OfflineRenderer::new(48_000.0);
    match which {
        "g1" => g1(&mut g),
        _ => g2(&mut g),
    }
    g.render_frames(128 * 10);
    let start = Instant::now();
    for _ in 0..quanta {
        g.render_quantum().unwrap();
    }
    let per = start.elapsed().as_secs_f64() / quanta as f64;
    println!("{which}: {:.1} µs per quantum", per * 1e6);
}
