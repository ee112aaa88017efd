// Automation lanes and stems on the real page: show a track's lane with its "A" button, pick
// what it moves, click breakpoints onto the row, drag one, delete one with a double-click — one
// undo step per gesture — and hear it: the bounce's notes follow the volume lane, and the native
// CLI's render of the same project is the Worker's. Then the bounce dialog's stems: one file per
// track, as the CLI writes them, adding up to the mix.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { breakThreadsWorker, openStudio } from './lab.mjs';
import { onsets, readWav } from './wav.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PPQ = 960;
let session;
let page;

before(async () => {
  session = await openStudio();
  ({ page } = session);
});

after(async () => {
  await session?.close();
});

/** The page position of `tick` and lane value `value` on track row 0's lane. */
async function lanePoint(tick, value) {
  const box = await page.locator('#timeline').boundingBox();
  const { x, y } = await page.evaluate(([t, v]) => {
    const { timeline } = window.quaver;
    const lane = timeline.currentLane();
    return { x: timeline.tickToX(t), y: timeline.laneY(lane.top, v, lane.range) };
  }, [tick, value]);
  return { x: box.x + x, y: box.y + y };
}

const lane = () => page.evaluate(() => window.quaver.project.tracks[0].automation.find((l) => l.target.type === 'gain')?.points ?? null);
const undoDepth = () => page.evaluate(() => JSON.parse(window.quaver.session.save()).undo.length);

/** Largest difference, over both channels, between two WAVs of the same length. */
function largestDifference(a, b) {
  assert.equal(a.frames, b.frames);
  let worst = 0;
  for (let c = 0; c < 2; c += 1) {
    for (let i = 0; i < a.frames; i += 1) worst = Math.max(worst, Math.abs(a.channels[c][i] - b.channels[c][i]));
  }
  return worst;
}

/**
 * Renders the page's project with the native CLI (float, 48 kHz, then the args `extra(dir)`
 * gives) into `mix.wav` in a fresh folder; returns the folder.
 */
function renderNatively(projectJson, extra) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'quaver-native-'));
  const projectFile = path.join(dir, 'song.quaver.json');
  writeFileSync(projectFile, projectJson);
  const run = spawnSync('cargo', ['run', '--quiet', '--bin', 'quaver', '--', 'render', projectFile, path.join(dir, 'mix.wav'), '--rate', '48000', '--format', 'float32', ...extra(dir)], { cwd: root, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return dir;
}

/** How far the CLI's render of the page's project (0.5 s tail) is from the page's bounce `wav`. */
async function nativeDifference(wav) {
  const dir = renderNatively(await page.evaluate(() => window.quaver.session.save()), () => ['--tail', '0.5']);
  return largestDifference(readWav(new Uint8Array(readFileSync(path.join(dir, 'mix.wav')))), wav);
}

test('a volume lane drawn with the mouse shapes what is heard, live, bounced and rendered natively', async () => {
  // Four loud notes, one a beat, with a short release so each stands apart.
  await page.evaluate(() => {
    const app = window.quaver;
    const track = app.project.tracks[0];
    const clip = track.clips[0];
    const notes = [0, 1, 2, 3].map((i) => ({ id: 100 + i, start: i * 960, length: 240, key: 60, velocity: 100 }));
    app.edit({ edit: 'batch', edits: notes.map((note) => ({ edit: 'addNote', track: track.id, clip: clip.id, note })) });
    app.edit({ edit: 'setParam', track: track.id, device: track.instrument.id, name: 'release', value: 0.01 });
  });
  await page.locator('.track-head button.lanes').first().click();
  assert.equal(await page.locator('.track-head select.lane-target').first().inputValue(), 'gain', 'the volume lane shows first');
  const before = await undoDepth();
  // Two clicks: 0 dB on beat 1, −30 dB on beat 4 (ticks snap to the beat grid).
  let at = await lanePoint(0, 0);
  await page.mouse.click(at.x + 2, at.y);
  at = await lanePoint(3 * PPQ, -30);
  await page.mouse.click(at.x + 3, at.y);
  let points = await lane();
  assert.deepEqual(points.map((p) => p.tick), [0, 3 * PPQ]);
  assert.ok(Math.abs(points[0].value) < 1 && Math.abs(points[1].value + 30) < 1, `values ${points.map((p) => p.value)}`);
  assert.equal(await undoDepth(), before + 2, 'one undo step per click');
  // A third point, dragged from beat 3 down: one gesture, one step.
  at = await lanePoint(2 * PPQ, -6);
  await page.mouse.move(at.x, at.y);
  await page.mouse.down();
  const to = await lanePoint(2 * PPQ, -20);
  await page.mouse.move(to.x, to.y, { steps: 5 });
  await page.mouse.up();
  points = await lane();
  assert.equal(points.length, 3);
  assert.ok(Math.abs(points[1].value + 20) < 1, `dragged to ${points[1].value} dB`);
  assert.equal(await undoDepth(), before + 3);
  await page.screenshot({ path: path.join(root, 'test-results', 'studio-automation.png') });
  // A double-click on it takes it away again (the second click of it lands on the point too).
  const mid = await lanePoint(points[1].tick, points[1].value);
  await page.mouse.dblclick(mid.x, mid.y);
  points = await lane();
  assert.deepEqual(points.map((p) => p.tick), [0, 3 * PPQ], 'the middle point is gone');
  assert.deepEqual(session.pageErrors, []);

  // The bounce: each note's peak follows the lane (0, −10, −20, −30 dB at beats 1–4).
  const bytes = await page.evaluate(async () => Array.from((await window.quaver.bounce({ format: 'float32', sampleRate: 48000, save: false, tail: 0.5 })).wav));
  const wav = readWav(new Uint8Array(bytes));
  const beat = 24000;
  const peaks = [0, 1, 2, 3].map((i) => wav.channels[0].subarray(i * beat, i * beat + beat / 2).reduce((m, v) => Math.max(m, Math.abs(v)), 0));
  const db = peaks.map((p) => 20 * Math.log10(p / peaks[0]));
  console.log(`automation: note peaks relative to the first: ${db.map((d) => d.toFixed(2)).join(', ')} dB`);
  const lanePoints = await lane();
  const laneDb = (tick) => lanePoints[0].value + ((lanePoints[1].value - lanePoints[0].value) * tick) / (3 * PPQ);
  [1, 2, 3].forEach((i) => {
    // A note's peak comes a little after its start, where the lane has moved on a little.
    assert.ok(Math.abs(db[i] - (laneDb(i * PPQ) - laneDb(0))) < 1.5, `note ${i}: ${db[i]} dB, the lane says ${laneDb(i * PPQ) - laneDb(0)}`);
  });

  // The native CLI renders the saved project to the same samples.
  const worst = await nativeDifference(wav);
  console.log(`automation: Worker bounce vs native render, largest difference ${worst.toExponential(2)}`);
  assert.ok(worst <= 1e-4, `the native render differs by up to ${worst}`);
});

test('stems: the mix and each track alone from the bounce dialog, as the CLI writes them, adding up to the mix', async () => {
  await page.evaluate(() => {
    const app = window.quaver;
    const id = app.addTrack();
    const [clip, note] = [app.session.freshId(), app.session.freshId() + 1];
    app.edit({ edit: 'addClip', track: id, clip: { id: clip, start: 960, length: 3840, content: { type: 'midi', notes: [{ id: note, start: 0, length: 480, key: 67, velocity: 90 }] } } });
    window.showSaveFilePicker = undefined;
    window.showDirectoryPicker = undefined;
  });
  const downloads = [];
  page.on('download', (d) => downloads.push(d));
  await page.click('#bounce');
  await page.selectOption('#bounce-format', 'float32');
  await page.selectOption('#bounce-rate', '48000');
  await page.check('#bounce-stems');
  await page.click('#bounce-start');
  await page.waitForFunction(() => /stems? bounced/.test(document.getElementById('bounce-status').textContent), null, { timeout: 120_000 });
  await page.click('#bounce-cancel');
  assert.equal(downloads.length, 3, 'the mix and two stems');
  // The page saves them in this order, but the browser may report quick downloads in another.
  const byName = new Map(downloads.map((d) => [d.suggestedFilename(), d]));
  const names = ['Untitled.wav', '01 Synth 1.wav', '02 Synth 2.wav'];
  assert.deepEqual([...byName.keys()].sort(), [...names].sort());
  const paths = await Promise.all(names.map((name) => byName.get(name).path()));
  const files = paths.map((p) => readWav(new Uint8Array(readFileSync(p))));
  const [mix, ...stems] = files;
  let sumError = 0;
  for (let c = 0; c < 2; c += 1) {
    for (let i = 0; i < mix.frames; i += 1) sumError = Math.max(sumError, Math.abs(stems[0].channels[c][i] + stems[1].channels[c][i] - mix.channels[c][i]));
  }
  console.log(`stems: largest difference between the sum of the stems and the mix ${sumError.toExponential(2)}`);
  assert.ok(stems.every((s) => s.frames === mix.frames), 'every stem is as long as the mix');
  assert.ok(sumError < 1e-5, `the stems add up to the mix (${sumError})`);
  const peak = (w) => w.channels[0].reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  assert.ok(peak(stems[0]) > 0.01 && peak(stems[1]) > 0.01, 'each stem holds its track');
  // The isolated page rendered them side by side on the threads build's pool; one at a time
  // in the single-threaded Worker, each is the same to the bit.
  assert.match(await page.locator('#bounce-status').textContent(), /bounced: [\d.]+ s of audio each in [\d.]+ s on [2-8] threads/);
  const alone = await page.evaluate(async () => {
    const app = window.quaver;
    const out = [];
    for (const track of app.project.tracks) {
      const { project } = app.session.stem(track.id);
      out.push(Array.from((await app.bounce({ project, format: 'float32', sampleRate: 48000, save: false })).wav));
    }
    return out;
  });
  alone.forEach((bytes, i) => {
    assert.deepEqual(new Uint8Array(bytes), new Uint8Array(readFileSync(paths[i + 1])), `${names[i + 1]}: the single-threaded bounce differs`);
  });
  // Normalised to −23 LUFS on the pool, the mix takes a gain and every stem the same one: the
  // normalised mix is the first mix times that gain, and the stems still add up to it.
  const loud = await page.evaluate(async (first) => {
    const samples = (wav) => {
      const view = new DataView(wav.buffer, wav.byteOffset, wav.byteLength);
      let at = 12;
      while (view.getUint32(at, false) !== 0x64617461) at += 8 + view.getUint32(at + 4, true);
      return new Float32Array(wav.slice(at + 8, at + 8 + view.getUint32(at + 4, true)).buffer);
    };
    const runs = await window.quaver.bounceStems({ save: false, format: 'float32', sampleRate: 48000, loudness: { target: -23, ceiling: -1 } });
    const [mixed, one, two] = runs.map((r) => samples(r.wav));
    const gain = 10 ** (runs[0].gainDb / 20);
    let error = 0;
    for (let i = 0; i < mixed.length; i += 1) error = Math.max(error, Math.abs(mixed[i] - gain * first[i]), Math.abs(one[i] + two[i] - mixed[i]));
    return { gains: runs.map((r) => r.gainDb), threads: runs.map((r) => r.threads), error, frames: mixed.length / 2 };
  }, Array.from({ length: 2 * mix.frames }, (_, i) => mix.channels[i % 2][i >> 1]));
  assert.ok(loud.threads.every((t) => t >= 2) && loud.gains.every((g) => Number.isFinite(g) && g === loud.gains[0]), JSON.stringify(loud));
  assert.equal(loud.frames, mix.frames);
  const gainError = loud.error;
  assert.ok(gainError < 1e-5, `the normalised mix is the mix times its gain, and its stems add up to it (${gainError})`);
  // A song too long for the memory renders in groups (here one bounce at a time), to the same WAVs.
  const grouped = await page.evaluate(async () => {
    const app = window.quaver;
    const worker = new Worker(new URL('threads/worker.js', document.baseURI), { type: 'module' });
    const ask = (message) => new Promise((resolve, reject) => {
      worker.onmessage = ({ data }) => {
        if (data.type === 'error') reject(new Error(data.message));
        else if (data.type !== 'progress') resolve(data);
      };
      worker.postMessage(message);
    });
    try {
      await ask({ type: 'start', threads: 2 });
      const projects = [app.session.save(), ...app.project.tracks.map((t) => app.session.stem(t.id).project)];
      const job = { type: 'bounce', projects, sampleRate: 48000, format: 'float32', tail: 2 };
      const whole = await ask(job);
      const oneByOne = await ask({ ...job, groupBytes: 1 });
      return { same: whole.wavs.every((w, i) => w.length === oneByOne.wavs[i].length && w.every((b, j) => b === oneByOne.wavs[i][j])), count: whole.wavs.length };
    } finally {
      worker.terminate();
    }
  });
  assert.deepEqual(grouped, { same: true, count: 3 });
  // A pool that fails hands the bounce to the single-threaded Worker, one stem at a time.
  await page.evaluate(breakThreadsWorker, 'bounce');
  const fallback = await page.evaluate(async () => {
    try {
      const runs = await window.quaver.bounceStems({ save: false, format: 'float32', sampleRate: 48000 });
      return runs.map((r) => ({ threads: r.threads ?? null, bytes: r.wav.length }));
    } finally {
      window.Worker = window.RealWorker;
    }
  });
  assert.deepEqual(fallback.map((r) => r.threads), [null, null, null], 'bounced without the pool');
  assert.deepEqual(fallback.map((r) => r.bytes), paths.map((p) => readFileSync(p).length));

  // The CLI writes the same stems.
  const dir = renderNatively(await page.evaluate(() => window.quaver.session.save()), (folder) => ['--stems', path.join(folder, 'stems')]);
  names.slice(1).forEach((name, i) => {
    const worst = largestDifference(readWav(new Uint8Array(readFileSync(path.join(dir, 'stems', name)))), stems[i]);
    assert.ok(worst <= 1e-4, `${name}: the CLI's stem differs by up to ${worst}`);
  });
  assert.deepEqual(session.pageErrors, []);
});

test('lanes on the master and on a bus are drawn on their own rows and heard: bounced and rendered natively', async () => {
  const bounce = async (tail = 0) => readWav(new Uint8Array(await page.evaluate(async (t) => Array.from((await window.quaver.bounce({ format: 'float32', sampleRate: 48000, save: false, tail: t })).wav), tail)));
  const before = await bounce();
  await page.click('#add-bus');
  assert.equal(await page.locator('.channel-head.bus').count(), 1, 'the bus has a row under the tracks');
  // The master's row: its lanes move its volume and its pan (it has no devices).
  await page.locator('.channel-head.master button.lanes').click();
  const masterTarget = page.locator('.channel-head.master select.lane-target');
  assert.deepEqual(await masterTarget.locator('option').evaluateAll((o) => o.map((x) => x.value)), ['gain', 'pan']);
  const depth = await undoDepth();
  let at = await lanePoint(0, 0);
  await page.mouse.click(at.x + 2, at.y);
  at = await lanePoint(4 * PPQ, -40);
  await page.mouse.click(at.x + 2, at.y);
  const master = await page.evaluate(() => window.quaver.project.master_automation);
  assert.equal(master.length, 1);
  assert.deepEqual(master[0].points.map((p) => p.tick), [0, 4 * PPQ]);
  assert.equal(await undoDepth(), depth + 2, 'one undo step per click');
  await page.screenshot({ path: path.join(root, 'test-results', 'studio-master-lane.png') });

  // Bounced, the song is the song before times the master's lane, frame by frame. A volume lane
  // is laid as 16 straight pieces (in gain) per segment, even in dB: at 120 BPM the piece
  // ends fall on whole frames, 6000 apart here, so the expected gain is exact.
  const after = await bounce();
  const [from, to] = master[0].points;
  const beat = 24000;
  const pieces = 16;
  const pieceFrames = (4 * beat) / pieces;
  const gainAt = (k) => 10 ** ((from.value + ((to.value - from.value) * k) / pieces) / 20);
  let worst = 0;
  let compared = 0;
  for (let i = 0; i < 4 * beat; i += 7) {
    if (Math.abs(before.channels[0][i]) < 1e-3) continue;
    const k = Math.floor(i / pieceFrames);
    const gain = gainAt(k) + ((gainAt(k + 1) - gainAt(k)) * (i - k * pieceFrames)) / pieceFrames;
    worst = Math.max(worst, Math.abs(after.channels[0][i] / (before.channels[0][i] * gain) - 1));
    compared += 1;
  }
  console.log(`automation: master lane, ${compared} frames against the lane's pieces, worst ${worst.toExponential(2)}`);
  assert.ok(compared > 1000 && worst < 1e-4, `${compared} frames, worst ${worst}`);

  // The bus's row: its reverb's mix, one point.
  await page.locator('.channel-head.bus button.lanes').click();
  const bus = await page.evaluate(() => window.quaver.project.buses[0]);
  const key = `${bus.inserts[0].id}:mix`;
  await page.locator('.channel-head.bus select.lane-target').selectOption(key);
  at = await lanePoint(PPQ, 0.8);
  await page.mouse.click(at.x + 2, at.y);
  const busLane = await page.evaluate(() => window.quaver.project.buses[0].automation);
  assert.deepEqual(busLane.map((l) => [l.target.type, l.target.param, l.points.length]), [['param', 'mix', 1]]);
  assert.ok(Math.abs(busLane[0].points[0].value - 0.8) < 0.05, `mix ${busLane[0].points[0].value}`);
  // The CLI, reading the saved project, renders both lanes as the Worker does.
  const worstNative = await nativeDifference(await bounce(0.5));
  assert.ok(worstNative <= 1e-4, `the native render differs by up to ${worstNative}`);
  // Four undo steps take the lanes and the bus away again.
  for (let i = 0; i < 4; i += 1) await page.click('#undo');
  assert.deepEqual(await page.evaluate(() => [window.quaver.project.master_automation.length, window.quaver.project.buses.length]), [0, 0]);
  assert.deepEqual(session.pageErrors, []);
});

test('a tempo ramp drawn on the tempo row moves the notes, the clock and the bounce, and the CLI agrees', async () => {
  await page.evaluate(() => {
    const app = window.quaver;
    app.setLane(app.project.tracks[0], { type: 'gain' }, []);
    app.showLane(app.project.tracks[0].id);
  });
  // T is a note on the computer keyboard (F♯): it leaves the tempo row alone; M shows it.
  await page.keyboard.press('t');
  assert.equal(await page.locator('#tempo-head').isVisible(), false, 'T plays a note and no more');
  await page.keyboard.press('m');
  assert.equal(await page.locator('#tempo-head').isVisible(), true, 'M shows the tempo row');
  // A click on beat 3 at 60 BPM: the tempo ramps from 120 at the start down to 60 there.
  const box = await page.locator('#timeline').boundingBox();
  const at = await page.evaluate(() => {
    const { timeline } = window.quaver;
    const lane = timeline.currentLane(true);
    return { x: timeline.tickToX(1920), y: timeline.laneY(lane.top, 60, lane.range) };
  });
  await page.mouse.click(box.x + at.x + 2, box.y + at.y);
  const changes = await page.evaluate(() => window.quaver.project.tempo_changes);
  assert.equal(changes.length, 1);
  assert.equal(changes[0].tick, 1920);
  assert.ok(Math.abs(changes[0].bpm - 60) < 1.5 && changes[0].ramp, JSON.stringify(changes));
  const b1 = changes[0].bpm;
  // Seconds at tick x of the ramp: (60 / PPQ) · D / (b1 − b0) · ln(bpm(x) / b0).
  const rampSeconds = (tick) => (60 / PPQ) * (1920 / (b1 - 120)) * Math.log((120 + ((b1 - 120) * tick) / 1920) / 120);
  await page.evaluate(() => window.quaver.seek(1920));
  await page.waitForTimeout(100);
  const shown = await page.locator('#position-time').textContent();
  assert.equal(shown, `0:${rampSeconds(1920).toFixed(3).padStart(6, '0')}`, 'the clock counts through the ramp');
  assert.match(await page.locator('#tempo-now').textContent(), new RegExp(`♩ ${b1.toFixed(1)}`));
  await page.screenshot({ path: path.join(root, 'test-results', 'studio-tempo-map.png') });

  const bytes = await page.evaluate(async () => Array.from((await window.quaver.bounce({ format: 'float32', sampleRate: 48000, save: false, tail: 0.5 })).wav));
  const wav = readWav(new Uint8Array(bytes));
  const found = onsets(wav.channels[0], 48000);
  const expected = [0, rampSeconds(960), rampSeconds(1920), rampSeconds(1920) + (60 / b1)];
  assert.equal(found.length, 4, `onsets at ${found}`);
  found.forEach((frame, i) => {
    const errorMs = (frame / 48000 - expected[i]) * 1000;
    assert.ok(Math.abs(errorMs) <= 1, `note ${i} at ${(frame / 48000).toFixed(4)} s, the tempo map says ${expected[i].toFixed(4)} s`);
  });
  const worst = await nativeDifference(wav);
  assert.ok(worst <= 1e-4, `the native render differs by up to ${worst}`);
  assert.deepEqual(session.pageErrors, []);
});
