//! Control side: a project as the engine graph that plays it. [`compile`] names every node by
//! what it is in the project (`t5.fader`, `b10.in`), so two compilations can be compared and
//! only what changed sent to the engine ([`GraphSync`]): editing a playing project never
//! rebuilds it.
//!
//! Each MIDI track is `synth → inserts → fader → pan`, into its mix group's sum for the master
//! (`g3.master`), with post-fader sends into its group's sum for each bus (`g3.b7`); an audio
//! track is the same from `in`, which every one of its clips (an `audio-clip` node each) feeds;
//! each bus is `in → inserts → fader → pan → master`; the master is `fader → pan` into the
//! destination.

use super::assets::{Sample, Samples};
use super::project::{ClipContent, Device, Lane, LaneTarget, Project, Strip, Track, TrackKind};
use crate::control::Controller;
use crate::graph::{Breakpoint, Edge, EngineError, NodeId, SequencedNote, SettingKind, SettingValue, PARAM_INPUT};
#[cfg(doc)]
use crate::offline::OfflineRenderer;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The engine's output, as an edge's end.
pub const DESTINATION: &str = "destination";
/// An edge's end `node@param` is a parameter of that node (a connection that modulates it).
const PARAM_MARK: char = '@';
/// Straight pieces each segment of a volume lane is laid as, so a fade moves evenly in dB.
const GAIN_LANE_PIECES: u64 = 16;

#[derive(Clone, Debug, PartialEq)]
pub struct PlannedNode {
    pub kind: String,
    pub params: BTreeMap<String, f32>,
    pub settings: BTreeMap<String, SettingValue>,
    /// The samples it plays, by setting (an audio clip's or a sampler's `buffer`, a drum
    /// kit's `pad36`), each sent once the node exists and the sample is there.
    pub samples: BTreeMap<String, String>,
}

/// The graph a project compiles to: nodes by name, and connections between names.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    pub nodes: BTreeMap<String, PlannedNode>,
    pub edges: BTreeSet<(String, String)>,
    /// Frames every sound reaches the master late by: the longest track chain's latency plus
    /// the longest bus chain's (shorter paths are delayed to match).
    pub latency: u64,
}

fn node(kind: &str) -> PlannedNode {
    PlannedNode { kind: kind.to_string(), params: BTreeMap::new(), settings: BTreeMap::new(), samples: BTreeMap::new() }
}

fn db_to_gain(db: f32) -> f32 {
    if db == f32::NEG_INFINITY {
        0.0
    } else {
        10f32.powf(db / 20.0)
    }
}

/// The notes of a track's MIDI clips on the song timeline, in frames at `sample_rate`; a note
/// is cut where its clip ends, and in a looped clip where its repeat ends.
pub fn sequence(project: &Project, track: &super::Track, sample_rate: f32) -> Vec<SequencedNote> {
    let map = project.tempo_map();
    let frame = |tick: u64| map.frame_at(tick, sample_rate);
    let mut notes = Vec::new();
    for clip in &track.clips {
        for (start, length, n) in clip.sounding() {
            let begins = clip.start + start;
            let (start, end) = (frame(begins), frame(begins + length));
            if end > start {
                notes.push(SequencedNote { start, length: end - start, key: n.key, velocity: n.velocity });
            }
        }
    }
    notes.sort_by_key(|n| (n.start, n.key));
    notes
}

/// A device as the node that plays it: its parameters, and its choices as the kind numbers them
/// (the edits checked every name).
fn device_node(d: &Device) -> PlannedNode {
    let mut n = node(&d.kind);
    n.params = d.params.clone();
    n.samples.extend(d.sample.iter().map(|s| ("buffer".to_string(), s.clone())));
    use crate::node::{pad_setting, PadSetting};
    for pad in &d.pads {
        if let (Some(setting), Some(sample)) = (pad_setting(pad.key, PadSetting::Sample), &pad.sample) {
            n.samples.insert(setting, sample.clone());
        }
        for (what, value) in [(PadSetting::Level, pad.level_db), (PadSetting::Tune, pad.tune)] {
            if let Some(setting) = pad_setting(pad.key, what).filter(|_| value != 0.0) {
                n.settings.insert(setting, SettingValue::Number(f64::from(value)));
            }
        }
    }
    if let Some((_, kind)) = crate::node::find(&d.kind) {
        for (name, choice) in &d.choices {
            let index = kind.spec.settings.iter().find(|s| s.name == name).and_then(|s| match s.kind {
                SettingKind::Choice { choices } => choices.iter().position(|c| c == choice),
                _ => None,
            });
            if let Some(i) = index {
                n.settings.insert(name.clone(), SettingValue::Choice(i as u8));
            }
        }
    }
    n
}

/// Frames a device delays its sound by (a limiter's lookahead, a compressor's pre-delay).
fn device_latency(d: &Device, sample_rate: f32) -> u64 {
    crate::node::find(&d.kind)
        .map_or(0, |(_, kind)| (kind.spec.latency_seconds * f64::from(sample_rate)).round() as u64)
}

/// Frames a chain of inserts delays its sound by (bypassed ones are not in the chain).
fn chain_latency(inserts: &[Device], sample_rate: f32) -> u64 {
    inserts.iter().filter(|d| !d.bypass).map(|d| device_latency(d, sample_rate)).sum()
}

/// A delay of `frames` after `from`, named `name` (none when `frames` is 0); returns the
/// chain's last node.
fn compensate(plan: &mut Plan, name: String, from: String, frames: u64, sample_rate: f32) -> String {
    if frames == 0 {
        return from;
    }
    let mut d = node("delay");
    d.params.insert("delayTime".into(), (frames as f64 / f64::from(sample_rate)) as f32);
    plan.nodes.insert(name.clone(), d);
    plan.edges.insert((from, name.clone()));
    name
}

/// Adds `inserts` after `from` (bypassed ones left out) and returns the last node's name.
fn chain(plan: &mut Plan, prefix: &str, from: String, inserts: &[Device]) -> String {
    let mut last = from;
    for d in inserts.iter().filter(|d| !d.bypass) {
        let name = format!("{prefix}.fx{}", d.id);
        plan.nodes.insert(name.clone(), device_node(d));
        plan.edges.insert((last, name.clone()));
        last = name;
    }
    last
}

/// Fader and pan after `from`, into `into` (through `to_master` frames of delay, which line the
/// channel up with the others at the master); returns the fader's name (sends leave there).
fn strip(
    plan: &mut Plan,
    prefix: &str,
    from: String,
    strip: &Strip,
    audible: bool,
    to_master: (u64, f32),
    into: String,
) -> String {
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
    let (frames, sample_rate) = to_master;
    let last = compensate(plan, format!("{prefix}.align"), pan, frames, sample_rate);
    plan.edges.insert((last, into));
    fader
}

/// Tracks are summed in this many groups (by id) before the master and each bus, so the mix
/// can be cut between groups for a bounce on several threads ([`cut`]) without changing the
/// order anything is summed in. By id, not position: adding or moving a track rewires only it.
pub const MIX_GROUPS: u32 = 8;

/// The node summing `track`'s group into the master (`bus` none) or into a bus: made with the
/// group's first track.
fn group_sum(plan: &mut Plan, track: super::Id, bus: Option<super::Id>) -> String {
    let group = track % MIX_GROUPS;
    let (name, into) = match bus {
        None => (format!("g{group}.master"), "master.fader".to_string()),
        Some(bus) => (format!("g{group}.b{bus}"), format!("b{bus}.in")),
    };
    if !plan.nodes.contains_key(&name) {
        plan.nodes.insert(name.clone(), node("gain"));
        plan.edges.insert((name.clone(), into));
    }
    name
}

/// The metronome's node: it plays to the destination directly (not through the master, and
/// never into a bounce).
pub const METRONOME: &str = "metronome.synth";
/// Bars of clicks past the song's end (or its loop's).
const METRONOME_BARS_PAST_END: u64 = 256;
const CLICK_SECONDS: f64 = 0.03;

/// Frames of one bar at the song's first tempo: the count-in's length, and how far the
/// metronome's timeline runs ahead of the song's. (A tempo change inside the first bar does not
/// change the count-in: it counts the tempo the song starts at.)
pub fn bar_frames(project: &Project, sample_rate: f32) -> u64 {
    count_in_frame(project, project.time_signature.bar_ticks(), sample_rate)
}

/// Frames of `ticks` at the song's first tempo.
fn count_in_frame(project: &Project, ticks: u64, sample_rate: f32) -> u64 {
    (ticks as f64 * 60.0 / (project.tempo_bpm * super::PPQ as f64) * f64::from(sample_rate)).round() as u64
}

/// A click on every beat, the first of each bar higher, as a synth's sequence. Its timeline runs
/// one bar ahead of the song's (its frame is the song's plus a bar) so that a count-in bar can
/// play before the song's first frame; each click lands on the very frame a note on that beat
/// starts.
fn metronome(project: &Project, sample_rate: f32) -> PlannedNode {
    let beat = project.time_signature.beat_ticks();
    let per_bar = i64::from(project.time_signature.numerator);
    let offset = bar_frames(project, sample_rate) as i64;
    let map = project.tempo_map();
    let end = super::song_end(project).max(project.loop_region.map_or(0, |r| r.end));
    let beats = (end / beat) as i64 + per_bar * METRONOME_BARS_PAST_END as i64;
    let length = (CLICK_SECONDS * f64::from(sample_rate)).round() as u64;
    let notes = (-per_bar..beats)
        .map(|b| {
            let start = if b < 0 {
                (offset - count_in_frame(project, b.unsigned_abs() * beat, sample_rate) as i64) as u64
            } else {
                (offset + map.frame_at(b.unsigned_abs() * beat, sample_rate) as i64) as u64
            };
            let key = if b.rem_euclid(per_bar) == 0 { 96 } else { 84 };
            SequencedNote { start, length, key, velocity: 100 }
        })
        .collect();
    let mut n = node("synth");
    for (name, value) in [
        ("gain", 0.35),
        ("cutoff", 12_000.0),
        ("resonance", 0.0),
        ("envAmount", 0.0),
        ("attack", 0.0005),
        ("decay", 0.03),
        ("sustain", 0.0),
        ("release", 0.01),
        ("detune", 0.0),
    ] {
        n.params.insert(name.into(), value);
    }
    n.settings.insert("waveform".into(), SettingValue::Choice(3));
    n.settings.insert("sequence".into(), SettingValue::Sequence(notes));
    n
}

/// Inserts, fader, pan and sends of a track whose sound starts at node `head`. Latency
/// compensation: the track is delayed to the longest track chain (`track_latency`) before its
/// fader, and its direct path to the master by the longest bus chain (`bus_latency`), so dry
/// sound and bus returns of every track meet the master together.
fn track_tail(plan: &mut Plan, track: &Track, head: String, audible: bool, latency: Latency) {
    let prefix = format!("t{}", track.id);
    let last = chain(plan, &prefix, head, &track.inserts);
    let short = latency.tracks - chain_latency(&track.inserts, latency.sample_rate);
    let last = compensate(plan, format!("{prefix}.pdc"), last, short, latency.sample_rate);
    let into = group_sum(plan, track.id, None);
    let fader = strip(plan, &prefix, last, &track.strip, audible, (latency.buses, latency.sample_rate), into);
    for send in &track.sends {
        let name = format!("{prefix}.send{}", send.bus);
        let mut g = node("gain");
        g.params.insert("gain".into(), if audible { db_to_gain(send.gain_db) } else { 0.0 });
        plan.nodes.insert(name.clone(), g);
        plan.edges.insert((fader.clone(), name.clone()));
        let into = group_sum(plan, track.id, Some(send.bus));
        plan.edges.insert((name, into));
    }
}

/// The node and parameter a lane moves on the channel whose nodes are named `prefix`, with
/// `instrument` and `inserts`, if that is in the graph (a bypassed device is not).
fn lane_destination(
    prefix: &str,
    instrument: Option<&Device>,
    inserts: &[Device],
    target: &LaneTarget,
) -> Option<(String, String)> {
    match target {
        LaneTarget::Gain => Some((format!("{prefix}.fader"), "gain".into())),
        LaneTarget::Pan => Some((format!("{prefix}.pan"), "pan".into())),
        LaneTarget::Param { device, param } => {
            if instrument.is_some_and(|d| d.id == *device) {
                return Some((format!("{prefix}.synth"), param.clone()));
            }
            let sounding = inserts.iter().any(|d| d.id == *device && !d.bypass);
            sounding.then(|| (format!("{prefix}.fx{device}"), param.clone()))
        }
    }
}

/// A lane's points in song frames, in the unit its parameter takes (a volume lane's dB become
/// gain, laid as short pieces so a fade is even in dB).
fn lane_points(project: &Project, lane: &Lane, sample_rate: f32) -> Vec<Breakpoint> {
    let map = project.tempo_map();
    let frame = |tick: u64| map.frame_at(tick, sample_rate);
    let mut points: Vec<Breakpoint> = Vec::with_capacity(lane.points.len());
    let mut push = |frame: u64, value: f32| {
        if points.last().is_none_or(|p| p.frame < frame) {
            points.push(Breakpoint { frame, value });
        }
    };
    match lane.target {
        LaneTarget::Gain => {
            for (i, p) in lane.points.iter().enumerate() {
                if let Some(prev) = i.checked_sub(1).map(|j| lane.points[j]) {
                    for k in 1..GAIN_LANE_PIECES {
                        let t = k as f64 / GAIN_LANE_PIECES as f64;
                        let tick = prev.tick as f64 + t * (p.tick - prev.tick) as f64;
                        let db = f64::from(prev.value) + t * f64::from(p.value - prev.value);
                        let at = (map.seconds_at(tick) * f64::from(sample_rate)).round() as u64;
                        push(at, db_to_gain(db as f32));
                    }
                }
                push(frame(p.tick), db_to_gain(p.value));
            }
        }
        _ => lane.points.iter().for_each(|p| push(frame(p.tick), p.value)),
    }
    points
}

/// A channel's lanes, for [`lanes`]: its nodes' prefix, devices and automation.
struct LaneChannel<'a> {
    prefix: String,
    instrument: Option<&'a Device>,
    inserts: &'a [Device],
    automation: &'a [Lane],
}

/// A node for each lane of a channel whose target is in the graph, feeding that parameter
/// (whose own value becomes 0: the lane gives all of it). A silent channel's volume lane is
/// left unconnected, so the fader's 0 holds.
fn lanes(plan: &mut Plan, project: &Project, channel: &LaneChannel<'_>, audible: bool, sample_rate: f32) {
    for lane in channel.automation {
        let destination = lane_destination(&channel.prefix, channel.instrument, channel.inserts, &lane.target);
        let Some((node_name, param)) = destination else { continue };
        let silenced = lane.target == LaneTarget::Gain && !audible;
        let Some(target) = plan.nodes.get_mut(&node_name).filter(|_| !silenced) else { continue };
        target.params.insert(param.clone(), 0.0);
        let name = format!("{node_name}.lane.{param}");
        let mut a = node("automation");
        a.settings.insert("points".into(), SettingValue::Breakpoints(lane_points(project, lane, sample_rate)));
        plan.nodes.insert(name.clone(), a);
        plan.edges.insert((name, format!("{node_name}{PARAM_MARK}{param}")));
    }
}

/// The longest insert chains' latencies, in frames, that shorter ones are delayed to match.
#[derive(Clone, Copy, Debug)]
struct Latency {
    tracks: u64,
    buses: u64,
    sample_rate: f32,
}

/// Whether any track of `project` is soloed (then only soloed tracks are heard).
fn soloing(project: &Project) -> bool {
    project.tracks.iter().any(|t| t.strip.solo)
}

/// Whether `track` is heard: not muted, and soloed if any track is (`soloing`).
fn heard(track: &Track, soloing: bool) -> bool {
    !track.strip.mute && (!soloing || track.strip.solo)
}

/// `plan` (of `project`) without the nodes of tracks no one hears. Their faders and sends are
/// at 0 (kept live, so unmuting is one parameter), so all they add to the mix is silence: a
/// bounce leaves them out, and a stem renders its own track rather than the whole song. The
/// latency compensation stays as the whole song has it, so the stems line up with the mix.
pub fn heard_only(mut plan: Plan, project: &Project) -> Plan {
    let soloing = soloing(project);
    let unheard: Vec<String> =
        project.tracks.iter().filter(|t| !heard(t, soloing)).map(|t| format!("t{}.", t.id)).collect();
    if unheard.is_empty() {
        return plan;
    }
    let gone = |name: &str| unheard.iter().any(|prefix| name.starts_with(prefix.as_str()));
    plan.nodes.retain(|name, _| !gone(name));
    plan.edges.retain(|(from, to)| !gone(from) && !gone(to));
    // A group's sums left with no track to sum go too (all they gave was silence), so a stem's
    // bounce is not cut into parts that hold nothing.
    let fed: BTreeSet<&str> = plan.edges.iter().map(|(_, to)| end_node(to)).collect();
    let empty: BTreeSet<String> = plan
        .nodes
        .keys()
        .filter(|name| name.starts_with('g') && group_of(name).is_some() && !fed.contains(name.as_str()))
        .cloned()
        .collect();
    plan.nodes.retain(|name, _| !empty.contains(name));
    plan.edges.retain(|(from, to)| !empty.contains(end_node(from)) && !empty.contains(end_node(to)));
    plan
}

/// The graph that plays `project` at `sample_rate`.
pub fn compile(project: &Project, sample_rate: f32) -> Plan {
    compile_live(project, sample_rate, false)
}

/// The graph that plays `project` live, with the metronome when `metronome`.
pub fn compile_live(project: &Project, sample_rate: f32, metronome_on: bool) -> Plan {
    let mut plan = Plan::default();
    let latency = Latency {
        tracks: project.tracks.iter().map(|t| chain_latency(&t.inserts, sample_rate)).max().unwrap_or(0),
        buses: project.buses.iter().map(|b| chain_latency(&b.inserts, sample_rate)).max().unwrap_or(0),
        sample_rate,
    };
    plan.latency = latency.tracks + latency.buses;
    if metronome_on {
        plan.nodes.insert(METRONOME.into(), metronome(project, sample_rate));
        // The clicks are delayed as the mix is, so they stay on its beats.
        let delay = plan.latency;
        let last = compensate(&mut plan, "metronome.align".into(), METRONOME.into(), delay, sample_rate);
        plan.edges.insert((last, DESTINATION.into()));
    }
    let mut master = node("gain");
    master.params.insert("gain".into(), if project.master.mute { 0.0 } else { db_to_gain(project.master.gain_db) });
    plan.nodes.insert("master.fader".into(), master);
    let mut master_pan = node("stereo-panner");
    master_pan.params.insert("pan".into(), project.master.pan);
    plan.nodes.insert("master.pan".into(), master_pan);
    plan.edges.insert(("master.fader".into(), "master.pan".into()));
    plan.edges.insert(("master.pan".into(), DESTINATION.into()));
    let master_lanes =
        LaneChannel { prefix: "master".into(), instrument: None, inserts: &[], automation: &project.master_automation };
    lanes(&mut plan, project, &master_lanes, !project.master.mute, sample_rate);
    let soloing = soloing(project);
    for bus in &project.buses {
        let prefix = format!("b{}", bus.id);
        let input = format!("{prefix}.in");
        plan.nodes.insert(input.clone(), node("gain"));
        let last = chain(&mut plan, &prefix, input, &bus.inserts);
        let short = latency.buses - chain_latency(&bus.inserts, sample_rate);
        let last = compensate(&mut plan, format!("{prefix}.pdc"), last, short, sample_rate);
        strip(&mut plan, &prefix, last, &bus.strip, !bus.strip.mute, (0, sample_rate), "master.fader".into());
        let channel = LaneChannel { prefix, instrument: None, inserts: &bus.inserts, automation: &bus.automation };
        lanes(&mut plan, project, &channel, !bus.strip.mute, sample_rate);
    }
    let map = project.tempo_map();
    let frame = |tick: u64| map.frame_at(tick, sample_rate) as f64;
    for track in &project.tracks {
        let prefix = format!("t{}", track.id);
        let audible = heard(track, soloing);
        let head = match track.kind {
            TrackKind::Midi => {
                let synth = format!("{prefix}.synth");
                let mut s = track.instrument.as_ref().map_or_else(|| node("synth"), device_node);
                s.settings.insert("sequence".into(), SettingValue::Sequence(sequence(project, track, sample_rate)));
                plan.nodes.insert(synth.clone(), s);
                synth
            }
            TrackKind::Audio => {
                let input = format!("{prefix}.in");
                plan.nodes.insert(input.clone(), node("gain"));
                for clip in &track.clips {
                    let ClipContent::Audio { asset, offset, gain_db, .. } = &clip.content else { continue };
                    // The clip's gain and fades, as song frames every repeat shares.
                    let (rise, fall) = clip.fades();
                    let (clip_start, clip_end) = (frame(clip.start), frame(clip.start + clip.length));
                    let mut shape = Vec::new();
                    if *gain_db != 0.0 {
                        shape.push(("gain", 10f64.powf(f64::from(*gain_db) / 20.0)));
                    }
                    if rise > 0 {
                        shape.extend([("fadeInStart", clip_start), ("fadeIn", frame(clip.start + rise) - clip_start)]);
                    }
                    if fall > 0 {
                        let fall_start = frame(clip.start + clip.length - fall);
                        shape.extend([("fadeOutEnd", clip_end), ("fadeOut", clip_end - fall_start)]);
                    }
                    // A node per repeat of a looped clip, each from where its repeat starts in
                    // the sample (the sample keeps its speed: a repeat is as many of its frames
                    // as the repeat's ticks last).
                    for (k, (at, from, length)) in clip.repeats().into_iter().enumerate() {
                        let name = match k {
                            0 => format!("{prefix}.clip{}", clip.id),
                            _ => format!("{prefix}.clip{}.{k}", clip.id),
                        };
                        let mut c = node("audio-clip");
                        let begins = clip.start + at;
                        let (start, end) = (frame(begins), frame(begins + length));
                        // Measured just before the repeat (or, too near the song's start for
                        // that, just after the song's start), as the page draws it.
                        let measured = begins.max(from);
                        let into = frame(measured) - frame(measured - from);
                        c.settings.insert("start".into(), SettingValue::Number(start));
                        c.settings.insert("length".into(), SettingValue::Number(end - start));
                        c.settings.insert("offset".into(), SettingValue::Number(*offset as f64 + into));
                        c.samples.insert("buffer".into(), asset.clone());
                        for &(setting, value) in &shape {
                            c.settings.insert(setting.into(), SettingValue::Number(value));
                        }
                        plan.nodes.insert(name.clone(), c);
                        plan.edges.insert((name, input.clone()));
                    }
                }
                input
            }
        };
        track_tail(&mut plan, track, head, audible, latency);
        let channel = LaneChannel {
            prefix,
            instrument: track.instrument.as_ref(),
            inserts: &track.inserts,
            automation: &track.automation,
        };
        lanes(&mut plan, project, &channel, audible, sample_rate);
    }
    plan
}

/// A project's graph cut for a parted bounce: the mix groups of tracks shared among `parts`
/// plans that render side by side, and the plan that mixes them (`mix`: buses and master).
/// Where a group's sound leaves its part, the part has a `part-out` (named `{node}>out`) after
/// that node, and the mix a `part-in` named as the node itself, wired as the node was — so the
/// mix renders the same samples as the whole graph, bit for bit.
#[derive(Clone, Debug, PartialEq)]
pub struct Cut {
    pub parts: Vec<Plan>,
    /// Each part's sources that leave it, in the order its `part-out`s are named.
    pub leaving: Vec<Vec<String>>,
    pub mix: Plan,
}

/// The mix group a node belongs to: a track's (`t12.fader`: 12 mod [`MIX_GROUPS`]) or a
/// group's sum (`g4.master`), or none (buses, master).
fn group_of(name: &str) -> Option<u32> {
    let (head, _) = name.split_once('.')?;
    let number = |digits: &str| digits.parse::<u32>().ok().filter(|_| digits.bytes().all(|b| b.is_ascii_digit()));
    match head.split_at_checked(1)? {
        ("t", id) => number(id).map(|id| id % MIX_GROUPS),
        ("g", group) => number(group),
        _ => None,
    }
}

/// The name of the `part-out` that keeps what `source` sends out of its part.
pub fn part_out_name(source: &str) -> String {
    format!("{source}>out")
}

/// `plan` cut into `parts` parts of whole mix groups, each part about as big as the others (in
/// nodes); `None` when there are fewer than two groups or two parts, or a group is fed from
/// outside itself (nothing the compiler makes today), where a cut would change the sound.
pub fn cut(plan: &Plan, parts: usize) -> Option<Cut> {
    let mut sizes: BTreeMap<u32, usize> = BTreeMap::new();
    for name in plan.nodes.keys() {
        if let Some(group) = group_of(name) {
            *sizes.entry(group).or_default() += 1;
        }
    }
    let parts = parts.min(sizes.len());
    if parts < 2 {
        return None;
    }
    let mut biggest_first: Vec<(u32, usize)> = sizes.into_iter().collect();
    biggest_first.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut load = vec![0; parts];
    let mut part_of: BTreeMap<u32, usize> = BTreeMap::new();
    for (group, size) in biggest_first {
        let lightest = (0..parts).min_by_key(|&p| load[p]).expect("at least two parts");
        load[lightest] += size;
        part_of.insert(group, lightest);
    }
    let part = |end: &str| group_of(end_node(end)).map(|g| part_of[&g]);
    let mut cut = Cut {
        parts: vec![Plan::default(); parts],
        leaving: vec![Vec::new(); parts],
        mix: Plan { latency: plan.latency, ..Plan::default() },
    };
    for (name, n) in &plan.nodes {
        let into = match part(name) {
            Some(p) => &mut cut.parts[p],
            None => &mut cut.mix,
        };
        into.nodes.insert(name.clone(), n.clone());
    }
    for (from, to) in &plan.edges {
        match (part(from), part(to)) {
            (Some(p), Some(q)) if p == q => {
                cut.parts[p].edges.insert((from.clone(), to.clone()));
            }
            (None, None) => {
                cut.mix.edges.insert((from.clone(), to.clone()));
            }
            (Some(p), None) => {
                if !cut.mix.nodes.contains_key(from) {
                    cut.mix.nodes.insert(from.clone(), node("part-in"));
                    let out = part_out_name(from);
                    cut.parts[p].nodes.insert(out.clone(), node("part-out"));
                    cut.parts[p].edges.insert((from.clone(), out));
                    cut.leaving[p].push(from.clone());
                }
                cut.mix.edges.insert((from.clone(), to.clone()));
            }
            _ => return None,
        }
    }
    Some(cut)
}

/// A compiled project kept in step with an engine's control side (the page's controller, or an
/// [`OfflineRenderer`]'s): each [`GraphSync::sync`] sends only the difference from the last plan.
#[derive(Debug, Default)]
pub struct GraphSync {
    plan: Plan,
    ids: BTreeMap<String, NodeId>,
    /// The samples audio clips play, by name; a clip whose sample is missing stays silent.
    pub samples: Samples,
    /// Nodes that have been sent a sample, with the setting it went to.
    buffered: BTreeSet<(String, String)>,
    /// Samples sent to the engine once for every clip that plays them: the sample as it was
    /// sent, and its stored buffer.
    stored: BTreeMap<String, (Arc<Sample>, u32)>,
    /// The last transport sent, for clip nodes made while the song plays (and the metronome's).
    transport: Option<SettingValue>,
    metronome_transport: Option<SettingValue>,
    /// Requests the last sync sent, for tests of incremental updates.
    pub last_changes: usize,
}

/// Kinds that play on the song's timeline and take its transport.
fn on_timeline(kind: &str) -> bool {
    crate::node::find(kind).is_some_and(|(_, t)| t.spec.setting_index("transport").is_some())
}

fn set_param(g: &mut Controller, id: NodeId, name: &str, value: f32) -> Result<(), EngineError> {
    let param = g.param_index(id, name)?;
    g.set_value(id, param, value)
}

fn configure(g: &mut Controller, id: NodeId, name: &str, value: SettingValue) -> Result<(), EngineError> {
    let setting = g.setting_index(id, name)?;
    g.configure(id, setting, value)
}

/// The stored buffer of sample `name` as it is now, sending it if it was not sent (or was
/// replaced since).
fn stored_buffer(
    stored: &mut BTreeMap<String, (Arc<Sample>, u32)>,
    g: &mut Controller,
    name: &str,
    sample: &Arc<Sample>,
) -> Result<u32, EngineError> {
    if let Some((sent, buffer)) = stored.get(name) {
        if Arc::ptr_eq(sent, sample) {
            return Ok(*buffer);
        }
        g.release_buffer(*buffer)?;
        stored.remove(name);
    }
    let buffer = g.store_buffer(sample.sample_rate, &sample.channels)?;
    stored.insert(name.to_string(), (Arc::clone(sample), buffer));
    Ok(buffer)
}

/// The engine connection between two planned ends (`to` may name a parameter, `node@param`).
fn edge(g: &Controller, ids: &BTreeMap<String, NodeId>, from: &str, to: &str) -> Result<Option<Edge>, EngineError> {
    let id = |name: &str| if name == DESTINATION { Some(g.destination()) } else { ids.get(name).copied() };
    let (node, param) = match to.split_once(PARAM_MARK) {
        Some((node, param)) => (node, Some(param)),
        None => (to, None),
    };
    let (Some(a), Some(b)) = (id(from), id(node)) else { return Ok(None) };
    let input = match param {
        Some(p) => PARAM_INPUT + g.param_index(b, p)?,
        None => 0,
    };
    Ok(Some(Edge { from: a, output: 0, to: b, input }))
}

/// The node an edge's end belongs to (`node@param` is `node`'s).
fn end_node(end: &str) -> &str {
    end.split_once(PARAM_MARK).map_or(end, |(node, _)| node)
}

impl GraphSync {
    pub fn id(&self, name: &str) -> Option<NodeId> {
        self.ids.get(name).copied()
    }

    /// Every node that follows the song's transport: synths, audio clips and automation lanes
    /// (not the metronome, whose timeline runs a bar ahead).
    pub fn timeline_nodes(&self) -> impl Iterator<Item = NodeId> + '_ {
        let follows = |name: &str, n: &PlannedNode| name != METRONOME && on_timeline(&n.kind);
        self.plan.nodes.iter().filter(move |(name, n)| follows(name, n)).filter_map(|(name, _)| self.id(name))
    }

    /// Frames the live mix reaches the output late by (compensated insert latency).
    pub fn latency(&self) -> u64 {
        self.plan.latency
    }

    /// Adds (or replaces) a sample; clips that play it get it at the next sync.
    pub fn add_sample(&mut self, name: &str, sample: Sample) {
        self.samples.insert(name.to_string(), Arc::new(sample));
        let plan = &self.plan;
        self.buffered.retain(|(node, setting)| {
            plan.nodes.get(node).and_then(|n| n.samples.get(setting)).map(String::as_str) != Some(name)
        });
    }

    /// Brings the engine from the last plan to `plan`. A refusal part way (a full engine) leaves
    /// the engine with part of the change; the next sync starts from a clean graph.
    pub fn sync(&mut self, g: &mut Controller, plan: Plan) -> Result<(), EngineError> {
        let result = self.apply(g, &plan);
        match result {
            Ok(changes) => {
                self.plan = plan;
                self.last_changes = changes;
                Ok(())
            }
            Err(e) => {
                self.release(g);
                Err(e)
            }
        }
    }

    /// Removes every node this graph made (its project is closing); a later sync builds anew.
    pub fn release(&mut self, g: &mut Controller) {
        for id in core::mem::take(&mut self.ids).into_values() {
            // A node already gone (removed by hand) needs no removing.
            let _ = g.remove_node(id);
        }
        self.plan = Plan::default();
        self.buffered.clear();
        for (_, buffer) in core::mem::take(&mut self.stored).into_values() {
            // Released already if the engine was made anew.
            let _ = g.release_buffer(buffer);
        }
    }

    fn apply(&mut self, g: &mut Controller, plan: &Plan) -> Result<usize, EngineError> {
        let mut changes = 0;
        let survives = |end: &str| {
            let name = end_node(end);
            name == DESTINATION || plan.nodes.get(name).map(|n| &n.kind) == self.plan.nodes.get(name).map(|n| &n.kind)
        };
        // Connections of nodes that go are gone with them; the others are undone one by one.
        for (from, to) in self.plan.edges.difference(&plan.edges) {
            if survives(from) && survives(to) {
                if let Some(e) = edge(g, &self.ids, from, to)? {
                    g.disconnect(e)?;
                    changes += 1;
                }
            }
        }
        for (name, old) in &self.plan.nodes {
            let replaced = plan.nodes.get(name).is_none_or(|n| n.kind != old.kind);
            if replaced {
                if let Some(id) = self.ids.remove(name) {
                    self.buffered.retain(|(node, _)| node != name);
                    g.remove_node(id)?;
                    changes += 1;
                }
            }
        }
        for (name, new) in &plan.nodes {
            let old = self.plan.nodes.get(name).filter(|o| o.kind == new.kind && self.ids.contains_key(name));
            let id = match old {
                Some(_) => self.ids[name],
                None => {
                    let id = g.add_node(&new.kind)?;
                    self.ids.insert(name.clone(), id);
                    changes += 1;
                    id
                }
            };
            for (param, value) in &new.params {
                if old.and_then(|o| o.params.get(param)) != Some(value) {
                    set_param(g, id, param, *value)?;
                    changes += 1;
                }
            }
            for (setting, value) in &new.settings {
                if old.and_then(|o| o.settings.get(setting)) != Some(value) {
                    configure(g, id, setting, value.clone())?;
                    changes += 1;
                }
            }
            // What an edit took back (an undone knob, a choice reset) returns to its default.
            if let (Some(old), Some((_, kind))) = (old, crate::node::find(&new.kind)) {
                for param in kind.spec.params.iter().filter(|p| old.params.contains_key(p.name)) {
                    if !new.params.contains_key(param.name) {
                        set_param(g, id, param.name, param.default)?;
                        changes += 1;
                    }
                }
                for (setting, value) in old.settings.iter().filter(|(s, _)| !new.settings.contains_key(*s)) {
                    let default = kind.spec.settings.iter().find(|s| s.name == setting).and_then(|s| s.default);
                    let back = match value {
                        SettingValue::Choice(_) => Some(SettingValue::Choice(0)),
                        SettingValue::Number(_) => default.map(SettingValue::Number),
                        _ => None,
                    };
                    if let Some(back) = back {
                        configure(g, id, setting, back)?;
                        changes += 1;
                    }
                }
            }
            let no_samples = BTreeMap::new();
            let old_samples = old.map_or(&no_samples, |o| &o.samples);
            let settings: BTreeSet<&String> = old_samples.keys().chain(new.samples.keys()).collect();
            for setting in settings {
                let key = (name.clone(), setting.clone());
                let sample_changed = old.is_some() && old_samples.get(setting) != new.samples.get(setting);
                if sample_changed {
                    self.buffered.remove(&key);
                }
                match new.samples.get(setting).and_then(|s| self.samples.get_key_value(s)) {
                    Some((sample_name, sample)) if !self.buffered.contains(&key) => {
                        let (sample_name, sample) = (sample_name.clone(), Arc::clone(sample));
                        let buffer = stored_buffer(&mut self.stored, g, &sample_name, &sample)?;
                        configure(g, id, setting, SettingValue::Stored(buffer))?;
                        self.buffered.insert(key);
                        changes += 1;
                    }
                    // Taken away, or named but not given: the node lets its old sample go.
                    None if sample_changed => {
                        let nothing =
                            SettingValue::Samples { sample_rate: g.config().sample_rate, channels: vec![Vec::new()] };
                        configure(g, id, setting, nothing)?;
                        changes += 1;
                    }
                    _ => {}
                }
            }
            // Timeline nodes made while the song plays join it (they catch up from `at`).
            let joining = if name == METRONOME { &self.metronome_transport } else { &self.transport };
            if old.is_none() && on_timeline(&new.kind) {
                if let Some(t) = joining {
                    configure(g, id, "transport", t.clone())?;
                }
            }
        }
        for (from, to) in &plan.edges {
            let existed = self.plan.edges.contains(&(from.clone(), to.clone())) && survives(from) && survives(to);
            if !existed {
                let Some(e) = edge(g, &self.ids, from, to)? else { continue };
                g.connect(e)?;
                changes += 1;
            }
        }
        // A sample no clip plays any more gives its memory back (once the clips that played
        // it are gone).
        let used: BTreeSet<&str> = plan.nodes.values().flat_map(|n| n.samples.values().map(String::as_str)).collect();
        let unused: Vec<String> = self.stored.keys().filter(|name| !used.contains(name.as_str())).cloned().collect();
        for name in unused {
            if let Some((_, buffer)) = self.stored.remove(&name) {
                g.release_buffer(buffer)?;
            }
        }
        Ok(changes)
    }

    /// Plays the song from `tick` starting at context frame `at` on every instrument, looping
    /// the project's loop region when `looping`.
    pub fn play(
        &mut self,
        g: &mut Controller,
        project: &Project,
        at: u64,
        tick: u64,
        looping: bool,
    ) -> Result<(), EngineError> {
        self.play_counting_in(g, project, at, tick, looping, false).map(|_| ())
    }

    /// As [`GraphSync::play`]; with `count_in`, the metronome first plays the bar before `tick`
    /// from `at`, at the tempo there (before the song's start, its first tempo), and the song
    /// starts after it. Returns the context frame the song starts at.
    pub fn play_counting_in(
        &mut self,
        g: &mut Controller,
        project: &Project,
        at: u64,
        tick: u64,
        looping: bool,
        count_in: bool,
    ) -> Result<u64, EngineError> {
        let sample_rate = g.config().sample_rate;
        let frame = |tick: u64| project.frame_at(tick, sample_rate);
        let (loop_start, loop_end) = match (looping, project.loop_region) {
            (true, Some(r)) => (frame(r.start), frame(r.end)),
            _ => (0, 0),
        };
        let bar = bar_frames(project, sample_rate);
        // The metronome's frame is the song's plus a bar (before the song's first frame, bars at
        // its first tempo): counting in, it starts on the frame of the bar before `tick`.
        let bar_ticks = project.time_signature.bar_ticks();
        let bar_before = match tick.checked_sub(bar_ticks) {
            Some(earlier) => frame(earlier) + bar,
            None => bar - count_in_frame(project, bar_ticks - tick, sample_rate),
        };
        let count = if count_in { frame(tick) + bar - bar_before } else { 0 };
        let song_at = at + count;
        let transport =
            SettingValue::Transport { at: song_at, playing: true, position: frame(tick), loop_start, loop_end };
        let (ls, le) = if loop_end > loop_start { (loop_start + bar, loop_end + bar) } else { (0, 0) };
        let click = SettingValue::Transport {
            at,
            playing: true,
            position: if count_in { bar_before } else { frame(tick) + bar },
            loop_start: ls,
            loop_end: le,
        };
        self.transport(g, transport)?;
        self.metronome(g, click)?;
        Ok(song_at)
    }

    fn metronome(&mut self, g: &mut Controller, transport: SettingValue) -> Result<(), EngineError> {
        if let Some(id) = self.id(METRONOME) {
            configure(g, id, "transport", transport.clone())?;
        }
        self.metronome_transport = Some(transport);
        Ok(())
    }

    /// Stops the song at context frame `at` (held notes are released).
    pub fn stop(&mut self, g: &mut Controller, at: u64) -> Result<(), EngineError> {
        let stopped = SettingValue::Transport { at, playing: false, position: 0, loop_start: 0, loop_end: 0 };
        self.transport(g, stopped.clone())?;
        self.metronome(g, stopped)
    }

    fn transport(&mut self, g: &mut Controller, transport: SettingValue) -> Result<(), EngineError> {
        for id in self.timeline_nodes().collect::<Vec<_>>() {
            configure(g, id, "transport", transport.clone())?;
        }
        self.transport = Some(transport);
        Ok(())
    }

    /// A note played live on track `track`'s instrument (velocity 0 releases it); false when the
    /// track has none.
    pub fn live_note(&self, g: &mut Controller, track: super::Id, key: u8, velocity: u8) -> Result<bool, EngineError> {
        let Some(id) = self.id(&format!("t{track}.synth")) else { return Ok(false) };
        configure(g, id, "note", SettingValue::Note { key, velocity })?;
        Ok(true)
    }
}
