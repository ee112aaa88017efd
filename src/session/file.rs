//! Control side: the project JSON. Saving writes the project with its undo history; loading
//! reads the version first (newer: refused; older: migrated), then the shape (a wrong field is
//! named by its path), then checks the whole project as the edits would, so a file that loads
//! is one the model could have made.

use super::edit::{check_device, check_lanes, check_strip, check_track, History, LaneOwner};
use super::project::{Project, PROJECT_VERSION};
use super::SessionError;
use serde_json::Value;

fn bad(message: impl Into<String>) -> SessionError {
    SessionError::File(message.into())
}

/// The project and its history as JSON.
pub fn save(history: &History) -> String {
    serde_json::to_string(history).expect("a history always serialises")
}

/// Reads what [`save`] wrote (or a bare project, with no history).
pub fn load(json: &str) -> Result<History, SessionError> {
    let mut value: Value = serde_json::from_str(json).map_err(|e| bad(format!("not a project file: {e}")))?;
    let project = if value.get("project").is_some() { &value["project"] } else { &value };
    let version = project
        .get("version")
        .and_then(Value::as_u64)
        .ok_or_else(|| bad("not a project file: it has no version number"))?;
    if version > u64::from(PROJECT_VERSION) {
        return Err(bad(format!(
            "this project was saved by a newer Quaver (file version {version}); this one reads versions up to {PROJECT_VERSION}"
        )));
    }
    migrate(&mut value, version as u32)?;
    let history: History = if value.get("project").is_some() {
        serde_path_to_error::deserialize(&value)
            .map_err(|e| bad(format!("project file: {}: {}", e.path(), e.inner())))?
    } else {
        let project: Project = serde_path_to_error::deserialize(&value)
            .map_err(|e| bad(format!("project file: {}: {}", e.path(), e.inner())))?;
        History::new(project)
    };
    check(&history.project)?;
    Ok(history)
}

/// Brings an older project up to [`PROJECT_VERSION`], one version at a time; a migration goes
/// here with each change to the format.
/// The file's undo and redo edits are migrated with the project, since they hold parts of it.
/// - 1 → 2: tracks gained automation lanes (a version 1 track has none).
/// - 2 → 3: the project gained tempo changes (a version 2 song keeps one tempo).
/// - 3 → 4: buses and the master gained automation lanes.
/// - 4 → 5: audio clips gained takes (a version 4 clip has none, which is what a missing field
///   reads as), so only the version changes: a Quaver that knows no takes refuses the file
///   rather than dropping them.
/// - 5 → 6: MIDI clips gained takes, the same way.
/// - 6 → 7: clips gained loops (a version 6 clip plays once), the same way.
/// - 7 → 8: devices gained a sample (a sampler's; a version 7 device has none), the same way.
/// - 8 → 9: drum kits gained pads with samples of their own (a version 8 kit has none), the
///   same way.
/// - 9 → 10: pads gained a level and a tuning (a version 9 pad is at 0 dB, untuned), and a pad
///   may now have no sample, the same way.
/// - 10 → 11: audio clips gained a gain and fades (a version 10 clip has neither), the same way.
fn migrate(file: &mut Value, from: u32) -> Result<(), SessionError> {
    if from == 0 {
        return Err(bad("project file version 0 does not exist"));
    }
    if from < 2 {
        let has_history = file.get("project").is_some();
        let project = if has_history { &mut file["project"] } else { &mut *file };
        for track in project.get_mut("tracks").and_then(Value::as_array_mut).into_iter().flatten() {
            add_lanes(track);
        }
        for stack in ["undo", "redo"] {
            for edit in file.get_mut(stack).and_then(Value::as_array_mut).into_iter().flatten() {
                add_lanes_in_edit(edit, "addTrack", "track");
            }
        }
    }
    if from < 4 {
        for stack in ["undo", "redo"] {
            for edit in file.get_mut(stack).and_then(Value::as_array_mut).into_iter().flatten() {
                add_lanes_in_edit(edit, "addBus", "bus");
            }
        }
    }
    let project = if file.get("project").is_some() { &mut file["project"] } else { file };
    if from < 3 {
        if let Some(p) = project.as_object_mut() {
            p.insert("tempo_changes".into(), Value::Array(Vec::new()));
        }
    }
    if from < 4 {
        for bus in project.get_mut("buses").and_then(Value::as_array_mut).into_iter().flatten() {
            add_lanes(bus);
        }
        if let Some(p) = project.as_object_mut() {
            p.insert("master_automation".into(), Value::Array(Vec::new()));
        }
    }
    project["version"] = Value::from(PROJECT_VERSION);
    Ok(())
}

fn add_lanes(part: &mut Value) {
    if let Some(t) = part.as_object_mut() {
        t.insert("automation".into(), Value::Array(Vec::new()));
    }
}

/// Lanes for the part an edit carries whole: `field` of a `kind` edit (`addTrack`'s track,
/// `addBus`'s bus), in batches too.
fn add_lanes_in_edit(edit: &mut Value, kind: &str, field: &str) {
    match edit.get("edit").and_then(Value::as_str) {
        Some(k) if k == kind => {
            if let Some(part) = edit.get_mut(field) {
                add_lanes(part);
            }
        }
        Some("batch") => {
            for inner in edit.get_mut("edits").and_then(Value::as_array_mut).into_iter().flatten() {
                add_lanes_in_edit(inner, kind, field);
            }
        }
        _ => {}
    }
}

/// The whole project, checked as the edits check each part.
fn check(project: &Project) -> Result<(), SessionError> {
    let mut ids: Vec<_> = project.ids().collect();
    ids.sort_unstable();
    if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
        return Err(bad(format!("project file: id {} is used twice", w[0])));
    }
    if ids.first() == Some(&super::project::MASTER) {
        return Err(bad("project file: id 0 names the master and no part may have it"));
    }
    if let Some(r) = project.loop_region.filter(|r| r.start >= r.end) {
        return Err(bad(format!("project file: a loop from tick {} to tick {}", r.start, r.end)));
    }
    let tempo_ok = super::edit::TEMPO_RANGE.contains(&project.tempo_bpm);
    if !tempo_ok {
        return Err(bad(format!("project file: a tempo of {} BPM", project.tempo_bpm)));
    }
    super::edit::check_tempo_changes(&project.tempo_changes).map_err(|e| bad(format!("project file: {e}")))?;
    check_strip(&project.master)?;
    check_lanes(&LaneOwner::master(), &project.master_automation)?;
    for bus in &project.buses {
        check_strip(&bus.strip)?;
        for d in &bus.inserts {
            check_device(d)?;
        }
        check_lanes(&LaneOwner::bus(bus), &bus.automation)?;
    }
    for track in &project.tracks {
        check_track(project, track)?;
    }
    Ok(())
}
