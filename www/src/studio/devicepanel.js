// Main thread: the controls of a track's instrument and its inserts (or a bus's), made from the
// engine's own descriptions of each kind — every parameter a slider over its control range
// (logarithmic where the kind says so), every choice a menu — so a new node kind is a device
// here with no code of its own.

import { el } from './dom.js';
import { insertMenu } from './mixer.js';

const SLIDER_STEPS = 1000;

function toSlider(value, { min, max, log }) {
  if (log && min > 0) return Math.round((SLIDER_STEPS * Math.log(value / min)) / Math.log(max / min));
  return Math.round((SLIDER_STEPS * (value - min)) / (max - min));
}

function fromSlider(position, { min, max, log }) {
  const share = position / SLIDER_STEPS;
  return log && min > 0 ? min * (max / min) ** share : min + share * (max - min);
}

/** A hidden file input for an audio file, handing the file chosen to `onFile` (then ready for the same file again). */
function audioFileInput(label, onFile) {
  const input = el('input', { type: 'file', accept: 'audio/*,.wav,.mp3,.ogg,.flac,.m4a,.aac', hidden: true });
  input.setAttribute('aria-label', label);
  input.onchange = () => {
    const [file] = input.files;
    if (file) onFile(file);
    input.value = '';
  };
  return input;
}

/** The keys whose pads take a sample of their own (a drum kit's `pad36` settings), in key order. */
function padKeys(kind) {
  return (kind?.settings ?? [])
    .map((s) => (s.type === 'samples' && s.stored ? /^pad(\d+)$/.exec(s.name) : null))
    .filter(Boolean)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

export function formatValue(value) {
  const abs = Math.abs(value);
  if (abs >= 1000) return `${(value / 1000).toFixed(2)}k`;
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(abs < 0.1 && abs > 0 ? 3 : 2);
}

const dbText = (db) => `${db > 0 ? '+' : ''}${db.toFixed(1)} dB`;
const semitoneText = (st) => `${st > 0 ? '+' : ''}${Number.isInteger(st) ? st : st.toFixed(1)} st`;

export class DevicePanel {
  constructor(root, app) {
    this.root = root;
    this.app = app;
    this.focused = null;
    /** The pad shown for editing on each kit, by device id: the last one played. */
    this.padShown = new Map();
  }

  /** The channel whose devices are shown: the selected track, or a bus chosen in the mixer. */
  channel() {
    const { project, selection } = this.app;
    const id = selection.channel ?? selection.track;
    return project.tracks.find((t) => t.id === id) ?? project.buses.find((b) => b.id === id) ?? null;
  }

  render() {
    const channel = this.channel();
    if (!channel) {
      this.root.replaceChildren(el('p', { className: 'empty', textContent: 'Select a track to see its instrument and effects.' }));
      return;
    }
    const devices = [...(channel.instrument ? [channel.instrument] : []), ...channel.inserts];
    const cards = devices.map((d) => this.card(channel, d, d === channel.instrument));
    if (channel.kind === 'midi' && !channel.instrument) {
      // A track imported from a MIDI file plays the default synth until it is given one.
      const card = el('section', { className: 'device' });
      card.append(el('h3', {}, this.instrumentChooser(channel, null), el('span', { className: 'dim', textContent: channel.name })));
      card.append(el('p', { className: 'empty', textContent: 'The default synth. Choose an instrument above to shape its sound.' }));
      cards.unshift(card);
    }
    const hint = channel.inserts.length === 0 ? `${channel.name} has no effects yet: add one.` : 'Add an effect at the end of the chain.';
    cards.push(el('section', { className: 'device add-device' }, el('h3', {}, insertMenu(this.app, channel, '+ effect…')), el('p', { className: 'empty', textContent: hint })));
    this.root.replaceChildren(...cards);
  }

  card(channel, device, isInstrument) {
    const kind = this.app.engine.kinds.get(device.kind);
    const card = el('section', { className: `device${this.focused === device.id ? ' focused' : ''}` });
    card.dataset.device = String(device.id);
    // A file dropped on a device that plays a sample is its sample; any other device refuses
    // the drop (rather than let the browser open the file in the studio's place).
    const playsSample = Boolean(kind?.settings.some((s) => s.name === 'buffer' && s.type === 'samples' && s.stored));
    card.addEventListener('dragover', (e) => {
      if (!e.dataTransfer?.types.includes('Files')) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = playsSample ? 'copy' : 'none';
    });
    card.addEventListener('drop', (e) => {
      const [file] = e.dataTransfer?.files ?? [];
      if (!file) return;
      e.preventDefault();
      e.stopPropagation();
      if (playsSample) this.app.loadDeviceSample(channel, device, file);
    });
    if (device.bypass) card.classList.add('bypassed');
    if (isInstrument) {
      card.append(el('h3', {}, this.instrumentChooser(channel, device), el('span', { className: 'dim', textContent: channel.name })));
    } else {
      card.append(el('h3', {}, el('span', { className: 'kind', textContent: device.kind }), this.chainButtons(channel, device)));
    }
    if (!kind) {
      card.append(el('p', { className: 'empty', textContent: `this engine has no '${device.kind}'` }));
      return card;
    }
    if (playsSample) card.append(this.sampleRow(channel, device));
    const pads = padKeys(kind);
    if (pads.length) card.classList.add('kit');
    for (const setting of kind.settings.filter((s) => s.type === 'choice')) {
      const select = el('select', {}, ...setting.choices.map((c) => el('option', { value: c, textContent: c })));
      select.value = device.choices?.[setting.name] ?? setting.choices[0];
      select.onchange = () => this.app.edit({
        edit: 'setChoice', track: channel.id, device: device.id, name: setting.name,
        choice: select.value === setting.choices[0] ? null : select.value,
      });
      select.setAttribute('aria-label', `${device.kind} ${setting.name}`);
      card.append(el('label', {}, setting.name, select, el('span')));
    }
    for (const param of kind.params) {
      const control = param.control ?? { min: param.minValue, max: param.maxValue, log: false };
      const value = device.params[param.name] ?? param.defaultValue;
      const out = el('output', { textContent: formatValue(value) });
      const input = el('input', { type: 'range', min: 0, max: SLIDER_STEPS, step: 1, value: toSlider(value, control) });
      input.setAttribute('aria-label', `${device.kind} ${param.name}`);
      input.dataset.param = param.name;
      let dragging = false;
      input.addEventListener('input', () => {
        const v = Math.fround(fromSlider(Number(input.value), control));
        out.textContent = formatValue(v);
        this.app.edit({ edit: 'setParam', track: channel.id, device: device.id, name: param.name, value: v }, { continuing: dragging, quiet: true });
        dragging = true;
      });
      input.addEventListener('change', () => { dragging = false; this.app.refresh(); });
      input.addEventListener('dblclick', () => this.app.edit({ edit: 'setParam', track: channel.id, device: device.id, name: param.name, value: null }));
      card.append(el('label', { title: 'Double-click: default' }, param.name, input, out));
    }
    if (pads.length) card.append(this.padGrid(channel, device, kind, pads), this.padEditor(channel, device, kind, pads));
    return card;
  }

  /** The pad last played on a kit (at first its kick, else its first pad). */
  shownPad(device, keys) {
    const key = this.padShown.get(device.id);
    return keys.includes(key) ? key : (keys.includes(36) ? 36 : keys[0]);
  }

  /**
   * The level and tuning of the pad last played on a kit, each a slider over the range the
   * engine describes (`level36`, `tune36`); a drag is one undo step, a double-click puts it back.
   */
  padEditor(channel, device, kind, keys) {
    const key = this.shownPad(device, keys);
    const drum = (kind.keys ?? []).find((k) => k.key === key)?.name ?? `key ${key}`;
    const pad = (device.pads ?? []).find((p) => p.key === key) ?? {};
    const now = { level_db: pad.level_db ?? 0, tune: pad.tune ?? 0 };
    const slider = (field, setting, text, step) => {
      const spec = kind.settings.find((s) => s.name === setting);
      const out = el('output', { textContent: text(now[field]) });
      const input = el('input', { type: 'range', min: spec.min, max: spec.max, step, value: now[field] });
      input.setAttribute('aria-label', `${drum} pad ${field === 'tune' ? 'tuning' : 'level'}`);
      input.dataset.pad = field;
      const set = (value, options) => this.app.edit({ edit: 'setPadLevel', track: channel.id, device: device.id, key, ...now, [field]: value }, options);
      let dragging = false;
      input.addEventListener('input', () => {
        const value = Number(input.value);
        out.textContent = text(value);
        set(value, { continuing: dragging, quiet: true });
        dragging = true;
      });
      input.addEventListener('change', () => { dragging = false; this.app.refresh(); });
      input.addEventListener('dblclick', () => set(spec.defaultValue ?? 0));
      return el('label', { title: 'Double-click: back to 0' }, field === 'tune' ? 'tune' : 'level', input, out);
    };
    return el('div', { className: 'pad-editor' },
      el('h4', { textContent: `${drum} pad` }),
      slider('level_db', `level${key}`, dbText, 0.5),
      slider('tune', `tune${key}`, semitoneText, 1));
  }

  /**
   * A drum kit's pads: each plays its drum when clicked, and takes a sample of its own from
   * Load… or a file dropped on it; × gives it back its synthesised drum.
   */
  padGrid(channel, device, kind, keys) {
    const names = new Map((kind.keys ?? []).map(({ key, name }) => [key, name]));
    const samples = new Map((device.pads ?? []).map((p) => [p.key, p.sample]));
    const setPad = (key, sample) => this.app.edit({ edit: 'setPadSample', track: channel.id, device: device.id, key, sample });
    const tiles = keys.map((key) => {
      const drum = names.get(key) ?? `key ${key}`;
      const sample = samples.get(key) ?? null;
      const missing = sample !== null && !this.app.samples.has(sample);
      const { level_db: level = 0, tune = 0 } = (device.pads ?? []).find((p) => p.key === key) ?? {};
      const trim = [level ? dbText(level) : '', tune ? semitoneText(tune) : ''].filter(Boolean).join(', ');
      const hit = el('button', { type: 'button', className: 'pad-hit', textContent: drum, title: `Play ${drum} (key ${key})${trim ? ` · ${trim}` : ''} and show its level and tuning` });
      hit.setAttribute('aria-label', `${drum} pad: play`);
      // On the kit shown, whichever track is selected or recording; its level and tuning show.
      const play = () => {
        this.app.auditionOn(channel, key);
        if (this.padShown.get(device.id) === key) return;
        this.padShown.set(device.id, key);
        const card = hit.closest('.device');
        card.querySelector('.pad-editor').replaceWith(this.padEditor(channel, device, kind, keys));
        for (const t of card.querySelectorAll('.pad')) t.classList.toggle('shown', t.dataset.key === String(key));
      };
      hit.onpointerdown = play;
      // A click from the keyboard (Enter) has no pointer press before it.
      hit.onclick = (e) => { if (e.detail === 0) play(); };
      const input = audioFileInput(`${drum} pad sample file`, (file) => this.app.loadPadSample(channel, device, key, file));
      const load = el('button', { type: 'button', textContent: '…', title: `Give ${drum} a sample of its own (or drop a file on the pad)` });
      load.setAttribute('aria-label', `${drum} pad: load a sample`);
      load.onclick = () => input.click();
      const clear = el('button', { type: 'button', textContent: '×', title: `Back to the synthesised ${drum}`, disabled: sample === null });
      clear.setAttribute('aria-label', `${drum} pad: back to the synthesised drum`);
      clear.onclick = () => setPad(key, null);
      const label = el('span', {
        className: `pad-sample${sample ? '' : ' dim'}`,
        textContent: sample ? `${sample}${missing ? ' (missing)' : ''}` : 'synth',
        title: sample ?? 'synthesised',
      });
      const shown = key === this.shownPad(device, keys);
      const tile = el('div', { className: `pad${sample ? ' sampled' : ''}${trim ? ' trimmed' : ''}${shown ? ' shown' : ''}` }, hit, label, load, clear, input);
      tile.dataset.key = String(key);
      tile.addEventListener('dragover', (e) => {
        if (!e.dataTransfer?.types.includes('Files')) return;
        e.preventDefault();
        e.stopPropagation();
        e.dataTransfer.dropEffect = 'copy';
        tile.classList.add('drop');
      });
      tile.addEventListener('dragleave', () => tile.classList.remove('drop'));
      tile.addEventListener('drop', (e) => {
        const [file] = e.dataTransfer?.files ?? [];
        tile.classList.remove('drop');
        if (!file) return;
        e.preventDefault();
        e.stopPropagation();
        this.app.loadPadSample(channel, device, key, file);
      });
      return tile;
    });
    return el('div', { className: 'pads' }, ...tiles);
  }

  /** Move earlier, move later, bypass and remove, for one of a channel's inserts. */
  chainButtons(channel, device) {
    const at = channel.inserts.findIndex((d) => d.id === device.id);
    // Named by place as well as kind, since a chain may hold two of a kind.
    const who = `${device.kind} ${at + 1}`;
    const button = (action, text, title, edit, disabled = false) => {
      const b = el('button', { type: 'button', textContent: text, title, disabled });
      b.dataset.action = action;
      b.setAttribute('aria-label', `${who}: ${title}`);
      b.onclick = () => {
        this.app.edit({ track: channel.id, device: device.id, ...edit });
        // The panel was drawn again: keep the keyboard on the same button of the moved card.
        const again = this.root.querySelector(`.device[data-device="${device.id}"] button[data-action="${action}"]`);
        (again && !again.disabled ? again : this.root.querySelector(`.device[data-device="${device.id}"] button[data-action="bypass"]`))?.focus();
      };
      return b;
    };
    return el('span', { className: 'chain-buttons' },
      button('earlier', '◀', 'Move earlier in the chain', { edit: 'moveInsert', index: at - 1 }, at === 0),
      button('later', '▶', 'Move later in the chain', { edit: 'moveInsert', index: at + 1 }, at === channel.inserts.length - 1),
      button('bypass', device.bypass ? '○' : '●', device.bypass ? 'Bypassed: turn on' : 'On: bypass', { edit: 'setBypass', bypass: !device.bypass }),
      button('remove', '×', 'Remove', { edit: 'removeInsert' }));
  }

  /** The sample a device plays (a sampler's): its name, Load… for a file, and a file dropped on the card does the same. */
  sampleRow(channel, device) {
    const name = device.sample ?? null;
    const missing = name !== null && !this.app.samples.has(name);
    const label = el('span', { className: `sample-name${name ? '' : ' dim'}`, textContent: name ? `${name}${missing ? ' (missing)' : ''}` : 'no sample: load one' });
    const input = audioFileInput(`${device.kind} sample file`, (file) => this.app.loadDeviceSample(channel, device, file));
    const load = el('button', { type: 'button', textContent: 'Load…', title: 'Play a WAV, MP3, OGG, FLAC or AAC file (or drop one on this device)' });
    load.onclick = () => input.click();
    return el('div', { className: 'sample-row' }, el('span', { className: 'dim', textContent: 'sample' }), label, load, input);
  }

  /** A menu of every kind that plays notes (from the engine's descriptions), to swap a track's instrument. */
  instrumentChooser(track, device) {
    const kinds = [...this.app.engine.kinds.values()].filter((k) => k.settings.some((s) => s.name === 'sequence')).map((k) => k.name);
    const options = [...(device ? [] : [el('option', { value: '', textContent: 'synth (default)' })]), ...kinds.map((k) => el('option', { value: k, textContent: k }))];
    const select = el('select', { className: 'instrument' }, ...options);
    select.value = device?.kind ?? '';
    select.setAttribute('aria-label', `${track.name} instrument`);
    select.title = 'The instrument this track plays: any kind that plays notes (its automation lanes go with the old one; undo brings them back)';
    select.onchange = () => this.app.setInstrument(track, select.value);
    return select;
  }
}
