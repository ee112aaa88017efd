// Main thread: the sound lab page (lab.html), a small sound-design bench. One voice — oscillator, noise
// or sample player → envelope → filter — runs through an effect chain that can be changed
// while it plays, then volume and pan, into Quaver's own analyser (spectrum, oscilloscope) and
// meters. Every sound and every measurement comes from the engine; no native node processes
// or analyses audio here.
import { EngineClient, compileEngine, startSharedClock } from './engine/index.js';
import { bindSlider, formatHz } from './ui/controls.js';
import { DEVICES, buildDevice, deviceCard } from './ui/devices.js';
import { startScope, startSpectrum } from './ui/spectrum.js';

const $ = (id) => document.getElementById(id);
const ATTACK_SECONDS = 0.005;
const RELEASE_SECONDS = 0.015;
/** Custom waves the waveform menu offers: sine coefficients of harmonics 1, 2, 3, … */
const WAVES = {
  organ: [0, 1, 0.6, 0.4, 0.3, 0, 0.2, 0, 0.15],
  hollow: [0, 1, 0, 0.5, 0, 0.33, 0, 0.25, 0, 0.2],
};

const settings = {
  source: 'oscillator', waveform: 'sawtooth', frequency: 220, noiseColour: 'pink', sampleLoop: false, sampleRate: 1,
  filterType: 'lowpass', cutoff: 2000, q: 1, filterGain: 0, volume: 0.5, pan: 0,
};
const app = {
  context: null, engine: null, analyser: null, voice: null, nodes: null, playing: false, booting: null,
  devices: [], assets: {}, sample: null,
};
// For the console and for browser tests: the page's state and the client API itself.
window.quaver = Object.assign(app, { EngineClient, compileEngine, startSharedClock });

function showError(error) {
  const item = document.createElement('li');
  item.textContent = `${error.code ?? 'Error'}: ${error.message}`;
  $('errors').append(item);
  updateStatus();
}

function updateStatus() {
  const { context, engine } = app;
  if (!engine) return;
  const isolation = window.crossOriginIsolated ? 'on' : 'off';
  const state = engine.fatal ? 'failed' : app.playing ? 'playing' : 'stopped';
  $('status').textContent = `Engine ${state} · ${context.sampleRate} Hz · ${engine.nodeCount} nodes · `
    + `${engine.errors.length} errors · cross-origin isolation ${isolation}`;
}

async function decode(source, name) {
  try {
    const bytes = source instanceof Blob ? await source.arrayBuffer() : await (await fetch(source)).arrayBuffer();
    return await app.context.decodeAudioData(bytes);
  } catch (err) {
    showError({ code: 'Decode', message: `${name} could not be decoded as audio (${err.message ?? err})` });
    return null;
  }
}

async function boot() {
  const context = new AudioContext({ latencyHint: 'interactive' });
  app.context = context;
  const module = await compileEngine(new URL('quaver_bg.wasm', document.baseURI));
  const engine = await EngineClient.create(context, { module, workletUrl: new URL('quaver-worklet.js', document.baseURI) });
  engine.addEventListener('error', (event) => showError(event.detail));
  const [pluck, room] = await Promise.all([decode('assets/pluck.wav', 'the bundled sample'), decode('assets/room.wav', 'the bundled impulse response')]);
  app.assets = { pluck, room };
  app.sample ??= pluck;

  const envelope = engine.createGain();
  envelope.gain.value = 0;
  const filter = engine.createBiquadFilter();
  filter.type = settings.filterType;
  filter.frequency.value = settings.cutoff;
  filter.Q.value = settings.q;
  filter.gain.value = settings.filterGain;
  const chainIn = engine.createGain();
  const volume = engine.createGain();
  volume.gain.value = settings.volume;
  const panner = engine.createStereoPanner();
  panner.pan.value = settings.pan;
  const analyser = engine.createAnalyser({ fftSize: 32768, smoothingTimeConstant: 0 });
  envelope.connect(filter).connect(chainIn);
  volume.connect(panner).connect(analyser).connect(engine.destination);
  Object.assign(app, { engine, analyser, nodes: { envelope, filter, chainIn, volume, panner, analyser } });
  rewire();
  engine.node.connect(context.destination);
  await engine.ready;
  await engine.commit();

  engine.meter(panner, ({ peak }) => showOutputLevel(peak));
  startSpectrum($('spectrum'), analyser, context.sampleRate);
  startScope($('scope'), analyser);
  setInterval(updateStatus, 500);
  updateStatus();
}

function showOutputLevel([left, right]) {
  const db = (v) => 20 * Math.log10(Math.max(v, 1e-6));
  const width = (v) => `${Math.max(0, Math.min(100, ((db(v) + 60) / 60) * 100))}%`;
  $('meter-left').style.width = width(left);
  $('meter-right').style.width = width(right);
  const loudest = db(Math.max(left, right));
  $('meter-db').textContent = loudest <= -119 ? '−∞ dB' : `${loudest.toFixed(1)} dB`;
}

/** Wires chain input → every device not bypassed, in order → volume. */
function rewire() {
  const { nodes, devices } = app;
  nodes.chainIn.disconnect();
  for (const device of devices) device.output.disconnect();
  let from = nodes.chainIn;
  for (const device of devices.filter((d) => !d.bypassed)) {
    from.connect(device.input);
    from = device.output;
  }
  from.connect(nodes.volume);
}

function renderDevices() {
  const list = $('effects');
  list.replaceChildren(...app.devices.map((device) => device.card));
}

async function addDevice(name) {
  app.booting ??= boot();
  await app.booting;
  const device = buildDevice(app.engine, name, app.assets);
  device.card = deviceCard(device, {
    onMove: (step) => moveDevice(device, step),
    onRemove: () => removeDevice(device),
    onBypass: (on) => { device.bypassed = on; rewire(); app.engine.commit().catch(() => {}); },
    decodeFile: (file) => decode(file, file.name),
  });
  device.stopMeter = app.engine.meter(device.output, ({ peak }) => {
    const db = 20 * Math.log10(Math.max(peak[0], peak[1], 1e-6));
    device.level.style.width = `${Math.max(0, Math.min(100, ((db + 60) / 60) * 100))}%`;
  });
  app.devices.push(device);
  rewire();
  renderDevices();
  await app.engine.commit();
  updateStatus();
  return device;
}

function moveDevice(device, step) {
  const at = app.devices.indexOf(device);
  const to = at + step;
  if (to < 0 || to >= app.devices.length) return;
  app.devices.splice(at, 1);
  app.devices.splice(to, 0, device);
  rewire();
  renderDevices();
  app.engine.commit().catch(() => {});
}

function removeDevice(device) {
  app.devices = app.devices.filter((d) => d !== device);
  rewire();
  device.stopMeter();
  for (const node of device.nodes) node.dispose();
  renderDevices();
  app.engine.commit().catch(() => {});
  updateStatus();
}

function makeVoice() {
  const { engine } = app;
  if (settings.source === 'noise') {
    const noise = engine.createNoise();
    noise.type = settings.noiseColour;
    return noise;
  }
  if (settings.source === 'sample' && app.sample) {
    const player = engine.createBufferSource();
    player.buffer = app.sample;
    player.loop = settings.sampleLoop;
    player.playbackRate.value = settings.sampleRate;
    return player;
  }
  const osc = engine.createOscillator();
  applyWaveform(osc);
  osc.frequency.value = settings.frequency;
  return osc;
}

function applyWaveform(osc) {
  const harmonics = WAVES[settings.waveform];
  if (harmonics) osc.setPeriodicWave(app.engine.createPeriodicWave(new Float32Array(harmonics.length), harmonics));
  else osc.type = settings.waveform;
}

async function play() {
  app.booting ??= boot();
  await app.booting;
  const { context, engine, nodes } = app;
  await context.resume();
  if (app.playing) return;
  const voice = makeVoice();
  voice.connect(nodes.envelope);
  const now = context.currentTime;
  voice.start(now);
  nodes.envelope.gain.cancelScheduledValues(now);
  nodes.envelope.gain.setTargetAtTime(1, now, ATTACK_SECONDS);
  app.voice = voice;
  app.playing = true;
  $('play').setAttribute('aria-pressed', 'true');
  $('stop').disabled = false;
  await engine.commit();
  updateStatus();
}

async function stop() {
  const { context, engine, nodes, voice } = app;
  if (!app.playing) return;
  const now = context.currentTime;
  nodes.envelope.gain.cancelScheduledValues(now);
  nodes.envelope.gain.setTargetAtTime(0, now, RELEASE_SECONDS);
  const end = now + RELEASE_SECONDS * 8;
  voice.stop(end);
  app.voice = null;
  app.playing = false;
  $('play').setAttribute('aria-pressed', 'false');
  $('stop').disabled = true;
  await engine.commit();
  // Remove the finished voice once its release is over, so nodes do not pile up.
  setTimeout(() => { voice.dispose(); updateStatus(); }, (end - context.currentTime) * 1000 + 50);
  updateStatus();
}

async function restartIfPlaying() {
  if (!app.playing) return;
  await stop();
  await play();
}

async function loadSample(file) {
  app.booting ??= boot();
  await app.booting;
  const buffer = await decode(file, file.name);
  if (!buffer) return;
  app.sample = buffer;
  $('sample-name').textContent = `Loaded: ${file.name} (${buffer.duration.toFixed(2)} s, ${buffer.numberOfChannels} ch)`;
  await restartIfPlaying();
}

for (const name of Object.keys(DEVICES)) $('effect-kind').append(new Option(DEVICES[name].label, name));
$('add-effect').addEventListener('click', () => addDevice($('effect-kind').value).catch(showError));
$('play').addEventListener('click', () => play().catch(showError));
$('stop').addEventListener('click', () => stop().catch(showError));
$('source').addEventListener('change', (event) => {
  settings.source = event.target.value;
  for (const el of document.querySelectorAll('[data-source]')) el.hidden = el.dataset.source !== settings.source;
  restartIfPlaying().catch(showError);
});
$('waveform').addEventListener('change', (event) => {
  settings.waveform = event.target.value;
  if (app.voice && settings.source === 'oscillator') applyWaveform(app.voice);
});
$('noise-colour').addEventListener('change', (event) => {
  settings.noiseColour = event.target.value;
  if (app.voice && settings.source === 'noise') app.voice.type = settings.noiseColour;
});
$('sample-loop').addEventListener('change', (event) => { settings.sampleLoop = event.target.checked; restartIfPlaying().catch(showError); });
$('sample-file').addEventListener('change', (event) => { if (event.target.files[0]) loadSample(event.target.files[0]).catch(showError); });
$('drop').addEventListener('dragover', (event) => event.preventDefault());
$('drop').addEventListener('drop', (event) => {
  event.preventDefault();
  const file = event.dataTransfer.files[0];
  if (file) loadSample(file).catch(showError);
});
$('filter-type').addEventListener('change', (event) => {
  settings.filterType = event.target.value;
  if (app.nodes) app.nodes.filter.type = settings.filterType;
});
bindSlider($('frequency'), formatHz, (v) => {
  settings.frequency = v;
  if (app.voice && settings.source === 'oscillator') app.voice.frequency.value = v;
});
bindSlider($('sample-rate'), (v) => `${v.toFixed(2)}×`, (v) => {
  settings.sampleRate = v;
  if (app.voice && settings.source === 'sample') app.voice.playbackRate.value = v;
});
bindSlider($('cutoff'), formatHz, (v) => {
  settings.cutoff = v;
  if (app.nodes) app.nodes.filter.frequency.value = v;
});
bindSlider($('q'), (v) => v.toFixed(1), (v) => {
  settings.q = v;
  if (app.nodes) app.nodes.filter.Q.value = v;
});
bindSlider($('filter-gain'), (v) => `${v.toFixed(1)} dB`, (v) => {
  settings.filterGain = v;
  if (app.nodes) app.nodes.filter.gain.value = v;
});
bindSlider($('volume'), (v) => `${Math.round(v * 100)}%`, (v) => {
  settings.volume = v;
  if (app.nodes) app.nodes.volume.gain.value = v;
});
bindSlider($('pan'), (v) => v.toFixed(2), (v) => {
  settings.pan = v;
  if (app.nodes) app.nodes.panner.pan.value = v;
});
