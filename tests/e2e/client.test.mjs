// The JS client keeps Web Audio's promises: unknown parameter names do not throw, values are
// stored as the numbers they play, commit() reports refusals made before an await, a burst of
// one refusal is one event, and sources fire `ended` as Chromium's do.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openTwinPage } from './twin.mjs';

let page;
let close;

before(async () => {
  ({ page, close } = await openTwinPage());
  await page.evaluate(async () => {
    const { EngineClient, compileEngine } = window.quaver;
    window.module ??= await compileEngine(new URL('quaver_bg.wasm', document.baseURI));
    window.makeEngine = async (ctx, options = {}) => EngineClient.create(ctx, {
      module: window.module, workletUrl: new URL('quaver-worklet.js', document.baseURI), ...options,
    });
  });
});

after(async () => {
  await close?.();
});

test('an unknown parameter name does not throw; using it is a BadParam refusal', async () => {
  const r = await page.evaluate(async () => {
    const ctx = new AudioContext();
    const engine = await window.makeEngine(ctx);
    engine.node.connect(ctx.destination);
    const events = [];
    engine.addEventListener('error', (e) => events.push({ code: e.detail.code, param: e.detail.param }));
    const f = engine.createBiquadFilter();
    let threw = false;
    let p;
    try { p = f.param('resonance'); p.value = 3; p.linearRampToValueAtTime(1, 1); } catch { threw = true; }
    const committed = await engine.commit().then(() => 'resolved', (e) => e.code);
    await ctx.close();
    return { threw, committed, events, missing: f.resonance === undefined };
  });
  assert.equal(r.threw, false);
  assert.equal(r.committed, 'BadParam');
  assert.deepEqual(r.events[0], { code: 'BadParam', param: 'resonance' });
  assert.ok(r.missing, 'like Web Audio, a node has no property for a parameter it lacks');
});

test("param.value = '880' stores the number it plays", async () => {
  const r = await page.evaluate(async () => {
    const ctx = new OfflineAudioContext(1, 4800, 48000);
    const engine = await window.makeEngine(ctx);
    const osc = engine.createOscillator();
    osc.frequency.value = '880';
    osc.connect(engine.destination);
    osc.start();
    engine.node.connect(ctx.destination);
    const out = (await ctx.startRendering()).getChannelData(0);
    let crossings = 0;
    for (let i = 1; i < out.length; i += 1) if (out[i - 1] < 0 && out[i] >= 0) crossings += 1;
    return { value: osc.frequency.value, type: typeof osc.frequency.value, crossings };
  });
  assert.equal(r.value, 880);
  assert.equal(r.type, 'number');
  assert.ok(Math.abs(r.crossings - 88) <= 1, `${r.crossings} cycles in 0.1 s`);
});

test('commit() rejects for a refusal made before an await, then resolves again', async () => {
  const r = await page.evaluate(async () => {
    const ctx = new AudioContext();
    const engine = await window.makeEngine(ctx);
    engine.node.connect(ctx.destination);
    await engine.ready;
    const g = engine.createGain();
    g.gain.value = NaN;
    await new Promise((resolve) => setTimeout(resolve, 50));
    const first = await engine.commit().then(() => 'resolved', (e) => e.code);
    g.gain.value = 0.5;
    const second = await engine.commit().then(() => 'resolved', (e) => e.code);
    await ctx.close();
    return { first, second };
  });
  assert.deepEqual(r, { first: 'NonFinite', second: 'resolved' });
});

test('thousands of calls past a capacity give one coalesced refusal', async () => {
  const r = await page.evaluate(async () => {
    const ctx = new AudioContext();
    const engine = await window.makeEngine(ctx, { maxNodes: 16 });
    engine.node.connect(ctx.destination);
    let events = 0;
    engine.addEventListener('error', () => { events += 1; });
    for (let i = 0; i < 5000; i += 1) engine.createGain();
    const rejected = await engine.commit().then(() => null, (e) => ({ code: e.code, count: e.errors[0].count, covered: e.errors.length }));
    await ctx.close();
    return { events, rejected, kept: engine.errors.length, counted: engine.errorCount };
  });
  assert.equal(r.events, 1, 'one event');
  assert.equal(r.rejected.code, 'NodeCapacity');
  assert.equal(r.rejected.count, 5000 - 14, 'standing for every refused call');
  assert.equal(r.kept, 1);
  assert.equal(r.counted, 5000 - 14);
});

test('sources fire ended once, as Chromium\'s do', async () => {
  const r = await page.evaluate(async () => {
    const ctx = new OfflineAudioContext(1, 9600, 48000);
    const engine = await window.makeEngine(ctx);
    const seen = [];
    const osc = engine.createOscillator();
    osc.connect(engine.destination);
    osc.start(0);
    osc.stop(0.05);
    osc.onended = () => seen.push('oscillator');
    const buffer = ctx.createBuffer(1, 2400, 48000);
    const player = engine.createBufferSource();
    player.buffer = buffer;
    player.connect(engine.destination);
    player.start(0);
    player.addEventListener('ended', () => seen.push('buffer'));
    const looping = engine.createBufferSource();
    looping.buffer = buffer;
    looping.loop = true;
    looping.start(0);
    looping.onended = () => seen.push('loop');
    engine.node.connect(ctx.destination);
    const native = [];
    const o = new OscillatorNode(ctx);
    o.start(0);
    o.stop(0.05);
    o.onended = () => native.push('oscillator');
    o.connect(ctx.destination);
    await ctx.startRendering();
    await new Promise((resolve) => setTimeout(resolve, 200));
    return { seen: seen.sort(), native };
  });
  assert.deepEqual(r.native, ['oscillator']);
  assert.deepEqual(r.seen, ['buffer', 'oscillator'], 'the looping source never ends');
});

test('a synth plays its sequence on the exact frames, through the client, in Chromium', async () => {
  const r = await page.evaluate(async () => {
    const ctx = new OfflineAudioContext(1, 24000, 48000);
    const engine = await window.makeEngine(ctx);
    const synth = engine.createSynth();
    synth.waveform = 'triangle';
    synth.release.value = 0.005;
    synth.sequence = [
      { start: 1000, length: 2000, key: 60, velocity: 100 },
      { start: 7777, length: 1500, key: 67, velocity: 90 },
      { start: 15001, length: 3000, key: 72, velocity: 80 },
    ];
    synth.transport = { at: 0, playing: true, position: 0 };
    synth.connect(engine.destination);
    engine.node.connect(ctx.destination);
    const refusals = [];
    engine.addEventListener('error', (e) => refusals.push(e.detail.code));
    const before = refusals.length;
    synth.sequence = [{ start: 0, length: 0, key: 60, velocity: 100 }];
    const committed = before === 0 ? 'ok' : 'refused';
    const refused = refusals[0];
    const out = (await ctx.startRendering()).getChannelData(0);
    const onsets = [];
    let quiet = 1000;
    for (let i = 0; i < out.length; i += 1) {
      if (out[i] === 0) quiet += 1;
      else {
        if (quiet >= 1000) onsets.push(i);
        quiet = 0;
      }
    }
    return { committed, refused, onsets };
  });
  assert.equal(r.committed, 'ok');
  assert.equal(r.refused, 'OutOfRange', 'a note of no length is refused and the sequence kept');
  assert.deepEqual(r.onsets, [1000, 7777, 15001]);
});

test('the worklet times every quantum it renders: a shared clock gives ordered percentiles, Date.now() the mean only', async () => {
  const readings = await page.evaluate(async () => {
    const play = async (clock) => {
      const ctx = new AudioContext({ sampleRate: 48000 });
      const engine = await window.makeEngine(ctx, { clock: clock?.buffer ?? null });
      const osc = engine.createOscillator();
      const filter = engine.createBiquadFilter();
      osc.connect(filter).connect(engine.destination);
      osc.start();
      engine.node.connect(ctx.destination);
      await engine.ready;
      await engine.commit();
      await ctx.resume();
      await new Promise((resolve) => { setTimeout(resolve, 300); });
      const first = await engine.load();
      const from = ctx.currentTime;
      await new Promise((resolve) => { setTimeout(resolve, 1000); });
      const reading = await engine.load();
      const played = ctx.currentTime - from;
      const again = await engine.load();
      await ctx.close();
      return { ...reading, histogram: Array.from(reading.histogram), expected: (played * 48000) / 128, againQuanta: again.quanta, firstQuanta: first.quanta, resolution: clock?.resolutionMs() ?? null };
    };
    const clock = window.quaver.startSharedClock();
    try {
      return { shared: await play(clock), date: await play(null) };
    } finally {
      clock.stop();
    }
  });
  const { shared, date } = readings;
  // Without a shared clock, timing costs nothing until the page first asks.
  assert.equal(date.firstQuanta, 0, 'no quantum timed before the first load()');
  assert.ok(shared.firstQuanta > 50, `with a shared clock every quantum is timed from the start: ${shared.firstQuanta}`);
  for (const r of [shared, date]) {
    // Every quantum the context played was timed (the two readings' edges leave a few over).
    assert.ok(Math.abs(r.quanta - r.expected) < 30, `${r.quanta} quanta timed, ${r.expected} played`);
    // A reading starts counting afresh.
    assert.ok(r.againQuanta < r.quanta / 4, `the next reading counted ${r.againQuanta} quanta`);
    assert.ok(r.mean >= 0 && Number.isFinite(r.mean), `mean ${r.mean}`);
  }
  // A light graph takes microseconds: whole milliseconds may see none of it, the clock must.
  assert.ok(shared.mean > 0, `mean ${shared.mean} with the shared clock`);
  assert.equal(shared.precise, true);
  assert.equal(shared.histogram.reduce((a, b) => a + b, 0), shared.quanta, 'the histogram holds every timed quantum');
  assert.ok(shared.p50 > 0 && shared.p50 <= shared.p99, `p50 ${shared.p50}, p99 ${shared.p99}`);
  // Percentiles are bucket upper edges (1 % wide): the worst quantum is in the top bucket.
  assert.ok(shared.p99 <= shared.worst + 0.01 + 1e-9, `p99 ${shared.p99}, worst ${shared.worst}`);
  assert.ok(shared.resolution > 0 && shared.resolution < 5, `the clock ticked every ${shared.resolution} ms`);
  assert.equal(date.precise, false);
  assert.equal(date.p50, null);
  assert.equal(date.p99, null);
  assert.ok(date.histogram.every((n) => n === 0), 'no histogram from whole milliseconds');
});
