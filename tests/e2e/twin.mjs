// Test helper: render the same graph twice in headless Chromium — once with Chromium's own
// Web Audio nodes, once inside the Quaver engine — in OfflineAudioContexts (deterministic),
// and hand both outputs back sample by sample.
import { startServer } from '../../scripts/serve.mjs';
import { launch } from './browser.mjs';

export const SAMPLE_RATE = 48_000;

/** Opens the sound lab, the page that exposes EngineClient; `close()` ends browser and server. */
export async function openTwinPage() {
  const { server, url } = await startServer({ port: 0 });
  const context = await launch();
  const page = await context.newPage();
  await page.goto(`${url}lab.html`);
  const close = async () => {
    await context.close();
    await new Promise((resolve) => server.close(resolve));
  };
  return { page, close };
}

/**
 * Each case: `{ name, frames?, native, ours }`. `native` is the body of a function of
 * `(ctx, noise)` returning the AudioNode to connect to the destination; `ours` is the body of a
 * function of `(ctx, engine, noise)` that builds the graph inside the engine and may return a
 * native node to feed the engine's input. `noise(channels)` makes a started AudioBufferSource of
 * seeded full-scale noise (the same in both contexts). Returns per case `{ native, ours,
 * errors }` with one Float32Array per output channel.
 */
export async function renderTwins(page, cases, { sampleRate = SAMPLE_RATE } = {}) {
  const results = await page.evaluate(async ({ cases, sampleRate }) => {
    const { EngineClient, compileEngine } = window.quaver;
    window.twinModule ??= await compileEngine(new URL('quaver_bg.wasm', document.baseURI));
    const workletUrl = new URL('quaver-worklet.js', document.baseURI);
    const encode = (samples) => {
      const bytes = new Uint8Array(samples.buffer.slice(samples.byteOffset, samples.byteOffset + samples.byteLength));
      let text = '';
      for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(text);
    };
    const out = [];
    for (const c of cases) {
      const frames = c.frames ?? 4096;
      const noiseFor = (ctx) => (channels = 1, seed = 0x5eed) => {
        let state = seed >>> 0;
        const random = () => {
          state = (state + 0x6d2b79f5) >>> 0;
          let t = state;
          t = Math.imul(t ^ (t >>> 15), t | 1);
          t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
          return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
        };
        const buffer = ctx.createBuffer(channels, frames, sampleRate);
        for (let ch = 0; ch < channels; ch += 1) {
          const data = buffer.getChannelData(ch);
          for (let i = 0; i < frames; i += 1) data[i] = random() * 2 - 1;
        }
        const node = new AudioBufferSourceNode(ctx, { buffer });
        node.start();
        return node;
      };
      const nativeCtx = new OfflineAudioContext(2, frames, sampleRate);
      // eslint-disable-next-line no-new-func
      new Function('ctx', 'noise', c.native)(nativeCtx, noiseFor(nativeCtx)).connect(nativeCtx.destination);
      const native = await nativeCtx.startRendering();

      const oursCtx = new OfflineAudioContext(2, frames, sampleRate);
      const engine = await EngineClient.create(oursCtx, { module: window.twinModule, workletUrl });
      // eslint-disable-next-line no-new-func
      const feed = new Function('ctx', 'engine', 'noise', c.ours)(oursCtx, engine, noiseFor(oursCtx));
      // engine.node carries the whole graph above in processorOptions; no commit() offline.
      if (feed) feed.connect(engine.node);
      engine.node.connect(oursCtx.destination);
      const ours = await oursCtx.startRendering();
      out.push({
        native: [0, 1].map((ch) => encode(native.getChannelData(ch))),
        ours: [0, 1].map((ch) => encode(ours.getChannelData(ch))),
        errors: engine.errors.map((e) => `${e.code}: ${e.message}`),
      });
    }
    return out;
  }, { cases, sampleRate });
  const decode = (text) => new Float32Array(new Uint8Array(Buffer.from(text, 'base64')).buffer);
  return results.map((r) => ({ native: r.native.map(decode), ours: r.ours.map(decode), errors: r.errors }));
}

/** Largest |a − b| over both channels, and where. */
export function maxError(a, b) {
  let worst = { max: 0, channel: 0, at: -1 };
  for (let ch = 0; ch < a.length; ch += 1) {
    for (let i = 0; i < a[ch].length; i += 1) {
      const d = Math.abs(a[ch][i] - b[ch][i]);
      if (d > worst.max || Number.isNaN(d)) worst = { max: Number.isNaN(d) ? Infinity : d, channel: ch, at: i };
    }
  }
  return worst;
}

export function rms(samples) {
  let sum = 0;
  for (const v of samples) sum += v * v;
  return Math.sqrt(sum / samples.length);
}
