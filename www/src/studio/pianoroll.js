// Main thread: the piano roll of one MIDI clip — keys down the left, the clip's notes on a grid,
// velocities in a lane below. Click on empty grid draws a note one grid step long (drag to
// lengthen), drag a note to move it, its right edge to resize, the lane to set velocity;
// Delete removes the selected notes. Each gesture is one edit, so one undo step.
import { fitCanvas } from './timeline.js';
import { barTicks, beatTicks, snap, snapDown } from './time.js';
import { clipLevel, contentLength, contentSeconds, contentTick, keyName } from './notes.js';
import { takeOf } from './takes.js';

export const KEYS_WIDTH = 44;
/** Wide enough for a drum's name ("High floor tom"). */
const NAMED_KEYS_WIDTH = 96;
export const KEY_HEIGHT = 12;
export const VELOCITY_LANE = 64;
const EDGE = 6;
const BLACK = new Set([1, 3, 6, 8, 10]);

export class PianoRoll {
  constructor(canvas, app) {
    this.canvas = canvas;
    this.app = app;
    this.pxPerTick = 0.1;
    this.scrollTick = 0;
    /** The key at the top edge of the note area. */
    this.topKey = 84;
    this.selected = new Set();
    this.drag = null;
    canvas.addEventListener('pointerdown', (e) => this.pointerDown(e));
    canvas.addEventListener('pointermove', (e) => this.pointerMove(e));
    canvas.addEventListener('pointerup', (e) => this.pointerUp(e));
    canvas.addEventListener('contextmenu', (e) => this.contextMenu(e));
    canvas.addEventListener('wheel', (e) => this.wheel(e), { passive: false });
    new ResizeObserver(() => this.draw()).observe(canvas.parentElement);
  }

  /** The selected audio clip, with its track and sample: `{ track, clip, sample }` or null. */
  audioTarget() {
    const { project, selection } = this.app;
    const track = project?.tracks.find((t) => t.id === selection.track);
    const clip = track?.clips.find((c) => c.id === selection.clip);
    return clip && clip.content.type === 'audio' ? { track, clip, sample: this.app.waveform(clip.content.asset) } : null;
  }

  /**
   * An audio clip has no notes: the pane shows what it plays instead — each channel's
   * waveform over the clip's length, what sample it is, and where to edit it.
   */
  drawAudioClip(g, { clip, sample }, width, height) {
    g.font = '13px system-ui, sans-serif';
    g.fillStyle = '#e8e6e3';
    const { tempo } = this.app;
    // A looped clip shows the stretch it repeats.
    const seconds = tempo.secondsAt(clip.start + contentLength(clip)) - tempo.secondsAt(clip.start);
    if (!sample) {
      g.fillText(`Audio clip of ${clip.content.asset}: the sample is missing (open the project file that holds it, or import it again).`, 24, 28);
      return;
    }
    const channels = sample.channels.length;
    const from = Math.round(clip.content.offset);
    const frames = Math.max(1, Math.round(seconds * sample.sampleRate));
    g.fillText(`${clip.content.asset} · ${seconds.toFixed(3)} s of ${(sample.channels[0].length / sample.sampleRate).toFixed(3)} s · `
      + `${sample.sampleRate} Hz · ${channels === 1 ? 'mono' : `${channels} channels`} · from ${(from / sample.sampleRate).toFixed(3)} s`, 24, 22);
    g.fillStyle = '#9aa0a6';
    g.font = '11px system-ui, sans-serif';
    const take = takeOf(clip.content);
    g.fillText(take.count
      ? `Recorded over the loop, one take per pass: take ${take.index + 1} of ${take.count} plays (Take in the bar above, or Alt+↑/↓, chooses another). To comp: T on the track, then drag across a take's lane.`
      : 'An audio clip: drag it or its edge on the timeline to move and trim it, or its top-right corner (↻) to loop it; Ctrl+E splits it at the playhead. Its gain and fades are in the bar above.', 24, 40);
    const top = 52;
    const left = 24;
    const w = Math.max(1, width - 2 * left);
    const rowHeight = (height - top - 8) / channels;
    const key = `${clip.content.asset}/${from}/${frames}/${w}`;
    if (this.envelopeKey !== key) {
      // Min and max per pixel column, computed once per clip and width (not on every frame).
      this.envelopeKey = key;
      this.envelope = sample.channels.map((data) => {
        const columns = new Float32Array(2 * w);
        for (let px = 0; px < w; px += 1) {
          const a = from + Math.floor((px * frames) / w);
          const b = Math.max(a + 1, from + Math.floor(((px + 1) * frames) / w));
          let low = 0;
          let high = 0;
          for (let f = a; f < Math.min(b, data.length); f += 1) {
            if (data[f] < low) low = data[f];
            if (data[f] > high) high = data[f];
          }
          columns[2 * px] = low;
          columns[2 * px + 1] = high;
        }
        return columns;
      });
    }
    this.envelope.forEach((columns, ch) => {
      const y = top + ch * rowHeight;
      const middle = y + rowHeight / 2;
      g.fillStyle = '#15181d';
      g.fillRect(left, y + 2, w, rowHeight - 4);
      g.fillStyle = '#2f3540';
      g.fillRect(left, Math.round(middle), w, 1);
      g.fillStyle = '#4fd1c5';
      for (let px = 0; px < w; px += 1) {
        const high = columns[2 * px + 1];
        const low = columns[2 * px];
        g.fillRect(left + px, middle - high * (rowHeight / 2 - 3), 1, Math.max(1, (high - low) * (rowHeight / 2 - 3)));
      }
    });
    // The clip's gain and fades over the waveform, mirrored (a looped clip shows one repeat,
    // which its fades do not follow).
    if (!clip.looping && (clip.content.gain_db || clip.content.fade_in || clip.content.fade_out)) {
      const startSeconds = tempo.secondsAt(clip.start);
      g.strokeStyle = '#f0b429';
      this.envelope.forEach((_, ch) => {
        const middle = top + ch * rowHeight + rowHeight / 2;
        const half = rowHeight / 2 - 3;
        for (const side of [-1, 1]) {
          g.beginPath();
          for (let px = 0; px <= w; px += 2) {
            const into = tempo.tickAt(startSeconds + (px / w) * seconds) - clip.start;
            const y = middle + side * Math.min(1, clipLevel(clip, into)) * half;
            if (px === 0) g.moveTo(left + px, y);
            else g.lineTo(left + px, y);
          }
          g.stroke();
        }
      });
    }
    const tick = this.app.playheadTick();
    const into = tick >= clip.start && tick < clip.start + clip.length ? contentSeconds(clip, tick, tempo) : -1;
    if (into >= 0 && into <= seconds) {
      g.fillStyle = '#ff6b6b';
      g.fillRect(Math.round(left + (into / seconds) * w), top, 1, height - top - 8);
    }
  }

  /** The clip shown, with its track: `{ track, clip }` or null. */
  target() {
    const { project, selection } = this.app;
    const track = project?.tracks.find((t) => t.id === selection.track);
    const clip = track?.clips.find((c) => c.id === selection.clip);
    return clip && clip.content.type === 'midi' ? { track, clip } : null;
  }

  /** The names the selected clip's instrument gives its keys (a drum kit's drums), or null. */
  keyNames() {
    const t = this.target();
    return t ? this.app.keyNames(t.track) : null;
  }

  get keysWidth() {
    return this.keyNames() ? NAMED_KEYS_WIDTH : KEYS_WIDTH;
  }

  noteArea() {
    return { top: 0, bottom: this.canvas.clientHeight - VELOCITY_LANE };
  }

  tickToX(tick) {
    return this.keysWidth + (tick - this.scrollTick) * this.pxPerTick;
  }

  xToTick(x) {
    return Math.max(0, (x - this.keysWidth) / this.pxPerTick + this.scrollTick);
  }

  keyToY(key) {
    return (this.topKey - key) * KEY_HEIGHT;
  }

  yToKey(y) {
    return Math.max(0, Math.min(127, this.topKey - Math.floor(y / KEY_HEIGHT)));
  }

  /** Centres the view on a clip's notes (or middle C) when a new clip is opened. */
  show(clip) {
    const named = this.keyNames();
    const notes = clip?.content.notes?.map((n) => n.key) ?? [];
    // An empty drum clip opens on the drums, an empty piano clip on middle C.
    const keys = notes.length ? notes : [...(named?.keys() ?? [])];
    const middle = keys.length ? Math.round((Math.min(...keys) + Math.max(...keys)) / 2) : 60;
    const rows = Math.floor((this.canvas.parentElement.clientHeight - VELOCITY_LANE) / KEY_HEIGHT);
    // Drums are viewed from the lowest up: the kick, snare and hats sit at the bottom of the kit.
    this.topKey = Math.min(127, named ? Math.min(...keys) + rows - 1 : middle + Math.floor(rows / 2));
    this.scrollTick = 0;
    const width = this.canvas.parentElement.clientWidth - this.keysWidth - 20;
    if (clip) this.pxPerTick = Math.max(0.01, Math.min(0.5, width / contentLength(clip)));
    this.selected.clear();
  }

  locate(event) {
    const rect = this.canvas.getBoundingClientRect();
    const x = event.clientX - rect.left;
    const y = event.clientY - rect.top;
    const area = this.noteArea();
    const t = this.target();
    const inLane = y >= area.bottom;
    let note = null;
    let edge = false;
    if (t && !inLane && x >= this.keysWidth) {
      for (const n of t.clip.content.notes) {
        const x0 = this.tickToX(n.start);
        const x1 = this.tickToX(n.start + n.length);
        const y0 = this.keyToY(n.key);
        if (x >= x0 && x <= x1 && y >= y0 && y < y0 + KEY_HEIGHT) {
          note = n;
          edge = x1 - x <= EDGE;
        }
      }
    }
    return { x, y, inLane, onKeys: x < this.keysWidth, tick: this.xToTick(x), key: this.yToKey(y), note, edge };
  }

  pointerDown(event) {
    const t = this.target();
    if (!t || event.button !== 0) return;
    const at = this.locate(event);
    this.canvas.setPointerCapture(event.pointerId);
    const grid = this.app.grid(true);
    if (at.onKeys && !at.inLane) {
      this.drag = { mode: 'audition', key: at.key };
      this.app.audition(at.key, 100);
      return;
    }
    if (at.inLane) {
      this.drag = { mode: 'velocity', changes: new Map() };
      this.velocityAt(at);
      return;
    }
    if (at.note) {
      if (!event.shiftKey && !this.selected.has(at.note.id)) this.selected.clear();
      this.selected.add(at.note.id);
      this.drag = { mode: at.edge ? 'resize' : 'move', note: at.note, grabTick: at.tick, grabKey: at.key, dTick: 0, dKey: 0, length: at.note.length, moved: false };
      this.app.audition(at.note.key, at.note.velocity, true);
    } else {
      this.selected.clear();
      const start = snapDown(at.tick, grid);
      if (start >= contentLength(t.clip)) return;
      const note = { id: 0, start, length: Math.max(1, grid || 1), key: at.key, velocity: 100 };
      this.drag = { mode: 'draw', note, grabTick: start, moved: true };
      this.app.audition(at.key, 100, true);
    }
    this.draw();
  }

  velocityAt(at) {
    const t = this.target();
    const lane = this.canvas.clientHeight - VELOCITY_LANE;
    const velocity = Math.max(1, Math.min(127, Math.round(((this.canvas.clientHeight - at.y) / (VELOCITY_LANE - 4)) * 127)));
    for (const n of t.clip.content.notes) {
      const x0 = this.tickToX(n.start);
      if (Math.abs(at.x - x0) <= 4 && at.y >= lane) this.drag.changes.set(n.id, velocity);
    }
    this.draw();
  }

  pointerMove(event) {
    const at = this.locate(event);
    const { drag } = this;
    if (!drag) {
      this.canvas.style.cursor = at.note ? (at.edge ? 'ew-resize' : 'grab') : at.inLane ? 'ns-resize' : 'crosshair';
      return;
    }
    const grid = this.app.grid(true);
    if (drag.mode === 'velocity') {
      this.velocityAt(at);
      return;
    }
    if (drag.mode === 'audition') return;
    drag.moved = true;
    if (drag.mode === 'draw') {
      drag.note.length = Math.max(grid || 1, snap(at.tick, grid) - drag.note.start);
    } else if (drag.mode === 'move') {
      drag.dTick = snap(drag.note.start + at.tick - drag.grabTick, grid) - drag.note.start;
      drag.dKey = at.key - drag.grabKey;
    } else {
      drag.length = Math.max(grid || 1, snap(drag.note.start + drag.note.length + at.tick - drag.grabTick, grid) - drag.note.start);
    }
    this.draw();
  }

  pointerUp(event) {
    const { drag } = this;
    this.drag = null;
    if (!drag) return;
    this.canvas.releasePointerCapture(event.pointerId);
    const t = this.target();
    if (drag.mode === 'audition') {
      this.app.audition(drag.key, 0);
      return;
    }
    if (!t) return;
    const edits = [];
    if (drag.mode === 'velocity') {
      for (const n of t.clip.content.notes) {
        const velocity = drag.changes.get(n.id);
        if (velocity !== undefined && velocity !== n.velocity) edits.push({ ...n, velocity });
      }
      this.app.setNotes(t.track, t.clip, edits, 'Set velocity');
      return;
    }
    if (drag.mode === 'draw') {
      const note = { ...drag.note, length: Math.min(drag.note.length, contentLength(t.clip) - drag.note.start) };
      const id = this.app.addNote(t.track, t.clip, note);
      if (id !== null) this.selected = new Set([id]);
      return;
    }
    if (!drag.moved) return;
    for (const n of t.clip.content.notes.filter((x) => this.selected.has(x.id))) {
      if (drag.mode === 'move') {
        const start = n.start + drag.dTick;
        const key = n.key + drag.dKey;
        if (start < 0 || start >= contentLength(t.clip) || key < 0 || key > 127) continue;
        edits.push({ ...n, start, key });
      } else {
        edits.push({ ...n, length: Math.max(1, n.length + drag.length - drag.note.length) });
      }
    }
    this.app.setNotes(t.track, t.clip, edits, drag.mode === 'move' ? 'Move notes' : 'Resize notes');
  }

  contextMenu(event) {
    event.preventDefault();
    const t = this.target();
    const at = this.locate(event);
    if (t && at.note) this.app.removeNotes(t.track, t.clip, [at.note.id]);
  }

  wheel(event) {
    event.preventDefault();
    if (event.ctrlKey || event.metaKey) {
      const tick = this.xToTick(event.offsetX);
      this.pxPerTick = Math.max(0.005, Math.min(2, this.pxPerTick * (event.deltaY < 0 ? 1.2 : 1 / 1.2)));
      this.scrollTick = Math.max(0, tick - (event.offsetX - this.keysWidth) / this.pxPerTick);
    } else if (event.shiftKey) {
      this.scrollTick = Math.max(0, this.scrollTick + event.deltaY / this.pxPerTick);
    } else {
      this.topKey = Math.max(10, Math.min(127, this.topKey - Math.sign(event.deltaY) * 3));
    }
    this.draw();
  }

  /** The notes as the current drag shows them. */
  shownNotes(t) {
    const { drag } = this;
    return t.clip.content.notes.map((n) => {
      if (!drag || !this.selected.has(n.id)) {
        if (drag?.mode === 'velocity' && drag.changes.has(n.id)) return { ...n, velocity: drag.changes.get(n.id) };
        return n;
      }
      if (drag.mode === 'move') return { ...n, start: n.start + drag.dTick, key: n.key + drag.dKey };
      if (drag.mode === 'resize') return { ...n, length: Math.max(1, n.length + drag.length - drag.note.length) };
      return n;
    }).concat(drag?.mode === 'draw' ? [drag.note] : []);
  }

  draw() {
    const width = this.canvas.parentElement.clientWidth;
    const height = this.canvas.parentElement.clientHeight;
    const g = fitCanvas(this.canvas, width, height);
    g.fillStyle = '#101216';
    g.fillRect(0, 0, width, height);
    const t = this.target();
    const audio = t ? null : this.audioTarget();
    if (audio) {
      this.drawAudioClip(g, audio, width, height);
      return;
    }
    if (!t) {
      g.fillStyle = '#9aa0a6';
      g.font = '14px system-ui, sans-serif';
      g.fillText('Select a MIDI clip on the timeline (double-click an empty part of a MIDI track to make one).', 24, 40);
      return;
    }
    const { project } = this.app;
    const laneTop = height - VELOCITY_LANE;
    const named = this.keyNames();
    const keysWidth = this.keysWidth;
    for (let key = this.topKey; key >= 0 && this.keyToY(key) < laneTop; key -= 1) {
      const y = this.keyToY(key);
      g.fillStyle = BLACK.has(key % 12) ? '#14171c' : '#1a1d23';
      g.fillRect(keysWidth, y, width, KEY_HEIGHT);
      if (named) {
        // A drum kit's rows are its drums, named; the keys between them are dimmed.
        const name = named.get(key);
        g.fillStyle = name ? '#c9ced6' : '#22262d';
        g.fillRect(0, y, keysWidth - 2, KEY_HEIGHT - 1);
        if (name) {
          g.fillStyle = '#111';
          g.font = '9px system-ui, sans-serif';
          g.fillText(`${name} · ${keyName(key)}`, 4, y + KEY_HEIGHT - 2, keysWidth - 8);
        }
        if (key % 12 === 0) {
          g.fillStyle = '#2f3540';
          g.fillRect(keysWidth, y + KEY_HEIGHT - 1, width, 1);
        }
        continue;
      }
      g.fillStyle = BLACK.has(key % 12) ? '#2a2e36' : '#d8d8d8';
      g.fillRect(0, y, keysWidth - 2, KEY_HEIGHT - 1);
      if (key % 12 === 0) {
        g.fillStyle = '#111';
        g.font = '9px system-ui, sans-serif';
        g.fillText(keyName(key), 4, y + KEY_HEIGHT - 2);
        g.fillStyle = '#2f3540';
        g.fillRect(this.keysWidth, y + KEY_HEIGHT - 1, width, 1);
      }
    }
    const signature = project.time_signature;
    const grid = this.app.grid(true) || beatTicks(signature);
    const bar = barTicks(signature);
    const lastTick = this.xToTick(width);
    const step = grid * this.pxPerTick >= 6 ? grid : beatTicks(signature);
    for (let tick = Math.floor(this.scrollTick / step) * step; tick <= lastTick; tick += step) {
      const x = Math.round(this.tickToX(tick)) + 0.5;
      g.strokeStyle = tick % bar === 0 ? '#3a414d' : tick % beatTicks(signature) === 0 ? '#272c35' : '#1d2128';
      g.beginPath();
      g.moveTo(x, 0);
      g.lineTo(x, laneTop);
      g.stroke();
    }
    // Past the clip's end (a looped clip's: its loop's) notes do not sound: shade it.
    const end = this.tickToX(contentLength(t.clip));
    g.fillStyle = 'rgba(0, 0, 0, 0.45)';
    g.fillRect(Math.max(this.keysWidth, end), 0, width, laneTop);
    g.fillStyle = '#15181d';
    g.fillRect(0, laneTop, width, VELOCITY_LANE);
    g.fillStyle = '#9aa0a6';
    g.font = '10px system-ui, sans-serif';
    g.fillText('velocity', 4, laneTop + 14);
    // The other takes' notes, outlined behind the playing one's, to choose between by eye.
    g.strokeStyle = 'rgba(154, 160, 166, 0.6)';
    for (const n of (t.clip.content.takes ?? []).flat()) {
      const w = Math.max(3, n.length * this.pxPerTick);
      g.strokeRect(this.tickToX(n.start) + 0.5, this.keyToY(n.key) + 1.5, w - 1, KEY_HEIGHT - 3);
    }
    for (const n of this.shownNotes(t)) {
      const x = this.tickToX(n.start);
      const w = Math.max(3, n.length * this.pxPerTick);
      const y = this.keyToY(n.key);
      const selected = this.selected.has(n.id) || n === this.drag?.note;
      const shade = Math.round(40 + (n.velocity / 127) * 60);
      g.fillStyle = selected ? '#ffffff' : `hsl(42, 86%, ${shade}%)`;
      g.fillRect(x, y + 1, w, KEY_HEIGHT - 2);
      g.strokeStyle = '#111';
      g.strokeRect(x + 0.5, y + 1.5, w - 1, KEY_HEIGHT - 3);
      const vh = (n.velocity / 127) * (VELOCITY_LANE - 4);
      g.fillStyle = selected ? '#ffffff' : '#f0b429';
      g.fillRect(x, height - vh, 3, vh);
    }
    // Where the song is in the clip's content (in a looped clip, in the repeat playing).
    const playhead = this.tickToX(contentTick(t.clip, this.app.playheadTick()));
    if (playhead >= this.keysWidth && playhead <= width) {
      g.fillStyle = '#ff6b6b';
      g.fillRect(Math.round(playhead), 0, 1, laneTop);
    }
  }
}
