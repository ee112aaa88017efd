//! `wasm-pack test --headless --chrome`: the engine builds and renders inside the browser,
//! through the same bridge types the page uses.
#![cfg(target_arch = "wasm32")]

use quaver::bridge::{Controller, Session, WorkletEngine};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const SR: f32 = 48_000.0;

#[wasm_bindgen_test]
fn engine_renders_an_oscillator_through_a_filter_in_the_browser() {
    let mut control = Controller::new(SR, 64, 64).unwrap();
    let mut engine = WorkletEngine::new(SR, 64, 64).unwrap();
    let osc = control.add_node("oscillator").unwrap();
    let filter = control.add_node("biquad").unwrap();
    // Indices as describe() lists them: the biquad's type 1 is highpass; frequency is param 0.
    control.configure_choice(filter, 0, 1).unwrap();
    control.set_value(filter, 0, 100.0).unwrap();
    control.set_value(osc, 0, 1000.0).unwrap();
    control.connect(osc, 0, filter, 0).unwrap();
    control.connect(filter, 0, control.destination(), 0).unwrap();
    control.configure_time(osc, 1, 0.0).unwrap();
    engine.submit(1, &control.take_batch()).unwrap();

    let mut left = Vec::new();
    let mut right = vec![0.0; 128];
    for quantum in 0..40 {
        engine.process(f64::from(quantum) * 128.0, 0);
        let mut block = vec![0.0; 128];
        engine.copy_output(0, &mut block);
        engine.copy_output(1, &mut right);
        assert_eq!(block, right, "mono source reaches both channels");
        left.extend(block);
    }
    assert_eq!(engine.applied_batch(), 1);
    assert_eq!(engine.error_count(), 0.0);
    assert_eq!(engine.node_count(), 4);
    // A 1 kHz sine well above a 100 Hz highpass: amplitude ≈ 1, frequency from crossings.
    let tail = &left[2048..];
    let peak = tail.iter().fold(0f32, |m, v| m.max(v.abs()));
    assert!((peak - 1.0).abs() < 0.01, "peak {peak}");
    let crossings = tail.windows(2).filter(|w| w[0] < 0.0 && w[1] >= 0.0).count();
    let expected = tail.len() as f32 * 1000.0 / SR;
    assert!((crossings as f32 - expected).abs() <= 1.0, "{crossings} crossings, expected {expected}");
}

#[wasm_bindgen_test]
fn bad_input_is_refused_in_the_browser_too() {
    let mut control = Controller::new(SR, 8, 8).unwrap();
    let mut engine = WorkletEngine::new(SR, 8, 8).unwrap();
    let gain = control.add_node("gain").unwrap();
    assert!(control.add_node("theremin").is_err());
    assert!(control.set_value(gain, 0, f32::NAN).is_err());
    assert!(control.connect(gain, 0, gain, 0).is_err());
    assert!(Controller::new(f32::NAN, 8, 8).is_err());
    // A corrupt batch is refused and the engine renders on.
    assert!(engine.submit(7, &[0xff, 0xff, 0xff, 0xff]).is_err());
    engine.submit(1, &control.take_batch()).unwrap();
    engine.process(0.0, 0);
    assert_eq!(engine.applied_batch(), 1);
    assert_eq!(engine.node_count(), 3);
}

/// A JS object from JSON, as the page would build it.
fn js(json: &str) -> JsValue {
    js_sys::JSON::parse(json).unwrap()
}

fn get(value: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(value, &JsValue::from_str(key)).unwrap()
}

#[wasm_bindgen_test]
fn the_session_takes_edits_as_plain_objects_and_undoes_them() {
    let mut session = Session::new("web");
    let track = session.fresh_id();
    session
        .edit(js(&format!(
            r#"{{"edit":"addTrack","index":0,"track":{{"id":{track},"name":"keys","kind":"midi","clips":[],
            "strip":{{"gain_db":0,"pan":0,"mute":false,"solo":false}},"inserts":[],"sends":[],"automation":[]}}}}"#
        )))
        .unwrap();
    session.edit(js(r#"{"edit":"setTempo","bpm":87}"#)).unwrap();
    let project = session.project().unwrap();
    assert_eq!(get(&project, "tempo_bpm").as_f64(), Some(87.0));
    let tracks = js_sys::Array::from(&get(&project, "tracks"));
    assert_eq!(get(&tracks.get(0), "name").as_string().as_deref(), Some("keys"));
    // Refusals are typed errors and change nothing.
    let refused = session.edit(js(r#"{"edit":"setTempo","bpm":-3}"#)).unwrap_err();
    assert_eq!(get(&refused, "code").as_string().as_deref(), Some("Session"));
    assert!(session.edit(js(r#"{"edit":"teleport"}"#)).is_err());
    assert_eq!(get(&session.project().unwrap(), "tempo_bpm").as_f64(), Some(87.0));
    // Saved and loaded, the history comes along.
    let mut again = Session::load(&session.save()).unwrap();
    assert!(again.undo().unwrap());
    assert!(again.undo().unwrap());
    assert!(!again.can_undo());
    assert_eq!(js_sys::Array::from(&get(&again.project().unwrap(), "tracks")).length(), 0);
    assert!(Session::load("{\"version\": 99}").is_err());
}
