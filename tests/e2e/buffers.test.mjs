// Long buffers reach the worklet in pieces, and one buffer given to many nodes crosses once:
// a minute of stereo given to eight buffer sources while a tone plays goes in batches of about
// 256 KB (none carrying megabytes for the audio thread to decode at once), the worklet's memory
// grows by about one copy, and every source plays it sample for sample.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openLab } from './lab.mjs';

let page;
let close;
let consoleErrors;
let pageErrors;

before(async () => {
  ({ page, close, consoleErrors, pageErrors } = await openLab());
});

after(async () => {
  await close?.();
});

test('a minute of stereo goes in pieces, once for eight sources, and plays exactly', async (t) => {
  const r = await page.evaluate(async () => {
    const { EngineClient, compileEngine } = window.quaver;
    const module = await compileEngine(new URL('quaver_bg.wasm', document.baseURI));
    const ctx = new AudioContext({ sampleRate: 48_000 });
    const engine = await EngineClient.create(ctx, { module, workletUrl: new URL('quaver-worklet.js', document.baseURI) });
    const tone = engine.createOscillator();
    tone.connect(engine.destination);
    tone.start();
    engine.node.connect(ctx.destination);
    await engine.commit();
    const batches = [];
    const port = engine.node.port;
    const post = port.postMessage.bind(port);
    port.postMessage = (message, transfer) => {
      if (message.type === 'batch') batches.push(message.bytes.byteLength);
      post(message, transfer);
    };
    const before = engine.workletMemoryBytes;
    // Frame i of both channels is (i mod 1000) / 1000 - 0.5 (the analyser hears their mix).
    const frames = 60 * 48_000;
    const buffer = new AudioBuffer({ numberOfChannels: 2, length: frames, sampleRate: 48_000 });
    const left = buffer.getChannelData(0);
    const right = buffer.getChannelData(1);
    for (let i = 0; i < frames; i += 1) {
      left[i] = (i % 1000) / 1000 - 0.5;
      right[i] = left[i];
    }
    const sources = [];
    for (let i = 0; i < 8; i += 1) {
      const source = engine.createBufferSource();
      source.buffer = buffer;
      sources.push(source);
    }
    // One source is heard through a capturing analyser, muted, from a known offset.
    const analyser = engine.createAnalyser({ fftSize: 4096 });
    sources[0].connect(analyser);
    sources[0].start(0, 10);
    await engine.commit();
    const grown = engine.workletMemoryBytes - before;
    await new Promise((resolve) => setTimeout(resolve, 300));
    const heard = new Float32Array(4096);
    analyser.getFloatTimeDomainData(heard);
    // Every sample heard must be one of the buffer's values, in its sawtooth order.
    let steps = 0;
    let wrong = 0;
    for (let i = 1; i < heard.length; i += 1) {
      const d = heard[i] - heard[i - 1];
      if (Math.abs(d - 0.001) < 1e-6) steps += 1;
      else if (Math.abs(d + 0.999) > 1e-6) wrong += 1;
    }
    return { batches, grown, bytes: frames * 2 * 4, steps, wrong, errors: engine.errors.map((e) => `${e.code}: ${e.message}`) };
  });
  const largest = Math.max(...r.batches);
  t.diagnostic(`${r.batches.length} batches, the largest ${(largest / 1024).toFixed(0)} KB; the worklet grew by ${(r.grown / 1e6).toFixed(1)} MB for a ${(r.bytes / 1e6).toFixed(1)} MB buffer played by eight sources`);
  assert.deepEqual([...r.errors, ...consoleErrors, ...pageErrors], []);
  assert.ok(r.batches.length >= r.bytes / (300 * 1024), `${r.batches.length} batches for ${r.bytes} bytes`);
  assert.ok(largest < 300 * 1024, `a batch of ${largest} bytes`);
  assert.ok(r.grown < 1.5 * r.bytes, `the worklet grew by ${r.grown} bytes: more than one copy of ${r.bytes}`);
  assert.ok(r.steps > 4000, `${r.steps} steps of the buffer's ramp heard`);
  assert.equal(r.wrong, 0, 'every sample heard is the next one of the buffer');
});

test('in an offline context a long buffer given before rendering plays from the first frame', async () => {
  const r = await page.evaluate(async () => {
    const { EngineClient, compileEngine } = window.quaver;
    const module = await compileEngine(new URL('quaver_bg.wasm', document.baseURI));
    const ctx = new OfflineAudioContext(2, 48_000, 48_000);
    const engine = await EngineClient.create(ctx, { module, workletUrl: new URL('quaver-worklet.js', document.baseURI) });
    // Ten seconds of stereo (3.8 MB, about fifteen batches), all sent before the worklet exists.
    const frames = 10 * 48_000;
    const buffer = new AudioBuffer({ numberOfChannels: 2, length: frames, sampleRate: 48_000 });
    for (let c = 0; c < 2; c += 1) buffer.getChannelData(c).forEach((_, i, data) => { data[i] = ((i * (c + 1)) % 480) / 480 - 0.5; });
    const source = engine.createBufferSource();
    source.buffer = buffer;
    source.connect(engine.destination);
    source.start(0, 5);
    engine.node.connect(ctx.destination);
    const out = await ctx.startRendering();
    let worst = 0;
    for (let c = 0; c < 2; c += 1) {
      const got = out.getChannelData(c);
      const want = buffer.getChannelData(c).subarray(5 * 48_000);
      for (let i = 0; i < got.length; i += 1) worst = Math.max(worst, Math.abs(got[i] - want[i]));
    }
    return { worst, sent: engine.seq, errors: engine.errors.map((e) => `${e.code}: ${e.message}`) };
  });
  assert.deepEqual(r.errors, []);
  assert.ok(r.sent > 10, `${r.sent} batches travelled with the node`);
  assert.equal(r.worst, 0, 'the render is the buffer from 5 s on, sample for sample');
});
