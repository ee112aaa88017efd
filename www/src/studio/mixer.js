// Main thread: the mixer — a strip per track and bus and the master: level meter, fader (dB),
// pan, mute and solo, insert slots (any effect the engine describes), and sends to buses.
// Dragging a fader is one undo step however far it moves. Each meter holds its highest peak
// (a line that falls after a moment, and a number that stays until clicked or Play).
import { TRACK_COLOURS } from './timeline.js';
import { el, reorderable } from './dom.js';

export const FADER_MIN_DB = -60;
export const MASTER = 0;

const dbText = (db) => (db <= FADER_MIN_DB ? '−∞ dB' : `${db > 0 ? '+' : ''}${db.toFixed(1)} dB`);
/** How long a meter's peak line stays before it falls to the level. */
const HOLD_MS = 1500;
/** Where a level in dBFS sits on a meter 60 dB tall, in percent. */
const meterPercent = (db) => Math.max(0, Math.min(100, ((db + 60) / 60) * 100));
/** A held peak as the strip shows it: dBFS to a tenth, or −∞ before any sound. */
export const peakText = (peak) => (peak <= 0 ? '−∞' : `${peak >= 1 ? '+' : ''}${(20 * Math.log10(peak)).toFixed(1)}`);
const panText = (pan) => (Math.abs(pan) < 0.005 ? 'C' : pan < 0 ? `${Math.round(-pan * 100)} L` : `${Math.round(pan * 100)} R`);

/**
 * A range input that reports each move, saying whether it continues the same drag, and calls
 * `onEnd` when the drag is let go.
 */
function gestureSlider(props, onMove, onEnd) {
  const input = el('input', { type: 'range', ...props });
  let dragging = false;
  input.addEventListener('pointerdown', () => { dragging = false; });
  input.addEventListener('input', () => {
    onMove(Number(input.value), dragging);
    dragging = true;
  });
  input.addEventListener('change', () => {
    dragging = false;
    onEnd();
  });
  return input;
}

/** Effects the engine offers as inserts: nodes that take audio in and give audio out. */
export function effectKinds(engine) {
  return [...engine.kinds.values()].filter((k) => !k.source && !k.captures && k.numberOfInputs >= 1
    && k.numberOfOutputs === 1 && !['destination', 'input', 'gain', 'stereo-panner', 'merger', 'splitter'].includes(k.name));
}

/** A menu that adds an insert effect to `channel` (its first entry names the menu). */
export function insertMenu(app, channel, prompt) {
  const add = el('select', { title: 'Add an insert effect' });
  add.setAttribute('aria-label', `Add an insert to ${channel.name}`);
  add.append(el('option', { value: '', textContent: prompt }), ...effectKinds(app.engine).map((k) => el('option', { value: k.name, textContent: k.name })));
  add.onchange = () => {
    if (add.value) app.addInsert(channel.id, add.value);
  };
  return add;
}

export class Mixer {
  constructor(root, app) {
    this.root = root;
    this.app = app;
    /** Meter subscriptions by strip key: { id, stop, strip }. */
    this.meters = new Map();
    /** The highest peak (linear, either channel) each strip's meter has read, by strip key. */
    this.held = new Map();
  }

  /** Forgets every held peak (Play does, so the numbers speak of this pass). */
  resetPeaks() {
    this.held.clear();
    for (const { strip } of this.meters.values()) this.showHeld(strip);
  }

  showHeld(strip) {
    const peak = this.held.get(strip.key) ?? 0;
    strip.peak.textContent = peakText(peak);
    strip.peak.classList.toggle('clipped', peak > 1);
  }

  render() {
    const { project } = this.app;
    const strips = [
      ...project.tracks.map((t, i) => this.strip(t, 'track', TRACK_COLOURS[i % TRACK_COLOURS.length])),
      ...project.buses.map((b) => this.strip(b, 'bus', '#a0aec0')),
      this.strip({ id: MASTER, name: 'Master', strip: project.master, inserts: null }, 'master'),
    ];
    this.root.replaceChildren(...strips.map((s) => s.element));
    const live = new Set();
    for (const s of strips) {
      live.add(s.key);
      this.watch(s);
    }
    for (const [key, m] of this.meters) {
      if (!live.has(key)) {
        m.stop();
        this.meters.delete(key);
      }
    }
  }

  watch(s) {
    const id = this.app.session.nodeOf(s.meterNode);
    const old = this.meters.get(s.key);
    this.showHeld(s);
    if (old && old.id === id) {
      old.strip = s;
      return;
    }
    old?.stop();
    if (id === undefined) return;
    // The peak line of each channel: its level and when it was reached.
    const lines = [{ peak: 0, at: 0 }, { peak: 0, at: 0 }];
    const entry = { id, strip: s, stop: () => {} };
    entry.stop = this.app.engine.meter(id, ({ peak }) => {
      const now = performance.now();
      const { bars, holds } = entry.strip;
      bars.forEach((bar, ch) => {
        const level = peak[ch] ?? 0;
        const line = lines[ch];
        if (level >= line.peak || now - line.at > HOLD_MS) Object.assign(line, { peak: level, at: now });
        bar.style.height = `${meterPercent(20 * Math.log10(Math.max(level, 1e-6)))}%`;
        holds[ch].style.bottom = `${meterPercent(20 * Math.log10(Math.max(line.peak, 1e-6)))}%`;
      });
      const loudest = Math.max(peak[0] ?? 0, peak[1] ?? 0);
      if (loudest > (this.held.get(s.key) ?? 0)) {
        this.held.set(s.key, loudest);
        this.showHeld(entry.strip);
      }
    });
    this.meters.set(s.key, entry);
  }

  strip(channel, type, colour = null) {
    const { strip } = channel;
    const prefix = type === 'track' ? `t${channel.id}` : type === 'bus' ? `b${channel.id}` : 'master';
    const element = el('section', { className: `strip ${type}` });
    element.dataset.channel = String(channel.id);
    if (colour) element.style.setProperty('--colour', colour);
    // While a slider moves only the engine and canvases follow; the strips re-render on release.
    const setStrip = (change, continuing = false, quiet = false) => this.app.edit({ edit: 'setStrip', track: channel.id, strip: { ...strip, ...change } }, { continuing, quiet });
    const released = () => this.app.refresh();
    const bars = [el('i'), el('i')];
    const holds = [el('b'), el('b')];
    const peak = el('button', { type: 'button', className: 'peak', title: 'Highest peak since Play, in dBFS (red: over 0 dBFS) · click to reset' });
    peak.setAttribute('aria-label', `${channel.name} peak`);
    peak.onclick = () => {
      this.held.delete(prefix);
      this.showHeld({ key: prefix, peak });
    };
    const gainOut = el('output', { textContent: dbText(strip.gain_db) });
    const fader = gestureSlider({ className: 'fader', min: FADER_MIN_DB, max: 12, step: 0.1, value: Math.max(FADER_MIN_DB, strip.gain_db), title: 'Fader' }, (db, continuing) => {
      gainOut.textContent = dbText(db);
      setStrip({ gain_db: db <= FADER_MIN_DB ? -200 : db }, continuing, true);
    }, released);
    fader.setAttribute('aria-label', `${channel.name} fader`);
    fader.addEventListener('dblclick', () => setStrip({ gain_db: 0 }));
    const panOut = el('output', { textContent: panText(strip.pan) });
    const pan = gestureSlider({ min: -1, max: 1, step: 0.01, value: strip.pan, title: 'Pan (double-click: centre)' }, (v, continuing) => {
      panOut.textContent = panText(v);
      setStrip({ pan: v }, continuing, true);
    }, released);
    pan.setAttribute('aria-label', `${channel.name} pan`);
    pan.addEventListener('dblclick', () => setStrip({ pan: 0 }));
    const switches = el('div', { className: 'switches' });
    const mute = el('button', { type: 'button', textContent: 'M', title: 'Mute', className: 'mute' });
    mute.setAttribute('aria-pressed', String(strip.mute));
    mute.onclick = () => setStrip({ mute: !strip.mute });
    switches.append(mute);
    if (type === 'track') {
      const solo = el('button', { type: 'button', textContent: 'S', title: 'Solo', className: 'solo' });
      solo.setAttribute('aria-pressed', String(strip.solo));
      solo.onclick = () => setStrip({ solo: !strip.solo });
      switches.append(solo);
    }
    // The level and the switches share a row, as do pan and its value: the rows left over go
    // to the fader.
    element.append(
      el('div', { className: 'name-row' }, el('h3', { textContent: channel.name, title: channel.name }), peak),
      el('div', { className: 'fader-row' }, fader, el('div', { className: 'meter-bar' }, ...bars.map((bar, ch) => el('span', {}, bar, holds[ch])))),
      el('div', { className: 'level-row' }, gainOut, switches),
      el('label', { className: 'pan-row' }, 'Pan', pan, panOut),
    );
    // Empty where a strip has none, so every strip has the mixer's six rows.
    element.append(channel.inserts ? this.inserts(channel) : el('div'), type === 'track' ? this.sends(channel) : el('div'));
    return { element, bars, holds, peak, key: prefix, meterNode: `${prefix}.pan` };
  }

  /**
   * A channel's inserts in signal order: each one's name shows its controls, and is dragged
   * onto another to move it there (or moved with Alt+↑/↓); ● bypasses it, × removes it.
   */
  inserts(channel) {
    const list = el('ol', { ariaLabel: `${channel.name} inserts` });
    const move = (device, index) => {
      if (index < 0 || index >= channel.inserts.length) return;
      this.app.edit({ edit: 'moveInsert', track: channel.id, device, index });
      this.root.querySelector(`li[data-device="${device}"] button.device-name`)?.focus();
    };
    channel.inserts.forEach((device, at) => {
      const name = el('button', { type: 'button', className: `device-name${device.bypass ? ' bypassed' : ''}`, textContent: device.kind, title: 'Show its controls · drag (or Alt+↑/↓) to move it in the chain' });
      name.onclick = () => this.app.showDevice(channel.id, device.id);
      name.onkeydown = (e) => {
        if (!e.altKey || (e.key !== 'ArrowUp' && e.key !== 'ArrowDown')) return;
        // Not also the studio's Alt+↑/↓, which steps through a take folder's takes.
        e.preventDefault();
        e.stopPropagation();
        move(device.id, at + (e.key === 'ArrowUp' ? -1 : 1));
      };
      const bypass = el('button', { type: 'button', textContent: device.bypass ? '○' : '●', title: device.bypass ? 'Bypassed: turn on' : 'On: bypass' });
      bypass.onclick = () => this.app.edit({ edit: 'setBypass', track: channel.id, device: device.id, bypass: !device.bypass });
      const remove = el('button', { type: 'button', textContent: '×', title: 'Remove' });
      remove.onclick = () => this.app.edit({ edit: 'removeInsert', track: channel.id, device: device.id });
      const item = el('li', {}, name, bypass, remove);
      item.dataset.device = String(device.id);
      // A drag carries the insert's channel too: it moves only within its own chain.
      reorderable(item, `application/x-quaver-insert-${channel.id}`, device.id, (moved) => move(moved, at));
      list.append(item);
    });
    return el('div', {}, list, insertMenu(this.app, channel, '+ insert…'));
  }

  sends(track) {
    const wrap = el('div', { className: 'sends' });
    for (const bus of this.app.project.buses) {
      const send = track.sends.find((s) => s.bus === bus.id);
      const out = el('output', { textContent: send ? dbText(send.gain_db) : 'off' });
      const slider = gestureSlider({ min: FADER_MIN_DB, max: 6, step: 0.5, value: send ? send.gain_db : FADER_MIN_DB }, (db, continuing) => {
        out.textContent = db <= FADER_MIN_DB ? 'off' : dbText(db);
        this.app.edit({ edit: 'setSend', track: track.id, bus: bus.id, gain_db: db <= FADER_MIN_DB ? null : db }, { continuing, quiet: true });
      }, () => this.app.refresh());
      slider.setAttribute('aria-label', `${track.name} send to ${bus.name}`);
      wrap.append(el('label', {}, `→ ${bus.name}`, out), slider);
    }
    return wrap;
  }
}
