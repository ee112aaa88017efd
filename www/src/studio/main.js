// Main thread: the workstation page (index.html). The project lives in a wasm Session (the
// model, its undo history, and the engine graph it compiles into); every change is an Edit the
// Session checks, then the UI re-renders from `session.project()` and the engine is brought in
// step with `session.sync`, which sends only what changed. Notes play from sequences inside
// the engine, started sample-accurately by the transport — no JS timers schedule audio.
import { EngineClient, compileEngine } from '../engine/index.js';
import { Session, readWav } from '../../../pkg/quaver.js';
import { decodeSample, freshName, peaksOf } from './audio.js';
import { startBounce } from './bouncing.js';
import { laneOf, laneTargets, targetKey } from './automation.js';
import { loopTakes, Microphone, placeTake, takeFirstFrame } from './microphone.js';
import { AnalysisView } from './analysis.js';
import { DevicePanel } from './devicepanel.js';
import { LIBRARY_DRAG, Library } from './library.js';
import { ask, startThreads } from './threads.js';
import { ComputerKeyboard, connectMidi, typingInField } from './input.js';
import { Mixer, MASTER } from './mixer.js';
import { PianoRoll } from './pianoroll.js';
import { UNREADABLE, autosaver, getSample, loadAutosave, putSample, writeAutosave } from './storage.js';
import { PPQ, barTicks, formatBarsBeats, formatSeconds, gridTicks, snap, snapDown } from './time.js';
import { TRACK_COLOURS, Timeline } from './timeline.js';
import { el, reorderable } from './dom.js';
import { clipFades, contentLength, contentTick } from './notes.js';
import { allNotes, compEdits, mergedTakes, midiLoopTakes, midiSpan, takeOf } from './takes.js';

const $ = (id) => document.getElementById(id);
/** How far ahead of "now" a play command is scheduled, so it reaches the worklet in time. */
const LEAD_SECONDS = 0.06;
/** A note auditioned by clicking in the piano roll sounds this long. */
const AUDITION_MS = 250;
const STARTER_BARS = 4;

const app = {
  context: null, engine: null, session: null, project: null,
  selection: { track: null, clip: null, channel: null },
  /** Where the song is when stopped, in ticks. */
  position: 0,
  /** While playing: the context frame and song tick it started from. */
  transport: null,
  looping: false,
  metronome: false,
  countIn: false,
  /** Whether notes recorded over the loop go into the song as they are played (not takes). */
  overdub: false,
  recording: null,
  /** Counts changes to the project (edits, undo, redo, loads), so a later edit can tell whether
   * it directly follows another. */
  changes: 0,
  /** The automation lane shown over its track's row: `{ track, key }`, or null. */
  automation: null,
  /** Whether the tempo row shows under the ruler. */
  showTempo: false,
  /** Tracks whose take lanes show: a row per take under the track's own. */
  takeLanes: new Set(),
  /** The open project's tempo map (a wasm object, made again when the tempo changes). */
  tempo: null,
  midiStatus: '',
  lastBounce: null,
  tab: 'roll',
  /** The samples audio clips play, by name: `{ sampleRate, channels, peaks }`. */
  samples: new Map(),
};
// For the console and for browser tests.
window.quaver = app;

let messageTimer = null;
function showMessage(text, kind = 'error') {
  const box = $('message');
  box.textContent = text;
  box.className = `message${kind === 'info' ? ' info' : ''}`;
  box.hidden = false;
  clearTimeout(messageTimer);
  messageTimer = setTimeout(() => { box.hidden = true; }, kind === 'info' ? 4000 : 9000);
}

const describe = (err) => err?.message ?? String(err);

// ---- Editing --------------------------------------------------------------------------------

/**
 * Applies one edit. `continuing`: part of the same gesture as the last (one undo step);
 * `joined`: part of the last step, whatever it was (an overdub's later passes);
 * `quiet`: only the canvases redraw (a slider being dragged is not rebuilt under the pointer).
 * Returns whether the edit was taken.
 */
app.edit = (edit, { continuing = false, joined = false, quiet = false } = {}) => {
  try {
    if (joined) app.session.editJoined(edit);
    else if (continuing) app.session.editContinuing(edit);
    else app.session.edit(edit);
  } catch (err) {
    showMessage(describe(err));
    return false;
  }
  changed({ quiet });
  return true;
};

const tempoOf = (project) => JSON.stringify([project.tempo_bpm, project.tempo_changes]);

function changed({ quiet = false } = {}) {
  app.changes += 1;
  const before = app.project;
  app.project = app.session.project();
  const retimed = !before || tempoOf(before) !== tempoOf(app.project);
  if (retimed) {
    app.tempo?.free();
    app.tempo = app.session.tempoMap();
  }
  syncEngine();
  if (app.transport && before && retimed) {
    // Sequences are laid out in frames at the tempo: start them again from where the song is.
    replay();
  }
  app.autosave?.();
  if (quiet) draw();
  else app.refresh();
}

function syncEngine() {
  app.engine.call(() => app.session.sync(app.engine.controller));
}

app.undo = () => historyStep(() => app.session.undo());
app.redo = () => historyStep(() => app.session.redo());

function historyStep(step) {
  try {
    if (step()) changed();
  } catch (err) {
    showMessage(describe(err));
  }
}

function freshIds(count) {
  const first = app.session.freshId();
  return Array.from({ length: count }, (_, i) => first + i);
}

const defaultStrip = () => ({ gain_db: 0, pan: 0, mute: false, solo: false });

/** Adds a MIDI track playing `kind` (the synth, or the drum kit), named after it. */
app.addTrack = (kind = 'synth') => {
  const [id, device] = freshIds(2);
  const label = { drums: 'Drums', sampler: 'Sampler' }[kind] ?? 'Synth';
  const number = app.project.tracks.filter((t) => (t.instrument?.kind ?? 'synth') === kind).length + 1;
  const track = {
    id, name: `${label} ${number}`, kind: 'midi', instrument: { id: device, kind, params: {}, bypass: false },
    clips: [], strip: defaultStrip(), inserts: [], sends: [], automation: [],
  };
  if (app.edit({ edit: 'addTrack', index: app.project.tracks.length, track })) app.select({ track: id, clip: null });
  return id;
};

/** Gives a MIDI track a new instrument of `kind`, at its defaults. */
app.setInstrument = (track, kind) => {
  const [id] = freshIds(1);
  app.edit({ edit: 'setInstrument', track: track.id, instrument: { id, kind, params: {}, bypass: false } });
};

/** The computer keyboard plays a drum kit from its kick, a piano from its own octave: whichever the notes go to. */
function syncKeyboardRange() {
  if (app.project) app.keyboard?.switchRange(app.keyNames(noteTarget()) ? 'named' : 'piano');
}

/** Each kind's key names, made once. */
const keyNamesOfKind = new Map();

/** The names an instrument gives its keys (a drum kit's drums), from the engine's description: key → name. */
app.keyNames = (track) => {
  if (track?.kind !== 'midi') return null;
  const kind = track.instrument?.kind ?? 'synth';
  if (!keyNamesOfKind.has(kind)) {
    const keys = app.engine.kinds.get(kind)?.keys ?? [];
    keyNamesOfKind.set(kind, keys.length ? new Map(keys.map(({ key, name }) => [key, name])) : null);
  }
  return keyNamesOfKind.get(kind);
};

app.addAudioTrack = () => {
  const [id] = freshIds(1);
  const number = app.project.tracks.filter((t) => t.kind === 'audio').length + 1;
  const track = { id, name: `Audio ${number}`, kind: 'audio', instrument: null, clips: [], strip: defaultStrip(), inserts: [], sends: [], automation: [] };
  if (app.edit({ edit: 'addTrack', index: app.project.tracks.length, track })) app.select({ track: id, clip: null });
  return id;
};

app.addBus = () => {
  const [id, reverb] = freshIds(2);
  const inserts = app.engine.kinds.has('reverb') ? [{ id: reverb, kind: 'reverb', params: {}, bypass: false }] : [];
  const bus = { id, name: `Bus ${app.project.buses.length + 1}`, strip: defaultStrip(), inserts, automation: [] };
  if (app.edit({ edit: 'addBus', index: app.project.buses.length, bus })) showTab('mixer');
  return id;
};

app.addInsert = (channel, kind) => {
  const [id] = freshIds(1);
  const owner = channel === MASTER ? null : app.project.tracks.find((t) => t.id === channel) ?? app.project.buses.find((b) => b.id === channel);
  const index = owner ? owner.inserts.length : 0;
  if (app.edit({ edit: 'addInsert', track: channel, index, device: { id, kind, params: {}, bypass: false } })) app.showDevice(channel, id);
};

app.showDevice = (channel, device) => {
  app.selection.channel = channel;
  app.devicePanel.focused = device;
  showTab('device');
};

app.addMidiClip = (track, start, length) => {
  const [id] = freshIds(1);
  const clip = { id, start, length, content: { type: 'midi', notes: [] } };
  if (app.edit({ edit: 'addClip', track: track.id, clip })) {
    app.select({ track: track.id, clip: id });
    showTab('roll');
  }
  return id;
};

app.moveClip = (track, clip, target, start) => {
  if (!target || target.id === track.id) {
    app.edit({ edit: 'setClipSpan', track: track.id, clip: clip.id, start, length: clip.length });
    return;
  }
  const edits = [{ edit: 'removeClip', track: track.id, clip: clip.id }, { edit: 'addClip', track: target.id, clip: { ...clip, start } }];
  if (app.edit({ edit: 'batch', edits })) app.select({ track: target.id, clip: clip.id });
};

/** Sets the points of one automation lane of `track` (none: the lane goes). */
app.setLane = (track, target, points) => {
  const sorted = [...points].sort((a, b) => a.tick - b.tick);
  return app.edit({ edit: 'setLane', track: track.id, target, points: sorted.length ? sorted : null });
};

/**
 * Sets the tempo map from the tempo row's points: the first (tick 0) is the song's tempo, each
 * other a change (one undo step).
 */
app.setTempoMap = (points) => {
  const sorted = [...points].sort((a, b) => a.tick - b.tick);
  const round = (bpm) => Math.round(bpm * 10) / 10;
  const changes = sorted.slice(1).map((p) => ({ tick: p.tick, bpm: round(p.value), ramp: p.ramp !== false }));
  return app.edit({ edit: 'batch', edits: [{ edit: 'setTempo', bpm: round(sorted[0].value) }, { edit: 'setTempoChanges', changes }] });
};

app.toggleTempoMap = () => {
  app.showTempo = !app.showTempo;
  $('tempo-map').setAttribute('aria-pressed', String(app.showTempo));
  $('tempo-head').hidden = !app.showTempo;
  draw();
};

/**
 * The buses and the master as rows under the tracks: they hold no clips, only automation lanes
 * (volume, pan and their inserts' parameters).
 */
app.channelRows = () => [
  ...app.project.buses.map((b) => ({ ...b, kind: 'bus', clips: [], instrument: null })),
  { id: MASTER, name: 'Master', kind: 'master', clips: [], instrument: null, strip: app.project.master, inserts: [], automation: app.project.master_automation },
];

/** How many takes a track's take folders have (the most of any of its clips; 0: none). */
const takesOnTrack = (track) => Math.max(0, ...track.clips.map((c) => takeOf(c.content).count));

/** A track's take lanes while they show: a row per take, the take's part of each folder on it. */
function takeRows(track) {
  if (!app.takeLanes.has(track.id)) return [];
  return Array.from({ length: takesOnTrack(track) }, (_, take) => ({ kind: 'take', id: null, name: `Take ${take + 1}`, track, take, clips: [], automation: [] }));
}

/** Every row of the timeline: the tracks (each with its take lanes, where they show), then the buses and the master. */
app.rows = () => [...app.project.tracks.flatMap((t) => [t, ...takeRows(t)]), ...app.channelRows()];

/** Shows or hides the take lanes under track `trackId`. */
app.toggleTakeLanes = (trackId) => {
  if (!app.takeLanes.delete(trackId)) app.takeLanes.add(trackId);
  renderTrackList();
  draw();
};

/**
 * Comping: take `take` of `track`'s take folders plays from tick `from` to `to`, the folders cut
 * where the span's edges fall inside them (one undo step). The clip that then plays it is selected.
 */
app.compTake = (track, from, to, take) => {
  const framesInto = (clip, tick) => {
    const sample = app.samples.get(clip.content.asset);
    if (!sample) throw new Error(`The clip's sample (${clip.content.asset}) is missing, so where to cut it is not known`);
    return Math.round(app.tempo.frameAt(tick, sample.sampleRate) - app.tempo.frameAt(clip.start, sample.sampleRate));
  };
  let next = app.session.freshId();
  let comp;
  try {
    comp = compEdits(track, from, to, take, { fresh: () => next++, framesInto });
  } catch (err) {
    showMessage(describe(err));
    return false;
  }
  if (!comp.edits.length && comp.looped) {
    showMessage('A looped take folder keeps its take: comp it before looping it', 'info');
    return false;
  }
  if (comp.edits.length && !app.edit({ edit: 'batch', edits: comp.edits })) return false;
  app.select({ track: track.id, clip: comp.playing[0] ?? null });
  return true;
};

/** Shows the lane `key` of row `trackId` (a track, a bus or the master) over it (the same again: hides it). */
app.showLane = (trackId, key = null) => {
  const track = app.rows().find((t) => t.id === trackId);
  if (!track) return;
  const current = app.automation?.track === trackId ? app.automation.key : null;
  const next = key ?? (current ? null : (track.automation[0] ? targetKey(track.automation[0].target) : 'gain'));
  app.automation = next ? { track: trackId, key: next } : null;
  renderTrackList();
  draw();
};

app.resizeClip = (track, clip, length) => {
  app.edit({ edit: 'setClipSpan', track: track.id, clip: clip.id, start: clip.start, length });
};

/**
 * The loop a clip has once its loop corner is dragged to `length` ticks: its own, or (a clip that
 * played once) its length so far as the stretch that repeats; none when the clip is back within
 * its first repeat.
 */
app.loopOf = (clip, length) => {
  const loop = clip.looping ?? { length: clip.length, phase: 0 };
  return !loop.phase && length <= loop.length ? null : loop;
};

/** Loops a clip over `length` ticks by its corner (one undo step); dragged back inside its first repeat, it plays once. */
app.loopClip = (track, clip, length) => {
  const looping = app.loopOf(clip, length);
  if (!looping && !clip.looping) return app.resizeClip(track, clip, length);
  if (looping === clip.looping && length === clip.length) return undefined;
  const edits = [
    { edit: 'setClipLoop', track: track.id, clip: clip.id, looping },
    { edit: 'setClipSpan', track: track.id, clip: clip.id, start: clip.start, length },
  ];
  // Shortened first, so a loop is never checked against a length it is leaving.
  if (length < clip.length) edits.reverse();
  app.edit({ edit: 'batch', edits });
};

app.addNote = (track, clip, note) => {
  const [id] = freshIds(1);
  return app.edit({ edit: 'addNote', track: track.id, clip: clip.id, note: { ...note, id } }) ? id : null;
};

app.setNotes = (track, clip, notes) => {
  if (notes.length === 0) return;
  app.edit({ edit: 'batch', edits: notes.map((note) => ({ edit: 'setNote', track: track.id, clip: clip.id, note })) });
};

app.removeNotes = (track, clip, ids) => {
  if (ids.length === 0) return;
  if (app.edit({ edit: 'batch', edits: ids.map((note) => ({ edit: 'removeNote', track: track.id, clip: clip.id, note })) })) {
    for (const id of ids) app.roll.selected.delete(id);
  }
};

function selectedClip() {
  const track = app.project.tracks.find((t) => t.id === app.selection.track);
  const clip = track?.clips.find((c) => c.id === app.selection.clip);
  return clip ? { track, clip } : null;
}

/** A copy of a clip with ids of its own (the clip's, and each note's in every take). */
function copyOf(clip, start) {
  const [id, ...noteIds] = freshIds(1 + allNotes(clip.content).length);
  const content = clip.content.type === 'midi'
    ? midiSpan(clip.content, 0, Infinity, () => noteIds.shift())
    : { ...clip.content };
  return { id, start, length: clip.length, content, looping: clip.looping };
}

app.duplicateClip = () => {
  const s = selectedClip();
  if (!s) return showMessage('Select a clip to duplicate', 'info');
  const copy = copyOf(s.clip, s.clip.start + s.clip.length);
  if (app.edit({ edit: 'addClip', track: s.track.id, clip: copy })) app.select({ track: s.track.id, clip: copy.id });
};

/**
 * An audio clip cut `at` ticks in: the first half keeps its fade in, the second (`second`, a
 * copy) its fade out, and both its gain. The edits that give the first half its fades.
 */
function halvesFades(track, clip, second, at) {
  if (clip.content.type !== 'audio') return [];
  const [rise, fall] = clipFades(clip);
  second.content.fade_in = 0;
  second.content.fade_out = Math.min(fall, second.length);
  if (rise + fall === 0) return [];
  return [{ edit: 'setClipFades', track: track.id, clip: clip.id, gain_db: clip.content.gain_db ?? 0, fade_in: Math.min(rise, at), fade_out: 0 }];
}

/** Splits the selected clip at the playhead (snapped to the grid): one undo step. */
app.splitClip = () => {
  const s = selectedClip();
  if (!s) return showMessage('Select a clip to split at the playhead', 'info');
  const { track, clip } = s;
  const cut = snap(app.playheadTick(), app.grid());
  if (cut <= clip.start || cut >= clip.start + clip.length) {
    return showMessage('Put the playhead inside the clip to split it', 'info');
  }
  const at = cut - clip.start;
  if (clip.looping) {
    // Both halves keep the whole content and loop it; the second starts where the cut falls in
    // its repeat, so together they play what the clip did.
    const { length: period, phase = 0 } = clip.looping;
    const second = { ...copyOf(clip, cut), length: clip.length - at, looping: { length: period, phase: (phase + at) % period } };
    const edits = [...halvesFades(track, clip, second, at), { edit: 'setClipSpan', track: track.id, clip: clip.id, start: clip.start, length: at }, { edit: 'addClip', track: track.id, clip: second }];
    app.edit({ edit: 'batch', edits });
    return;
  }
  if (clip.content.type === 'midi') {
    // The clip goes and comes back as its first half: every take's notes split at the cut,
    // those after it moving to the second half with ids of their own.
    const [id, ...noteIds] = freshIds(1 + allNotes(clip.content).length);
    const first = { ...clip, length: at, content: midiSpan(clip.content, 0, at) };
    const second = { id, start: cut, length: clip.length - at, content: midiSpan(clip.content, at, Infinity, () => noteIds.shift()) };
    const edits = [{ edit: 'removeClip', track: track.id, clip: clip.id }, { edit: 'addClip', track: track.id, clip: first }, { edit: 'addClip', track: track.id, clip: second }];
    app.edit({ edit: 'batch', edits });
    return;
  }
  const second = copyOf(clip, cut);
  second.length = clip.length - at;
  const edits = [...halvesFades(track, clip, second, at), { edit: 'setClipSpan', track: track.id, clip: clip.id, start: clip.start, length: at }];
  // The offset counts the sample's frames, not ticks: the second half starts as far into the
  // sample as the cut is into the clip, at the sample's own rate (every take alike).
  const sample = app.samples.get(clip.content.asset);
  if (!sample) return showMessage(`The clip's sample (${clip.content.asset}) is missing, so where to cut it is not known`);
  const { sampleRate } = sample;
  const into = Math.round(app.tempo.frameAt(cut, sampleRate) - app.tempo.frameAt(clip.start, sampleRate));
  second.content.offset += into;
  if (second.content.takes) second.content.takes = second.content.takes.map((t) => t + into);
  edits.push({ edit: 'addClip', track: track.id, clip: second });
  app.edit({ edit: 'batch', edits });
};

/**
 * Copy and paste: the selected notes when the piano roll shows them, else the selected clip.
 * What is copied stays on the page (`app.clipboard`), not in the system's clipboard.
 */
app.copySelection = (cut = false) => {
  const target = app.roll.target();
  if (app.tab === 'roll' && target && app.roll.selected.size > 0) {
    const notes = target.clip.content.notes.filter((n) => app.roll.selected.has(n.id));
    if (notes.length === 0) {
      app.roll.selected.clear();
      return app.copySelection(cut);
    }
    const first = Math.min(...notes.map((n) => n.start));
    app.clipboard = { notes: notes.map((n) => ({ ...n, start: n.start - first })) };
    showMessage(`${notes.length} note${notes.length === 1 ? '' : 's'} ${cut ? 'cut' : 'copied'}: Ctrl+V pastes them at the playhead`, 'info');
    if (cut) app.removeNotes(target.track, target.clip, notes.map((n) => n.id));
    return;
  }
  const s = selectedClip();
  if (!s) return showMessage('Select notes or a clip to copy', 'info');
  app.clipboard = { clip: s.clip, kind: s.track.kind };
  showMessage(`Clip ${cut ? 'cut' : 'copied'}: Ctrl+V pastes it at the playhead`, 'info');
  if (cut && app.edit({ edit: 'removeClip', track: s.track.id, clip: s.clip.id })) app.select({ track: s.track.id, clip: null });
};

/**
 * Pastes at the playhead (snapped to the grid) with ids of its own: notes into the clip the
 * piano roll shows (selected after), a clip onto the selected track if it is of the clip's
 * kind, else onto a track of that kind. One undo step.
 */
app.paste = () => {
  const board = app.clipboard;
  if (!board) return showMessage('Nothing copied yet: select notes or a clip and press Ctrl+C', 'info');
  if (board.notes) {
    if (board.notes.length === 0) return;
    const target = app.roll.target();
    if (!target) return showMessage('Open a MIDI clip in the piano roll to paste notes into it', 'info');
    const { track, clip } = target;
    const tick = snap(app.playheadTick(), app.grid(true) || 1);
    if (tick < clip.start || tick >= clip.start + clip.length) return showMessage('Put the playhead inside the clip to paste the notes there', 'info');
    // Where the playhead is in the clip's content: in a looped clip, in the repeat it is in.
    const into = contentTick(clip, tick);
    const ids = freshIds(board.notes.length);
    const notes = board.notes.map((n, i) => ({ ...n, id: ids[i], start: n.start + into }));
    if (app.edit({ edit: 'batch', edits: notes.map((note) => ({ edit: 'addNote', track: track.id, clip: clip.id, note })) })) {
      app.roll.selected = new Set(ids);
      draw();
    }
    return;
  }
  const selected = app.project.tracks.find((t) => t.id === app.selection.track);
  const track = selected?.kind === board.kind ? selected : app.project.tracks.find((t) => t.kind === board.kind);
  if (!track) return showMessage(`No ${board.kind} track to paste the clip onto`, 'info');
  const copy = copyOf(board.clip, snap(app.playheadTick(), app.grid()));
  if (app.edit({ edit: 'addClip', track: track.id, clip: copy })) app.select({ track: track.id, clip: copy.id });
};

/** Selects every note of the clip the piano roll shows. */
app.selectAllNotes = () => {
  const target = app.roll.target();
  if (!target) return;
  app.roll.selected = new Set(target.clip.content.notes.map((n) => n.id));
  draw();
};

app.deleteSelection = () => {
  const target = app.roll.target();
  if (app.tab === 'roll' && target && app.roll.selected.size > 0) {
    app.removeNotes(target.track, target.clip, [...app.roll.selected]);
    return;
  }
  const s = selectedClip();
  if (s && app.edit({ edit: 'removeClip', track: s.track.id, clip: s.clip.id })) app.select({ track: s.track.id, clip: null });
};

/** Snaps the selected notes (or all the clip's) to the piano roll's grid. */
app.quantize = () => {
  const target = app.roll.target();
  const grid = app.grid(true);
  if (!target || grid <= 0) return;
  const chosen = target.clip.content.notes.filter((n) => app.roll.selected.size === 0 || app.roll.selected.has(n.id));
  const moved = chosen.map((n) => ({ ...n, start: Math.min(snap(n.start, grid), Math.max(0, contentLength(target.clip) - 1)) })).filter((n, i) => n.start !== chosen[i].start);
  app.setNotes(target.track, target.clip, moved);
};

app.setLoop = (region) => {
  if (app.edit({ edit: 'setLoop', region })) {
    app.looping = true;
    if (app.transport) replay();
    updateTransportButtons();
  }
};

// ---- Transport ------------------------------------------------------------------------------

app.grid = (forRoll = false) => {
  const name = forRoll ? $('roll-grid').value : $('snap').value;
  return name === '1/4' ? PPQ : gridTicks(name, app.project.time_signature);
};

/** The song tick the engine plays at context time `seconds` (the transport's own clock and tempo map). */
/**
 * Where the song is `seconds` into the context: its tick, and its pass, how many times the loop
 * has gone round (0 before the first jump back).
 */
function songAt(seconds) {
  const { transport, context } = app;
  const { tempo, region } = transport;
  const elapsed = Math.max(0, seconds - transport.atFrame / context.sampleRate);
  let songSeconds = transport.startSeconds + elapsed;
  let pass = 0;
  if (region && transport.tick < region.end) {
    const [from, to] = [tempo.secondsAt(region.start), tempo.secondsAt(region.end)];
    if (songSeconds >= to) {
      // The pass from the same remainder as the position, so the two agree at a jump.
      const into = (songSeconds - from) % (to - from);
      pass = Math.round((songSeconds - from - into) / (to - from));
      songSeconds = from + into;
    }
  }
  return { tick: tempo.tickAt(songSeconds), pass };
}

const tickAt = (seconds) => songAt(seconds).tick;

/** Seconds from the engine's output to the speaker, as the browser reports it. */
const outputLatency = () => (app.context.baseLatency || 0) + (app.context.outputLatency || 0);

/** Where the song is now (while playing, at what is being heard): its tick and loop pass. */
app.playhead = () => {
  const { transport, context } = app;
  if (!transport) return { tick: app.position, pass: 0 };
  // What is heard now left the engine the output's latency ago, and the mix itself runs late by
  // its compensated insert latency.
  const mixLatency = app.session.latencyFrames() / context.sampleRate;
  return songAt(context.currentTime - outputLatency() - mixLatency);
};

/** Where the song is now, in ticks. */
app.playheadTick = () => app.playhead().tick;

/**
 * Starts the song from `tick` a moment from now (after a bar of clicks when `countIn`);
 * returns whether the engine took it.
 */
let transportStarts = 0;

function startAt(tick, atFrame = Math.ceil((app.context.currentTime + LEAD_SECONDS) * app.context.sampleRate), countIn = false) {
  const { engine, session, project } = app;
  const region = app.looping ? project.loop_region : null;
  const from = Math.max(0, Math.round(tick));
  let songFrame = atFrame;
  if (!engine.call(() => { songFrame = session.play(engine.controller, atFrame, from, !!region, countIn); })) return false;
  // The transport keeps the tempo map it started with: a tempo edit starts it again from where
  // the song was by that map.
  app.transport?.tempo.free();
  const tempo = session.tempoMap();
  // `start` counts the transport's starts, so passes counted from different starts stay apart.
  transportStarts += 1;
  app.transport = { atFrame: songFrame, tick: from, region, tempo, startSeconds: tempo.secondsAt(from), start: transportStarts };
  return true;
}

app.play = async () => {
  if (app.transport) return;
  await app.context.resume();
  if (!startAt(app.position, undefined, app.countIn)) return;
  app.mixer.resetPeaks();
  updateTransportButtons();
};

app.stop = () => {
  if (!app.transport) {
    app.position = 0;
    draw();
    return;
  }
  if (app.recording) finishRecording();
  const tick = app.playheadTick();
  const { context, engine, session } = app;
  engine.call(() => session.stop(engine.controller, Math.ceil(context.currentTime * context.sampleRate)));
  app.transport.tempo.free();
  app.transport = null;
  app.position = Math.max(0, Math.round(tick));
  updateTransportButtons();
  draw();
};

/** Starts the song again from where it will be a moment from now (after a tempo change). */
function replay() {
  const atFrame = Math.ceil((app.context.currentTime + LEAD_SECONDS) * app.context.sampleRate);
  startAt(tickAt(atFrame / app.context.sampleRate), atFrame);
}

app.seek = (tick) => {
  app.position = Math.max(0, Math.round(tick));
  if (app.transport) startAt(app.position);
  draw();
};

app.toggleLoop = () => {
  if (!app.project.loop_region) {
    const bar = barTicks(app.project.time_signature);
    const start = snapDown(app.playheadTick(), bar);
    app.setLoop({ start, end: start + STARTER_BARS * bar });
    return;
  }
  app.looping = !app.looping;
  if (app.transport) replay();
  updateTransportButtons();
  draw();
};

app.toggleMetronome = () => {
  app.metronome = !app.metronome;
  app.session.setMetronome(app.metronome);
  syncEngine();
  updateTransportButtons();
};

app.toggleOverdub = () => {
  app.overdub = !app.overdub;
  updateTransportButtons();
  const rec = app.recording && !app.recording.audio ? app.recording : null;
  if (rec) {
    // Switched while notes are being recorded: it applies from now. Turned on, what was played
    // so far in the loop goes into the song too; turned off, what was written stays there.
    rec.overdub.on = app.overdub;
    if (app.overdub) overdubNotes(rec);
    showMessage(app.overdub
      ? 'Overdub on: the notes of this recording in the loop are heard from the next pass on, all in one clip'
      : `Overdub off: the ${rec.overdub.written} notes overdubbed stay in the song; the rest of this recording makes takes`, 'info');
    return;
  }
  showMessage(app.overdub
    ? 'Overdub: notes recorded over the loop are heard from the next pass on, all in one clip'
    : 'Overdub off: each pass recorded over the loop is a take of its own', 'info');
};

app.toggleCountIn = () => {
  app.countIn = !app.countIn;
  updateTransportButtons();
};

function updateTransportButtons() {
  $('metronome').setAttribute('aria-pressed', String(app.metronome));
  $('count-in').setAttribute('aria-pressed', String(app.countIn));
  $('overdub').setAttribute('aria-pressed', String(app.overdub));
  $('play').setAttribute('aria-pressed', String(!!app.transport));
  $('play').textContent = app.transport ? '■ Stop' : '▶ Play';
  $('loop').setAttribute('aria-pressed', String(app.looping));
  $('record').setAttribute('aria-pressed', String(!!app.recording));
}

// ---- Playing and recording notes ------------------------------------------------------------

function liveTrack() {
  const selected = app.project.tracks.find((t) => t.id === app.selection.track && t.kind === 'midi');
  return selected ?? app.project.tracks.find((t) => t.kind === 'midi') ?? null;
}

/** The track live notes go to: the one recording notes, else the selected MIDI track, else the first. */
function noteTarget() {
  const notes = app.recording && !app.recording.audio ? app.recording : null;
  return notes?.track ?? liveTrack();
}

/** Keys sounding live, by the track each was played on, so its release goes there too. */
const soundingOn = new Map();

app.playNote = (key, velocity) => {
  const notes = app.recording && !app.recording.audio ? app.recording : null;
  const track = noteTarget();
  if (!track) return;
  app.context.resume();
  const to = velocity > 0 ? track.id : (soundingOn.get(key) ?? track.id);
  if (velocity > 0) soundingOn.set(key, to);
  else soundingOn.delete(key);
  app.engine.call(() => app.session.liveNote(app.engine.controller, to, key, velocity));
  const rec = notes;
  if (!rec || !app.transport) return;
  const { tick: now, pass: loopPass } = app.playhead();
  const region = app.transport.region;
  // Rounding must not carry a note played at the end of a pass past the loop's end.
  const looping = region && now < region.end;
  const tick = looping ? Math.min(Math.round(now), region.end - 1) : Math.round(now);
  const pass = [app.transport.start, loopPass];
  if (velocity > 0) {
    rec.held.set(key, { start: tick, velocity, pass });
  } else if (rec.held.has(key)) {
    const { start, velocity: v, pass: from } = rec.held.get(key);
    rec.held.delete(key);
    rec.notes.push({ key, velocity: v, start, length: heldLength(start, tick), pass: from });
    // Overdubbing, a note goes into the song as it ends (not at the next frame drawn, which a
    // hidden tab may not draw for a long while).
    if (rec.overdub.on) overdubNotes(rec);
  }
};

/**
 * Ticks from `start` to `end` for a note being recorded; a note still held when the loop jumped
 * back (its end is before its start) lasts to the loop's end, as the clip repeats from there.
 */
function heldLength(start, end) {
  const region = app.transport?.region;
  const until = end < start && region && start < region.end ? region.end : end;
  return Math.max(1, until - start);
}

/** Plays `key` briefly on `track` (a drum pad clicked on the Devices tab): not recorded, whichever track is selected. */
app.auditionOn = (track, key, velocity = 100) => {
  app.context.resume();
  const play = (v) => app.engine.call(() => app.session.liveNote(app.engine.controller, track.id, key, v));
  play(velocity);
  setTimeout(() => play(0), AUDITION_MS);
};

app.audition = (key, velocity, short = false) => {
  app.playNote(key, velocity);
  if (short && velocity > 0) setTimeout(() => app.playNote(key, 0), AUDITION_MS);
};

app.toggleRecord = async () => {
  if (app.recording) {
    finishRecording();
    return;
  }
  const selected = app.project.tracks.find((t) => t.id === app.selection.track);
  if (selected?.kind === 'audio') return recordAudio(selected);
  const track = liveTrack();
  if (!track) return showMessage('Add a MIDI track to record notes into, or select an audio track to record the microphone', 'info');
  // Overdub: whether it is on (it can be switched while recording), each loop region's clip (by
  // `start-end`), the notes written, the undo steps they took, and the change count after the
  // last write (the writes are one undo step while nothing comes between).
  const overdub = { on: app.overdub, clips: new Map(), written: 0, steps: 0, changes: null };
  app.recording = { track, notes: [], held: new Map(), overdub };
  updateTransportButtons();
  if (!app.transport) await app.play();
  showMessage(`Recording into ${track.name}: play the keyboard (A–K, Z/X octave) or a MIDI device`, 'info');
};

/**
 * Records the microphone onto audio track `track` from the playhead; while the loop plays, each
 * pass becomes a take of one clip over the loop region (see `finishAudioTake`).
 */
async function recordAudio(track) {
  app.recording = { track, audio: true, opening: true };
  updateTransportButtons();
  let microphone;
  try {
    microphone = await Microphone.open(app.context, new URL('quaver-recorder.js', document.baseURI));
  } catch (err) {
    app.recording = null;
    updateTransportButtons();
    return showMessage(`The microphone could not be opened (${describe(err)}); nothing was recorded`);
  }
  if (app.recording?.track !== track) {
    microphone.close();
    return undefined;
  }
  app.microphone = microphone;
  app.recording.opening = false;
  microphone.start();
  if (!app.transport) await app.play();
  updateTransportButtons();
  showMessage(`Recording ${microphone.label} onto ${track.name}: press R or stop to finish the take`, 'info');
  return undefined;
}

/** Ends a microphone take and lays it on its track where it was played. */
async function finishAudioTake(rec, transport) {
  const microphone = app.microphone;
  app.microphone = null;
  if (!microphone) return;
  const take = await microphone.stop();
  const frames = take.channels[0].length;
  if (frames === 0 || !transport) return;
  const sr = take.sampleRate;
  const { tempo } = transport;
  const frameAt = (tick) => tempo.frameAt(tick, sr);
  const roundTripFrames = Math.round((outputLatency() + take.inputLatency) * sr) + app.session.latencyFrames();
  const { region } = transport;
  const first = takeFirstFrame({ startFrame: take.startFrame, songStartFrame: transport.atFrame, songFrameAtStart: frameAt(transport.tick), roundTripFrames });
  const looped = region && loopTakes({
    channels: take.channels, first, songStartFrame: frameAt(transport.tick), loopStartFrame: frameAt(region.start), loopEndFrame: frameAt(region.end),
  });
  if (looped) return keepLoopTakes(rec, looped, { sampleRate: sr, region, startFrame: take.startFrame, roundTripFrames });
  const place = placeTake({ first, frames, frameAt, fromTick: transport.tick });
  if (!place) return;
  const name = await keepRecording(`${rec.track.name} take.wav`, { sampleRate: sr, channels: take.channels }, 'take');
  if (!name) return;
  const length = Math.max(1, Math.round(tempo.tickAt(tempo.secondsAt(place.tick) + (frames - place.offset) / sr) - place.tick));
  const [id] = freshIds(1);
  const clip = { id, start: place.tick, length, content: { type: 'audio', asset: name, offset: place.offset } };
  if (app.edit({ edit: 'addClip', track: rec.track.id, clip })) {
    app.select({ track: rec.track.id, clip: id });
    app.lastTake = { name, clip: id, startFrame: take.startFrame, roundTripFrames, songStartFrame: transport.atFrame, tick: place.tick, offset: place.offset, frames };
    showMessage(`Recorded ${(frames / sr).toFixed(1)} s onto ${rec.track.name}`, 'info');
  }
}

/**
 * Stores a recorded sample under a fresh name built from `wanted`; the name, or null after
 * telling the musician that `what` could not be kept.
 */
async function keepRecording(wanted, sample, what) {
  const name = freshName(wanted, new Set([...app.samples.keys(), ...app.session.missingSamples()]));
  try {
    await giveSample(name, sample);
    return name;
  } catch (err) {
    showMessage(`The ${what} could not be kept: ${describe(err)}`);
    return null;
  }
}

/** Lays the passes of a take recorded over the loop on its track as one clip with a take per pass. */
async function keepLoopTakes(rec, { channels, takes, playing }, { sampleRate, region, startFrame, roundTripFrames }) {
  const name = await keepRecording(`${rec.track.name} takes.wav`, { sampleRate, channels }, 'takes');
  if (!name) return;
  const [id] = freshIds(1);
  const content = { type: 'audio', asset: name, offset: takes[playing], takes };
  const clip = { id, start: region.start, length: region.end - region.start, content };
  if (app.edit({ edit: 'addClip', track: rec.track.id, clip })) {
    app.select({ track: rec.track.id, clip: id });
    app.lastTake = { name, clip: id, startFrame, roundTripFrames, takes: takes.length, playing };
    showMessage(`Recorded ${takes.length} takes over the loop onto ${rec.track.name}; take ${playing + 1} plays (Take, in the bar below the timeline, or Alt+↑/↓ chooses another; the track's T button shows every take to comp from)`, 'info');
  }
}

/** Makes take `take` (from 0) the one the selected audio clip plays. */
app.chooseTake = (take) => {
  const s = selectedClip();
  if (!s || takeOf(s.clip.content).count === 0) return;
  app.edit({ edit: 'chooseTake', track: s.track.id, clip: s.clip.id, take });
};

/** Puts every take of the selected MIDI take folder in one plain clip: all passes play at once. */
app.mergeTakes = () => {
  const s = selectedClip();
  if (!s || s.clip.content.type !== 'midi' || takeOf(s.clip.content).count === 0) return;
  const merged = { ...s.clip, content: mergedTakes(s.clip.content) };
  const edits = [{ edit: 'removeClip', track: s.track.id, clip: s.clip.id }, { edit: 'addClip', track: s.track.id, clip: merged }];
  if (app.edit({ edit: 'batch', edits })) showMessage(`Merged the takes: every pass plays in ${s.track.name}`, 'info');
};

/** Steps the selected take folder `by` takes (wrapping), so takes can be auditioned from the keys. */
app.stepTake = (by) => {
  const s = selectedClip();
  if (!s) return;
  const { index, count } = takeOf(s.clip.content);
  if (count > 1) app.chooseTake((((index + by) % count) + count) % count);
};

/** Turns what was played since recording began into one new clip, bar-aligned. */
function finishRecording() {
  const rec = app.recording;
  app.recording = null;
  updateTransportButtons();
  if (rec.audio) {
    app.takeDone = finishAudioTake(rec, app.transport).catch((err) => showMessage(`The take was lost: ${describe(err)}`));
    return;
  }
  const now = Math.round(app.playheadTick());
  for (const [key, { start, velocity, pass }] of rec.held) rec.notes.push({ key, velocity, start, length: heldLength(start, now), pass });
  if (rec.overdub.on) {
    overdubNotes(rec);
    // Nothing went into the loop (it was off, or every note was outside it): as without Overdub.
    if (rec.overdub.clips.size) return finishOverdub(rec);
  }
  if (rec.notes.length === 0) return;
  const region = app.transport?.region;
  const [id, ...ids] = freshIds(2 + rec.notes.length);
  const looped = region ? midiLoopTakes(rec.notes, region, ids) : null;
  if (!looped) {
    if (app.edit({ edit: 'addClip', track: rec.track.id, clip: notesClip([id, ...ids], rec.notes) })) {
      app.select({ track: rec.track.id, clip: id });
    }
    return;
  }
  const { content, apart } = looped;
  const folder = { id, start: region.start, length: region.end - region.start, content };
  const edits = [{ edit: 'addClip', track: rec.track.id, clip: folder }];
  // Notes played outside the loop (before the song first reached it, or while it played
  // elsewhere) make a clip of their own.
  // The folder's notes took the first ids; the rest are this clip's and its notes'.
  if (apart.length) edits.push({ edit: 'addClip', track: rec.track.id, clip: notesClip(ids.slice(rec.notes.length - apart.length), apart) });
  if (app.edit({ edit: 'batch', edits })) {
    app.select({ track: rec.track.id, clip: id });
    const count = content.takes.length;
    showMessage(`Recorded ${count} takes over the loop into ${rec.track.name}; take ${count} plays (Take, in the bar below the timeline, or Alt+↑/↓ chooses another; the track's T button shows every take to comp from; Merge plays them all at once)`, 'info');
  }
}

/**
 * Overdub: the notes finished inside the playing loop go into the song now — into one clip over
 * the region, made by the first of them — so every later pass plays them. While nothing else
 * changes the project in between, a recording's writes are one undo step.
 */
function overdubNotes(rec) {
  const region = app.transport?.region;
  const track = app.project.tracks.find((t) => t.id === rec.track.id);
  if (!region || !track) return;
  const inside = rec.notes.filter((n) => n.start >= region.start && n.start < region.end);
  if (!inside.length) return;
  const span = `${region.start}-${region.end}`;
  // The clip made for this region, where it still is (moved or deleted meanwhile: a new one).
  const clip = track.clips.find((c) => c.id === rec.overdub.clips.get(span) && c.start === region.start);
  const [id, ...noteIds] = freshIds(1 + inside.length);
  const notes = inside.map(({ key, velocity, start, length }, i) => ({ id: noteIds[i], key, velocity, start: start - region.start, length }));
  const edits = clip
    ? notes.map((note) => ({ edit: 'addNote', track: track.id, clip: clip.id, note }))
    : [{ edit: 'addClip', track: track.id, clip: { id, start: region.start, length: region.end - region.start, content: { type: 'midi', notes } } }];
  const joined = rec.overdub.changes === app.changes;
  // Taken or refused, these notes are done with: a refusal has said why.
  rec.notes = rec.notes.filter((n) => !inside.includes(n));
  if (!app.edit({ edit: 'batch', edits }, { joined, quiet: true })) return;
  if (!clip) rec.overdub.clips.set(span, id);
  if (!joined) rec.overdub.steps += 1;
  rec.overdub.written += notes.length;
  rec.overdub.changes = app.changes;
}

/** Ends an overdub (its last notes written): those played outside the loop make a clip of their own. */
function finishOverdub(rec) {
  const { overdub } = rec;
  if (rec.notes.length) {
    const [id, ...noteIds] = freshIds(1 + rec.notes.length);
    const joined = overdub.changes === app.changes;
    if (app.edit({ edit: 'addClip', track: rec.track.id, clip: notesClip([id, ...noteIds], rec.notes) }, { joined }) && !joined) overdub.steps += 1;
  }
  app.refresh();
  const clips = app.project.tracks.find((t) => t.id === rec.track.id)?.clips ?? [];
  const clip = [...overdub.clips.values()].find((id) => clips.some((c) => c.id === id));
  if (clip === undefined) return;
  app.select({ track: rec.track.id, clip });
  const undo = overdub.steps === 1 ? 'one undo takes them all back' : `in ${overdub.steps} undo steps, as other edits came between`;
  showMessage(`Overdubbed ${overdub.written} notes over the loop into ${rec.track.name} (${undo})`, 'info');
}

/** A clip of recorded `notes` (song ticks) from the bar they start in; `[id, ...noteIds]`: its ids. */
function notesClip([id, ...noteIds], notes) {
  const bar = barTicks(app.project.time_signature);
  const first = snapDown(Math.min(...notes.map((n) => n.start)), bar);
  const last = Math.max(...notes.map((n) => n.start + n.length));
  const length = Math.max(bar, Math.ceil((last - first) / bar) * bar);
  const content = { type: 'midi', notes: notes.map(({ key, velocity, start, length: l }, i) => ({ id: noteIds[i], key, velocity, start: start - first, length: l })) };
  return { id, start: first, length, content };
}

// ---- Rendering ------------------------------------------------------------------------------

app.select = ({ track = app.selection.track, clip = null } = {}) => {
  const opened = clip !== null && clip !== app.selection.clip;
  app.selection = { track, clip, channel: null };
  syncKeyboardRange();
  if (opened) app.roll.show(selectedClip()?.clip ?? null);
  renderTrackList();
  app.devicePanel.render();
  if (app.tab === 'analysis') app.analysis.render();
  draw();
};

app.refresh = () => {
  const { project } = app;
  $('project-name').value = project.name;
  if (document.activeElement !== $('tempo')) $('tempo').value = String(project.tempo_bpm);
  $('sig-num').value = String(project.time_signature.numerator);
  $('sig-den').value = String(project.time_signature.denominator);
  $('undo').disabled = !app.session.canUndo();
  $('redo').disabled = !app.session.canRedo();
  // A selection whose track or clip went (an undo) is dropped.
  if (!project.tracks.some((t) => t.id === app.selection.track)) app.selection.track = project.tracks[0]?.id ?? null;
  if (app.selection.clip !== null && !selectedClip()) app.selection.clip = null;
  if (app.automation && !app.rows().some((t) => t.id === app.automation.track)) app.automation = null;
  for (const id of app.takeLanes) {
    const track = project.tracks.find((t) => t.id === id);
    if (!track || takesOnTrack(track) === 0) app.takeLanes.delete(id);
  }
  syncKeyboardRange();
  renderTrackList();
  app.mixer.render();
  app.devicePanel.render();
  updateTransportButtons();
  draw();
};

/** How long `ticks` from `start` last, in milliseconds, as the fade sliders say. */
const fadeText = (start, ticks) => `${Math.round((app.tempo.secondsAt(start + ticks) - app.tempo.secondsAt(start)) * 1000)} ms`;

/** The gain and fade sliders, set to the selected audio clip (or hidden without one). */
function showClipTools(selected) {
  $('clip-tools').hidden = selected === null;
  if (!selected) return;
  const { clip } = selected;
  const [rise, fall] = clipFades(clip);
  const gain = clip.content.gain_db ?? 0;
  $('clip-gain').value = String(gain);
  $('clip-gain-out').textContent = `${gain > 0 ? '+' : ''}${gain.toFixed(1)} dB`;
  for (const [id, ticks, end] of [['clip-fade-in', rise, clip.start], ['clip-fade-out', fall, clip.start + clip.length - fall]]) {
    $(id).max = String(clip.length);
    $(id).value = String(ticks);
    $(`${id}-out`).textContent = fadeText(end, ticks);
  }
}

/**
 * The clip sliders edit the selected audio clip: a drag is one undo step, and a fade stops
 * where the other one starts (the two fit in the clip).
 */
function wireClipTools() {
  const slider = (id, change) => {
    const input = $(id);
    let dragging = false;
    const set = (value, continuing, quiet = true) => {
      const selected = selectedClip();
      if (selected?.clip.content.type !== 'audio') return;
      const { track, clip } = selected;
      // What is not dragged keeps what is stored (a trimmed clip's fades stay whole, to come
      // back when it is lengthened); the dragged fade stops where the other one plays from.
      const [rise, fall] = clipFades(clip);
      const { gain_db: gain = 0, fade_in: fadeIn = 0, fade_out: fadeOut = 0 } = clip.content;
      const now = { gain_db: gain, fade_in: fadeIn, fade_out: fadeOut, ...change(value, clip, rise, fall) };
      app.edit({ edit: 'setClipFades', track: track.id, clip: clip.id, ...now }, { continuing, quiet });
      showClipTools(selectedClip());
    };
    input.addEventListener('input', () => {
      set(Number(input.value), dragging);
      dragging = true;
    });
    input.addEventListener('change', () => { dragging = false; app.refresh(); });
    input.addEventListener('dblclick', () => set(0, false, false));
  };
  slider('clip-gain', (db) => ({ gain_db: db }));
  slider('clip-fade-in', (ticks, clip, rise, fall) => ({ fade_in: Math.min(Math.round(ticks), clip.length - fall) }));
  slider('clip-fade-out', (ticks, clip, rise) => ({ fade_out: Math.min(Math.round(ticks), clip.length - rise) }));
}

/** The lower pane's bar: the piano roll's tools only over a MIDI clip (or none), the take chooser over a take folder. */
function updateTabTools() {
  const selected = selectedClip();
  $('roll-tools').hidden = app.tab !== 'roll' || selected?.clip.content.type === 'audio';
  showClipTools(app.tab === 'roll' && selected?.clip.content.type === 'audio' ? selected : null);
  const { index, count } = selected ? takeOf(selected.clip.content) : { index: -1, count: 0 };
  const chooser = $('take');
  $('take-tools').hidden = count === 0;
  $('merge-takes').hidden = selected?.clip.content.type !== 'midi';
  if (count === 0) return;
  if (chooser.options.length !== count) {
    chooser.replaceChildren(...Array.from({ length: count }, (_, k) => el('option', { value: String(k), textContent: `${k + 1} of ${count}` })));
  }
  chooser.value = String(index);
}

function draw() {
  $('undo').disabled = !app.session.canUndo();
  $('redo').disabled = !app.session.canRedo();
  updateTabTools();
  app.timeline.draw();
  app.roll.draw();
}

/**
 * A row header's automation controls: the A button, and while its lane shows, the menu of what
 * the lane moves (otherwise `summary`, a line about the row).
 */
function laneControls(row, summary) {
  const showing = app.automation?.track === row.id;
  const lanes = el('button', { type: 'button', textContent: 'A', className: 'lanes', title: 'Show automation (draw breakpoints on the row; double-click one to delete it)' });
  lanes.setAttribute('aria-pressed', String(showing));
  lanes.onclick = (event) => {
    event.stopPropagation();
    app.showLane(row.id);
  };
  if (!showing) return { lanes, info: el('span', { className: 'kind', textContent: summary }) };
  const info = el('select', { className: 'lane-target', title: 'What the lane automates' });
  info.setAttribute('aria-label', 'Automated parameter');
  for (const t of laneTargets(app, row)) {
    const key = targetKey(t.target);
    info.append(el('option', { value: key, textContent: `${laneOf(row, key) ? '● ' : ''}${t.label}` }));
  }
  info.value = app.automation.key;
  info.onclick = (event) => event.stopPropagation();
  info.onchange = () => app.showLane(row.id, info.value);
  return { lanes, info };
}

/** A take lane's header: the take, and in how many of the track's folders it plays. */
function takeHead({ track, take, name }, colour) {
  const folders = track.clips.filter((c) => takeOf(c.content).count > take);
  const playing = folders.filter((c) => takeOf(c.content).index === take).length;
  const what = playing === 0 ? 'click or drag on it to comp' : `plays in ${playing} of ${folders.length} part${folders.length === 1 ? '' : 's'}`;
  const head = el('li', { className: `track-head take-head${playing ? ' playing' : ''}` },
    el('span', { className: 'name', textContent: name }), el('span', { className: 'kind', textContent: what }));
  head.dataset.takeOf = String(track.id);
  head.dataset.take = String(take);
  head.style.setProperty('--colour', colour);
  return head;
}

/** What a track header carries when dragged. */
const TRACK_DRAG = 'application/x-quaver-track';

/**
 * Moves a track to place `index` (one undo step). From the keys (`fromName`), the keyboard stays
 * in its name, whose typed text is kept first; after a drag it is left where it was, so the
 * studio's keys (Ctrl+Z, Space) still work.
 */
function moveTrack(id, index, fromName = null) {
  if (index < 0 || index >= app.project.tracks.length) return;
  const track = app.project.tracks.find((t) => t.id === id);
  if (fromName && track && fromName.value !== track.name) app.edit({ edit: 'rename', id, name: fromName.value });
  if (app.edit({ edit: 'moveTrack', track: id, index }) && fromName) document.querySelector(`.track-head[data-track="${id}"] input.name`)?.focus();
}

function renderTrackList() {
  const items = app.project.tracks.map((track, i) => {
    const name = el('input', { className: 'name', value: track.name, title: 'Rename the track' });
    name.setAttribute('aria-label', 'Track name');
    name.addEventListener('change', () => {
      if (!app.edit({ edit: 'rename', id: track.id, name: name.value })) name.value = track.name;
    });
    // Alt+↑/↓ in the name moves the track (not also the studio's take stepping).
    name.addEventListener('keydown', (e) => {
      if (!e.altKey || (e.key !== 'ArrowUp' && e.key !== 'ArrowDown')) return;
      e.preventDefault();
      e.stopPropagation();
      moveTrack(track.id, i + (e.key === 'ArrowUp' ? -1 : 1), name);
    });
    const toggle = (prop, label) => {
      const button = el('button', { type: 'button', textContent: label, className: prop, title: prop === 'mute' ? 'Mute' : 'Solo' });
      button.setAttribute('aria-pressed', String(track.strip[prop]));
      button.onclick = (event) => {
        event.stopPropagation();
        app.edit({ edit: 'setStrip', track: track.id, strip: { ...track.strip, [prop]: !track.strip[prop] } });
      };
      return button;
    };
    const remove = el('button', { type: 'button', textContent: '×', title: 'Delete the track' });
    remove.onclick = (event) => {
      event.stopPropagation();
      app.edit({ edit: 'removeTrack', track: track.id });
    };
    const instrument = track.instrument?.kind ?? 'synth';
    const automated = track.automation.length ? ` · ${track.automation.length} lane${track.automation.length === 1 ? '' : 's'}` : '';
    const { lanes, info } = laneControls(track, `${track.kind === 'midi' ? `MIDI · ${instrument}` : 'Audio'} · ${track.clips.length} clip${track.clips.length === 1 ? '' : 's'}${automated}`);
    const switches = el('span', { className: 'switches' }, lanes, toggle('mute', 'M'), toggle('solo', 'S'), remove);
    if (takesOnTrack(track) > 0) {
      const takes = el('button', { type: 'button', textContent: 'T', className: 'takes', title: 'Show the take lanes (click a take to play it, drag across one to comp)' });
      takes.setAttribute('aria-pressed', String(app.takeLanes.has(track.id)));
      takes.onclick = (event) => {
        event.stopPropagation();
        app.toggleTakeLanes(track.id);
      };
      switches.prepend(takes);
    }
    const head = el('li', { className: `track-head${track.id === app.selection.track ? ' selected' : ''}`, title: 'Drag onto another track (or Alt+↑/↓ in its name) to move it' }, name, switches, info);
    head.dataset.track = String(track.id);
    reorderable(head, TRACK_DRAG, track.id, (moved) => moveTrack(moved, i));
    const colour = TRACK_COLOURS[i % TRACK_COLOURS.length];
    head.style.setProperty('--colour', colour);
    head.onclick = () => app.select({ track: track.id, clip: null });
    return [head, ...takeRows(track).map((row) => takeHead(row, colour))];
  }).flat();
  const channels = app.channelRows().map((channel) => {
    const what = channel.kind === 'master' ? 'Master' : `Bus · ${channel.inserts.map((d) => d.kind).join(', ') || 'no inserts'}`;
    const automated = channel.automation.length ? ` · ${channel.automation.length} lane${channel.automation.length === 1 ? '' : 's'}` : '';
    const { lanes, info } = laneControls(channel, `${what}${automated}`);
    const head = el('li', { className: `track-head channel-head ${channel.kind}` },
      el('span', { className: 'name', textContent: channel.name }), el('span', { className: 'switches' }, lanes), info);
    head.dataset.channel = String(channel.id);
    return head;
  });
  $('track-list').replaceChildren(...items, ...channels);
}

const TABS = ['roll', 'mixer', 'device', 'analysis', 'library'];

function showTab(name) {
  app.tab = name;
  for (const tab of TABS) {
    $(`tab-${tab}`).setAttribute('aria-selected', String(tab === name));
    $(`pane-${tab}`).hidden = tab !== name;
  }
  updateTabTools();
  if (name === 'roll') app.roll.draw();
  if (name === 'device') app.devicePanel.render();
  if (name === 'analysis') app.analysis.render();
  // The library's index is read from storage the first time the tab is opened, not at start-up.
  if (name === 'library') app.library.load().then(() => app.library.render());
}

function tick() {
  const at = app.playheadTick();
  $('position-bars').textContent = formatBarsBeats(at, app.project.time_signature);
  $('position-time').textContent = formatSeconds(app.tempo.secondsAt(at));
  const bpm = app.tempo.bpmAt(at);
  $('tempo-now').textContent = app.project.tempo_changes.length ? `♩ ${bpm.toFixed(1)}` : '';
  if (app.transport) {
    app.timeline.follow(at);
    app.timeline.draw();
    if (app.tab === 'roll') app.roll.draw();
  }
  requestAnimationFrame(tick);
}

function updateStatus() {
  const { context, engine } = app;
  const state = engine.fatal ? 'failed' : app.transport ? 'playing' : context.state === 'running' ? 'stopped' : 'waiting for a click to start audio';
  $('status').textContent = `Engine ${state} · ${context.sampleRate} Hz · ${engine.nodeCount} nodes · octave ${app.keyboard.octave}`
    + `${app.midiStatus ? ` · ${app.midiStatus}` : ''}`;
}

// ---- Files ----------------------------------------------------------------------------------

function download(bytes, name, type) {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const link = el('a', { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const fileStem = () => app.project.name.replace(/[\\/:*?"<>|]+/g, '_').trim() || 'Untitled';

/** Writes to a file the user picks where the browser can (File System Access); downloads otherwise. */
async function saveFile(bytes, name, type, extension) {
  if (typeof window.showSaveFilePicker === 'function') {
    let handle;
    try {
      handle = await window.showSaveFilePicker({ suggestedName: name, types: [{ description: name, accept: { [type]: [extension] } }] });
    } catch (err) {
      if (err?.name === 'AbortError') return false;
      throw err;
    }
    const stream = await handle.createWritable();
    await stream.write(bytes);
    await stream.close();
    return true;
  }
  download(bytes, name, type);
  return true;
}

/** Saves the project, its undo history and its samples as one `.quaver` file. */
app.save = async () => {
  try {
    if (await saveFile(app.session.bundle(), `${fileStem()}.quaver`, 'application/octet-stream', '.quaver')) showMessage(`Saved ${app.project.name}`, 'info');
  } catch (err) {
    showMessage(`The project could not be saved: ${describe(err)}`);
  }
};

app.exportMidi = async () => {
  try {
    await saveFile(app.session.exportMidi(undefined), `${fileStem()}.mid`, 'audio/midi', '.mid');
  } catch (err) {
    showMessage(`The MIDI file could not be written: ${describe(err)}`);
  }
};

/** Replaces the open project with `next` (a Session); the old one's nodes leave the engine. */
function replaceSession(next) {
  if (app.transport) app.stop();
  const old = app.session;
  old.release(app.engine.controller);
  old.free();
  app.session = next;
  next.setMetronome(app.metronome);
  app.project = null;
  app.position = 0;
  app.looping = false;
  app.selection = { track: null, clip: null, channel: null };
  changed();
  watchMaster();
  const first = app.project.tracks[0];
  app.select({ track: first?.id ?? null, clip: first?.clips[0]?.id ?? null });
  loadSamples();
}

/** The master level in the top bar (again after another project opens: its nodes are new). */
function watchMaster() {
  app.stopMasterMeter?.();
  const master = app.session.nodeOf('master.pan');
  if (master === undefined) return;
  app.stopMasterMeter = app.engine.meter(master, ({ peak }) => {
    ['l', 'r'].forEach((side, ch) => {
      const db = 20 * Math.log10(Math.max(peak[ch] ?? 0, 1e-6));
      $(`master-meter-${side}`).style.width = `${Math.max(0, Math.min(100, ((db + 60) / 60) * 100))}%`;
    });
  });
}

/**
 * The DSP load in the top bar: the engine's mean render time per quantum as a share of the
 * quantum's duration, every half second (the worklet times itself; see EngineClient.load).
 */
function watchLoad() {
  const show = async () => {
    const reading = await app.engine.load();
    if (!reading || reading.quanta === 0) return;
    app.dspLoad = reading;
    const out = $('dsp-load');
    out.textContent = `DSP ${Math.round(reading.mean * 100)}%`;
    out.classList.toggle('busy', reading.mean >= 0.5 && reading.mean < 0.8);
    out.classList.toggle('overloaded', reading.mean >= 0.8);
  };
  setInterval(show, 500);
}

/** Whether the open project may be replaced: asks when it holds any clips. */
function mayReplace(what) {
  const hasWork = app.project.tracks.some((t) => t.clips.some((c) => c.content.type !== 'midi' || allNotes(c.content).length > 0));
  return !hasWork || window.confirm(`${what} replaces ${app.project.name}. Anything not saved to a file is lost. Go on?`);
}

const AUDIO_FILE = /\.(wav|wave|mp3|ogg|oga|opus|flac|aac|m4a|webm)$/i;

/** Hands a sample to the session (and to storage, unless it came from there). */
async function giveSample(name, sample, { store = true, session = app.session } = {}) {
  if (session) session.addSample(name, sample.sampleRate, sample.channels);
  app.samples.set(name, { ...sample, peaks: sample.peaks ?? peaksOf(sample.channels) });
  if (store) {
    await putSample(name, sample).catch((err) => showMessage(`${name} plays, but could not be kept in this browser's storage `
      + `(${describe(err)}): after a reload its clips will be silent`));
  }
}

/**
 * Gives the session every sample its clips name, and those its undo and redo steps would bring
 * back, from memory or storage; says which the project itself is missing.
 */
async function loadSamples() {
  for (const name of app.session.unloadedSamples()) {
    const known = app.samples.get(name) ?? (await getSample(name).catch(() => null));
    if (known) await giveSample(name, known, { store: false });
  }
  const missing = app.session.missingSamples();
  if (missing.length) {
    const many = missing.length > 1;
    showMessage(`Missing sample${many ? 's' : ''} ${missing.join(', ')}: the clips and samplers that play ${many ? 'them' : 'it'} are silent, `
      + `and a drum pad plays its synthesised drum. Import the file${many ? 's' : ''} again to bring ${many ? 'them' : 'it'} back.`);
  }
  syncEngine();
  draw();
}

/** The waveform overview of a sample, for the timeline. */
app.waveform = (name) => app.samples.get(name) ?? null;

/** Decodes `file` into a new sample of its own name; null (and a message) if it will not decode. */
async function sampleFromFile(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  try {
    const sample = await decodeSample(bytes, file.name, { readWav, context: app.context });
    const taken = new Set([...app.samples.keys(), ...app.session.missingSamples()]);
    const name = freshName(file.name, taken);
    await giveSample(name, sample);
    return { name, sample };
  } catch (err) {
    showMessage(`${file.name} could not be imported: ${describe(err)}. Nothing was changed.`);
    return null;
  }
}

/** Gives a device that plays a sample (a sampler) the sample in `file`; one undo step. */
app.loadDeviceSample = async (channel, device, file) => {
  const loaded = await sampleFromFile(file);
  if (loaded) app.edit({ edit: 'setDeviceSample', track: channel.id, device: device.id, sample: loaded.name });
};

/** Gives pad `key` of a drum kit the sample in `file`, in place of its synthesised drum; one undo step. */
app.loadPadSample = async (channel, device, key, file) => {
  const loaded = await sampleFromFile(file);
  if (loaded) app.edit({ edit: 'setPadSample', track: channel.id, device: device.id, key, sample: loaded.name });
};

/**
 * Imports an audio file as a sample and puts it on the timeline: on `track` if that is an audio
 * track, else on a new one, at `tick` (default: the playhead, snapped down to the grid).
 */
app.importAudio = async (file, { track = null, tick = null } = {}) => {
  const loaded = await sampleFromFile(file);
  if (!loaded) return null;
  const { name, sample } = loaded;
  const start = tick ?? snapDown(app.playheadTick(), app.grid() || 1);
  const frames = sample.channels[0].length;
  const seconds = frames / sample.sampleRate;
  const length = Math.max(1, Math.round(app.tempo.tickAt(app.tempo.secondsAt(start) + seconds) - start));
  const [clipId, trackId] = freshIds(2);
  const clip = { id: clipId, start: Math.round(start), length, content: { type: 'audio', asset: name, offset: 0 } };
  let target = track?.kind === 'audio' ? track : null;
  let edit;
  if (target) {
    edit = { edit: 'addClip', track: target.id, clip };
  } else {
    const stem = file.name.replace(/\.[^.]+$/, '');
    target = { id: trackId, name: stem || `Audio ${app.project.tracks.length + 1}`, kind: 'audio', instrument: null, clips: [clip], strip: defaultStrip(), inserts: [], sends: [], automation: [] };
    edit = { edit: 'addTrack', index: app.project.tracks.length, track: target };
  }
  if (!app.edit(edit)) return null;
  app.select({ track: target.id, clip: clipId });
  showMessage(`Imported ${file.name} (${(frames / sample.sampleRate).toFixed(2)} s, ${sample.channels.length === 1 ? 'mono' : 'stereo'}, ${sample.sampleRate} Hz)`, 'info');
  return clipId;
};

/** Opens a project file (JSON), adds a MIDI file's tracks, or imports audio; a bad file changes nothing. */
app.openFile = async (file) => {
  if (AUDIO_FILE.test(file.name) || file.type.startsWith('audio/') && !/midi/.test(file.type)) return app.importAudio(file);
  const bytes = new Uint8Array(await file.arrayBuffer());
  const isMidi = /\.midi?$/i.test(file.name) || (bytes[0] === 0x4d && bytes[1] === 0x54 && bytes[2] === 0x68 && bytes[3] === 0x64);
  if (isMidi) {
    try {
      const at = app.project.tracks.some((t) => t.clips.length) ? snapDown(app.playheadTick(), barTicks(app.project.time_signature)) : 0;
      if (!app.session.importMidi(bytes, at)) return showMessage(`${file.name} has no notes to import`, 'info');
    } catch (err) {
      return showMessage(`${file.name} could not be imported: ${describe(err)}. Nothing was changed.`);
    }
    changed();
    const added = app.project.tracks[app.project.tracks.length - 1];
    app.select({ track: added.id, clip: added.clips[0]?.id ?? null });
    return showMessage(`Imported ${file.name}`, 'info');
  }
  const isBundle = String.fromCharCode(...bytes.subarray(0, 8)) === 'QVRBNDL1';
  let next;
  try {
    next = isBundle ? Session.loadBundle(bytes) : Session.load(new TextDecoder().decode(bytes));
  } catch (err) {
    return showMessage(`${file.name} could not be opened: ${describe(err)}. The current project is unchanged.`);
  }
  if (!mayReplace(`Opening ${file.name}`)) {
    next.free();
    return undefined;
  }
  // A bundle's samples are in the new session already; the page keeps them too, and stores them.
  for (const name of next.sampleNames()) await giveSample(name, next.sampleOf(name), { session: null });
  replaceSession(next);
  showMessage(`Opened ${app.project.name}`, 'info');
};

async function pickFile() {
  if (typeof window.showOpenFilePicker === 'function') {
    try {
      const [handle] = await window.showOpenFilePicker({
        types: [{
          description: 'Quaver projects, MIDI and audio files',
          accept: { 'application/octet-stream': ['.quaver'], 'application/json': ['.json'], 'audio/midi': ['.mid', '.midi'], 'audio/*': ['.wav', '.mp3', '.ogg', '.opus', '.flac', '.aac', '.m4a'] },
        }],
      });
      await app.openFile(await handle.getFile());
    } catch (err) {
      if (err?.name !== 'AbortError') showMessage(describe(err));
    }
    return;
  }
  $('file-input').click();
}

/** A new project: one synth track with an empty clip, ready to draw in. */
function starterSession() {
  const session = new Session('Untitled');
  const [track, synth, clip] = [1, 2, 3];
  session.edit({
    edit: 'addTrack', index: 0,
    track: {
      id: track, name: 'Synth 1', kind: 'midi', instrument: { id: synth, kind: 'synth', params: {}, bypass: false },
      clips: [{ id: clip, start: 0, length: STARTER_BARS * barTicks({ numerator: 4, denominator: 4 }), content: { type: 'midi', notes: [] } }],
      strip: defaultStrip(), inserts: [], sends: [], automation: [],
    },
  });
  // Loaded back as a bare project, so the starting point is not itself an undo step.
  const bare = JSON.stringify(JSON.parse(session.save()).project);
  session.free();
  return Session.load(bare);
}

app.newProject = () => {
  if (mayReplace('A new project')) replaceSession(starterSession());
};

// ---- Bounce ---------------------------------------------------------------------------------

/**
 * Bounces the song (or `project`, a project JSON: a stem); resolves to
 * `{ wav, frames, renderMs, ... }` once `write(wav, name)` (when `save`) has kept it. On a
 * cross-origin isolated page the threads build renders it, its tracks in parts side by side
 * (the same samples as one thread); elsewhere, or if that build fails to start, a Worker of
 * the plain build does.
 */
/**
 * The ticks a bounce of `range` covers (`end` −1: the song's end); throws when the loop region
 * is asked for and there is none.
 */
function bounceTicks(range) {
  if (range !== 'loop') return { start: 0, end: -1 };
  const region = app.project.loop_region;
  if (!region) throw new Error('there is no loop region: drag on the ruler to make one');
  return { start: region.start, end: region.end };
}

app.bounce = async (options = {}) => {
  bounceTicks(options.range);
  // The pool takes a moment to start: the dialog is busy, and can be cancelled, from the click.
  let stopped = false;
  app.bouncing = 'starting';
  app.cancelBounce = () => {
    stopped = true;
  };
  $('bounce-start').disabled = true;
  $('bounce-cancel').textContent = 'Cancel';
  $('bounce-status').textContent = 'Starting…';
  const threads = await startThreads();
  if (stopped) {
    threads?.terminate();
    app.bouncing = null;
    $('bounce-start').disabled = false;
    $('bounce-cancel').textContent = 'Close';
    $('bounce-status').textContent = 'Cancelled';
    throw new Error('cancelled');
  }
  if (threads) {
    const { save = true, write = null, project = null, fileName = null, label = '' } = options;
    const keep = save ? (write ?? ((bytes, file) => saveFile(bytes, file, 'audio/wav', '.wav'))) : null;
    try {
      const [mix] = await bounceOnThreads(threads, { ...options, write: keep }, [], { project, fileName, label });
      return mix;
    } catch (err) {
      if (!err.fromPool) throw err;
      console.warn(`[quaver] the threads build failed (${err.message}); bouncing on one thread`);
    }
  }
  return bounceInWorker(options);
};

/** [`app.bounce`] in a Worker of the plain build. */
const bounceInWorker = ({ range = 'song', format = 'pcm24', sampleRate = 48000, tail = 2, save = true, project = null, fileName = null, label = '', write = null, loudness = null } = {}) => new Promise((resolve, reject) => {
  const ticks = bounceTicks(range);
  const progress = $('bounce-progress');
  progress.value = 0;
  const job = startBounce({
    module: app.engine.module, project: project ?? app.session.save(), samples: samplesUsed(), sampleRate, format, tail, ...ticks, loudness,
  }, {
    onProgress: (done, total) => {
      progress.value = done / total;
      $('bounce-status').textContent = `${label}${Math.round((100 * done) / total)}%`;
    },
  });
  app.bouncing = job;
  const finish = () => {
    app.bouncing = null;
    $('bounce-start').disabled = false;
    $('bounce-cancel').textContent = 'Close';
  };
  app.cancelBounce = () => {
    job.cancel();
    finish();
    $('bounce-status').textContent = 'Cancelled';
  };
  $('bounce-start').disabled = true;
  $('bounce-cancel').textContent = 'Cancel';
  job.result.then(async (data) => {
    finish();
    progress.value = 1;
    const seconds = data.frames / sampleRate;
    const name = fileName ?? `${fileStem()}.wav`;
    app.lastBounce = { wav: data.wav, frames: data.frames, renderMs: data.renderMs, sampleRate, format, name, gainDb: data.gainDb };
    const gain = data.gainDb === null ? '' : `, ${data.gainDb >= 0 ? '+' : ''}${data.gainDb.toFixed(1)} dB for loudness`;
    $('bounce-status').textContent = `${label}${seconds.toFixed(1)} s of audio in ${(data.renderMs / 1000).toFixed(2)} s `
      + `(${(seconds / (data.renderMs / 1000)).toFixed(0)}× real time${gain})`;
    if (save) {
      const keep = write ?? ((bytes, file) => saveFile(bytes, file, 'audio/wav', '.wav'));
      await Promise.resolve(keep(data.wav, name)).catch((err) => showMessage(describe(err)));
    }
    resolve(app.lastBounce);
  }, (err) => {
    finish();
    reject(err);
  });
});

/** The samples the project's audio clips play, as a bounce takes them. */
function samplesUsed() {
  return app.session.usedSamples().filter((name) => app.samples.has(name)).map((name) => {
    const { sampleRate, channels } = app.samples.get(name);
    return { name, sampleRate, channels };
  });
}

/**
 * The mix (`project`, or the song) and every stem rendered side by side on the threads build's
 * pool (`threads`), each with its tracks in parts, then kept with `write`; resolves to the
 * bounces, the mix first, as `app.bounce` gives each.
 */
async function bounceOnThreads(threads, { range = 'song', format = 'pcm24', sampleRate = 48000, tail = 2, loudness = null, write = null }, stems, { project = null, fileName = null, label: given = '' } = {}) {
  let ticks;
  try {
    ticks = bounceTicks(range);
  } catch (err) {
    threads.terminate();
    throw err;
  }
  app.bouncing = threads;
  const progress = $('bounce-progress');
  progress.value = 0;
  $('bounce-start').disabled = true;
  $('bounce-cancel').textContent = 'Cancel';
  const onThreads = `on ${threads.threads} thread${threads.threads === 1 ? '' : 's'}`;
  const label = stems.length ? `The mix and ${stems.length} stem${stems.length === 1 ? '' : 's'} ${onThreads}: ` : given;
  const cancelled = new Promise((_, reject) => {
    app.cancelBounce = () => {
      threads.terminate();
      $('bounce-status').textContent = 'Cancelled';
      reject(new Error('cancelled'));
    };
  });
  let done;
  try {
    done = await Promise.race([cancelled, ask(threads, {
      type: 'bounce', projects: [project ?? app.session.save(), ...stems.map((s) => s.project)], samples: samplesUsed(), sampleRate, format, tail,
      ...ticks, loudness,
    }, {
      onProgress: (p) => {
        progress.value = p.done / p.total;
        $('bounce-status').textContent = `${label}${Math.round((100 * p.done) / p.total)}%`;
      },
    // A typed refusal (a bad project, a full engine) would be the same on one thread; only the
    // pool's own failure (no code, or an internal one) is worth a retry there.
    }).catch((err) => { throw Object.assign(err, { fromPool: !err.code || err.code === 'Internal' }); })]);
  } finally {
    threads.terminate();
    app.bouncing = null;
    $('bounce-start').disabled = false;
    $('bounce-cancel').textContent = 'Close';
  }
  progress.value = 1;
  const names = [fileName ?? `${fileStem()}.wav`, ...stems.map((s) => s.file)];
  const results = done.wavs.map((wav, i) => ({ wav, frames: done.frames, renderMs: done.renderMs, sampleRate, format, name: names[i], gainDb: done.gainDb, threads: threads.threads }));
  const seconds = done.frames / sampleRate;
  const gain = done.gainDb === null ? '' : `, ${done.gainDb >= 0 ? '+' : ''}${done.gainDb.toFixed(1)} dB for loudness`;
  $('bounce-status').textContent = `${label}${seconds.toFixed(1)} s of audio in ${(done.renderMs / 1000).toFixed(2)} s `
    + `${onThreads} (${(seconds / (done.renderMs / 1000)).toFixed(0)}× real time${gain})`;
  if (write) {
    for (const r of results) await Promise.resolve(write(r.wav, r.name)).catch((err) => showMessage(describe(err)));
  }
  app.lastBounce = results[0];
  return results;
}

/**
 * Bounces the song, then each track alone as a stem (same length, same range), one Worker run
 * each. The files go into a folder the user picks where the browser can (File System Access),
 * else each is downloaded. Resolves to the bounces, the mix first.
 */
app.bounceStems = async (options = {}) => {
  let write = null;
  if (options.save !== false && typeof window.showDirectoryPicker === 'function') {
    let folder;
    try {
      folder = await window.showDirectoryPicker({ mode: 'readwrite' });
    } catch (err) {
      if (err?.name === 'AbortError') throw new Error('no folder was picked');
      throw err;
    }
    write = async (bytes, name) => {
      const stream = await (await folder.getFileHandle(name, { create: true })).createWritable();
      await stream.write(bytes);
      await stream.close();
    };
  } else if (options.save !== false) {
    write = (bytes, name) => download(bytes, name, 'audio/wav');
  }
  const tracks = app.project.tracks;
  const threads = await startThreads();
  if (threads) {
    try {
      const results = await bounceOnThreads(threads, { ...options, write }, tracks.map((t) => app.session.stem(t.id)));
      const seconds = results[0].frames / results[0].sampleRate;
      $('bounce-status').textContent = `The mix and ${tracks.length} stem${tracks.length === 1 ? '' : 's'} bounced: ${seconds.toFixed(1)} s of audio each `
        + `in ${(results[0].renderMs / 1000).toFixed(2)} s on ${threads.threads} thread${threads.threads === 1 ? '' : 's'}`;
      return results;
    } catch (err) {
      if (!err.fromPool) throw err;
      console.warn(`[quaver] the threads build failed (${err.message}); bouncing one stem at a time`);
    }
  }
  const results = [await bounceInWorker({ ...options, write, label: `Mix (1 of ${tracks.length + 1}): ` })];
  // Stems take the mix's loudness gain, so they still add up to the normalised mix.
  const loudness = results[0].gainDb === null ? null : { gainDb: results[0].gainDb };
  for (const [i, track] of tracks.entries()) {
    const { project, file } = app.session.stem(track.id);
    results.push(await bounceInWorker({ ...options, loudness, write, project, fileName: file, label: `${track.name} (${i + 2} of ${tracks.length + 1}): ` }));
  }
  $('bounce-status').textContent = `The mix and ${tracks.length} stem${tracks.length === 1 ? '' : 's'} bounced`;
  return results;
};

function bindBounceDialog() {
  const dialog = $('bounce-dialog');
  $('bounce').onclick = () => {
    $('bounce-status').textContent = '';
    $('bounce-progress').value = 0;
    $('bounce-range').querySelector('[value="loop"]').disabled = !app.project.loop_region;
    dialog.showModal();
  };
  $('bounce-start').onclick = () => {
    const target = $('bounce-loudness').value;
    const loudness = target === 'off' ? null : { target: Number(target), ceiling: -1 };
    const options = { range: $('bounce-range').value, format: $('bounce-format').value, sampleRate: Number($('bounce-rate').value), loudness };
    const run = $('bounce-stems').checked ? app.bounceStems(options) : app.bounce(options);
    run.catch((err) => { $('bounce-status').textContent = `Not bounced: ${describe(err)}`; });
  };
  $('bounce-cancel').onclick = () => {
    if (app.bouncing) app.cancelBounce();
    else dialog.close();
  };
}

// ---- Controls and shortcuts -----------------------------------------------------------------

function bindControls() {
  $('play').onclick = () => (app.transport ? app.stop() : app.play());
  $('to-start').onclick = () => app.seek(0);
  $('record').onclick = () => app.toggleRecord();
  $('loop').onclick = () => app.toggleLoop();
  $('take').onchange = () => app.chooseTake(Number($('take').value));
  $('merge-takes').onclick = () => app.mergeTakes();
  $('tempo-map').onclick = () => app.toggleTempoMap();
  $('metronome').onclick = () => app.toggleMetronome();
  $('count-in').onclick = () => app.toggleCountIn();
  $('overdub').onclick = () => app.toggleOverdub();
  $('undo').onclick = app.undo;
  $('redo').onclick = app.redo;
  $('add-track').onclick = () => app.addTrack('synth');
  $('add-drums').onclick = () => app.addTrack('drums');
  $('add-sampler').onclick = () => app.addTrack('sampler');
  $('add-audio-track').onclick = app.addAudioTrack;
  $('add-bus').onclick = app.addBus;
  $('new-project').onclick = app.newProject;
  $('open').onclick = pickFile;
  $('save').onclick = app.save;
  $('export-midi').onclick = app.exportMidi;
  $('quantize').onclick = app.quantize;
  $('shortcuts').onclick = app.toggleShortcuts;
  $('shortcuts-close').onclick = () => $('shortcuts-dialog').close();
  $('file-input').onchange = () => {
    const [file] = $('file-input').files;
    $('file-input').value = '';
    if (file) app.openFile(file);
  };
  $('project-name').addEventListener('change', () => {
    if (!app.edit({ edit: 'rename', id: MASTER, name: $('project-name').value })) $('project-name').value = app.project.name;
  });
  $('tempo').addEventListener('change', () => {
    const bpm = Number($('tempo').value);
    if (!app.edit({ edit: 'setTempo', bpm })) $('tempo').value = String(app.project.tempo_bpm);
  });
  const signature = () => app.edit({ edit: 'setTimeSignature', signature: { numerator: Number($('sig-num').value), denominator: Number($('sig-den').value) } });
  $('sig-num').addEventListener('change', () => signature() || app.refresh());
  $('sig-den').addEventListener('change', () => signature() || app.refresh());
  $('snap').addEventListener('change', draw);
  $('roll-grid').addEventListener('change', draw);
  for (const tab of TABS) $(`tab-${tab}`).onclick = () => showTab(tab);
  bindPaneDivider();
  bindDrop();
  // Audio may only start after a gesture.
  const resume = () => app.context.resume();
  window.addEventListener('pointerdown', resume, { capture: true });
  window.addEventListener('keydown', resume, { capture: true });
  window.addEventListener('keydown', shortcut);
  bindBounceDialog();
}

/** Files dropped on the arrangement: audio onto the track and time under the pointer. */
function bindDrop() {
  const area = $('timeline-wrap');
  area.addEventListener('dragover', (event) => {
    // Files and library items only: a track header dragged over it is no drop here.
    const { types } = event.dataTransfer;
    if (!types.includes('Files') && !types.includes(LIBRARY_DRAG)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
    area.classList.add('dropping');
  });
  area.addEventListener('dragleave', () => area.classList.remove('dropping'));
  area.addEventListener('drop', async (event) => {
    event.preventDefault();
    area.classList.remove('dropping');
    const at = app.timeline.locate(event);
    const fromLibrary = event.dataTransfer.getData(LIBRARY_DRAG);
    if (fromLibrary) {
      await app.library.addToProject(fromLibrary, { track: at.track?.kind === 'take' ? at.track.track : at.track, tick: snapDown(at.tick, app.grid() || 1) });
      return;
    }
    for (const file of event.dataTransfer.files) {
      if (AUDIO_FILE.test(file.name) || file.type.startsWith('audio/')) {
        // Dropped on a take lane: onto the track the lane is of.
        await app.importAudio(file, { track: at.track?.kind === 'take' ? at.track.track : at.track, tick: snapDown(at.tick, app.grid() || 1) });
      } else {
        await app.openFile(file);
      }
    }
  });
}

const LOWER_HEIGHT_KEY = 'quaver.lowerHeight';
const LOWER_HEIGHT_DEFAULT = 330;

/** The lower pane's height, kept between the tallest the timeline allows and a usable least. */
function setLowerHeight(px, { keep = true } = {}) {
  const most = Math.max(180, window.innerHeight - 300);
  const height = Math.round(Math.min(most, Math.max(180, px)));
  document.body.style.setProperty('--lower-height', `${height}px`);
  if (keep) {
    try {
      localStorage.setItem(LOWER_HEIGHT_KEY, String(height));
    } catch {
      // Storage refused (private mode, quota): the height holds for this visit only.
    }
  }
  return height;
}

function keptLowerHeight() {
  try {
    return Number(localStorage.getItem(LOWER_HEIGHT_KEY)) || 0;
  } catch {
    return 0;
  }
}

/**
 * The handle on the lower pane's top edge: drag it (or focus it and use ↑/↓) for a taller piano
 * roll or a shorter one; double-click for the usual height. The height is this browser's, not
 * the project's, so it is kept in localStorage.
 */
function bindPaneDivider() {
  const divider = $('pane-divider');
  const current = () => document.querySelector('.lower').getBoundingClientRect().height;
  const applyKept = () => {
    if (keptLowerHeight() > 0) setLowerHeight(keptLowerHeight(), { keep: false });
  };
  applyKept();
  divider.addEventListener('pointerdown', (event) => {
    event.preventDefault();
    divider.setPointerCapture(event.pointerId);
    const from = { y: event.clientY, height: current() };
    const move = (e) => setLowerHeight(from.height + from.y - e.clientY);
    const up = () => {
      divider.removeEventListener('pointermove', move);
      divider.removeEventListener('pointerup', up);
    };
    divider.addEventListener('pointermove', move);
    divider.addEventListener('pointerup', up);
  });
  divider.addEventListener('dblclick', () => setLowerHeight(LOWER_HEIGHT_DEFAULT));
  divider.addEventListener('keydown', (event) => {
    if (event.key !== 'ArrowUp' && event.key !== 'ArrowDown') return;
    event.preventDefault();
    event.stopPropagation();
    setLowerHeight(current() + (event.key === 'ArrowUp' ? 20 : -20));
  });
  window.addEventListener('resize', applyKept);
}

/**
 * The studio's keyboard shortcuts, one table for what the keys do and what the help (?) lists.
 * `match`: `code` for a key by its place (letters, so every layout plays the same keys), `key`
 * for a named key or a combination with Ctrl/⌘ (by what the key says); `mod`, `alt` and
 * `shift` must be as given (`shift` left out: either).
 */
const SHORTCUTS = [
  ['Transport', 'Space', 'Play / stop', { code: 'Space' }, () => (app.transport ? app.stop() : app.play())],
  ['Transport', 'Home', 'Back to the start', { key: 'home' }, () => app.seek(0)],
  ['Transport', 'L', 'Loop on / off', { code: 'KeyL' }, () => app.toggleLoop()],
  ['Transport', 'C', 'Metronome on / off', { code: 'KeyC' }, () => app.toggleMetronome()],
  ['Transport', 'R', 'Record (notes on a MIDI track, the microphone on an audio track)', { code: 'KeyR' }, () => app.toggleRecord()],
  ['Editing', 'Ctrl+Z', 'Undo', { mod: true, shift: false, key: 'z' }, () => app.undo()],
  ['Editing', 'Ctrl+Shift+Z', 'Redo', { mod: true, shift: true, key: 'z' }, () => app.redo()],
  ['Editing', 'Ctrl+Y', 'Redo', { mod: true, key: 'y' }, () => app.redo()],
  ['Editing', 'Delete', 'Delete the selected notes or clip', { key: 'delete' }, () => app.deleteSelection()],
  ['Editing', 'Backspace', 'Delete the selected notes or clip', { key: 'backspace' }, () => app.deleteSelection()],
  ['Editing', 'Ctrl+C', 'Copy the selected notes (in the piano roll) or clip', { mod: true, key: 'c' }, () => app.copySelection()],
  ['Editing', 'Ctrl+X', 'Cut the selected notes or clip', { mod: true, key: 'x' }, () => app.copySelection(true)],
  ['Editing', 'Ctrl+V', 'Paste at the playhead: notes into the piano roll\'s clip, a clip onto the selected track', { mod: true, key: 'v' }, () => app.paste()],
  ['Editing', 'Ctrl+A', 'Select every note of the piano roll\'s clip', { mod: true, key: 'a' }, () => app.selectAllNotes()],
  ['Editing', 'Ctrl+D', 'Duplicate the selected clip after itself', { mod: true, key: 'd' }, () => app.duplicateClip()],
  ['Editing', 'Ctrl+E', 'Split the selected clip at the playhead', { mod: true, key: 'e' }, () => app.splitClip()],
  ['Editing', 'Q', 'Quantize the selected notes (or all) to the grid', { code: 'KeyQ' }, () => app.quantize()],
  ['Editing', 'Alt+↑', 'The take before, in the selected take folder', { alt: true, key: 'arrowup' }, () => app.stepTake(-1)],
  ['Editing', 'Alt+↓', 'The take after, in the selected take folder', { alt: true, key: 'arrowdown' }, () => app.stepTake(1)],
  ['View', 'M', 'Tempo map: show or hide the tempo row', { code: 'KeyM' }, () => app.toggleTempoMap()],
  ['View', '?', 'This list of shortcuts', { key: '?' }, () => app.toggleShortcuts()],
  ['Project', 'Ctrl+S', 'Save the project as one .quaver file', { mod: true, key: 's' }, () => app.save()],
  ['Project', 'Ctrl+O', 'Open a project, or add a MIDI or audio file', { mod: true, key: 'o' }, () => pickFile()],
].map(([group, keys, what, match, run]) => ({ group, keys, what, match, run }));

/** Keys the help lists that other parts of the page handle (the computer keyboard, the mixer). */
const OTHER_KEYS = [
  ['Playing', 'A W S E D F T G Y H U J K', 'Play notes (a piano\'s white and black keys from C; a drum kit\'s drums from its kick)'],
  ['Playing', 'Z / X', 'An octave down / up'],
  ['Tracks and mixer', 'Alt+↑ / Alt+↓', 'In a track\'s name: move the track up / down; on an insert\'s name: move it earlier / later in the chain'],
];

function matches(event, { mod = false, alt = false, shift, key, code }) {
  if ((event.ctrlKey || event.metaKey) !== mod || event.altKey !== alt) return false;
  if (shift !== undefined && event.shiftKey !== shift) return false;
  return key ? event.key.toLowerCase() === key : event.code === code;
}

function shortcut(event) {
  if (typingInField(event) || $('bounce-dialog').open) return;
  // Over the list of shortcuts only ? (and the dialog's own Escape) does anything.
  if ($('shortcuts-dialog').open && event.key !== '?') return;
  const found = SHORTCUTS.find((s) => matches(event, s.match));
  if (!found) return;
  event.preventDefault();
  found.run();
}

/** Shows the keyboard shortcuts (or hides them again). */
app.toggleShortcuts = () => {
  const dialog = $('shortcuts-dialog');
  if (dialog.open) {
    dialog.close();
    return;
  }
  // Each group's rows are together in the tables, so a heading goes where the group changes.
  const rows = [...SHORTCUTS.map(({ group, keys, what }) => [group, keys, what]), ...OTHER_KEYS];
  const body = [];
  rows.forEach(([group, keys, what], i) => {
    if (i === 0 || rows[i - 1][0] !== group) body.push(el('tr', {}, el('th', { colSpan: 2, textContent: group })));
    body.push(el('tr', {}, el('td', {}, el('kbd', { textContent: keys })), el('td', { textContent: what })));
  });
  $('shortcuts-table').replaceChildren(...body);
  dialog.showModal();
};

// ---- Start ----------------------------------------------------------------------------------

async function openAutosave() {
  let json = null;
  try {
    json = await loadAutosave();
  } catch (err) {
    showMessage(`The saved project could not be read from this browser's storage (${describe(err)}); starting a new one`);
  }
  if (json === null) return starterSession();
  try {
    return Session.load(json);
  } catch (err) {
    await writeAutosave(json, UNREADABLE).catch(() => {});
    showMessage(`The last project could not be opened (${describe(err)}). It is kept aside in storage; this is a new one.`);
    return starterSession();
  }
}

async function boot() {
  const context = new AudioContext({ latencyHint: 'interactive' });
  app.context = context;
  const module = await compileEngine(new URL('quaver_bg.wasm', document.baseURI));
  const engine = await EngineClient.create(context, { module, workletUrl: new URL('quaver-worklet.js', document.baseURI), maxNodes: 2048, maxEdges: 8192 });
  app.engine = engine;
  engine.addEventListener('error', ({ detail }) => showMessage(`${detail.code}: ${detail.message}`));
  engine.node.connect(context.destination);
  app.session = await openAutosave();
  app.timeline = new Timeline($('timeline'), app);
  app.roll = new PianoRoll($('roll'), app);
  app.mixer = new Mixer($('mixer'), app);
  wireClipTools();
  app.devicePanel = new DevicePanel($('device-panel'), app);
  app.analysis = new AnalysisView($('analysis'), app);
  app.library = new Library($('library'), app);
  app.keyboard = new ComputerKeyboard((key, velocity) => app.playNote(key, velocity), () => updateStatus());
  app.autosave = autosaver(() => app.session.save(), (err) => showMessage(`Autosave failed (${describe(err)}): the project is still open here; save it to a file to keep it`));
  bindControls();
  changed();
  const first = app.project.tracks[0];
  app.select({ track: first?.id ?? null, clip: first?.clips[0]?.id ?? null });
  showTab('roll');
  await loadSamples();
  await engine.ready;
  await engine.commit().catch((err) => showMessage(describe(err)));
  watchMaster();
  watchLoad();
  connectMidi((key, velocity) => app.playNote(key, velocity)).then((text) => { app.midiStatus = text; updateStatus(); });
  setInterval(updateStatus, 500);
  updateStatus();
  requestAnimationFrame(tick);
  app.ready = true;
}

boot().catch((err) => {
  $('status').textContent = `The engine could not start: ${describe(err)}`;
  showMessage(`The engine could not start: ${describe(err)}`);
});
