//! Control side (main thread, Workers, native): the workstation's model. A [`Project`] is
//! plain data; [`Edit`]s are the only way it changes, each with its inverse for undo; the
//! project JSON is versioned and checked whole on load, so a bad file never replaces a good
//! project.

pub mod assets;
pub mod bounce;
pub mod bundle;
pub mod compile;
pub mod edit;
pub mod file;
pub mod import;
pub mod project;

pub use assets::{Sample, Samples};
pub use edit::{Edit, History};

/// The tick the last clip ends at (0 for an empty project).
pub fn song_end(project: &Project) -> u64 {
    project.tracks.iter().flat_map(|t| &t.clips).map(|c| c.start + c.length).max().unwrap_or(0)
}
pub use project::{
    Bus, Clip, ClipContent, ClipLoop, Device, Id, Lane, LanePoint, LaneTarget, LoopRegion, Note, Pad, Project, Send,
    Strip, TempoChange, TempoMap, TimeSignature, Track, TrackKind, MASTER, PPQ,
};

use core::fmt;

/// Why an edit or a project file was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionError {
    /// A track, clip, note, device or bus id that is not in the project.
    NotFound(String),
    /// A value outside what the model takes, named with where it was.
    Invalid(String),
    /// A project file that cannot be read: not JSON, wrong shape, or from a newer version.
    File(String),
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionError::NotFound(what) => write!(f, "no {what} in the project"),
            SessionError::Invalid(what) | SessionError::File(what) => f.write_str(what),
        }
    }
}

impl std::error::Error for SessionError {}
