// Main thread: the effect chain's devices. A device is one engine node, or a few wired together
// (a delay with feedback); its controls are generated from the engine's descriptions of the
// nodes' parameters and settings, so a new node kind needs no UI code of its own.
import { formatHz, setSlider, sliderValue } from './controls.js';

/** Curves the waveshaper's menu offers, each made from 1025 points over [-1, 1]. */
const CURVES = {
  'soft clip': (x) => Math.tanh(3 * x) / Math.tanh(3),
  'hard clip': (x) => Math.max(-0.5, Math.min(0.5, x)) * 2,
  fold: (x) => Math.sin(2.5 * Math.PI * x) * 0.9,
};
const curve = (name) => Float32Array.from({ length: 1025 }, (_, i) => CURVES[name]((i / 512) - 1));

/** Devices the chain can hold: how to build each, and which controls it shows. */
export const DEVICES = {
  delay: {
    label: 'Delay',
    build(engine) {
      const input = engine.createGain();
      const output = engine.createGain();
      const delay = engine.createDelay(2);
      const feedback = engine.createGain();
      const wet = engine.createGain();
      delay.delayTime.value = 0.3;
      feedback.gain.value = 0.4;
      wet.gain.value = 0.4;
      input.connect(output);
      input.connect(delay).connect(feedback).connect(delay);
      delay.connect(wet).connect(output);
      return { input, output, nodes: [input, output, delay, feedback, wet],
        controls: [[delay, 'delayTime', 'Time'], [feedback, 'gain', 'Feedback', { min: 0, max: 0.95 }], [wet, 'gain', 'Mix', { min: 0, max: 1 }]] };
    },
  },
  reverb: { label: 'Reverb', kind: 'reverb' },
  compressor: { label: 'Compressor', kind: 'compressor' },
  limiter: { label: 'Limiter', kind: 'limiter' },
  waveshaper: {
    label: 'Waveshaper',
    build(engine) {
      const node = engine.createWaveShaper();
      node.curve = curve('soft clip');
      node.oversample = '4x';
      return { input: node, output: node, nodes: [node], controls: [], curveMenu: node };
    },
  },
  convolver: {
    label: 'Convolver (room)',
    build(engine, assets) {
      const node = engine.createConvolver();
      if (assets.room) node.buffer = assets.room;
      return { input: node, output: node, nodes: [node], controls: [], responseInput: node };
    },
  },
};

/** A single-node device: every parameter and every choice or flag setting gets a control. */
function singleNode(engine, kind) {
  const node = engine.create(kind);
  const controls = node.params.map((p) => [node, p.name, p.name]);
  return { input: node, output: node, nodes: [node], controls, settings: node };
}

export function buildDevice(engine, name, assets) {
  const def = DEVICES[name];
  const parts = def.build ? def.build(engine, assets) : singleNode(engine, def.kind);
  return { name, label: def.label, bypassed: false, ...parts };
}

function formatValue(param, value) {
  if (/frequency/i.test(param.name)) return formatHz(value);
  if (/time|attack|release|decay|delay/i.test(param.name)) return value >= 1 ? `${value.toFixed(2)} s` : `${(value * 1000).toFixed(1)} ms`;
  if (/threshold|ceiling|knee/i.test(param.name)) return `${value.toFixed(1)} dB`;
  return value.toFixed(2);
}

function slider(param, label, range) {
  const control = { ...param.control, ...range };
  const wrap = document.createElement('label');
  const out = document.createElement('output');
  const input = document.createElement('input');
  input.type = 'range';
  if (control.log && control.min > 0) {
    Object.assign(input, { min: 0, max: 1000, step: 1 });
    input.dataset.logMin = String(control.min);
    input.dataset.logMax = String(control.max);
  } else {
    Object.assign(input, { min: control.min, max: control.max, step: (control.max - control.min) / 500 });
  }
  setSlider(input, Math.min(control.max, Math.max(control.min, param.value)));
  const show = () => { out.textContent = formatValue(param, sliderValue(input)); };
  input.addEventListener('input', () => {
    param.value = sliderValue(input);
    show();
  });
  show();
  wrap.append(`${label} `, out, input);
  return wrap;
}

function settingControls(node) {
  const elements = [];
  node.description.settings.forEach((setting) => {
    if (setting.type === 'choice') {
      const wrap = document.createElement('label');
      const select = document.createElement('select');
      for (const choice of setting.choices) select.append(new Option(choice, choice, false, node[setting.name] === choice));
      select.addEventListener('change', () => { node[setting.name] = select.value; });
      wrap.append(`${setting.name} `, select);
      elements.push(wrap);
    } else if (setting.type === 'flag') {
      const wrap = document.createElement('label');
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.checked = Boolean(node[setting.name]);
      box.addEventListener('change', () => { node[setting.name] = box.checked; });
      wrap.append(box, ` ${setting.name}`);
      elements.push(wrap);
    }
  });
  return elements;
}

/** The device's card: title, meter, bypass, move and remove buttons, and its controls. */
export function deviceCard(device, { onMove, onRemove, onBypass, decodeFile }) {
  const li = document.createElement('li');
  li.className = 'device';
  li.dataset.device = device.name;
  const head = document.createElement('div');
  head.className = 'device-head';
  const title = document.createElement('strong');
  title.textContent = device.label;
  const meter = document.createElement('div');
  meter.className = 'bar small';
  const level = document.createElement('i');
  meter.append(level);
  const bypass = document.createElement('label');
  const box = document.createElement('input');
  box.type = 'checkbox';
  box.className = 'bypass';
  box.addEventListener('change', () => onBypass(box.checked));
  bypass.append(box, ' bypass');
  const button = (text, aria, action) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = text;
    b.setAttribute('aria-label', aria);
    b.addEventListener('click', action);
    return b;
  };
  head.append(title, meter, bypass, button('↑', 'Move up', () => onMove(-1)), button('↓', 'Move down', () => onMove(1)), button('✕', 'Remove', onRemove));
  li.append(head);
  for (const [node, name, label, range] of device.controls) li.append(slider(node.param(name), label, range));
  if (device.settings) li.append(...settingControls(device.settings));
  if (device.curveMenu) {
    const wrap = document.createElement('label');
    const select = document.createElement('select');
    for (const name of Object.keys(CURVES)) select.append(new Option(name, name));
    select.addEventListener('change', () => { device.curveMenu.curve = curve(select.value); });
    wrap.append('curve ', select);
    li.append(wrap, ...settingControls(device.curveMenu));
  }
  if (device.responseInput) {
    const wrap = document.createElement('label');
    const file = document.createElement('input');
    file.type = 'file';
    file.accept = 'audio/*';
    file.addEventListener('change', async () => {
      const buffer = await decodeFile(file.files[0]);
      if (buffer) device.responseInput.buffer = buffer;
    });
    wrap.append('impulse response ', file);
    li.append(wrap, ...settingControls(device.responseInput));
  }
  device.level = level;
  return li;
}
