// Main thread: the arrangement — a ruler with the loop region and playhead over one row per
// track, clips drawn on a canvas. Dragging previews on the canvas and becomes one edit on
// release, so one gesture is one undo step.
import { PEAK_FRAMES } from './audio.js';
import { takeOf, withTake } from './takes.js';
import { clipFades, contentSeconds, heardNotes, repeats, soundingNotes } from './notes.js';
import { TEMPO_RANGE, formatValue, fromUnit, laneOf, laneTarget, toUnit, valueAt } from './automation.js';
import { barTicks, beatTicks, snap, snapDown } from './time.js';

export const RULER = 26;
export const ROW = 60;
const EDGE = 7;
/** A clip's top band, where its name is and its top-right corner loops it. */
const CLIP_BAND = 14;
/** How close (px) a click must be to a breakpoint to grab it. */
const POINT_GRAB = 7;
const LANE_PAD = 6;
const MIN_PX_PER_TICK = 0.002;
const MAX_PX_PER_TICK = 1;
export const TRACK_COLOURS = ['#f0b429', '#4fd1c5', '#9f7aea', '#f56565', '#68d391', '#63b3ed', '#ed64a6', '#ecc94b'];

/** A canvas drawn at the screen's pixel density; returns its 2D context in CSS pixels. */
export function fitCanvas(canvas, width, height) {
  const ratio = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
  }
  const g = canvas.getContext('2d');
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  return g;
}

export class Timeline {
  constructor(canvas, app) {
    this.canvas = canvas;
    this.app = app;
    /** Pixels per tick (0.05: 48 px a beat) and the first tick shown. */
    this.pxPerTick = 0.05;
    this.scrollTick = 0;
    this.drag = null;
    canvas.addEventListener('pointerdown', (e) => this.pointerDown(e));
    canvas.addEventListener('pointermove', (e) => this.pointerMove(e));
    canvas.addEventListener('pointerup', (e) => this.pointerUp(e));
    canvas.addEventListener('dblclick', (e) => this.doubleClick(e));
    canvas.addEventListener('wheel', (e) => this.wheel(e), { passive: false });
    new ResizeObserver(() => this.draw()).observe(canvas.parentElement);
  }

  tickToX(tick) {
    return (tick - this.scrollTick) * this.pxPerTick;
  }

  xToTick(x) {
    return Math.max(0, x / this.pxPerTick + this.scrollTick);
  }

  /** The top of the tracks: under the ruler, and under the tempo row when it shows. */
  get tracksTop() {
    return RULER + (this.app.showTempo ? ROW : 0);
  }

  /** The top of track row `index`, in canvas pixels. */
  rowY(index) {
    return this.tracksTop + index * ROW;
  }

  zoom(factor, aroundX = this.canvas.clientWidth / 2) {
    const tick = this.xToTick(aroundX);
    this.pxPerTick = Math.max(MIN_PX_PER_TICK, Math.min(MAX_PX_PER_TICK, this.pxPerTick * factor));
    this.scrollTick = Math.max(0, tick - aroundX / this.pxPerTick);
    this.draw();
  }

  /** Scrolls so `tick` is on screen (the playhead, while playing). */
  follow(tick) {
    const width = this.canvas.clientWidth;
    const x = this.tickToX(tick);
    if (x < 0 || x > width - 40) {
      this.scrollTick = Math.max(0, tick - 40 / this.pxPerTick);
      this.draw();
    }
  }

  locate(event) {
    const rect = this.canvas.getBoundingClientRect();
    const x = event.clientX - rect.left;
    const y = event.clientY - rect.top;
    const tempo = this.app.showTempo && y >= RULER && y < this.tracksTop;
    const row = y < RULER ? -1 : tempo ? -2 : Math.floor((y - this.tracksTop) / ROW);
    const track = this.app.rows()[row] ?? null;
    let clip = null;
    let edge = false;
    let corner = false;
    const lane = tempo || (track !== null && this.app.automation?.track === track.id);
    // On a take lane, the folder under the pointer that has the take.
    const clips = track?.kind === 'take' ? track.track.clips.filter((c) => takeOf(c.content).count > track.take) : track?.clips;
    if (track && !lane) {
      for (const c of clips) {
        const x0 = this.tickToX(c.start);
        const x1 = this.tickToX(c.start + c.length);
        if (x >= x0 && x <= x1) {
          clip = c;
          edge = x1 - x <= EDGE;
          // The top-right corner loops a clip (on a take lane, a click comps instead).
          corner = edge && track.kind !== 'take' && y - this.rowY(row) < 3 + CLIP_BAND;
        }
      }
    }
    return { x, y, row, track, clip, edge, corner, lane, tempo, tick: this.xToTick(x) };
  }

  pointerDown(event) {
    if (event.button !== 0) return;
    const at = this.locate(event);
    this.canvas.setPointerCapture(event.pointerId);
    const grid = this.app.grid();
    if (at.tempo) {
      this.laneDown(at);
      return;
    }
    if (at.row < 0) {
      this.drag = { mode: 'ruler', from: snap(at.tick, grid), to: snap(at.tick, grid), moved: false };
      return;
    }
    if (!at.track) return;
    if (at.track.kind === 'take') {
      const tick = snap(at.tick, grid);
      this.drag = { mode: 'comp', row: at.row, lane: at.track, clip: at.clip, x: at.x, from: tick, to: tick, moved: false };
      return;
    }
    if (at.lane) {
      this.laneDown(at);
      return;
    }
    // A bus or master row is there for its lanes (press A): nothing to select on it.
    if (at.track.kind === 'bus' || at.track.kind === 'master') return;
    this.app.select({ track: at.track.id, clip: at.clip?.id ?? null });
    if (!at.clip) return;
    this.drag = {
      mode: at.corner ? 'loop' : at.edge ? 'resize' : 'move',
      track: at.track,
      clip: at.clip,
      grabTick: at.tick,
      start: at.clip.start,
      length: at.clip.length,
      row: at.row,
      moved: false,
    };
  }

  pointerMove(event) {
    const at = this.locate(event);
    const { drag } = this;
    if (!drag) {
      const lanePoint = at.lane && this.pointNear(at) !== null;
      const comping = at.track?.kind === 'take';
      const onClip = at.corner ? 'alias' : at.edge ? 'ew-resize' : 'grab';
      this.canvas.style.cursor = at.lane ? (lanePoint ? 'move' : 'crosshair') : comping ? (at.clip ? 'pointer' : 'default') : at.clip ? onClip : at.row < 0 ? 'text' : 'default';
      return;
    }
    const grid = this.app.grid();
    drag.moved = true;
    if (drag.mode === 'point') {
      this.laneDrag(at);
    } else if (drag.mode === 'ruler' || drag.mode === 'comp') {
      drag.to = snap(at.tick, grid);
      // A press that wanders a few pixels is still a click.
      if (drag.mode === 'comp') drag.moved = Math.abs(at.x - drag.x) >= 4;
    } else if (drag.mode === 'move') {
      drag.start = Math.max(0, snap(drag.clip.start + (at.tick - drag.grabTick), grid));
      if (at.track && at.track.kind === drag.track.kind) drag.row = at.row;
    } else {
      drag.length = Math.max(grid || 1, snap(drag.clip.start + drag.clip.length + (at.tick - drag.grabTick), grid) - drag.clip.start);
    }
    this.draw();
  }

  pointerUp(event) {
    const { drag } = this;
    this.drag = null;
    if (!drag) return;
    this.canvas.releasePointerCapture(event.pointerId);
    if (drag.mode === 'ruler') {
      const [a, b] = [Math.min(drag.from, drag.to), Math.max(drag.from, drag.to)];
      if (drag.moved && b > a) this.app.setLoop({ start: a, end: b });
      else this.app.seek(a);
      this.draw();
      return;
    }
    if (drag.mode === 'point') {
      if (drag.tempo) this.app.setTempoMap(drag.points);
      else this.app.setLane(drag.track, drag.target, drag.points);
      return;
    }
    if (drag.mode === 'comp') {
      // A click plays the take over the whole folder under it; a drag, over the span dragged.
      const { track, take } = drag.lane;
      const [a, b] = [Math.min(drag.from, drag.to), Math.max(drag.from, drag.to)];
      if (drag.moved && b > a) this.app.compTake(track, a, b, take);
      else if (drag.clip) this.app.compTake(track, drag.clip.start, drag.clip.start + drag.clip.length, take);
      this.draw();
      return;
    }
    if (!drag.moved) return;
    const target = this.app.rows()[drag.row];
    if (drag.mode === 'move') this.app.moveClip(drag.track, drag.clip, target, drag.start);
    else if (drag.mode === 'loop') this.app.loopClip(drag.track, drag.clip, drag.length);
    else this.app.resizeClip(drag.track, drag.clip, drag.length);
  }

  doubleClick(event) {
    const at = this.locate(event);
    if (at.lane) {
      const lane = this.currentLane(at.tempo);
      const index = this.pointNear(at, lane);
      if (index === null || !lane) return;
      if (lane.tempo) {
        // The song's first tempo stays; a change goes.
        if (index > 0) this.app.setTempoMap(lane.points.filter((_, i) => i !== index));
      } else {
        this.app.setLane(at.track, lane.target, lane.points.filter((_, i) => i !== index));
      }
      return;
    }
    if (!at.track || at.clip || at.track.kind !== 'midi') return;
    const bar = barTicks(this.app.project.time_signature);
    this.app.addMidiClip(at.track, snapDown(at.tick, this.app.grid() || bar), bar);
  }

  /**
   * A lane being shown: the tempo row's (`tempo`), else the track lane over its row — its top,
   * label, range, the value before any point, and its points (none yet: an empty list).
   */
  currentLane(tempo = false) {
    const { project } = this.app;
    if (tempo) {
      if (!this.app.showTempo) return null;
      const points = [{ tick: 0, value: project.tempo_bpm }, ...project.tempo_changes.map((c) => ({ tick: c.tick, value: c.bpm, ramp: c.ramp }))];
      return { tempo: true, key: 'tempo', top: RULER, label: 'Tempo (BPM)', range: TEMPO_RANGE, initial: project.tempo_bpm, points };
    }
    const view = this.app.automation;
    const rows = this.app.rows();
    const track = view && rows.find((t) => t.id === view.track);
    const shown = track && laneTarget(this.app, track, view.key);
    if (!shown) return null;
    const top = this.rowY(rows.findIndex((t) => t.id === track.id));
    return { track, key: view.key, top, ...shown, points: laneOf(track, view.key)?.points ?? [] };
  }

  /** The y of `value` in a lane whose row starts at `top`, and back. */
  laneY(top, value, range) {
    return top + LANE_PAD + (1 - toUnit(value, range)) * (ROW - 2 * LANE_PAD);
  }

  laneValue(top, y, range) {
    return fromUnit(1 - (y - top - LANE_PAD) / (ROW - 2 * LANE_PAD), range);
  }

  pointNear(at, lane = this.currentLane(at.tempo)) {
    if (!lane) return null;
    const index = lane.points.findIndex((p) => Math.hypot(this.tickToX(p.tick) - at.x, this.laneY(lane.top, p.value, lane.range) - at.y) <= POINT_GRAB);
    return index < 0 ? null : index;
  }

  /**
   * A press on a lane grabs the point under it, or adds one there (snapped to the grid; on the
   * tempo row a new point ramps from the one before).
   */
  laneDown(at) {
    const lane = this.currentLane(at.tempo);
    if (!lane) return;
    let index = this.pointNear(at, lane);
    const points = lane.points.map((p) => ({ ...p }));
    if (index === null) {
      const tick = Math.round(snap(at.tick, this.app.grid()));
      const value = this.laneValue(lane.top, at.y, lane.range);
      const same = points.findIndex((p) => p.tick === tick);
      if (same >= 0) {
        points[same].value = value;
        index = same;
      } else {
        points.push(lane.tempo ? { tick, value, ramp: true } : { tick, value });
        points.sort((a, b) => a.tick - b.tick);
        index = points.findIndex((p) => p.tick === tick);
      }
    }
    this.drag = { mode: 'point', tempo: !!lane.tempo, track: lane.track, target: lane.target, range: lane.range, top: lane.top, key: lane.key, index, points, moved: false };
    this.draw();
  }

  /** Moves the grabbed point, kept between its neighbours (the song's first tempo stays on tick 0). */
  laneDrag(at) {
    const { drag } = this;
    const { points, index } = drag;
    const low = index > 0 ? points[index - 1].tick + 1 : 0;
    const high = drag.tempo && index === 0 ? 0 : index < points.length - 1 ? points[index + 1].tick - 1 : Infinity;
    const tick = Math.round(snap(at.tick, this.app.grid()));
    points[index] = { ...points[index], tick: Math.max(low, Math.min(high, tick)), value: this.laneValue(drag.top, at.y, drag.range) };
    this.draw();
  }

  drawLane(g, width, lane) {
    if (!lane) return;
    const points = this.drag?.mode === 'point' && this.drag.key === lane.key ? this.drag.points : lane.points;
    const y0 = lane.top;
    g.fillStyle = lane.tempo ? '#14171c' : 'rgba(16, 18, 22, 0.6)';
    g.fillRect(0, y0, width, ROW);
    g.fillStyle = '#9aa0a6';
    g.font = '11px system-ui, sans-serif';
    g.fillText(`${lane.label}${points.length ? '' : ' · click to add a point'}`, 6, y0 + 12);
    const value = points.length ? null : lane.initial;
    g.strokeStyle = '#ffd166';
    g.lineWidth = 1.5;
    g.beginPath();
    for (let x = 0; x <= width; x += 2) {
      const v = value ?? valueAt(points, this.xToTick(x));
      const y = this.laneY(y0, v, lane.range);
      if (x === 0) g.moveTo(x, y);
      else g.lineTo(x, y);
    }
    g.stroke();
    g.lineWidth = 1;
    g.fillStyle = '#ffd166';
    for (const p of points) {
      const x = this.tickToX(p.tick);
      if (x < -POINT_GRAB || x > width + POINT_GRAB) continue;
      g.beginPath();
      g.arc(x, this.laneY(y0, p.value, lane.range), 3.5, 0, Math.PI * 2);
      g.fill();
    }
    if (this.drag?.mode === 'point' && this.drag.key === lane.key) {
      const p = points[this.drag.index];
      g.fillText(formatValue(p.value, lane.key), this.tickToX(p.tick) + 6, this.laneY(y0, p.value, lane.range) - 6);
    }
  }

  wheel(event) {
    if (event.ctrlKey || event.metaKey) {
      event.preventDefault();
      this.zoom(event.deltaY < 0 ? 1.2 : 1 / 1.2, event.offsetX);
      return;
    }
    const dx = event.shiftKey ? event.deltaY : event.deltaX;
    if (dx === 0) return;
    event.preventDefault();
    this.scrollTick = Math.max(0, this.scrollTick + dx / this.pxPerTick);
    this.draw();
  }

  draw() {
    const { project, selection } = this.app;
    if (!project) return;
    const width = this.canvas.parentElement.clientWidth;
    const rows = this.app.rows();
    const height = Math.max(this.rowY(rows.length) + ROW, this.canvas.parentElement.clientHeight);
    const tracksTop = this.tracksTop;
    const g = fitCanvas(this.canvas, width, height);
    const signature = project.time_signature;
    const beat = beatTicks(signature);
    const bar = barTicks(signature);
    g.fillStyle = '#101216';
    g.fillRect(0, 0, width, height);
    rows.forEach((row, i) => {
      if (row.kind === 'take') {
        g.fillStyle = '#121419';
        g.fillRect(0, this.rowY(i), width, ROW);
      } else if (row.kind !== 'bus' && row.kind !== 'master') {
        g.fillStyle = row.id === selection.track ? '#1f242c' : project.tracks.indexOf(row) % 2 ? '#15181d' : '#181b21';
        g.fillRect(0, this.rowY(i), width, ROW);
      }
    });
    // Bus and master rows hold lanes only: a darker band, with what they are.
    rows.forEach((channel, i) => {
      if (channel.kind !== 'bus' && channel.kind !== 'master') return;
      const y = this.rowY(i);
      g.fillStyle = '#0d0f12';
      g.fillRect(0, y, width, ROW);
      g.fillStyle = '#2c3038';
      g.fillRect(0, y, width, 1);
      if (this.app.automation?.track !== channel.id) {
        g.fillStyle = '#5a6170';
        g.font = '11px system-ui, sans-serif';
        const lanes = channel.automation.length ? `${channel.automation.length} lane${channel.automation.length === 1 ? '' : 's'}` : 'no lanes';
        g.fillText(`${channel.name}: ${lanes} (A shows them)`, 6, y + ROW / 2 + 4);
      }
    });
    // Grid: bars bright, beats faint; beats dropped when they would crowd.
    const firstBar = Math.floor(this.scrollTick / bar);
    const lastTick = this.xToTick(width);
    const showBeats = beat * this.pxPerTick >= 8;
    for (let t = firstBar * bar; t <= lastTick; t += showBeats ? beat : bar) {
      const x = Math.round(this.tickToX(t)) + 0.5;
      const isBar = t % bar === 0;
      g.strokeStyle = isBar ? '#2f3540' : '#20242b';
      g.beginPath();
      g.moveTo(x, tracksTop);
      g.lineTo(x, height);
      g.stroke();
    }
    this.drawRuler(g, width, bar);
    rows.forEach((row, i) => {
      if (row.kind === 'take') {
        for (const clip of row.track.clips) if (takeOf(clip.content).count > row.take) this.drawTake(g, row, i, clip);
        if (this.drag?.mode === 'comp' && this.drag.moved && this.drag.row === i) {
          const [a, b] = [Math.min(this.drag.from, this.drag.to), Math.max(this.drag.from, this.drag.to)];
          g.fillStyle = 'rgba(255, 255, 255, 0.18)';
          g.fillRect(this.tickToX(a), this.rowY(i) + 1, (b - a) * this.pxPerTick, ROW - 2);
        }
      } else {
        for (const clip of row.clips) this.drawClip(g, row, i, clip);
      }
    });
    this.drawLane(g, width, this.currentLane());
    this.drawLane(g, width, this.currentLane(true));
    if (this.drag && ['move', 'resize', 'loop'].includes(this.drag.mode)) {
      const { drag } = this;
      const looping = drag.mode === 'loop' ? this.app.loopOf(drag.clip, drag.length) : drag.clip.looping;
      this.drawClip(g, drag.track, drag.row, { ...drag.clip, start: drag.start, length: drag.length, looping }, true);
    }
    const x = this.tickToX(this.app.playheadTick());
    if (x >= 0 && x <= width) {
      g.strokeStyle = '#ff6b6b';
      g.beginPath();
      g.moveTo(Math.round(x) + 0.5, 0);
      g.lineTo(Math.round(x) + 0.5, height);
      g.stroke();
    }
  }

  drawRuler(g, width, bar) {
    const { project } = this.app;
    g.fillStyle = '#1b1e24';
    g.fillRect(0, 0, width, RULER);
    const loop = this.drag?.mode === 'ruler' && this.drag.moved
      ? { start: Math.min(this.drag.from, this.drag.to), end: Math.max(this.drag.from, this.drag.to), preview: true }
      : project.loop_region;
    if (loop) {
      g.fillStyle = this.app.looping || loop.preview ? 'rgba(79, 209, 197, 0.45)' : 'rgba(154, 160, 166, 0.25)';
      g.fillRect(this.tickToX(loop.start), 0, (loop.end - loop.start) * this.pxPerTick, RULER);
    }
    g.fillStyle = '#9aa0a6';
    g.font = '11px system-ui, sans-serif';
    const labelEvery = Math.max(1, Math.ceil(40 / (bar * this.pxPerTick)));
    for (let b = Math.floor(this.scrollTick / bar); b * bar <= this.xToTick(width); b += 1) {
      if (b % labelEvery) continue;
      const x = this.tickToX(b * bar);
      g.fillRect(Math.round(x), RULER - 8, 1, 8);
      g.fillText(String(b + 1), x + 3, RULER - 10);
    }
  }

  drawClip(g, track, row, clip, preview = false) {
    const x = this.tickToX(clip.start);
    const w = Math.max(2, clip.length * this.pxPerTick);
    const y = this.rowY(row) + 3;
    const h = ROW - 6;
    const colour = TRACK_COLOURS[this.app.project.tracks.indexOf(track) % TRACK_COLOURS.length];
    const selected = this.app.selection.clip === clip.id;
    g.globalAlpha = preview ? 0.55 : 1;
    g.fillStyle = `${colour}40`;
    g.fillRect(x, y, w, h);
    g.fillStyle = colour;
    g.fillRect(x, y, w, CLIP_BAND);
    g.strokeStyle = selected ? '#ffffff' : colour;
    g.lineWidth = selected ? 2 : 1;
    g.strokeRect(x + 0.5, y + 0.5, w - 1, h - 1);
    g.lineWidth = 1;
    g.save();
    g.beginPath();
    g.rect(x, y, w, h);
    g.clip();
    g.fillStyle = '#111';
    g.font = '11px system-ui, sans-serif';
    const take = takeOf(clip.content);
    const heard = clip.content.type === 'midi' ? heardNotes(clip) : [];
    const what = clip.content.type === 'midi' ? `${heard.length} notes` : clip.content.asset;
    const label = take.count ? `take ${take.index + 1}/${take.count} · ${what}` : what;
    g.fillText(label, x + 4, y + 11);
    // The corner that loops the clip; a looped clip's repeats are marked where each starts again.
    if (w > 40) g.fillText('↻', x + w - 11, y + 11);
    if (clip.content.type === 'audio') {
      this.drawWaveform(g, clip, x, y + CLIP_BAND, w, h - CLIP_BAND, colour);
      // Its fades: a line up from the bottom at the start, down to it at the end.
      const [rise, fall] = clipFades(clip);
      g.strokeStyle = '#ffffffc0';
      for (const [from, to] of [[[x, y + h], [x + rise * this.pxPerTick, y + CLIP_BAND]], [[x + w - fall * this.pxPerTick, y + CLIP_BAND], [x + w, y + h]]]) {
        if (from[0] === to[0]) continue;
        g.beginPath();
        g.moveTo(...from);
        g.lineTo(...to);
        g.stroke();
      }
    }
    g.fillStyle = colour;
    this.drawNotes(g, clip.content.type === 'midi' ? soundingNotes(clip) : [], x, y, h);
    g.strokeStyle = '#ffffffa0';
    g.setLineDash([3, 3]);
    for (const [at, from] of repeats(clip).slice(1)) {
      if (from !== 0) continue;
      const rx = Math.round(x + at * this.pxPerTick) + 0.5;
      g.beginPath();
      g.moveTo(rx, y + CLIP_BAND);
      g.lineTo(rx, y + h);
      g.stroke();
    }
    g.setLineDash([]);
    g.restore();
    g.globalAlpha = 1;
  }

  /**
   * Take `lane.take` of take folder `clip`, on its lane (row `row`): bright where the folder plays
   * it, dim where another take plays.
   */
  drawTake(g, lane, row, clip) {
    const x = this.tickToX(clip.start);
    const w = Math.max(2, clip.length * this.pxPerTick);
    const y = this.rowY(row) + 3;
    const h = ROW - 6;
    const colour = TRACK_COLOURS[this.app.project.tracks.indexOf(lane.track) % TRACK_COLOURS.length];
    const playing = takeOf(clip.content).index === lane.take;
    const content = withTake(clip.content, lane.take);
    g.save();
    g.globalAlpha = playing ? 1 : 0.4;
    g.fillStyle = `${colour}30`;
    g.fillRect(x, y, w, h);
    g.strokeStyle = playing ? colour : '#5a6170';
    g.strokeRect(x + 0.5, y + 0.5, w - 1, h - 1);
    g.beginPath();
    g.rect(x, y, w, h);
    g.clip();
    g.fillStyle = playing ? colour : '#9aa0a6';
    g.font = '11px system-ui, sans-serif';
    g.fillText(playing ? `take ${lane.take + 1} · plays` : `take ${lane.take + 1}`, x + 4, y + 11);
    if (content.type === 'audio') {
      this.drawWaveform(g, { ...clip, content }, x, y + 14, w, h - 14, playing ? colour : '#9aa0a6');
    } else {
      this.drawNotes(g, soundingNotes({ ...clip, content }), x, y, h);
    }
    g.restore();
  }

  /** A MIDI clip's notes as dashes in the clip's box (left `x`, top `y`, height `h`), its range of keys filling it. */
  drawNotes(g, notes, x, y, h) {
    if (!notes.length) return;
    const keys = notes.map((n) => n.key);
    const low = Math.min(...keys);
    const span = Math.max(12, Math.max(...keys) - low + 1);
    for (const n of notes) {
      const ny = y + h - 3 - ((n.key - low + 1) / span) * (h - 20);
      g.fillRect(x + n.start * this.pxPerTick, ny, Math.max(1, n.length * this.pxPerTick), 2);
    }
  }

  /** An audio clip's sample as min/max columns, one per pixel, from its peak overview. */
  drawWaveform(g, clip, x, y, w, h, colour) {
    const sample = this.app.waveform(clip.content.asset);
    if (!sample) {
      g.fillStyle = '#f56565';
      g.font = '11px system-ui, sans-serif';
      g.fillText('sample missing', x + 4, y + 14);
      return;
    }
    const { peaks, sampleRate } = sample;
    const columns = peaks.length / 2;
    const { tempo } = this.app;
    // The sample's frame under each pixel, through the tempo map (the audio keeps its speed),
    // from where the pixel's repeat starts in the content (a clip that plays once: its start).
    const frameAtPixel = (px) => clip.content.offset + contentSeconds(clip, this.xToTick(x + px), tempo) * sampleRate;
    const middle = y + h / 2;
    g.fillStyle = colour;
    const first = Math.max(0, Math.floor(-x));
    const last = Math.min(w, this.canvas.clientWidth - x);
    let next = frameAtPixel(first);
    for (let px = first; px < last; px += 1) {
      const here = next;
      next = frameAtPixel(px + 1);
      const from = Math.floor(here / PEAK_FRAMES);
      const to = Math.max(from + 1, Math.floor(next / PEAK_FRAMES));
      // Past the sample's end (a repeat after it may start it again).
      if (from >= columns) continue;
      let low = 0;
      let high = 0;
      for (let c = from; c < Math.min(to, columns); c += 1) {
        low = Math.min(low, peaks[2 * c]);
        high = Math.max(high, peaks[2 * c + 1]);
      }
      const top = middle - high * (h / 2 - 1);
      g.fillRect(x + px, top, 1, Math.max(1, (high - low) * (h / 2 - 1)));
    }
  }
}
