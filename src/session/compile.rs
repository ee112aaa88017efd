//! Control side: a project as the engine graph that plays it. [`compile`] names every node by
//! what it is in the project (`t5.fader`, `b10.in`), so two compilations can be compared and
//! only what changed sent to the engine ([`GraphSync`]): editing a playing project never
//! rebuilds it.
//!
//! Each MIDI track is `synth → inserts → fader → pan → master`, with post-fader sends to buses;
//! each bus is `in → inserts → fader → pan → master`; the master fader feeds the destination.

use super::project::{ClipContent, Device, Project, Strip, TrackKind};
use crate::graph::{EngineError, NodeId, SequencedNote, SettingValue};
use crate::offline::OfflineRenderer;
use std::collections::{BTreeMap, BTreeSet};

/// The engine's output, as an edge's end.
pub const DESTINATION: &str = "destination";

#[derive(Clone, Debug, PartialEq)]
pub struct PlannedNode {
    pub kind: String,
    pub params: BTreeMap<String, f32>,
    pub settings: BTreeMap<String, SettingValue>,
}

/// The graph a project compiles to: nodes by name, and connections between names.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    pub nodes: BTreeMap<String, PlannedNode>,
    pub edges: BTreeSet<(String, String)>,
}

fn node(kind: &str) -> PlannedNode {
    PlannedNode { kind: kind.to_string(), params: BTreeMap::new(), settings: BTreeMap::new() }
}

fn db_to_gain(db: f32) -> f32 {
    if db == f32::NEG_INFINITY {
        0.0
    } else {
        10f32.powf(db / 20.0)
    }
}

/// The notes of a track's MIDI clips on the song timeline, in frames at `sample_rate`; a note
/// is cut where its clip ends.
pub fn sequence(project: &Project, track: &super::Track, sample_rate: f32) -> Vec<SequencedNote> {
    let frames_per_tick = project.seconds_per_tick() * f64::from(sample_rate);
    let frame = |tick: u64| (tick as f64 * frames_per_tick).round() as u64;
    let mut notes = Vec::new();
    for clip in &track.clips {
        let ClipContent::Midi { notes: clip_notes } = &clip.content else { continue };
        let clip_end = clip.start + clip.length;
        for n in clip_notes {
            let start = clip.start + n.start;
            let end = (start + n.length).min(clip_end);
            let (start, end) = (frame(start), frame(end));
            if end > start {
                notes.push(SequencedNote { start, length: end - start, key: n.key, velocity: n.velocity });
            }
        }
    }
    notes.sort_by_key(|n| (n.start, n.key));
    notes
}

/// Adds `inserts` after `from` (bypassed ones left out) and returns the last node's name.
fn chain(plan: &mut Plan, prefix: &str, from: String, inserts: &[Device]) -> String {
    let mut last = from;
    for d in inserts.iter().filter(|d| !d.bypass) {
        let name = format!("{prefix}.fx{}", d.id);
        let mut n = node(&d.kind);
        n.params = d.params.clone();
        plan.nodes.insert(name.clone(), n);
        plan.edges.insert((last, name.clone()));
        last = name;
    }
    last
}

/// Fader and pan after `from`, into the master; returns the fader's name (sends leave there).
fn strip(plan: &mut Plan, prefix: &str, from: String, strip: &Strip, audible: bool) -> String {
    let fader = format!("{prefix}.fader");
    let pan = format!("{prefix}.pan");
    let mut f = node("gain");
    f.params.insert("gain".into(), if audible { db_to_gain(strip.gain_db) } else { 0.0 });
    let mut p = node("stereo-panner");
    p.params.insert("pan".into(), strip.pan);
    plan.nodes.insert(fader.clone(), f);
    plan.nodes.insert(pan.clone(), p);
    plan.edges.insert((from, fader.clone()));
    plan.edges.insert((fader.clone(), pan.clone()));
    plan.edges.insert((pan, "master.fader".into()));
    fader
}

/// The graph that plays `project` at `sample_rate`. Audio tracks are not compiled yet: their
/// clips need the clip player that comes with audio import.
pub fn compile(project: &Project, sample_rate: f32) -> Plan {
    let mut plan = Plan::default();
    let mut master = node("gain");
    master.params.insert("gain".into(), if project.master.mute { 0.0 } else { db_to_gain(project.master.gain_db) });
    plan.nodes.insert("master.fader".into(), master);
    plan.edges.insert(("master.fader".into(), DESTINATION.into()));
    let soloing = project.tracks.iter().any(|t| t.strip.solo);
    for bus in &project.buses {
        let prefix = format!("b{}", bus.id);
        let input = format!("{prefix}.in");
        plan.nodes.insert(input.clone(), node("gain"));
        let last = chain(&mut plan, &prefix, input, &bus.inserts);
        strip(&mut plan, &prefix, last, &bus.strip, !bus.strip.mute);
    }
    for track in project.tracks.iter().filter(|t| t.kind == TrackKind::Midi) {
        let prefix = format!("t{}", track.id);
        let synth = format!("{prefix}.synth");
        let mut s = node(track.instrument.as_ref().map_or("synth", |i| i.kind.as_str()));
        if let Some(instrument) = &track.instrument {
            s.params = instrument.params.clone();
        }
        s.settings.insert("sequence".into(), SettingValue::Sequence(sequence(project, track, sample_rate)));
        plan.nodes.insert(synth.clone(), s);
        let last = chain(&mut plan, &prefix, synth, &track.inserts);
        let audible = !track.strip.mute && (!soloing || track.strip.solo);
        let fader = strip(&mut plan, &prefix, last, &track.strip, audible);
        for send in &track.sends {
            let name = format!("{prefix}.send{}", send.bus);
            let mut g = node("gain");
            g.params.insert("gain".into(), if audible { db_to_gain(send.gain_db) } else { 0.0 });
            plan.nodes.insert(name.clone(), g);
            plan.edges.insert((fader.clone(), name.clone()));
            plan.edges.insert((name, format!("b{}.in", send.bus)));
        }
    }
    plan
}

/// A compiled project kept in step with an [`OfflineRenderer`]: each [`GraphSync::sync`]
/// sends only the difference from the last plan.
#[derive(Debug, Default)]
pub struct GraphSync {
    plan: Plan,
    ids: BTreeMap<String, NodeId>,
    /// Requests the last sync sent, for tests of incremental updates.
    pub last_changes: usize,
}

impl GraphSync {
    pub fn id(&self, name: &str) -> Option<NodeId> {
        self.ids.get(name).copied()
    }

    /// Every synth in the plan, for transport and live notes.
    pub fn instruments(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.plan.nodes.iter().filter(|(name, _)| name.ends_with(".synth")).filter_map(|(name, _)| self.id(name))
    }

    /// Brings the engine from the last plan to `plan`.
    pub fn sync(&mut self, g: &mut OfflineRenderer, plan: Plan) -> Result<(), EngineError> {
        let mut changes = 0;
        let destination = g.destination();
        let end = |ids: &BTreeMap<String, NodeId>, name: &str| {
            if name == DESTINATION {
                Some(destination)
            } else {
                ids.get(name).copied()
            }
        };
        let survives = |name: &str| {
            name == DESTINATION || plan.nodes.get(name).map(|n| &n.kind) == self.plan.nodes.get(name).map(|n| &n.kind)
        };
        // Connections of nodes that go are gone with them; the others are undone one by one.
        for (from, to) in self.plan.edges.difference(&plan.edges) {
            if survives(from) && survives(to) {
                if let (Some(a), Some(b)) = (end(&self.ids, from), end(&self.ids, to)) {
                    g.disconnect(a, b)?;
                    changes += 1;
                }
            }
        }
        for (name, old) in &self.plan.nodes {
            let replaced = plan.nodes.get(name).is_none_or(|n| n.kind != old.kind);
            if replaced {
                if let Some(id) = self.ids.remove(name) {
                    g.remove(id)?;
                    changes += 1;
                }
            }
        }
        for (name, new) in &plan.nodes {
            let old = self.plan.nodes.get(name).filter(|o| o.kind == new.kind && self.ids.contains_key(name));
            let id = match old {
                Some(_) => self.ids[name],
                None => {
                    let id = g.add(&new.kind)?;
                    self.ids.insert(name.clone(), id);
                    changes += 1;
                    id
                }
            };
            for (param, value) in &new.params {
                if old.and_then(|o| o.params.get(param)) != Some(value) {
                    g.set(id, param, *value)?;
                    changes += 1;
                }
            }
            for (setting, value) in &new.settings {
                if old.and_then(|o| o.settings.get(setting)) != Some(value) {
                    g.configure(id, setting, value.clone())?;
                    changes += 1;
                }
            }
        }
        for (from, to) in &plan.edges {
            let existed = self.plan.edges.contains(&(from.clone(), to.clone())) && survives(from) && survives(to);
            if !existed {
                let (Some(a), Some(b)) = (end(&self.ids, from), end(&self.ids, to)) else { continue };
                g.connect(a, b)?;
                changes += 1;
            }
        }
        self.plan = plan;
        self.last_changes = changes;
        Ok(())
    }

    /// Starts the song at `tick` from context frame `at` on every instrument.
    pub fn play(&self, g: &mut OfflineRenderer, project: &Project, at: u64, tick: u64) -> Result<(), EngineError> {
        let position =
            (tick as f64 * project.seconds_per_tick() * f64::from(g.controller().config().sample_rate)).round() as u64;
        let transport = SettingValue::Transport { at, playing: true, position, loop_start: 0, loop_end: 0 };
        for id in self.instruments().collect::<Vec<_>>() {
            g.configure(id, "transport", transport.clone())?;
        }
        Ok(())
    }
}
