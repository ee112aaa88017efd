//! Boundary, main thread: the workstation model as the page drives it. Edits arrive as plain
//! JS objects (`{ edit: "addNote", track, clip, note }`), the project leaves as one, both through
//! serde-wasm-bindgen; a refusal is an `Error` with `code` "Session" and the model's message.

use super::{js_error, Controller};
use crate::formats::midi::Song;
use crate::formats::wav::{write_wav, Audio, SampleFormat};
use crate::graph::{EngineError, ErrorCode};
use crate::session::bounce::{length, stem, stem_file_name, Bounce as Render, BounceRange};
use crate::session::compile::{compile_live, GraphSync};
use crate::session::{bundle, file, import, Edit, History, Project, Sample, Samples, SessionError, TempoMap};
use wasm_bindgen::prelude::*;

fn session_error(e: SessionError) -> JsValue {
    super::js_error(EngineError::new(ErrorCode::Session, e.to_string()))
}

/// A project with its undo history, and the engine graph it was last compiled into (one
/// engine per session: the page's, or a bounce Worker's).
#[wasm_bindgen]
#[derive(Debug)]
pub struct Session {
    history: History,
    graph: GraphSync,
    /// Whether the live graph has the metronome (it never reaches a bounce).
    metronome: bool,
}

#[wasm_bindgen]
impl Session {
    /// An empty project.
    #[wasm_bindgen(constructor)]
    pub fn new(name: &str) -> Session {
        Session { history: History::new(Project::new(name)), graph: GraphSync::default(), metronome: false }
    }

    /// Reads a saved project; a bad file is an error and no session is made.
    pub fn load(json: &str) -> Result<Session, JsValue> {
        file::load(json)
            .map(|history| Session { history, graph: GraphSync::default(), metronome: false })
            .map_err(session_error)
    }

    /// Reads a bundle (`bundle()`): the project with its history and its samples; a bad file
    /// is an error and no session is made.
    #[wasm_bindgen(js_name = loadBundle)]
    pub fn load_bundle(bytes: &[u8]) -> Result<Session, JsValue> {
        let (history, samples) = bundle::read(bytes).map_err(session_error)?;
        let mut graph = GraphSync::default();
        graph.samples = samples;
        Ok(Session { history, graph, metronome: false })
    }

    /// The project, its history and the samples its clips use, as one file.
    pub fn bundle(&self) -> Result<Vec<u8>, JsValue> {
        bundle::write(&self.history, &self.graph.samples).map_err(session_error)
    }

    /// The names of the samples this session has been given.
    #[wasm_bindgen(js_name = sampleNames)]
    pub fn sample_names(&self) -> Vec<String> {
        self.graph.samples.keys().cloned().collect()
    }

    /// A sample as `{ sampleRate, channels: Float32Array[] }` (undefined if there is none).
    #[wasm_bindgen(js_name = sampleOf)]
    pub fn sample_of(&self, name: &str) -> Result<JsValue, JsValue> {
        self.graph.samples.get(name).map_or(Ok(JsValue::UNDEFINED), |s| sample_js(s))
    }

    /// The project and its history as JSON, for storage or a file.
    pub fn save(&self) -> String {
        file::save(&self.history)
    }

    /// The project's tempo map as it is now (it does not follow later edits).
    #[wasm_bindgen(js_name = tempoMap)]
    pub fn tempo_map(&self) -> Tempo {
        Tempo(self.history.project.tempo_map())
    }

    /// Track `track`'s stem as a project JSON to bounce (that track alone heard, through its
    /// sends, the buses and the master), with the file name it is written as.
    pub fn stem(&self, track: u32) -> Result<JsValue, JsValue> {
        let project = &self.history.project;
        let index = project.tracks.iter().position(|t| t.id == track);
        let (Some(index), Some(stem)) = (index, stem(project, track)) else {
            return Err(session_error(SessionError::NotFound(format!("track {track}"))));
        };
        let json = serde_json::to_string(&stem).expect("a project always serialises");
        let file = stem_file_name(index, &project.tracks[index].name);
        super::to_js(&serde_json::json!({ "project": json, "file": file }))
    }

    /// The project as a plain object the UI renders.
    pub fn project(&self) -> Result<JsValue, JsValue> {
        super::to_js(&self.history.project)
    }

    /// An id no part of the project uses, for a part about to be added.
    #[wasm_bindgen(js_name = freshId)]
    pub fn fresh_id(&self) -> u32 {
        self.history.project.fresh_id()
    }

    /// Applies one edit as one undoable step; a refused edit changes nothing.
    pub fn edit(&mut self, edit: JsValue) -> Result<(), JsValue> {
        let edit: Edit = serde_wasm_bindgen::from_value(edit)
            .map_err(|e| session_error(SessionError::Invalid(format!("not an edit: {e}"))))?;
        self.history.edit(edit).map_err(session_error)
    }

    /// Applies an edit that continues the gesture of the last step (a fader still moving), so
    /// the whole gesture is one undo step.
    #[wasm_bindgen(js_name = editContinuing)]
    pub fn edit_continuing(&mut self, edit: JsValue) -> Result<(), JsValue> {
        let edit: Edit = serde_wasm_bindgen::from_value(edit)
            .map_err(|e| session_error(SessionError::Invalid(format!("not an edit: {e}"))))?;
        self.history.edit_continuing(edit).map_err(session_error)
    }

    /// Applies an edit as part of the last step, so one undo takes both back (notes overdubbed
    /// into a clip pass after pass).
    #[wasm_bindgen(js_name = editJoined)]
    pub fn edit_joined(&mut self, edit: JsValue) -> Result<(), JsValue> {
        let edit: Edit = serde_wasm_bindgen::from_value(edit)
            .map_err(|e| session_error(SessionError::Invalid(format!("not an edit: {e}"))))?;
        self.history.edit_joined(edit).map_err(session_error)
    }

    pub fn undo(&mut self) -> Result<bool, JsValue> {
        self.history.undo().map_err(session_error)
    }

    pub fn redo(&mut self) -> Result<bool, JsValue> {
        self.history.redo().map_err(session_error)
    }

    #[wasm_bindgen(js_name = canUndo)]
    pub fn can_undo(&self) -> bool {
        self.history.can_undo()
    }

    #[wasm_bindgen(js_name = canRedo)]
    pub fn can_redo(&self) -> bool {
        self.history.can_redo()
    }

    /// Adds a Standard MIDI File's tracks at tick `at`, as one undoable step; `false` if it has
    /// no notes.
    #[wasm_bindgen(js_name = importMidi)]
    pub fn import_midi(&mut self, bytes: &[u8], at: f64) -> Result<bool, JsValue> {
        let song = Song::read(bytes).map_err(|e| session_error(SessionError::File(format!("MIDI file: {e}"))))?;
        let Some(edit) = import::midi_song(&self.history.project, &song, at.max(0.0) as u64) else { return Ok(false) };
        self.history.edit(edit).map_err(session_error)?;
        Ok(true)
    }

    /// The song (or, with a clip id, that clip) as a Standard MIDI File.
    #[wasm_bindgen(js_name = exportMidi)]
    pub fn export_midi(&self, clip: Option<u32>) -> Result<Vec<u8>, JsValue> {
        import::song_of(&self.history.project, clip)
            .write()
            .map_err(|e| session_error(SessionError::File(e.to_string())))
    }

    /// Brings `controller`'s graph in step with the project, sending only what changed since
    /// the last sync; returns how many requests that took.
    pub fn sync(&mut self, controller: &mut Controller) -> Result<u32, JsValue> {
        let g = controller.inner_mut();
        let plan = compile_live(&self.history.project, g.config().sample_rate, self.metronome);
        self.graph.sync(g, plan).map_err(js_error)?;
        Ok(self.graph.last_changes as u32)
    }

    /// Gives the project a sample its audio clips can play (`name` as clips name it); clips
    /// already naming it get it at the next `sync`.
    #[wasm_bindgen(js_name = addSample)]
    pub fn add_sample(
        &mut self,
        name: &str,
        sample_rate: f32,
        channels: Vec<js_sys::Float32Array>,
    ) -> Result<(), JsValue> {
        let sample = sample_of(sample_rate, channels)?;
        self.graph.add_sample(name, sample);
        Ok(())
    }

    /// Samples the project's clips and samplers name (what a bounce or a saved file needs).
    #[wasm_bindgen(js_name = usedSamples)]
    pub fn used_samples(&self) -> Vec<String> {
        crate::session::assets::referenced(&self.history.project).into_iter().collect()
    }

    /// Samples the project or its undo and redo steps name that have not been given: what a
    /// page loads from its storage when a project opens, so an undo finds its audio.
    #[wasm_bindgen(js_name = unloadedSamples)]
    pub fn unloaded_samples(&self) -> Vec<String> {
        let names = crate::session::assets::referenced_in_history(&self.history);
        names.into_iter().filter(|name| !self.graph.samples.contains_key(name)).collect()
    }

    /// Samples the project's clips and samplers name that have not been given (they are silent).
    #[wasm_bindgen(js_name = missingSamples)]
    pub fn missing_samples(&self) -> Vec<String> {
        crate::session::assets::missing(&self.history.project, &self.graph.samples)
    }

    /// Frames the mix reaches the output late by, as last synced (inserts with lookahead; every
    /// other path is delayed to match): the playhead the page shows accounts for it.
    #[wasm_bindgen(js_name = latencyFrames)]
    pub fn latency_frames(&self) -> f64 {
        self.graph.latency() as f64
    }

    /// Turns the metronome on or off (at the next `sync`).
    #[wasm_bindgen(js_name = setMetronome)]
    pub fn set_metronome(&mut self, on: bool) {
        self.metronome = on;
    }

    /// Takes this project's nodes out of `controller` (before another project is opened).
    pub fn release(&mut self, controller: &mut Controller) {
        self.graph.release(controller.inner_mut());
    }

    /// Plays the song from `tick` starting at context frame `at`, looping the loop region when
    /// `looping`.
    /// With `count_in`, the metronome plays a bar first. Returns the context frame the song
    /// starts at.
    pub fn play(
        &mut self,
        controller: &mut Controller,
        at: f64,
        tick: f64,
        looping: bool,
        count_in: bool,
    ) -> Result<f64, JsValue> {
        let frame = |v: f64, what: &str| {
            if v.is_finite() && v >= 0.0 {
                Ok(v as u64)
            } else {
                Err(js_error(EngineError::new(ErrorCode::OutOfRange, format!("{what} {v} is not a position"))))
            }
        };
        let (at, tick) = (frame(at, "frame")?, frame(tick, "tick")?);
        let project = &self.history.project;
        let started = self
            .graph
            .play_counting_in(controller.inner_mut(), project, at, tick, looping, count_in)
            .map_err(js_error)?;
        Ok(started as f64)
    }

    /// Stops the song at context frame `at`.
    pub fn stop(&mut self, controller: &mut Controller, at: f64) -> Result<(), JsValue> {
        self.graph.stop(controller.inner_mut(), at.max(0.0) as u64).map_err(js_error)
    }

    /// Plays (velocity > 0) or releases a note on a track's instrument now; false when the
    /// track has no instrument in the engine.
    #[wasm_bindgen(js_name = liveNote)]
    pub fn live_note(&self, controller: &mut Controller, track: u32, key: u8, velocity: u8) -> Result<bool, JsValue> {
        if key > 127 || velocity > 127 {
            return Err(js_error(EngineError::new(
                ErrorCode::OutOfRange,
                format!("note {key} at velocity {velocity}"),
            )));
        }
        self.graph.live_note(controller.inner_mut(), track, key, velocity).map_err(js_error)
    }

    /// The engine node id playing part `name` of the project (`"t5.fader"`, `"master.fader"`).
    #[wasm_bindgen(js_name = nodeOf)]
    pub fn node_of(&self, name: &str) -> Option<u32> {
        self.graph.id(name).map(crate::graph::NodeId::to_bits)
    }
}

/// Encodes planar channels as a WAV file: `format` is `"pcm16"`, `"pcm24"` (both dithered when
/// `dither`) or `"float32"`.
#[wasm_bindgen(js_name = encodeWav)]
pub fn encode_wav(
    channels: Vec<js_sys::Float32Array>,
    sample_rate: u32,
    format: &str,
    dither: bool,
) -> Result<Vec<u8>, JsValue> {
    let format = match format {
        "pcm16" => SampleFormat::Pcm16,
        "pcm24" => SampleFormat::Pcm24,
        "float32" => SampleFormat::Float32,
        other => {
            return Err(js_error(EngineError::new(
                ErrorCode::OutOfRange,
                format!("no WAV format '{other}' (pcm16, pcm24, float32)"),
            )))
        }
    };
    let audio = Audio { sample_rate, channels: channels.iter().map(js_sys::Float32Array::to_vec).collect() };
    write_wav(&audio, format, dither).map_err(|e| session_error(SessionError::File(e.to_string())))
}

fn sample_of(sample_rate: f32, channels: Vec<js_sys::Float32Array>) -> Result<Sample, JsValue> {
    Sample::new(sample_rate, channels.iter().map(js_sys::Float32Array::to_vec).collect()).map_err(session_error)
}

/// A WAV file read by the engine's reader, as `{ sampleRate, channels: Float32Array[] }` (more
/// than two channels folded into two); a bad file is an error that says what is wrong.
#[wasm_bindgen(js_name = readWav)]
pub fn read_wav(bytes: &[u8]) -> Result<JsValue, JsValue> {
    sample_js(&Sample::from_wav(bytes).map_err(session_error)?)
}

fn sample_js(sample: &Sample) -> Result<JsValue, JsValue> {
    let result = js_sys::Object::new();
    let channels = js_sys::Array::new();
    for c in &sample.channels {
        channels.push(&js_sys::Float32Array::from(c.as_slice()));
    }
    let set = |key: &str, value: &JsValue| js_sys::Reflect::set(&result, &JsValue::from_str(key), value);
    set("sampleRate", &JsValue::from_f64(f64::from(sample.sample_rate)))?;
    set("channels", &channels)?;
    Ok(result.into())
}

/// A project rendered to a WAV file off the audio thread (in a Worker), by the engine the
/// worklet runs: make one, give it the samples its clips play (`addSample`), call `render`
/// until it returns false, then `wav`.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Bounce {
    project: crate::session::Project,
    range: BounceRange,
    samples: Samples,
    render: Option<Render>,
    written: bool,
    sample_rate: u32,
    gain_db: Option<f64>,
}

impl Bounce {
    /// The render, made at first use (once every sample has been given), its tracks in parts
    /// across the threads build's pool.
    fn started(&mut self) -> Result<&mut Render, JsValue> {
        self.started_in(super::threads::thread_count())
    }

    /// [`Bounce::started`], the tracks in `parts` parts (1: one engine).
    fn started_in(&mut self, parts: usize) -> Result<&mut Render, JsValue> {
        if self.written {
            return Err(session_error(SessionError::Invalid("this bounce was already written".into())));
        }
        if self.render.is_none() {
            let render = Render::parted(&self.project, &self.samples, self.sample_rate as f32, self.range, parts)
                .map_err(js_error)?;
            self.render = Some(render);
        }
        Ok(self.render.as_mut().expect("made above"))
    }
}

/// A project's tempo map: seconds at ticks and back, and the tempo at a tick.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Tempo(TempoMap);

#[wasm_bindgen]
impl Tempo {
    /// Seconds into the song at `tick` (fractional ticks too).
    #[wasm_bindgen(js_name = secondsAt)]
    pub fn seconds_at(&self, tick: f64) -> f64 {
        self.0.seconds_at(tick)
    }

    /// The (fractional) tick `seconds` into the song falls on.
    #[wasm_bindgen(js_name = tickAt)]
    pub fn tick_at(&self, seconds: f64) -> f64 {
        self.0.tick_at(seconds)
    }

    #[wasm_bindgen(js_name = bpmAt)]
    pub fn bpm_at(&self, tick: f64) -> f64 {
        self.0.bpm_at(tick)
    }

    /// The frame at `sample_rate` that `tick` is placed on, rounded as the engine places it.
    #[wasm_bindgen(js_name = frameAt)]
    pub fn frame_at(&self, tick: f64, sample_rate: f32) -> f64 {
        self.0.frame_at(tick.max(0.0) as u64, sample_rate) as f64
    }
}

#[wasm_bindgen]
impl Bounce {
    /// `project_json` as `Session.save()` writes it; `start`/`end` in ticks (`end` < 0: the
    /// song's end), then `tail_seconds` of ring-out.
    #[wasm_bindgen(constructor)]
    pub fn new(
        project_json: &str,
        sample_rate: u32,
        start: f64,
        end: f64,
        tail_seconds: f64,
    ) -> Result<Bounce, JsValue> {
        let history = file::load(project_json).map_err(session_error)?;
        if !(8000..=192_000).contains(&sample_rate) {
            return Err(js_error(EngineError::new(ErrorCode::OutOfRange, format!("a bounce at {sample_rate} Hz"))));
        }
        let range = BounceRange {
            start: start.max(0.0) as u64,
            end: (end >= 0.0).then_some(end as u64),
            tail_seconds: if tail_seconds.is_finite() { tail_seconds.clamp(0.0, 60.0) } else { 2.0 },
        };
        Ok(Bounce {
            project: history.project,
            range,
            samples: Samples::new(),
            render: None,
            written: false,
            sample_rate,
            gain_db: None,
        })
    }

    /// A sample the project's clips play, before rendering starts.
    #[wasm_bindgen(js_name = addSample)]
    pub fn add_sample(
        &mut self,
        name: &str,
        sample_rate: f32,
        channels: Vec<js_sys::Float32Array>,
    ) -> Result<(), JsValue> {
        if self.render.is_some() {
            return Err(session_error(SessionError::Invalid("samples are given before the bounce starts".into())));
        }
        let sample = sample_of(sample_rate, channels)?;
        self.samples.insert(name.to_string(), std::sync::Arc::new(sample));
        Ok(())
    }

    pub fn frames(&mut self) -> Result<f64, JsValue> {
        // Known before the render is made, so asking does not fix how it is made.
        Ok(match &self.render {
            Some(render) => render.frames(),
            None => length(&self.project, self.sample_rate as f32, self.range),
        } as f64)
    }

    pub fn done(&mut self) -> Result<f64, JsValue> {
        // Nothing is done before the render is made; asking does not make it.
        Ok(self.render.as_ref().map_or(0, Render::done) as f64)
    }

    /// Renders up to `frames` more; false once all is rendered.
    pub fn render(&mut self, frames: u32) -> Result<bool, JsValue> {
        self.started()?.render(frames as usize).map_err(js_error)
    }

    /// The whole render as a WAV file (`format` as for `encodeWav`); the bounce is used up.
    /// With `target_lufs`, the mix is first brought to that integrated loudness, or less where
    /// its true peak would pass `ceiling_dbtp` (default −1); `gainDb()` then says by how much.
    /// With `gain_db` instead, that gain is applied as it is (stems take their mix's).
    pub fn wav(
        &mut self,
        format: &str,
        dither: bool,
        target_lufs: Option<f64>,
        ceiling_dbtp: Option<f64>,
        gain_db: Option<f64>,
    ) -> Result<Vec<u8>, JsValue> {
        self.started()?;
        let render = self.render.take().expect("started");
        self.written = true;
        let mut mix = render.finish();
        if let Some(target) = target_lufs {
            self.gain_db =
                crate::analysis::loudness::normalise(&mut mix, self.sample_rate, target, ceiling_dbtp.unwrap_or(-1.0))
                    .map_err(|e| js_error(EngineError::new(ErrorCode::OutOfRange, e.0)))?;
        } else if let Some(db) = gain_db.filter(|g| g.is_finite() && *g != 0.0) {
            let gain = 10f64.powf(db / 20.0) as f32;
            mix.iter_mut().flatten().for_each(|v| *v *= gain);
            self.gain_db = Some(db);
        }
        let channels: Vec<js_sys::Float32Array> =
            mix.iter().map(|c| js_sys::Float32Array::from(c.as_slice())).collect();
        encode_wav(channels, self.sample_rate, format, dither)
    }

    /// The gain loudness normalisation applied (dB), or null (none asked, or silence).
    #[wasm_bindgen(js_name = gainDb)]
    pub fn gain_db(&self) -> Option<f64> {
        self.gain_db
    }
}

/// Several bounces rendered side by side (the mix and its stems): on the thread pool in the
/// threads build, one after another otherwise, with the same samples either way. The samples
/// are given once (`addSample`) and shared by every bounce; `render` advances every bounce by
/// the same stretch, so progress can be shown between calls; then `take` gives each back to be
/// written.
#[wasm_bindgen]
#[derive(Debug, Default)]
pub struct Bounces {
    bounces: Vec<Option<Bounce>>,
    samples: Samples,
}

#[wasm_bindgen]
impl Bounces {
    #[wasm_bindgen(constructor)]
    pub fn new() -> Bounces {
        Bounces::default()
    }

    /// A sample every bounce's clips may play (one copy, shared), before any is pushed.
    #[wasm_bindgen(js_name = addSample)]
    pub fn add_sample(
        &mut self,
        name: &str,
        sample_rate: f32,
        channels: Vec<js_sys::Float32Array>,
    ) -> Result<(), JsValue> {
        if !self.bounces.is_empty() {
            return Err(session_error(SessionError::Invalid("samples are given before the bounces".into())));
        }
        let sample = sample_of(sample_rate, channels)?;
        self.samples.insert(name.to_string(), std::sync::Arc::new(sample));
        Ok(())
    }

    /// Takes `bounce`, which plays the samples given here; its index is the number of bounces
    /// before.
    pub fn push(&mut self, mut bounce: Bounce) -> Result<(), JsValue> {
        if bounce.render.is_some() || bounce.written {
            return Err(session_error(SessionError::Invalid("a bounce is pushed before it starts".into())));
        }
        for (name, sample) in &self.samples {
            bounce.samples.entry(name.clone()).or_insert_with(|| sample.clone());
        }
        self.bounces.push(Some(bounce));
        Ok(())
    }

    /// Frames all the renders have together.
    pub fn frames(&mut self) -> Result<f64, JsValue> {
        self.bounces.iter_mut().flatten().map(Bounce::frames).sum()
    }

    /// Frames rendered so far, all together.
    pub fn done(&mut self) -> Result<f64, JsValue> {
        self.bounces.iter_mut().flatten().map(Bounce::done).sum()
    }

    /// Renders up to `frames` more of every bounce; false once all is rendered.
    pub fn render(&mut self, frames: u32) -> Result<bool, JsValue> {
        // Each render is made here, on the calling thread, where errors can become JS values.
        // The threads go to whole bounces first: parts only share out what is left (measured:
        // a mix and 8 stems on 2 threads took 600 ms in parts, 491 ms whole).
        let count = self.bounces.iter().flatten().count().max(1);
        let parts = (super::threads::thread_count() / count).max(1);
        let mut renders = Vec::with_capacity(self.bounces.len());
        for bounce in self.bounces.iter_mut().flatten() {
            renders.push((bounce.started_in(parts)?, Ok(false)));
        }
        super::threads::par_for_each(&mut renders, |(render, result)| *result = render.render(frames as usize));
        let mut more = false;
        for (_, result) in renders {
            more |= result.map_err(js_error)?;
        }
        Ok(more)
    }

    /// Bounce `index`, to be written with `wav` (once: it is no longer among these).
    pub fn take(&mut self, index: usize) -> Result<Bounce, JsValue> {
        let count = self.bounces.len();
        self.bounces.get_mut(index).and_then(Option::take).ok_or_else(|| {
            js_error(EngineError::new(ErrorCode::OutOfRange, format!("no bounce {index} left of {count}")))
        })
    }
}
