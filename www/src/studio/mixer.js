// Main thread: the mixer — a strip per track and bus and the master: level meter, fader (dB),
// pan, mute and solo, insert slots (any effect the engine describes), and sends to buses.
// Dragging a fader is one undo step however far it moves.
import { TRACK_COLOURS } from './timeline.js';
import { el } from './dom.js';

export const FADER_MIN_DB = -60;
export const MASTER = 0;

const dbText = (db) => (db <= FADER_MIN_DB ? '−∞ dB' : `${db > 0 ? '+' : ''}${db.toFixed(1)} dB`);
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
    /** Meter subscriptions by strip key: { id, stop, bars }. */
    this.meters = new Map();
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
    if (old && old.id === id) {
      old.bars = s.bars;
      return;
    }
    old?.stop();
    if (id === undefined) return;
    const entry = { id, bars: s.bars, stop: () => {} };
    entry.stop = this.app.engine.meter(id, ({ peak }) => {
      entry.bars.forEach((bar, ch) => {
        const db = 20 * Math.log10(Math.max(peak[ch] ?? 0, 1e-6));
        bar.style.height = `${Math.max(0, Math.min(100, ((db + 60) / 60) * 100))}%`;
      });
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
      el('h3', { textContent: channel.name, title: channel.name }),
      el('div', { className: 'fader-row' }, fader, el('div', { className: 'meter-bar' }, ...bars)),
      el('div', { className: 'level-row' }, gainOut, switches),
      el('label', { className: 'pan-row' }, 'Pan', pan, panOut),
    );
    // Empty where a strip has none, so every strip has the mixer's six rows.
    element.append(channel.inserts ? this.inserts(channel) : el('div'), type === 'track' ? this.sends(channel) : el('div'));
    return { element, bars, key: prefix, meterNode: `${prefix}.pan` };
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
      const item = el('li', { draggable: true }, name, bypass, remove);
      item.dataset.device = String(device.id);
      // A drag carries the insert's channel too: it moves only within its own chain.
      const type = `application/x-quaver-insert-${channel.id}`;
      item.addEventListener('dragstart', (e) => {
        e.dataTransfer.setData(type, String(device.id));
        e.dataTransfer.effectAllowed = 'move';
      });
      item.addEventListener('dragover', (e) => {
        if (!e.dataTransfer.types.includes(type)) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = 'move';
        item.classList.add('drop-here');
      });
      item.addEventListener('dragleave', () => item.classList.remove('drop-here'));
      item.addEventListener('drop', (e) => {
        item.classList.remove('drop-here');
        const moved = Number(e.dataTransfer.getData(type));
        if (!moved || moved === device.id) return;
        e.preventDefault();
        move(moved, at);
      });
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
