// Main thread: the workstation page. One synth voice (oscillator → envelope → filter →
// volume → pan) in the Quaver engine; a native AnalyserNode taps the engine's output for
// the spectrum display.
import { EngineClient, compileEngine } from './engine/index.js';
import { bindSlider, formatHz } from './ui/controls.js';
import { startSpectrum } from './ui/spectrum.js';

const $ = (id) => document.getElementById(id);
const ATTACK_SECONDS = 0.005;
const RELEASE_SECONDS = 0.015;

const settings = { waveform: 'sawtooth', frequency: 220, filterType: 'lowpass', cutoff: 2000, q: 1, filterGain: 0, volume: 0.5, pan: 0 };
const app = { context: null, engine: null, analyser: null, voice: null, nodes: null, playing: false, booting: null };
// For the console and for browser tests: the page's state and the client API itself.
window.quaver = Object.assign(app, { EngineClient, compileEngine });

function showError(error) {
  const item = document.createElement('li');
  item.textContent = `${error.code}: ${error.message}`;
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

async function boot() {
  const context = new AudioContext({ latencyHint: 'interactive' });
  const module = await compileEngine(new URL('quaver_bg.wasm', document.baseURI));
  const engine = await EngineClient.create(context, { module, workletUrl: new URL('quaver-worklet.js', document.baseURI) });
  engine.addEventListener('error', (event) => showError(event.detail));

  const filter = engine.createBiquadFilter();
  filter.type = settings.filterType;
  filter.frequency.value = settings.cutoff;
  filter.Q.value = settings.q;
  filter.gain.value = settings.filterGain;
  const envelope = engine.createGain();
  envelope.gain.value = 0;
  const volume = engine.createGain();
  volume.gain.value = settings.volume;
  const panner = engine.createStereoPanner();
  panner.pan.value = settings.pan;
  envelope.connect(filter).connect(volume).connect(panner).connect(engine.destination);

  const analyser = new AnalyserNode(context, { fftSize: 32768, smoothingTimeConstant: 0 });
  engine.node.connect(analyser);
  analyser.connect(context.destination);
  await engine.ready;
  await engine.commit();

  Object.assign(app, { context, engine, analyser, nodes: { filter, envelope, volume, panner } });
  startSpectrum($('spectrum'), analyser);
  setInterval(updateStatus, 500);
  updateStatus();
}

async function play() {
  app.booting ??= boot();
  await app.booting;
  const { context, engine, nodes } = app;
  await context.resume();
  if (app.playing) return;
  const osc = engine.createOscillator();
  osc.type = settings.waveform;
  osc.frequency.value = settings.frequency;
  osc.connect(nodes.envelope);
  const now = context.currentTime;
  osc.start(now);
  nodes.envelope.gain.cancelScheduledValues(now);
  nodes.envelope.gain.setTargetAtTime(1, now, ATTACK_SECONDS);
  app.voice = osc;
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

$('play').addEventListener('click', () => play().catch(showError));
$('stop').addEventListener('click', () => stop().catch(showError));
$('waveform').addEventListener('change', (event) => {
  settings.waveform = event.target.value;
  if (app.voice) app.voice.type = settings.waveform;
});
$('filter-type').addEventListener('change', (event) => {
  settings.filterType = event.target.value;
  if (app.nodes) app.nodes.filter.type = settings.filterType;
});
bindSlider($('frequency'), formatHz, (v) => {
  settings.frequency = v;
  if (app.voice) app.voice.frequency.value = v;
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
