//! Boundary, main thread or a Worker: a file's record (what `quaver analyze --json` prints) for
//! the library browser, and a clip's whole analysis for the workstation to draw.

use super::to_js;
use crate::analysis::detail::analyze_clip;
use crate::analysis::summary::Record;
use wasm_bindgen::prelude::*;

fn channels_of(channels: &js_sys::Array) -> Result<Vec<Vec<f32>>, JsValue> {
    channels
        .iter()
        .map(|c| {
            c.dyn_into::<js_sys::Float32Array>()
                .map(|a| a.to_vec())
                .map_err(|_| JsValue::from(js_sys::TypeError::new("channels must be Float32Arrays")))
        })
        .collect()
}

/// The record of a WAV or MIDI file's bytes.
#[wasm_bindgen(js_name = analyzeFile)]
pub fn analyze_file(name: String, bytes: &[u8]) -> Result<JsValue, JsValue> {
    to_js(&Record::of_bytes(name, Ok(bytes)))
}

/// The record of audio the browser decoded (MP3, OGG, FLAC, AAC…), hashed by its file's
/// `original` bytes so copies are found whatever decoded them.
#[wasm_bindgen(js_name = analyzeDecoded)]
pub fn analyze_decoded(
    name: String,
    original: &[u8],
    channels: js_sys::Array,
    sample_rate: f64,
) -> Result<JsValue, JsValue> {
    to_js(&Record::of_decoded(name, original, sample_rate, channels_of(&channels)?))
}

/// One file of a batch, copied out of JS so any thread may analyse it.
enum BatchFile {
    Bytes { name: String, bytes: Vec<u8> },
    Decoded { name: String, original: Vec<u8>, sample_rate: f64, channels: Vec<Vec<f32>> },
}

fn batch_file(item: &JsValue) -> Result<BatchFile, JsValue> {
    let get = |key: &str| js_sys::Reflect::get(item, &JsValue::from_str(key));
    let name = get("name")?.as_string().ok_or_else(|| js_sys::TypeError::new("each file needs a name"))?;
    let bytes = get("bytes")?
        .dyn_into::<js_sys::Uint8Array>()
        .map_err(|_| js_sys::TypeError::new("each file's bytes must be a Uint8Array"))?
        .to_vec();
    let channels = get("channels")?;
    if channels.is_undefined() || channels.is_null() {
        return Ok(BatchFile::Bytes { name, bytes });
    }
    let channels = channels_of(
        &channels.dyn_into::<js_sys::Array>().map_err(|_| js_sys::TypeError::new("channels must be an array"))?,
    )?;
    let sample_rate = get("sampleRate")?.as_f64().unwrap_or(f64::NAN);
    Ok(BatchFile::Decoded { name, original: bytes, sample_rate, channels })
}

/// The records of many files (`[{ name, bytes: Uint8Array, channels?: Float32Array[],
/// sampleRate? }]`, channels where the browser decoded the file), in their order: the same
/// records `analyzeFile`/`analyzeDecoded` give one at a time, analysed side by side on the
/// thread pool in the threads build.
#[wasm_bindgen(js_name = analyzeBatch)]
pub fn analyze_batch(files: js_sys::Array) -> Result<JsValue, JsValue> {
    let files: Vec<BatchFile> = files.iter().map(|item| batch_file(&item)).collect::<Result<_, _>>()?;
    let records = super::threads::par_map(files, |file| match file {
        BatchFile::Bytes { name, bytes } => Record::of_bytes(name, Ok(&bytes)),
        BatchFile::Decoded { name, original, sample_rate, channels } => {
            Record::of_decoded(name, &original, sample_rate, channels)
        }
    });
    to_js(&records)
}

/// Everything drawn for a clip: `{ seconds, spectrogram: { frames, bins, hop, size, sampleRate,
/// decibels: Float32Array }, harmonics: [{ frequency, level }], pitch: { times, hz } (Float32Arrays,
/// NaN where unvoiced), onsets: [s], tempo: { bpm, confidence, beats } | null, key: { name,
/// confidence } | null, loudness: { integrated, momentaryMax, shortTermMax, range, truePeak,
/// samplePeak, shortTerm: Float32Array } | null }`. Levels with nothing to measure are null.
#[wasm_bindgen(js_name = analyzeClip)]
pub fn analyze_clip_js(channels: js_sys::Array, sample_rate: f64) -> Result<JsValue, JsValue> {
    if !(sample_rate.is_finite() && sample_rate >= 1.0) {
        return Err(js_sys::RangeError::new(&format!("impossible sample rate {sample_rate}")).into());
    }
    let a = analyze_clip(&channels_of(&channels)?, sample_rate);
    let out = js_sys::Object::new();
    let set = |o: &js_sys::Object, key: &str, value: JsValue| {
        // Setting a property on a fresh plain object cannot fail.
        let _ = js_sys::Reflect::set(o, &JsValue::from_str(key), &value);
    };
    let number = |v: f64| if v.is_finite() { JsValue::from_f64(v) } else { JsValue::NULL };
    set(&out, "seconds", number(a.seconds));
    set(
        &out,
        "spectrogram",
        a.spectrogram.map_or(JsValue::NULL, |s| {
            let o = js_sys::Object::new();
            set(&o, "frames", JsValue::from(s.frames as u32));
            set(&o, "bins", JsValue::from(s.bins as u32));
            set(&o, "hop", JsValue::from(s.hop as u32));
            set(&o, "size", JsValue::from(s.size as u32));
            set(&o, "sampleRate", number(s.sample_rate));
            set(&o, "decibels", js_sys::Float32Array::from(s.decibels.as_slice()).into());
            o.into()
        }),
    );
    let harmonics = js_sys::Array::new();
    for p in &a.harmonics {
        let o = js_sys::Object::new();
        set(&o, "frequency", number(p.frequency));
        set(&o, "level", number(p.level_db));
        harmonics.push(&o);
    }
    set(&out, "harmonics", harmonics.into());
    let pitch = js_sys::Object::new();
    let times: Vec<f32> = a.pitch.iter().map(|f| f.time as f32).collect();
    let hz: Vec<f32> = a.pitch.iter().map(|f| f.frequency.map_or(f32::NAN, |v| v as f32)).collect();
    set(&pitch, "times", js_sys::Float32Array::from(times.as_slice()).into());
    set(&pitch, "hz", js_sys::Float32Array::from(hz.as_slice()).into());
    set(&out, "pitch", pitch.into());
    set(&out, "onsets", js_sys::Float64Array::from(a.onsets.as_slice()).into());
    set(
        &out,
        "tempo",
        a.tempo.map_or(JsValue::NULL, |t| {
            let o = js_sys::Object::new();
            set(&o, "bpm", number(t.bpm));
            set(&o, "confidence", number(t.confidence));
            set(&o, "beats", js_sys::Float64Array::from(t.beats.as_slice()).into());
            o.into()
        }),
    );
    set(
        &out,
        "key",
        a.key.map_or(JsValue::NULL, |k| {
            let o = js_sys::Object::new();
            set(&o, "name", JsValue::from_str(&k.key.to_string()));
            set(&o, "confidence", number(k.confidence));
            o.into()
        }),
    );
    set(
        &out,
        "loudness",
        a.loudness.map_or(JsValue::NULL, |l| {
            let o = js_sys::Object::new();
            set(&o, "integrated", number(l.integrated));
            set(&o, "momentaryMax", number(l.momentary_max));
            set(&o, "shortTermMax", number(l.short_term_max));
            set(&o, "range", number(l.range));
            set(&o, "truePeak", number(l.true_peak));
            set(&o, "samplePeak", number(l.sample_peak));
            set(&o, "shortTerm", js_sys::Float32Array::from(l.short_term.as_slice()).into());
            o.into()
        }),
    );
    Ok(out.into())
}

/// The key of notes given as `keys` (MIDI numbers) and `lengths` (any one unit): `{ name,
/// confidence, classes }` (`classes`: the twelve duration weights from C), or null when every
/// pitch class weighs the same (no notes).
#[wasm_bindgen(js_name = keyOfNotes)]
pub fn key_of_notes(keys: &[u8], lengths: &[f64]) -> JsValue {
    let mut classes = [0.0f64; 12];
    for (key, length) in keys.iter().zip(lengths) {
        if length.is_finite() && *length > 0.0 {
            classes[usize::from(key % 12)] += length;
        }
    }
    let Some(estimate) = crate::analysis::key::key_of_profile(&classes) else {
        return JsValue::NULL;
    };
    let out = js_sys::Object::new();
    // Setting properties on a fresh plain object cannot fail.
    let _ = js_sys::Reflect::set(&out, &"name".into(), &estimate.key.to_string().into());
    let _ = js_sys::Reflect::set(&out, &"confidence".into(), &estimate.confidence.into());
    let _ = js_sys::Reflect::set(&out, &"classes".into(), &js_sys::Float64Array::from(classes.as_slice()).into());
    out.into()
}
