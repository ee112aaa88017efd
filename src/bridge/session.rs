//! Boundary, main thread: the workstation model as the page drives it. Edits arrive as plain
//! JS objects (`{ edit: "addNote", track, clip, note }`), the project leaves as one, both through
//! serde-wasm-bindgen; a refusal is an `Error` with `code` "Session" and the model's message.

use crate::formats::midi::Song;
use crate::graph::{EngineError, ErrorCode};
use crate::session::{file, import, Edit, History, Project, SessionError};
use wasm_bindgen::prelude::*;

fn session_error(e: SessionError) -> JsValue {
    super::js_error(EngineError::new(ErrorCode::Session, e.to_string()))
}

/// A project with its undo history.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Session {
    history: History,
}

#[wasm_bindgen]
impl Session {
    /// An empty project.
    #[wasm_bindgen(constructor)]
    pub fn new(name: &str) -> Session {
        Session { history: History::new(Project::new(name)) }
    }

    /// Reads a saved project; a bad file is an error and no session is made.
    pub fn load(json: &str) -> Result<Session, JsValue> {
        file::load(json).map(|history| Session { history }).map_err(session_error)
    }

    /// The project and its history as JSON, for storage or a file.
    pub fn save(&self) -> String {
        file::save(&self.history)
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
}
