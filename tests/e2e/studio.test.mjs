// The workstation page as a musician uses it, in headless Chromium: draw notes with the mouse,
// play them and hear them on the beat (onsets measured from the engine's output), add an
// insert and a send to a reverb bus, mix, bounce to WAV in the Worker (content checked, and
// against the native `quaver render` of the same project and Python's soundfile), reload and
// find it all again. Screenshots of the timeline, piano roll and mixer go to test-results/.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openStudio, waitAudio } from './lab.mjs';
import { onsets, readWav, writeWav16 } from './wav.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const shots = path.join(root, 'test-results');
mkdirSync(shots, { recursive: true });

const PPQ = 960;
const NOTES = [
  { tick: 0, key: 60 },
  { tick: PPQ, key: 62 },
  { tick: 2 * PPQ, key: 64 },
  { tick: 3 * PPQ, key: 65 },
];

let session;
let page;

before(async () => {
  session = await openStudio();
  ({ page } = session);
});

after(async () => {
  await session?.close();
});

/** The page position of a piano-roll cell: `tick` into the clip, `key`. */
async function rollPoint(tick, key) {
  const box = await page.locator('#roll').boundingBox();
  const { x, y } = await page.evaluate(([t, k]) => {
    const { roll } = window.quaver;
    return { x: roll.tickToX(t), y: roll.keyToY(k) };
  }, [tick, key]);
  return { x: box.x + x + 3, y: box.y + y + 6 };
}

/** A tap after the engine: records every frame it outputs with its context frame number. */
async function installTap(channels = 1) {
  await page.evaluate(async (count) => {
    const { context, engine } = window.quaver;
    const name = `tap${count}`;
    const code = `class Tap extends AudioWorkletProcessor {
      process([input]) {
        if (input.length) this.port.postMessage({ frame: currentFrame, samples: ${count === 1 ? 'input[0].slice()' : '[input[0].slice(), (input[1] ?? input[0]).slice()]'} });
        return true;
      }
    }
    registerProcessor('${name}', Tap);`;
    await context.audioWorklet.addModule(URL.createObjectURL(new Blob([code], { type: 'text/javascript' })));
    const tap = new AudioWorkletNode(context, name, { channelCount: count, channelCountMode: 'explicit' });
    // One tap at a time: an earlier one would push its blocks into the new list.
    if (window.tapNode) {
      window.tapNode.port.onmessage = null;
      window.tapNode.disconnect();
      engine.node.disconnect(window.tapNode);
    }
    window.tapped = [];
    tap.port.onmessage = ({ data }) => window.tapped.push(data);
    engine.node.connect(tap).connect(context.destination);
    window.tapNode = tap;
  }, channels);
  // Notes the piano roll auditioned while they were drawn may still ring out: what is heard
  // starts after a tenth of a second of silence.
  await page.waitForFunction((count) => {
    const recent = window.tapped.slice(-40);
    const quiet = (samples) => (count === 1 ? [samples] : samples).every((c) => c.every((v) => Math.abs(v) < 1e-4));
    return recent.length === 40 && recent.every((b) => quiet(b.samples));
  }, channels, { timeout: 20_000 });
  await page.evaluate(() => { window.tapped.length = 0; });
}

/** What the tap heard: samples from context frame `first` on. */
function tapped() {
  return page.evaluate(() => {
    const blocks = window.tapped;
    const first = blocks[0].frame;
    const samples = new Float32Array(blocks[blocks.length - 1].frame + 128 - first);
    for (const b of blocks) samples.set(b.samples, b.frame - first);
    return { first, samples: Array.from(samples), sampleRate: window.quaver.context.sampleRate };
  });
}

/** The loop region bounced as 32-bit float at `rate`, no tail: its left channel. */
async function bounceLoopLeft(rate) {
  const wav = await page.evaluate(async (sr) => {
    const b = await window.quaver.bounce({ range: 'loop', format: 'float32', sampleRate: sr, save: false, tail: 0 });
    return Array.from(b.wav);
  }, rate);
  return readWav(new Uint8Array(wav)).channels[0];
}

test('a fresh page is a project with one synth track and an empty clip, ready to draw in', async () => {
  const state = await page.evaluate(() => {
    const { project } = window.quaver;
    return { tracks: project.tracks.length, clip: project.tracks[0].clips[0], undo: !document.getElementById('undo').disabled };
  });
  assert.equal(state.tracks, 1);
  assert.equal(state.clip.content.notes.length, 0);
  assert.equal(state.clip.length, 4 * 4 * PPQ, 'four bars of 4/4');
  assert.equal(state.undo, false, 'the starting point is not an undo step');
  // The top bar shows the engine's own render load, read from the worklet every half second.
  await page.waitForFunction(() => window.quaver.dspLoad?.quanta > 0, null, { timeout: 5000 });
  const load = await page.evaluate(() => ({ text: document.getElementById('dsp-load').textContent, mean: window.quaver.dspLoad.mean }));
  assert.equal(load.text, `DSP ${Math.round(load.mean * 100)}%`);
  // Two rows at this width: playing controls, then editing ones; nothing wraps further.
  const rows = await page.evaluate(() => {
    const centres = [...document.querySelectorAll('.topbar > :not(.topbar-break)')].map((e) => {
      const box = e.getBoundingClientRect();
      return box.top + box.height / 2;
    }).sort((a, b) => a - b);
    return 1 + centres.filter((c, i) => i > 0 && c - centres[i - 1] > 15).length;
  });
  assert.equal(rows, 2, 'the top bar is two rows');
  assert.deepEqual(session.pageErrors, []);
});

test('notes drawn with the mouse play on the beat grid (onsets within 1 ms)', async () => {
  for (const { tick, key } of NOTES) {
    const at = await rollPoint(tick, key);
    await page.mouse.click(at.x, at.y);
  }
  const notes = await page.evaluate(() => window.quaver.project.tracks[0].clips[0].content.notes);
  assert.deepEqual(notes.map((n) => [n.start, n.key, n.length]), NOTES.map((n) => [n.tick, n.key, PPQ / 2]), 'each click is an eighth note at its cell');
  // A short release, set as a musician would: the synth's slider in the device panel.
  await page.click('#tab-device');
  await page.locator('.device input[data-param="release"]').first().fill('5');
  const release = await page.evaluate(() => window.quaver.project.tracks[0].instrument.params.release);
  assert.ok(Math.abs(release - 0.02) < 1e-6, `release ${release}`);
  await page.click('#tab-roll');
  await page.screenshot({ path: path.join(shots, 'studio-piano-roll.png') });

  await installTap();
  await page.keyboard.press('Space');
  await page.waitForFunction(() => window.quaver.transport !== null);
  await waitAudio(page, 2.4);
  const startFrame = await page.evaluate(() => window.quaver.transport.atFrame);
  await page.keyboard.press('Space');
  assert.equal(await page.evaluate(() => window.quaver.transport), null, 'Space stops it again');
  const heard = await tapped();
  const found = onsets(heard.samples, heard.sampleRate).map((i) => heard.first + i);
  const secondsPerTick = 60 / 120 / PPQ;
  const expected = NOTES.map((n) => startFrame + Math.round(n.tick * secondsPerTick * heard.sampleRate));
  assert.equal(found.length, NOTES.length, `onsets at frames ${found} (expected ${expected})`);
  found.forEach((frame, i) => {
    const errorMs = ((frame - expected[i]) / heard.sampleRate) * 1000;
    assert.ok(Math.abs(errorMs) <= 1, `note ${i} starts ${errorMs.toFixed(3)} ms off the grid`);
  });
});

test('an insert, a send to a reverb bus and the faders change what is heard, one undo step per gesture', async () => {
  await page.click('#tab-mixer');
  await page.click('#add-bus');
  const busId = await page.evaluate(() => window.quaver.project.buses[0]?.id);
  assert.ok(busId, 'a bus was added');
  assert.equal(await page.evaluate(() => window.quaver.project.buses[0].inserts[0].kind), 'reverb');
  // Insert a filter on the track from its strip's menu.
  const track = page.locator('.strip.track').first();
  await track.locator('select').selectOption('biquad');
  assert.equal(await page.evaluate(() => window.quaver.project.tracks[0].inserts[0].kind), 'biquad');
  await page.click('#tab-mixer');
  // The send and the track fader, moved like sliders are (several input events, one change).
  const undoDepth = () => page.evaluate(() => JSON.parse(window.quaver.session.save()).undo.length);
  const before = await undoDepth();
  const drag = async (locator, values) => {
    await locator.evaluate((input, vs) => {
      for (const v of vs) {
        input.value = String(v);
        input.dispatchEvent(new Event('input', { bubbles: true }));
      }
      input.dispatchEvent(new Event('change', { bubbles: true }));
    }, values);
  };
  await drag(page.locator('.strip.track').first().locator('.sends input[type="range"]'), [-30, -20, -12, -6]);
  await drag(page.locator('.strip.track').first().locator('input.fader'), [-1, -2, -3]);
  const project = await page.evaluate(() => window.quaver.project);
  assert.deepEqual(project.tracks[0].sends, [{ bus: busId, gain_db: -6 }]);
  assert.equal(project.tracks[0].strip.gain_db, -3);
  assert.equal(await undoDepth(), before + 2, 'two drags, two undo steps');
  assert.equal(await page.locator('.strip.track').first().locator('output').first().textContent(), '-3.0 dB');
  // The mixer's strips are there and play: the meters move while the song plays.
  await installTap(2);
  await page.keyboard.press('Home');
  await page.keyboard.press('Space');
  await waitAudio(page, 0.8);
  const meter = await page.evaluate(() => parseFloat(document.querySelector('.strip.track .meter-bar i').style.height || '0'));
  await page.screenshot({ path: path.join(shots, 'studio-mixer.png') });
  await page.keyboard.press('Space');
  assert.ok(meter > 10, `the track meter shows ${meter}%`);
  // The master's held peak is the highest sample the engine gave out, either channel, since Play
  // (the reverb's tail after Stop included: it is read once the tail is quiet).
  await page.waitForFunction(() => window.tapped.slice(-40).every((b) => b.samples.every((c) => c.every((v) => Math.abs(v) < 1e-4))), null, { timeout: 20_000 });
  await page.waitForTimeout(300);
  const heardPeak = await page.evaluate(() => Math.max(...window.tapped.flatMap((b) => b.samples.map((c) => c.reduce((m, v) => Math.max(m, Math.abs(v)), 0)))));
  const masterPeak = page.locator('.strip.master .peak');
  const shownDb = Number((await masterPeak.textContent()).replace('−', '-'));
  const heardDb = 20 * Math.log10(heardPeak);
  assert.ok(Math.abs(shownDb - heardDb) <= 0.051, `the master's peak reads ${shownDb} dBFS; the engine gave out ${heardDb.toFixed(3)}`);
  assert.ok(heardDb < 0 && !(await masterPeak.getAttribute('class')).includes('clipped'), 'not clipped at unity');
  // Played again, the same span with the master 12 dB up holds a peak 12 dB higher; with the
  // track 15 dB up as well it goes over 0 dBFS, and the number turns red until clicked.
  const playedAgain = async () => {
    await page.keyboard.press('Home');
    await page.keyboard.press('Space');
    await waitAudio(page, 0.8);
    await page.keyboard.press('Space');
    await page.waitForFunction(() => window.tapped.slice(-40).every((b) => b.samples.every((c) => c.every((v) => Math.abs(v) < 1e-4))), null, { timeout: 20_000 });
    await page.waitForTimeout(300);
    return { text: await masterPeak.textContent(), clipped: await masterPeak.evaluate((b) => b.classList.contains('clipped')) };
  };
  await drag(page.locator('.strip.master input.fader'), [6, 12]);
  const louder = await playedAgain();
  assert.ok(Math.abs(Number(louder.text.replace('−', '-')) - (heardDb + 12)) <= 0.15, `master +12 dB: ${louder.text} against ${(heardDb + 12).toFixed(2)}`);
  assert.equal(louder.clipped, false);
  await drag(page.locator('.strip.track').first().locator('input.fader'), [6, 12]);
  const over = await playedAgain();
  assert.ok(over.clipped && over.text.startsWith('+') && Number(over.text) > 0, `track and master up: ${over.text}`);
  await masterPeak.click();
  assert.equal(await masterPeak.textContent(), '−∞');
  assert.equal(await masterPeak.evaluate((b) => b.classList.contains('clipped')), false);
  await page.click('#undo');
  await page.click('#undo');
  assert.equal(await page.evaluate(() => window.quaver.project.tracks[0].strip.gain_db), -3);
  assert.equal(await page.evaluate(() => window.quaver.project.master.gain_db), 0);
});

/** Bounces the song through the dialog; resolves to the WAV's bytes and the downloaded file. */
async function bounceVia(format, rate, loudness = 'off') {
  await page.evaluate(() => {
    window.quaver.lastBounce = null;
    window.showSaveFilePicker = undefined;
  });
  await page.click('#bounce');
  await page.selectOption('#bounce-format', format);
  await page.selectOption('#bounce-rate', String(rate));
  await page.selectOption('#bounce-loudness', loudness);
  const download = page.waitForEvent('download');
  await page.click('#bounce-start');
  await page.waitForFunction(() => window.quaver.lastBounce !== null, null, { timeout: 120_000 });
  const file = await (await download).path();
  const status = await page.locator('#bounce-status').textContent();
  assert.match(status, /× real time/);
  // The test server sends COOP/COEP, so the dialog bounces on the threads build, in parts.
  assert.equal(await page.evaluate(() => window.crossOriginIsolated), true);
  assert.match(status, / on \d+ threads? /, 'an isolated page bounces on the threads build');
  console.log(`studio: ${format} bounce at ${rate} Hz: ${status}`);
  await page.screenshot({ path: path.join(shots, 'studio-bounce.png') });
  const bytes = new Uint8Array(await page.evaluate(() => Array.from(window.quaver.lastBounce.wav)));
  assert.deepEqual(new Uint8Array(readFileSync(file)), bytes, 'the downloaded file is the bounce');
  await page.click('#bounce-cancel');
  return { bytes, file };
}

test('the bounce in a Worker is the song: on the grid, the reverb tail after it, and the native render of the same project', async () => {
  const secondsPerTick = 60 / 120 / PPQ;
  // With the reverb bus muted, the notes stand apart and their onsets can be timed.
  const busMute = page.locator('.strip.bus button.mute');
  await page.click('#tab-mixer');
  await busMute.click();
  const dry = readWav((await bounceVia('pcm16', 44100)).bytes);
  assert.deepEqual([dry.code, dry.bits, dry.sampleRate, dry.channels.length], [1, 16, 44100, 2]);
  const found = onsets(dry.channels[0], 44100);
  assert.equal(found.length, NOTES.length, `bounced onsets at ${found}`);
  NOTES.forEach((n, i) => {
    const errorMs = ((found[i] - n.tick * secondsPerTick * 44100) / 44100) * 1000;
    assert.ok(Math.abs(errorMs) <= 1, `bounced note ${i} at ${errorMs.toFixed(3)} ms`);
  });
  await page.click('#tab-mixer');
  await page.locator('.strip.bus button.mute').click();
  assert.equal(await page.evaluate(() => window.quaver.project.buses[0].strip.mute), false);

  const { bytes, file: saved } = await bounceVia('float32', 48000);
  const wav = readWav(bytes);
  assert.equal(wav.sampleRate, 48000);
  assert.equal(wav.channels.length, 2);
  assert.equal(wav.code, 3, 'IEEE float');
  assert.equal(wav.frames, Math.round((4 * 4 * PPQ * secondsPerTick + 2) * 48000), 'four bars and two seconds of tail');
  // The reverb bus rings on after the last note has been released.
  const lastNoteEnd = Math.round((3 * PPQ + PPQ / 2) * secondsPerTick * 48000 + 0.05 * 48000);
  const tail = wav.channels[0].subarray(lastNoteEnd, lastNoteEnd + 4800);
  const tailPeak = tail.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  assert.ok(tailPeak > 1e-3, `the reverb tail peaks at ${tailPeak}`);

  // The same project rendered natively by the CLI.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'quaver-studio-'));
  const projectFile = path.join(dir, 'song.quaver.json');
  writeFileSync(projectFile, await page.evaluate(() => window.quaver.session.save()));
  const nativeFile = path.join(dir, 'native.wav');
  const run = spawnSync('cargo', ['run', '--quiet', '--bin', 'quaver', '--', 'render', projectFile, nativeFile, '--rate', '48000', '--format', 'float32'], { cwd: root, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const native = readWav(new Uint8Array(readFileSync(nativeFile)));
  assert.equal(native.frames, wav.frames);
  let worst = 0;
  for (let c = 0; c < 2; c += 1) {
    for (let i = 0; i < wav.frames; i += 1) worst = Math.max(worst, Math.abs(native.channels[c][i] - wav.channels[c][i]));
  }
  // wasm and native builds differ only where float functions (sin, exp, tanh) round apart.
  assert.ok(worst <= 1e-4, `the native render differs by up to ${worst}`);
  console.log(`studio: Worker bounce vs native render, largest difference ${worst.toExponential(2)}`);

  // An independent reader agrees.
  const python = path.join(root, '.venv/bin/python');
  const read = spawnSync(python, ['-c', 'import sys, soundfile as sf; d, r = sf.read(sys.argv[1]); print(r, d.shape[0], d.shape[1], float(abs(d).max()))', saved], { encoding: 'utf8' });
  assert.equal(read.status, 0, read.stderr);
  const [rate, frames, channels, peak] = read.stdout.trim().split(' ').map(Number);
  assert.deepEqual([rate, frames, channels], [48000, wav.frames, 2]);
  const ourPeak = Math.max(...wav.channels.map((ch) => ch.reduce((m, v) => Math.max(m, Math.abs(v)), 0)));
  assert.ok(Math.abs(peak - ourPeak) < 1e-6, `soundfile's peak ${peak}, ours ${ourPeak}`);
});

test('after a reload the project is simply there, undo history included', async () => {
  const before = await page.evaluate(() => window.quaver.session.save());
  await page.screenshot({ path: path.join(shots, 'studio-timeline.png') });
  // The autosave follows edits within a moment; the page flushes it when hidden too.
  await page.waitForTimeout(600);
  await page.reload();
  await page.waitForFunction(() => window.quaver.ready === true, null, { timeout: 60_000 });
  const afterReload = await page.evaluate(() => window.quaver.session.save());
  assert.deepEqual(JSON.parse(afterReload), JSON.parse(before));
  assert.equal(await page.locator('#undo').isDisabled(), false);
  // Undo works on what came back: the last edit un-muted the reverb bus.
  await page.keyboard.press('Control+z');
  assert.equal(await page.evaluate(() => window.quaver.project.buses[0].strip.mute), true);
  await page.keyboard.press('Control+Shift+z');
  assert.equal(await page.evaluate(() => window.quaver.project.buses[0].strip.mute), false);
});

/** A 16-bit stereo WAV: half a second of a decaying 441 Hz tone, the right side half the left, inverted. */
function toneWav(rate = 44100) {
  const frames = rate / 2;
  const left = Array.from({ length: frames }, (_, i) => Math.round(Math.sin((2 * Math.PI * 441 * i) / rate) * Math.exp(-i / (rate / 10)) * 0.5 * 32767));
  const bytes = Buffer.alloc(44 + frames * 4);
  bytes.write('RIFF', 0);
  bytes.writeUInt32LE(36 + frames * 4, 4);
  bytes.write('WAVEfmt ', 8);
  bytes.writeUInt32LE(16, 16);
  bytes.writeUInt16LE(1, 20);
  bytes.writeUInt16LE(2, 22);
  bytes.writeUInt32LE(rate, 24);
  bytes.writeUInt32LE(rate * 4, 28);
  bytes.writeUInt16LE(4, 32);
  bytes.writeUInt16LE(16, 34);
  bytes.write('data', 36);
  bytes.writeUInt32LE(frames * 4, 40);
  left.forEach((v, i) => {
    bytes.writeInt16LE(v, 44 + i * 4);
    bytes.writeInt16LE(-Math.round(v / 2), 46 + i * 4);
  });
  return { bytes, left: left.map((v) => v / 32768), right: left.map((v) => -Math.round(v / 2) / 32768) };
}

test('an imported WAV becomes an audio track that plays where it was put, bounces, renders natively and survives a reload', async () => {
  // Only the sample is to be heard: mute the synth from its track header.
  await page.click('.track-head[data-track="1"] button.mute');
  // Click the ruler at beat 3 (tick 1920) to put the playhead there.
  const box = await page.locator('#timeline').boundingBox();
  const x = await page.evaluate(() => window.quaver.timeline.tickToX(1920));
  await page.mouse.click(box.x + x, box.y + 10);
  assert.equal(await page.evaluate(() => window.quaver.position), 1920);
  const tone = toneWav();
  await page.setInputFiles('#file-input', { name: 'hit.wav', mimeType: 'audio/wav', buffer: tone.bytes });
  await page.waitForFunction(() => window.quaver.project.tracks.some((t) => t.kind === 'audio'));
  const track = await page.evaluate(() => window.quaver.project.tracks.find((t) => t.kind === 'audio'));
  assert.equal(track.name, 'hit');
  assert.deepEqual(track.clips.map((c) => [c.start, c.length, c.content.asset, c.content.offset]), [[1920, 960, 'hit.wav', 0]], 'half a second at 120 BPM is a beat');
  await page.screenshot({ path: path.join(shots, 'studio-audio-track.png') });
  // The new clip is selected, and the lower pane draws what it plays: both channels, min and max.
  await page.click('#tab-roll');
  const view = await page.evaluate(() => {
    const { roll, selection } = window.quaver;
    roll.draw();
    return { clip: selection.clip, highs: (roll.envelope ?? []).map((c) => Math.max(...c.filter((_, i) => i % 2 === 1))), lows: (roll.envelope ?? []).map((c) => Math.min(...c.filter((_, i) => i % 2 === 0))) };
  });
  assert.equal(view.clip, track.clips[0].id);
  assert.deepEqual(view.highs.map((v) => v.toFixed(5)), [Math.max(...tone.left), Math.max(...tone.right)].map((v) => v.toFixed(5)), 'the waveform reaches each channel\'s peak');
  assert.deepEqual(view.lows.map((v) => v.toFixed(5)), [Math.min(...tone.left), Math.min(...tone.right)].map((v) => v.toFixed(5)));
  await page.locator('#pane-roll').screenshot({ path: path.join(shots, 'studio-audio-clip.png') });

  // The Worker's bounce has the sample from 1 s on, as the file holds it.
  const rate = 44100;
  const bounced = readWav((await bounceVia('float32', rate)).bytes);
  let worst = 0;
  for (let i = 32; i < tone.left.length - 32; i += 1) {
    worst = Math.max(worst, Math.abs(bounced.channels[0][rate + i] - tone.left[i]), Math.abs(bounced.channels[1][rate + i] - tone.right[i]));
  }
  assert.ok(worst < 1e-6, `the bounced clip differs from the file by up to ${worst}`);
  assert.ok(bounced.channels[0].subarray(0, rate).every((v) => v === 0), 'silence before the clip (the synth is muted)');

  // The CLI renders the same project with the sample beside it: the same samples exactly.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'quaver-audio-'));
  writeFileSync(path.join(dir, 'song.quaver.json'), await page.evaluate(() => window.quaver.session.save()));
  writeFileSync(path.join(dir, 'hit.wav'), tone.bytes);
  const out = path.join(dir, 'native.wav');
  const run = spawnSync('cargo', ['run', '--quiet', '--bin', 'quaver', '--', 'render', path.join(dir, 'song.quaver.json'), out, '--rate', String(rate), '--format', 'float32'], { cwd: root, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const native = readWav(new Uint8Array(readFileSync(out)));
  assert.deepEqual(native.channels, bounced.channels, 'the native render equals the Worker bounce');
  const without = spawnSync('cargo', ['run', '--quiet', '--bin', 'quaver', '--', 'render', path.join(dir, 'song.quaver.json'), out, '--samples', os.tmpdir()], { cwd: root, encoding: 'utf8' });
  assert.notEqual(without.status, 0);
  assert.match(without.stderr, /sample 'hit\.wav'/, 'a missing sample is named');

  // Normalised to −23 LUFS in the dialog: ffmpeg's meter reads −23 (or the −1 dBTP ceiling
  // held it lower), the gain is the one the status line states, and the CLI's --loudness agrees.
  const normalised = await bounceVia('float32', rate, '-23');
  const { gainDb } = await page.evaluate(() => window.quaver.lastBounce);
  assert.ok(Number.isFinite(gainDb), `a gain was applied: ${gainDb}`);
  const scale = 10 ** (gainDb / 20);
  const quiet = readWav(normalised.bytes);
  assert.ok(Math.abs(quiet.channels[0][rate + 100] - bounced.channels[0][rate + 100] * scale) < 1e-6, 'the mix is scaled by the gain, not reshaped');
  const meter = spawnSync('ffmpeg', ['-nostats', '-hide_banner', '-i', normalised.file, '-af', 'ebur128=peak=true', '-f', 'null', '-'], { encoding: 'utf8' });
  const summary = meter.stderr.slice(meter.stderr.lastIndexOf('Summary:'));
  const integrated = Number(/I:\s+(-?[\d.]+) LUFS/.exec(summary)[1]);
  const truePeak = Number(/Peak:\s+(-?[\d.]+) dBFS/.exec(summary)[1]);
  assert.ok(Math.abs(integrated + 23) <= 0.1 || (integrated < -23 && Math.abs(truePeak + 1) <= 0.1), `ffmpeg reads ${integrated} LUFS, ${truePeak} dBTP`);
  const loud = spawnSync('cargo', ['run', '--quiet', '--bin', 'quaver', '--', 'render', path.join(dir, 'song.quaver.json'), out, '--rate', String(rate), '--format', 'float32', '--loudness', '-23'], { cwd: root, encoding: 'utf8' });
  assert.equal(loud.status, 0, loud.stderr);
  assert.deepEqual(readWav(new Uint8Array(readFileSync(out))).channels, quiet.channels, 'the CLI normalises the same way');

  // Played live from the ruler position, the clip starts on beat 3 within a millisecond.
  await installTap();
  await page.keyboard.press('Space');
  await page.waitForFunction(() => window.quaver.transport !== null);
  await waitAudio(page, 0.5);
  const startFrame = await page.evaluate(() => window.quaver.transport.atFrame);
  await page.keyboard.press('Space');
  const heard = await tapped();
  const onset = heard.first + onsets(heard.samples, heard.sampleRate)[0];
  const errorMs = ((onset - startFrame) / heard.sampleRate) * 1000;
  assert.ok(Math.abs(errorMs) <= 1, `the clip starts ${errorMs.toFixed(3)} ms after Play (it is at the playhead)`);

  // After a reload the sample comes back from storage and the clip plays it again.
  await page.waitForTimeout(600);
  await page.reload();
  await page.waitForFunction(() => window.quaver.ready === true, null, { timeout: 60_000 });
  assert.deepEqual(await page.evaluate(() => window.quaver.session.missingSamples()), []);
  const again = readWav((await bounceVia('float32', rate)).bytes);
  assert.deepEqual(again.channels, bounced.channels, 'the same bounce after a reload');

  // The clip deleted, the page reloaded: its sample is loaded again though only the undo step
  // names it, so undo brings the clip back with its sample.
  await page.evaluate(() => {
    const app = window.quaver;
    const track = app.project.tracks.find((t) => t.clips.some((c) => c.content.asset === 'hit.wav'));
    app.edit({ edit: 'removeClip', track: track.id, clip: track.clips.find((c) => c.content.asset === 'hit.wav').id });
  });
  await page.waitForTimeout(600);
  await page.reload();
  await page.waitForFunction(() => window.quaver.ready === true, null, { timeout: 60_000 });
  assert.deepEqual(await page.evaluate(() => [window.quaver.session.unloadedSamples(), window.quaver.session.sampleNames()]), [[], ['hit.wav']]);
  await page.evaluate(() => window.quaver.undo());
  // The clip is back with its sample given (what plays it was bounced after the first reload).
  assert.deepEqual(await page.evaluate(() => [window.quaver.session.missingSamples(), window.quaver.project.tracks.some((t) => t.clips.some((c) => c.content.asset === 'hit.wav'))]), [[], true]);

  // The clip's gain and fades, from the sliders over its waveform: −6 dB, a quarter beat in and
  // half a beat out, each drag one undo step. The bounce is the first one times that shape.
  const audio = await page.evaluate(() => {
    const app = window.quaver;
    const t = app.project.tracks.find((x) => x.clips.some((c) => c.content.asset === 'hit.wav'));
    app.select({ track: t.id, clip: t.clips[0].id });
    return { track: t.id, clip: t.clips[0].id };
  });
  await page.click('#tab-roll');
  assert.equal(await page.locator('#clip-tools').isVisible(), true, 'the clip tools show over an audio clip');
  assert.equal(await page.locator('#roll-tools').isVisible(), false);
  const undoDepth = () => page.evaluate(() => JSON.parse(window.quaver.session.save()).undo.length);
  const steps = await undoDepth();
  const slide = (id, values) => page.locator(id).evaluate((input, vs) => {
    for (const v of vs) {
      input.value = String(v);
      input.dispatchEvent(new Event('input', { bubbles: true }));
    }
    input.dispatchEvent(new Event('change', { bubbles: true }));
  }, values);
  await slide('#clip-gain', [-2, -4, -6]);
  await slide('#clip-fade-in', [100, 240]);
  await slide('#clip-fade-out', [300, 480]);
  // Past what is left of the clip, a fade stops where the other starts.
  await slide('#clip-fade-in', [900]);
  const content = () => page.evaluate((a) => window.quaver.project.tracks.find((t) => t.id === a.track).clips.find((c) => c.id === a.clip).content, audio);
  assert.deepEqual((({ gain_db, fade_in, fade_out }) => ({ gain_db, fade_in, fade_out }))(await content()), { gain_db: -6, fade_in: 480, fade_out: 480 });
  assert.equal(await undoDepth(), steps + 4, 'four drags, four undo steps');
  await page.evaluate(() => window.quaver.undo());
  assert.equal((await content()).fade_in, 240);
  assert.equal(await page.locator('#clip-fade-in-out').textContent(), '125 ms');
  await page.screenshot({ path: path.join(shots, 'studio-clip-fades.png') });
  const shaped = readWav((await bounceVia('float32', rate)).bytes);
  // At 120 BPM a tick is 44100 / 1920 frames: 240 ticks rise over 5512.5 frames, 480 fall over
  // 11 025 (the engine's fades start and end on whole frames: within a frame of these).
  const clipFrames = tone.left.length;
  let off = 0;
  for (let i = 32; i < clipFrames - 32; i += 1) {
    const shape = 10 ** (-6 / 20) * Math.min(1, i / 5512.5) * Math.min(1, (clipFrames - i) / 11025);
    for (const ch of [0, 1]) off = Math.max(off, Math.abs(shaped.channels[ch][rate + i] - bounced.channels[ch][rate + i] * shape));
  }
  console.log(`studio: clip at -6 dB with fades, ${off.toExponential(2)} off the formula`);
  assert.ok(off < 2e-4, `the bounce is the clip times its gain and fades (${off} off)`);
  // Split at its middle (an eighth note's grid): the first half keeps the fade in, the second
  // the fade out.
  await page.selectOption('#snap', '1/8');
  await page.evaluate(() => { window.quaver.position = 1920 + 480; });
  await page.keyboard.press('Control+e');
  await page.selectOption('#snap', 'beat');
  const halves = await page.evaluate((a) => window.quaver.project.tracks.find((t) => t.id === a.track).clips.map((c) => [c.start, c.length, c.content.gain_db, c.content.fade_in ?? 0, c.content.fade_out ?? 0]), audio);
  assert.deepEqual(halves, [[1920, 480, -6, 240, 0], [2400, 480, -6, 0, 480]]);
  // Back to the plain clip, as the later tests expect it.
  await page.evaluate((n) => { for (let i = 0; i < n; i += 1) window.quaver.undo(); }, (await undoDepth()) - steps);
  assert.deepEqual((({ gain_db, fade_in, fade_out }) => ({ gain_db, fade_in, fade_out }))(await content()), { gain_db: undefined, fade_in: undefined, fade_out: undefined });
  assert.deepEqual(session.pageErrors, []);
});

test('the metronome counts in a bar and clicks on every beat, on the frame', async () => {
  await page.keyboard.press('Home');
  await page.click('#metronome');
  await page.click('#count-in');
  assert.deepEqual(await page.evaluate(() => [window.quaver.metronome, window.quaver.countIn]), [true, true]);
  await installTap();
  await page.keyboard.press('Space');
  await page.waitForFunction(() => window.quaver.transport !== null);
  const songStart = await page.evaluate(() => window.quaver.transport.atFrame);
  // Until just after the song's first beat (the sample on the audio track comes a second later).
  await page.waitForFunction((frame) => window.quaver.context.currentTime * window.quaver.context.sampleRate > frame + 0.25 * window.quaver.context.sampleRate, songStart);
  await page.keyboard.press('Space');
  const heard = await tapped();
  const beat = heard.sampleRate / 2;
  const found = onsets(heard.samples, heard.sampleRate).map((i) => heard.first + i);
  const expected = [0, 1, 2, 3, 4].map((k) => songStart - 4 * beat + k * beat);
  assert.equal(found.length, expected.length, `clicks at ${found}, expected ${expected}`);
  found.forEach((frame, k) => {
    const errorMs = ((frame - expected[k]) / heard.sampleRate) * 1000;
    assert.ok(Math.abs(errorMs) <= 1, `click ${k} is ${errorMs.toFixed(3)} ms off`);
  });
  await page.click('#metronome');
  await page.click('#count-in');
});

test('Save writes one .quaver file with the samples: it opens again on the page and renders natively with nothing beside it', async () => {
  const before = await page.evaluate(() => window.quaver.session.save());
  const reference = readWav((await bounceVia('float32', 44100)).bytes);
  await page.evaluate(() => { window.showSaveFilePicker = undefined; });
  const download = page.waitForEvent('download');
  await page.keyboard.press('Control+s');
  const file = await download;
  assert.equal(file.suggestedFilename(), 'Untitled.quaver');
  const bytes = readFileSync(await file.path());
  assert.equal(bytes.subarray(0, 8).toString('latin1'), 'QVRBNDL1');

  // Natively, from a folder holding nothing else.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'quaver-bundle-'));
  writeFileSync(path.join(dir, 'song.quaver'), bytes);
  const out = path.join(dir, 'native.wav');
  const run = spawnSync('cargo', ['run', '--quiet', '--bin', 'quaver', '--', 'render', path.join(dir, 'song.quaver'), out, '--rate', '44100', '--format', 'float32'], { cwd: root, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(readWav(new Uint8Array(readFileSync(out))).channels, reference.channels);

  // On the page: a new project (confirmed), then the file opened: everything is back.
  page.once('dialog', (dialog) => dialog.accept());
  await page.click('#new-project');
  await page.waitForFunction(() => window.quaver.project.tracks.length === 1 && window.quaver.project.tracks[0].clips[0].content.notes.length === 0);
  await page.setInputFiles('#file-input', { name: 'song.quaver', mimeType: 'application/octet-stream', buffer: bytes });
  await page.waitForFunction(() => window.quaver.project.tracks.length === 2);
  assert.deepEqual(JSON.parse(await page.evaluate(() => window.quaver.session.save())), JSON.parse(before), 'project and undo history');
  assert.deepEqual(readWav((await bounceVia('float32', 44100)).bytes).channels, reference.channels, 'and it sounds the same');

  // A bundle cut short is refused, naming the damage; the open project stays.
  await page.setInputFiles('#file-input', { name: 'cut.quaver', mimeType: 'application/octet-stream', buffer: bytes.subarray(0, bytes.length - 5000) });
  await page.waitForFunction(() => /cut\.quaver could not be opened/.test(document.getElementById('message').textContent));
  assert.match(await page.locator('#message').textContent(), /cut short/);
  assert.deepEqual(JSON.parse(await page.evaluate(() => window.quaver.session.save())), JSON.parse(before));
});

test('a corrupt project file is refused with a message and the open project is unchanged', async () => {
  const before = await page.evaluate(() => window.quaver.session.save());
  await page.setInputFiles('#file-input', { name: 'broken.quaver.json', mimeType: 'application/json', buffer: Buffer.from('{"project": {"version": 1, "name": 7}}') });
  await page.waitForFunction(() => !document.getElementById('message').hidden);
  const message = await page.locator('#message').textContent();
  assert.match(message, /broken\.quaver\.json could not be opened: .*name.*The current project is unchanged/);
  assert.equal(await page.evaluate(() => window.quaver.session.save()), before);
  assert.deepEqual(session.pageErrors, []);
});

test('notes played on the keyboard while the loop plays become a take per pass, a note held through the jump lasting to the loop\'s end; the chooser, Merge and a split keep every take', async () => {
  await page.click('#add-track');
  const track = await page.evaluate(() => window.quaver.selection.track);
  const region = { start: 4 * PPQ, end: 8 * PPQ };
  await page.evaluate((r) => { window.quaver.setLoop(r); window.quaver.seek(r.start); }, region);
  const tickIn = (lo, hi) => page.waitForFunction(([a, b]) => {
    const tick = window.quaver.playheadTick();
    return tick >= a && tick < b;
  }, [lo, hi], { timeout: 20_000 });
  await page.keyboard.press('r');
  await page.waitForFunction(() => window.quaver.recording && window.quaver.transport);
  // Pass 1: C on the second beat, E from the last eighth into pass 2; pass 2: G on the third beat.
  await tickIn(region.start + PPQ, region.start + 2 * PPQ);
  await page.keyboard.down('a');
  await waitAudio(page, 0.1);
  await page.keyboard.up('a');
  await tickIn(region.end - PPQ / 2, region.end);
  await page.keyboard.down('d');
  await tickIn(region.start, region.start + PPQ);
  await page.keyboard.up('d');
  await tickIn(region.start + 2 * PPQ, region.start + 3 * PPQ);
  await page.keyboard.down('g');
  await waitAudio(page, 0.1);
  await page.keyboard.up('g');
  await page.keyboard.press('r');
  await page.keyboard.press('Space');
  const clipsOf = () => page.evaluate((t) => window.quaver.project.tracks.find((x) => x.id === t).clips, track);
  const clips = await clipsOf();
  assert.equal(clips.length, 1, 'one clip, over the loop');
  const [clip] = clips;
  assert.deepEqual([clip.start, clip.length], [region.start, region.end - region.start]);
  const inSong = (notes) => notes.map((n) => ({ key: n.key, start: clip.start + n.start, end: clip.start + n.start + n.length }));
  const { takes, take, notes: playing } = clip.content;
  console.log(`studio: takes recorded over the loop ${JSON.stringify(takes.map((t, k) => inSong(k === take ? playing : t)))}`);
  assert.equal(takes.length, 2, 'a take per pass');
  assert.equal(take, 1, 'the last pass plays');
  assert.deepEqual(takes[1], [], 'the playing take keeps its place empty');
  assert.deepEqual(inSong(playing).map((n) => n.key), [67]);
  const g = inSong(playing)[0];
  assert.ok(g.start >= region.start + 2 * PPQ && g.start < region.start + 3 * PPQ, 'G where it was played in pass 2');
  const first = Object.fromEntries(inSong(takes[0]).map((n) => [n.key, n]));
  assert.deepEqual(Object.keys(first).map(Number).sort(), [60, 64]);
  assert.ok(first[60].start >= region.start + PPQ && first[60].start < region.start + 2 * PPQ, 'C where it was played in pass 1');
  assert.ok(first[64].start >= region.end - PPQ / 2 - 60 && first[64].start < region.end, `E starts near the loop's end (${first[64].start})`);
  assert.equal(first[64].end, region.end, 'held through the jump, E lasts to the loop\'s end');
  assert.equal(await page.evaluate(() => window.quaver.looping), true);
  // The take bar under the timeline shows the folder's takes; choosing the first plays C and E.
  await page.evaluate(({ t, c }) => window.quaver.select({ track: t, clip: c }), { t: track, c: clip.id });
  assert.equal(await page.isVisible('#take-tools'), true, 'the take chooser is there for a MIDI folder');
  assert.equal(await page.inputValue('#take'), '1');
  await page.selectOption('#take', '0');
  const chosen = (await clipsOf())[0].content;
  // A missing `take` is take 0, as the file leaves it out.
  assert.deepEqual([chosen.take ?? 0, chosen.notes.map((n) => n.key).sort()], [0, [60, 64]]);
  await page.screenshot({ path: path.join(shots, 'studio-midi-takes.png') });
  // Merge plays every pass at once; undo gives the folder back as it was.
  await page.click('#merge-takes');
  const merged = (await clipsOf())[0];
  assert.equal(merged.content.takes, undefined, 'merged: no takes left');
  assert.deepEqual(merged.content.notes.map((n) => n.key).sort(), [60, 64, 67]);
  await page.evaluate(() => window.quaver.undo());
  assert.deepEqual((await clipsOf())[0].content, chosen, 'undo: the folder, the first take playing');
  // A split at the third beat keeps both takes in each half, every note where it was.
  await page.evaluate((tick) => window.quaver.seek(tick), region.start + 2 * PPQ);
  await page.evaluate(() => window.quaver.splitClip());
  const halves = await clipsOf();
  assert.equal(halves.length, 2, 'split in two');
  const everyNote = (c) => [c.content.notes, ...c.content.takes].flat().map((n) => `${n.key}@${c.start + n.start}`);
  assert.deepEqual(halves.flatMap(everyNote).sort(), [...inSong(takes[0]), g].map((n) => `${n.key}@${n.start}`).sort());
  assert.deepEqual(halves.map((c) => [c.content.takes.length, c.content.take ?? 0]), [[2, 0], [2, 0]]);
  // Trimmed short of its notes, a half keeps them (silent past its end).
  await page.evaluate(({ t, c, length }) => {
    const row = window.quaver.project.tracks.find((x) => x.id === t);
    window.quaver.resizeClip(row, row.clips.find((x) => x.id === c), length);
  }, { t: track, c: halves[0].id, length: PPQ / 4 });
  const trimmed = (await clipsOf())[0];
  assert.equal(trimmed.length, PPQ / 4, 'the trim is taken');
  assert.deepEqual(everyNote(trimmed), everyNote(halves[0]), 'and every note kept');
  // Take lanes: a click on take 2's lane over the second half plays its G there.
  await page.click(`.track-head[data-track="${track}"] button.takes`);
  assert.equal(await page.locator(`.take-head[data-take-of="${track}"]`).count(), 2, 'a lane per take');
  const lane = await page.evaluate(([t, tick]) => {
    const { timeline, rows } = window.quaver;
    const row = rows().findIndex((r) => r.kind === 'take' && r.track.id === t && r.take === 1);
    const y = timeline.rowY(row) + 30;
    document.querySelector('main').scrollTop = Math.max(0, y - 120);
    return { x: timeline.tickToX(tick), y };
  }, [track, region.start + 3 * PPQ]);
  const box = await page.locator('#timeline').boundingBox();
  await page.mouse.click(box.x + lane.x, box.y + lane.y);
  const laned = await clipsOf();
  assert.deepEqual(laned.map((c) => c.content.take ?? 0), [0, 1], 'the second half plays take 2');
  assert.deepEqual(laned[1].content.notes.map((n) => `${n.key}@${laned[1].start + n.start}`), [`${g.key}@${g.start}`]);
  await page.screenshot({ path: path.join(shots, 'studio-midi-take-lanes.png') });
  assert.deepEqual(session.pageErrors, []);
});

test('with Overdub on, the notes of each pass play from the next pass on (heard on the frame), all in one clip that one undo takes back', async () => {
  await page.click('#add-track');
  const track = await page.evaluate(() => window.quaver.selection.track);
  // A short release, so each note's onset stands apart from the one before.
  await page.click('#tab-device');
  await page.locator('.device input[data-param="release"]').first().fill('5');
  await page.click('#tab-roll');
  const region = { start: 12 * PPQ, end: 16 * PPQ };
  await page.evaluate((r) => { window.quaver.setLoop(r); window.quaver.seek(r.start); }, region);
  await page.click('#overdub');
  assert.equal(await page.getAttribute('#overdub', 'aria-pressed'), 'true');
  const clipsOf = () => page.evaluate((t) => window.quaver.project.tracks.find((x) => x.id === t).clips, track);
  const at = (pass, lo, hi) => page.waitForFunction(([p, a, b]) => {
    const { tick, pass: now } = window.quaver.playhead();
    return now === p && tick >= a && tick < b;
  }, [pass, lo, hi], { timeout: 20_000 });
  const undoable = await page.evaluate(() => window.quaver.session.canUndo());
  await installTap();
  await page.keyboard.press('r');
  await page.waitForFunction(() => window.quaver.recording && window.quaver.transport);
  const transport = await page.evaluate(() => ({ atFrame: window.quaver.transport.atFrame, tick: window.quaver.transport.tick }));
  assert.equal(transport.tick, region.start);
  // Pass 1: C on the second beat. Pass 2: G on the third, while C plays from the clip.
  await at(0, region.start + PPQ, region.start + 2 * PPQ);
  await page.keyboard.down('a');
  await waitAudio(page, 0.1);
  await page.keyboard.up('a');
  await at(1, region.start, region.start + PPQ);
  const during = await clipsOf();
  assert.equal(during.length, 1, 'the clip is in the song while recording goes on');
  assert.deepEqual([during[0].start, during[0].length, during[0].content.notes.map((n) => n.key)], [region.start, region.end - region.start, [60]]);
  assert.equal(await page.evaluate(() => !!window.quaver.recording), true);
  await at(1, region.start + 2 * PPQ, region.start + 3 * PPQ);
  await page.keyboard.down('g');
  await waitAudio(page, 0.1);
  await page.keyboard.up('g');
  // Pass 3 is heard with no key pressed: both notes from the clip.
  await at(2, region.start + 3 * PPQ + PPQ / 2, region.end);
  await page.keyboard.press('r');
  await page.keyboard.press('Space');
  assert.match(await page.textContent('#message'), /Overdubbed 2 notes .*\(one undo takes them all back\)/);
  const clips = await clipsOf();
  assert.equal(clips.length, 1, 'one clip');
  const [clip] = clips;
  assert.equal(clip.content.takes, undefined, 'overdubbed: no takes');
  const byKey = Object.fromEntries(clip.content.notes.map((n) => [n.key, n]));
  assert.deepEqual(Object.keys(byKey).map(Number).sort(), [60, 67]);
  const heard = await tapped();
  const found = onsets(heard.samples, heard.sampleRate).map((i) => heard.first + i);
  const { frameOf, latency } = await page.evaluate(([r, notes]) => {
    const { tempo, session, context } = window.quaver;
    const second = (tick) => tempo.secondsAt(tick);
    const pass = second(r.end) - second(r.start);
    // Context frames after the transport's start at which each note plays in passes 2 and 3.
    const frameOf = notes.map(({ tick, passes }) => passes.map((p) => (second(r.start + tick) - second(r.start) + p * pass) * context.sampleRate));
    return { frameOf, latency: session.latencyFrames() };
  }, [region, [{ tick: byKey[60].start, passes: [1, 2] }, { tick: byKey[67].start, passes: [2] }]]);
  const expected = frameOf.flat().map((f) => transport.atFrame + latency + Math.round(f));
  console.log(`studio: overdub onsets ${found} (from the clip: ${expected})`);
  // C and G as played, and three from the clip: no note sounds twice.
  assert.equal(found.length, 5, 'five onsets');
  for (const frame of expected) {
    const nearest = Math.min(...found.map((f) => Math.abs(f - frame)));
    assert.ok(nearest / heard.sampleRate <= 0.001, `a note from the clip at frame ${frame}: nearest onset ${nearest} frames away`);
  }
  await page.evaluate((c) => window.quaver.select({ track: window.quaver.selection.track, clip: c }), clip.id);
  await page.screenshot({ path: path.join(shots, 'studio-overdub.png') });
  // One undo takes the whole recording back; one redo gives it again.
  await page.evaluate(() => window.quaver.undo());
  assert.deepEqual(await clipsOf(), [], 'one undo: no clip');
  assert.equal(await page.evaluate(() => window.quaver.session.canUndo()), undoable);
  await page.evaluate(() => window.quaver.redo());
  assert.deepEqual(await clipsOf(), clips);
  await page.click('#overdub');
  assert.deepEqual(session.pageErrors, []);
});

test('Overdub switched while recording applies from then: on, what was played goes into the song; off, what was written stays and the rest is a clip of its own', async () => {
  await page.click('#add-track');
  const track = await page.evaluate(() => window.quaver.selection.track);
  const region = { start: 20 * PPQ, end: 24 * PPQ };
  await page.evaluate((r) => { window.quaver.setLoop(r); window.quaver.seek(r.start); }, region);
  assert.equal(await page.getAttribute('#overdub', 'aria-pressed'), 'false');
  const clipsOf = () => page.evaluate((t) => window.quaver.project.tracks.find((x) => x.id === t).clips, track);
  const keysIn = (clip) => clip.content.notes.map((n) => n.key).sort();
  const during = (lo, hi) => page.waitForFunction(([a, b]) => {
    const { tick } = window.quaver.playhead();
    return tick >= a && tick < b;
  }, [lo, hi], { timeout: 20_000 });
  const play = async (key) => {
    await page.keyboard.down(key);
    await waitAudio(page, 0.1);
    await page.keyboard.up(key);
  };
  await page.keyboard.press('r');
  await page.waitForFunction(() => window.quaver.recording && window.quaver.transport);
  await during(region.start + PPQ, region.start + 2 * PPQ);
  await play('a');
  assert.deepEqual(await clipsOf(), [], 'recording takes: nothing in the song yet');
  await page.click('#overdub');
  const on = await clipsOf();
  assert.deepEqual(on.map((c) => [c.start, keysIn(c)]), [[region.start, [60]]], 'switched on: the C played is in the song');
  await during(region.start + 2 * PPQ, region.start + 3 * PPQ);
  await play('d');
  assert.deepEqual((await clipsOf()).map(keysIn), [[60, 64]], 'E written as it ends');
  await page.click('#overdub');
  assert.match(await page.textContent('#message'), /Overdub off: the 2 notes overdubbed stay in the song/);
  await during(region.start + 3 * PPQ, region.end);
  await play('g');
  assert.deepEqual((await clipsOf()).map(keysIn), [[60, 64]], 'switched off: G is not written while recording');
  await page.keyboard.press('r');
  await page.keyboard.press('Space');
  const clips = await clipsOf();
  assert.deepEqual(clips.map(keysIn), [[60, 64], [67]], 'the overdub clip kept, G in a clip of its own');
  assert.equal(clips[1].content.takes, undefined, 'one pass of notes: no take folder');
  assert.deepEqual(session.pageErrors, []);
});

test('a clip\'s top-right corner loops it: its notes sound in every repeat, a split keeps the repeats going, one undo a gesture', async () => {
  await page.click('#add-track');
  const track = await page.evaluate(() => window.quaver.selection.track);
  await page.click(`.track-head[data-track="${track}"] button.solo`);
  const bar = 4 * PPQ;
  const start = 2 * bar;
  const clipId = await page.evaluate(([t, s, b, ppq]) => {
    const app = window.quaver;
    const row = () => app.project.tracks.find((x) => x.id === t);
    const id = app.addMidiClip(row(), s, b);
    const clip = () => row().clips.find((c) => c.id === id);
    app.addNote(row(), clip(), { start: 0, length: ppq / 2, key: 60, velocity: 100 });
    app.addNote(row(), clip(), { start: 2 * ppq, length: ppq / 2, key: 67, velocity: 100 });
    return id;
  }, [track, start, bar, PPQ]);
  const clipsOf = () => page.evaluate((t) => window.quaver.project.tracks.find((x) => x.id === t).clips, track);
  await page.evaluate((r) => window.quaver.setLoop(r), { start, end: start + 3 * bar });
  // Drag the clip's top-right corner from the end of its bar to the end of the third.
  const corner = await page.evaluate(([t, tick]) => {
    const { timeline, rows } = window.quaver;
    const row = rows().findIndex((r) => r.id === t);
    const y = timeline.rowY(row) + 8;
    document.querySelector('main').scrollTop = Math.max(0, y - 120);
    return { from: timeline.tickToX(tick) - 3, to: timeline.tickToX(tick + 2 * 4 * 960) - 3, y };
  }, [track, start + bar]);
  const box = await page.locator('#timeline').boundingBox();
  await page.mouse.move(box.x + corner.from, box.y + corner.y);
  assert.equal(await page.evaluate(() => document.getElementById('timeline').style.cursor), 'alias', 'the corner shows it loops');
  await page.mouse.down();
  await page.mouse.move(box.x + (corner.from + corner.to) / 2, box.y + corner.y, { steps: 4 });
  await page.mouse.move(box.x + corner.to, box.y + corner.y, { steps: 4 });
  await page.mouse.up();
  const [looped] = await clipsOf();
  assert.deepEqual([looped.id, looped.start, looped.length, looped.looping], [clipId, start, 3 * bar, { length: bar }], 'three bars, repeating its first');
  await page.screenshot({ path: path.join(shots, 'studio-looped-clip.png') });
  // A bounce of the clip's three bars (the loop region; this track soloed) has both notes in
  // every bar, on the grid.
  const rate = await page.evaluate(() => window.quaver.context.sampleRate);
  const bounceLeft = () => bounceLoopLeft(rate);
  const first = await bounceLeft();
  const found = onsets(first, rate);
  const expected = [0, 1, 2].flatMap((k) => [0, 2 * PPQ].map((t) => Math.round((k * bar + t) * (60 / 120 / PPQ) * rate)));
  console.log(`studio: looped clip onsets ${found} (expected ${expected})`);
  assert.equal(found.length, expected.length, 'two notes in each of three bars');
  found.forEach((f, i) => assert.ok(Math.abs(f - expected[i]) <= rate / 1000, `onset ${f} near ${expected[i]}`));
  // Split in the middle of the second repeat: the halves play the same notes.
  await page.evaluate(([t, c, tick]) => {
    window.quaver.select({ track: t, clip: c });
    window.quaver.seek(tick);
    window.quaver.splitClip();
  }, [track, clipId, start + bar + PPQ]);
  const halves = await clipsOf();
  assert.deepEqual(halves.map((c) => [c.start, c.length, c.looping]), [[start, bar + PPQ, { length: bar }], [start + bar + PPQ, 2 * bar - PPQ, { length: bar, phase: PPQ }]]);
  assert.deepEqual(onsets(await bounceLeft(), rate), found, 'the halves sound as the whole clip did');
  await page.evaluate(() => window.quaver.undo());
  assert.deepEqual(await clipsOf(), [looped], 'one undo: the split goes');
  await page.evaluate(() => window.quaver.undo());
  const [once] = await clipsOf();
  assert.deepEqual([once.length, once.looping], [bar, undefined], 'one more: it plays once again');
  await page.click(`.track-head[data-track="${track}"] button.solo`);
  assert.deepEqual(session.pageErrors, []);
});

test('+ Drums adds a drum kit: its piano roll rows are the drums, named, the keyboard plays them from A, and drawn hits play as those drums on the grid', async () => {
  const synthTrack = await page.evaluate(() => window.quaver.selection.track);
  await page.click('#add-drums');
  const track = await page.evaluate(() => window.quaver.selection.track);
  const made = await page.evaluate((t) => {
    const row = window.quaver.project.tracks.find((x) => x.id === t);
    return { name: row.name, instrument: row.instrument.kind, octave: window.quaver.keyboard.octave, head: document.querySelector(`.track-head[data-track="${t}"]`).textContent };
  }, track);
  assert.equal(made.instrument, 'drums');
  assert.match(made.name, /^Drums \d+$/);
  assert.match(made.head, /MIDI · drums/);
  assert.equal(made.octave, 2, 'the computer keyboard plays from C2, the kick, on A');
  await page.click(`.track-head[data-track="${track}"] button.solo`);
  const bar = 4 * PPQ;
  const start = 4 * bar;
  await page.evaluate(([t, s, b]) => {
    const app = window.quaver;
    const id = app.addMidiClip(app.project.tracks.find((x) => x.id === t), s, b);
    app.select({ track: t, clip: id });
  }, [track, start, bar]);
  // The roll opens on the drums, each row named.
  const view = await page.evaluate(() => {
    const { roll } = window.quaver;
    const area = roll.noteArea();
    return { width: roll.keysWidth, top: roll.topKey, bottom: roll.yToKey(area.bottom - 1) };
  });
  assert.ok(view.width > 44, `the key column widens for the names (${view.width} px)`);
  assert.ok(view.top >= 46 && view.bottom <= 36, `kick to open hat in view (keys ${view.bottom}–${view.top})`);
  // Kick on the first beat, closed hat on the third, snare on the fourth, drawn with the mouse.
  const HITS = [{ tick: 0, key: 36 }, { tick: 2 * PPQ, key: 42 }, { tick: 3 * PPQ, key: 38 }];
  for (const { tick, key } of HITS) {
    const at = await rollPoint(tick, key);
    await page.mouse.click(at.x, at.y);
  }
  const notes = await page.evaluate((t) => window.quaver.project.tracks.find((x) => x.id === t).clips[0].content.notes, track);
  assert.deepEqual(notes.map((n) => [n.start, n.key]), HITS.map((h) => [h.tick, h.key]));
  await page.screenshot({ path: path.join(shots, 'studio-drums.png') });
  // The Devices tab has the kit's knobs, from the engine's description.
  await page.click('#tab-device');
  const knobs = await page.evaluate(() => [...document.querySelectorAll('.device input[data-param]')].map((i) => i.dataset.param));
  for (const knob of ['gain', 'tune', 'decay', 'tone']) assert.ok(knobs.includes(knob), `the kit's ${knob} (${knobs})`);
  // The Analysis tab counts the hits per drum, and finds no key in them.
  await page.click('#tab-analysis');
  const facts = await page.locator('.analysis-facts').innerText();
  assert.match(facts, /Drum clip/);
  assert.match(facts, /Hits\s+3 on 3 drums/);
  assert.match(facts, /Key\s+none \(a drum kit\)/);
  await page.screenshot({ path: path.join(shots, 'studio-drum-analysis.png') });
  await page.click('#tab-roll');
  // The bar bounced (this track soloed): three hits on the grid, low, high, then in between.
  await page.evaluate((r) => window.quaver.setLoop(r), { start, end: start + bar });
  const rate = await page.evaluate(() => window.quaver.context.sampleRate);
  const left = await bounceLoopLeft(rate);
  const found = onsets(left, rate);
  const expected = HITS.map((h) => Math.round(h.tick * (60 / 120 / PPQ) * rate));
  console.log(`studio: drum onsets ${found} (expected ${expected})`);
  assert.equal(found.length, HITS.length, 'three hits');
  found.forEach((f, i) => assert.ok(Math.abs(f - expected[i]) <= rate / 1000, `hit ${f} near ${expected[i]}`));
  const crossings = (from) => {
    let n = 0;
    for (let i = from + 1; i < from + rate / 20; i += 1) if ((left[i - 1] < 0) !== (left[i] < 0)) n += 1;
    return n;
  };
  const [kick, hat, snare] = found.map(crossings);
  console.log(`studio: zero crossings in the first 50 ms: kick ${kick}, hat ${hat}, snare ${snare}`);
  assert.ok(kick < 20, `the kick is low (${kick} crossings in 50 ms)`);
  assert.ok(hat > 400, `the hat is high (${hat})`);
  assert.ok(snare > kick && snare < hat, `the snare between (${snare})`);
  // The snare's pad takes a sample of its own, loaded as a musician would (… on the pad): the
  // bar bounced again is the same up to the snare, and from there plays the sample, scaled by
  // the kit's gain (0.8), the hit's velocity and the centred pan (cos π/4).
  await page.click('#tab-device');
  const thud = Array.from({ length: Math.round(rate / 10) }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 150 * i) / rate));
  await page.setInputFiles('.pad[data-key="38"] input[type=file]', { name: 'thud.wav', mimeType: 'audio/wav', buffer: Buffer.from(writeWav16(thud, rate)) });
  const padsOf = () => page.evaluate((t) => window.quaver.project.tracks.find((x) => x.id === t).instrument.pads ?? [], track);
  await page.waitForFunction((t) => window.quaver.project.tracks.find((x) => x.id === t).instrument.pads?.length, track);
  assert.deepEqual(await padsOf(), [{ key: 38, sample: 'thud.wav' }]);
  assert.match(await page.locator('.pad[data-key="38"]').textContent(), /Snare.*thud\.wav/);
  assert.match(await page.locator('.pad[data-key="36"]').textContent(), /Kick.*synth/);
  await page.screenshot({ path: path.join(shots, 'studio-drum-pads.png') });
  const padded = await bounceLoopLeft(rate);
  const snareAt = expected[2];
  const velocity = notes.find((n) => n.key === 38).velocity;
  const scale = 0.8 * (velocity / 127) * Math.SQRT1_2;
  let same = 0;
  for (let i = 0; i < snareAt; i += 1) same = Math.max(same, Math.abs(padded[i] - left[i]));
  let off = 0;
  for (let i = 0; i < thud.length; i += 1) off = Math.max(off, Math.abs(padded[snareAt + i] - scale * thud[i]));
  console.log(`studio: snare pad sample — before the snare ${same.toExponential(2)}, from it ${off.toExponential(2)} off the sample × ${scale.toFixed(4)}`);
  assert.ok(same < 1e-6, `nothing changes before the snare (${same})`);
  // The 16-bit file (steps of 3e-5) and the closed hat's last ringing (under 1e-3 by then).
  assert.ok(off < 2e-3, `the snare's hit is the sample (${off} off)`);
  // × gives the pad its synthesised snare back; undo brings the sample back.
  await page.click('.pad[data-key="38"] button[aria-label="Snare pad: back to the synthesised drum"]');
  assert.deepEqual(await padsOf(), []);
  assert.match(await page.locator('.pad[data-key="38"]').textContent(), /Snare.*synth/);
  await page.evaluate(() => window.quaver.undo());
  assert.deepEqual(await padsOf(), [{ key: 38, sample: 'thud.wav' }]);
  // Played, the snare's pad shows its level and tuning under the knobs. Its level dragged to
  // −6 dB (one undo step) scales its hits; tuned up 12 semitones, the sample plays at twice its
  // rate. The other drums stay as they were.
  await page.click('.pad[data-key="38"] .pad-hit');
  assert.equal(await page.locator('.pad-editor h4').textContent(), 'Snare pad');
  const undoDepth = () => page.evaluate(() => JSON.parse(window.quaver.session.save()).undo.length);
  const dragPad = (field, values) => page.locator(`.pad-editor input[data-pad="${field}"]`).evaluate((input, vs) => {
    for (const v of vs) {
      input.value = String(v);
      input.dispatchEvent(new Event('input', { bubbles: true }));
    }
    input.dispatchEvent(new Event('change', { bubbles: true }));
  }, values);
  const steps = await undoDepth();
  await dragPad('level_db', [-1, -3, -6]);
  assert.deepEqual(await padsOf(), [{ key: 38, sample: 'thud.wav', level_db: -6 }]);
  assert.equal(await undoDepth(), steps + 1, 'one drag, one undo step');
  assert.equal(await page.locator('.pad-editor output').first().textContent(), '-6.0 dB');
  assert.ok(await page.locator('.pad[data-key="38"]').evaluate((t) => t.classList.contains('trimmed') && t.classList.contains('shown')));
  const half = 10 ** (-6 / 20);
  const softer = await bounceLoopLeft(rate);
  let beforeSnare = 0;
  for (let i = 0; i < snareAt; i += 1) beforeSnare = Math.max(beforeSnare, Math.abs(softer[i] - left[i]));
  let scaled = 0;
  for (let i = 0; i < thud.length; i += 1) scaled = Math.max(scaled, Math.abs(softer[snareAt + i] - half * padded[snareAt + i]));
  console.log(`studio: snare pad at -6 dB — ${scaled.toExponential(2)} off the hit × ${half.toFixed(4)}`);
  assert.ok(beforeSnare < 1e-6, `the kick and hat are as they were (${beforeSnare})`);
  // What is left is the closed hat's last ringing (under 1e-3), which the snare's level leaves alone.
  assert.ok(scaled < 1e-3, `the snare is 6 dB down (${scaled} off)`);
  await dragPad('tune', [5, 12]);
  await page.screenshot({ path: path.join(shots, 'studio-pad-editor.png') });
  assert.deepEqual(await padsOf(), [{ key: 38, sample: 'thud.wav', level_db: -6, tune: 12 }]);
  const higher = await bounceLoopLeft(rate);
  let octave = 0;
  for (let i = 0; i < thud.length / 2; i += 1) octave = Math.max(octave, Math.abs(higher[snareAt + i] - half * scale * thud[2 * i]));
  let after = 0;
  for (let i = thud.length / 2 + 50; i < thud.length; i += 1) after = Math.max(after, Math.abs(higher[snareAt + i]));
  console.log(`studio: snare pad an octave up — ${octave.toExponential(2)} off every second frame of the sample; after its half length ${after.toExponential(2)}`);
  assert.ok(octave < 2e-3, `the sample at twice its rate (${octave} off)`);
  assert.ok(after < 1e-3, `and over in half the time (${after} after)`);
  // A double-click puts the tuning back; undoing every step since the level's drag leaves the
  // pad as loaded.
  // Double-clicked off its centre: the clicks move it there first, then it goes back to 0.
  const tuneBox = await page.locator('.pad-editor input[data-pad="tune"]').boundingBox();
  await page.mouse.dblclick(tuneBox.x + tuneBox.width * 0.2, tuneBox.y + tuneBox.height / 2);
  assert.deepEqual(await padsOf(), [{ key: 38, sample: 'thud.wav', level_db: -6 }]);
  await page.evaluate((n) => { for (let i = 0; i < n; i += 1) window.quaver.undo(); }, (await undoDepth()) - steps);
  assert.deepEqual(await padsOf(), [{ key: 38, sample: 'thud.wav' }]);
  assert.ok(!(await page.locator('.pad[data-key="38"]').evaluate((t) => t.classList.contains('trimmed'))));
  // A pad clicked plays its drum on the kit shown, even with another track selected (the kit
  // shown from the mixer, as its insert names show a channel's devices).
  await page.evaluate(([kit, other]) => {
    const app = window.quaver;
    app.select({ track: other, clip: null });
    app.showDevice(kit, null);
    app.heard = [];
    const liveNote = app.session.liveNote.bind(app.session);
    app.session.liveNote = (controller, t, key, velocity) => { app.heard.push([t, key, velocity]); return liveNote(controller, t, key, velocity); };
  }, [track, synthTrack]);
  await page.click('.pad[data-key="36"] .pad-hit');
  await page.waitForFunction(() => window.quaver.heard.length === 2);
  assert.deepEqual(await page.evaluate(() => window.quaver.heard), [[track, 36, 100], [track, 36, 0]], 'the kick, on and off, on the kit');
  await page.evaluate(([kit]) => {
    const app = window.quaver;
    delete app.session.liveNote;
    app.selection.channel = null;
    app.select({ track: kit, clip: null });
  }, [track]);
  await page.click('#tab-roll');
  // Back on the synth track, the keyboard is a piano again, at its own octave.
  await page.evaluate((t) => window.quaver.select({ track: t, clip: null }), synthTrack);
  assert.equal(await page.evaluate(() => window.quaver.keyboard.octave), 4);
  // The Devices tab swaps a track's instrument; one undo swaps it back.
  await page.click('#tab-device');
  const kindOf = () => page.evaluate((t) => window.quaver.project.tracks.find((x) => x.id === t).instrument?.kind, synthTrack);
  const before = await kindOf();
  await page.selectOption('.device select.instrument', 'drums');
  assert.equal(await kindOf(), 'drums');
  assert.equal(await page.evaluate(() => window.quaver.keyboard.octave), 2, 'the keyboard follows the new instrument');
  await page.screenshot({ path: path.join(shots, 'studio-instrument-chooser.png') });
  await page.evaluate(() => window.quaver.undo());
  assert.equal(await kindOf(), before);
  assert.equal(await page.evaluate(() => window.quaver.keyboard.octave), 4);
  await page.click('#tab-roll');
  await page.click(`.track-head[data-track="${track}"] button.solo`);
  assert.deepEqual(session.pageErrors, []);
});

test('+ Sampler plays a loaded sample across the keys: the root key at its own pitch, an octave up at twice it, on the grid', async () => {
  await page.click('#add-sampler');
  const track = await page.evaluate(() => window.quaver.selection.track);
  await page.click(`.track-head[data-track="${track}"] button.solo`);
  await page.click('#tab-device');
  assert.match(await page.locator('.device .sample-row').textContent(), /no sample/);
  // A 440 Hz tone a quarter second long, loaded as a musician would: Load… on the device.
  const rate = await page.evaluate(() => window.quaver.context.sampleRate);
  const tone = Array.from({ length: Math.round(rate / 4) }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / rate));
  await page.setInputFiles('.device input[type=file]', { name: 'ah.wav', mimeType: 'audio/wav', buffer: Buffer.from(writeWav16(tone, rate)) });
  await page.waitForFunction((t) => window.quaver.project.tracks.find((x) => x.id === t).instrument.sample, track);
  const sample = await page.evaluate((t) => window.quaver.project.tracks.find((x) => x.id === t).instrument.sample, track);
  assert.equal(sample, 'ah.wav');
  assert.match(await page.locator('.device .sample-row').textContent(), /ah\.wav/);
  await page.screenshot({ path: path.join(shots, 'studio-sampler.png') });
  // Middle C (the root) on beat 1, an octave up on beat 3.
  const bar = 4 * PPQ;
  const start = 6 * bar;
  await page.evaluate(([t, s, b, ppq]) => {
    const app = window.quaver;
    const row = () => app.project.tracks.find((x) => x.id === t);
    const id = app.addMidiClip(row(), s, b);
    const clip = () => row().clips.find((c) => c.id === id);
    app.addNote(row(), clip(), { start: 0, length: ppq / 2, key: 60, velocity: 127 });
    app.addNote(row(), clip(), { start: 2 * ppq, length: ppq / 2, key: 72, velocity: 127 });
    app.setLoop({ start: s, end: s + b });
  }, [track, start, bar, PPQ]);
  const left = await bounceLoopLeft(rate);
  const found = onsets(left, rate);
  const expected = [0, 2 * PPQ].map((t) => Math.round(t * (60 / 120 / PPQ) * rate));
  console.log(`studio: sampler onsets ${found} (expected ${expected})`);
  assert.equal(found.length, 2);
  found.forEach((f, i) => assert.ok(Math.abs(f - expected[i]) <= rate / 1000, `note ${f} near ${expected[i]}`));
  const hz = (from) => {
    let n = 0;
    const span = Math.round(rate / 10);
    for (let i = from + 1; i < from + span; i += 1) if (left[i - 1] < 0 && left[i] >= 0) n += 1;
    return n / (span / rate);
  };
  const [root, octave] = found.map(hz);
  console.log(`studio: sampler pitches ${root} Hz and ${octave} Hz`);
  assert.ok(Math.abs(root - 440) <= 20, `the root key plays the tone at 440 Hz (${root})`);
  assert.ok(Math.abs(octave - 880) <= 20, `an octave up at 880 Hz (${octave})`);
  // After a reload the sampler has its sample again (kept in this browser's storage) and plays
  // it: the bounce is the same, frame for frame.
  await page.waitForTimeout(600);
  await page.reload();
  await page.waitForFunction(() => window.quaver.ready === true, null, { timeout: 60_000 });
  const kept = await page.evaluate(() => ({ has: window.quaver.samples.has('ah.wav'), missing: window.quaver.session.missingSamples() }));
  assert.deepEqual(kept, { has: true, missing: [] });
  const again = await bounceLoopLeft(rate);
  assert.deepEqual(Array.from(again), Array.from(left), 'the reloaded sampler bounces the same samples');
  // Undo the loop, the notes and the clip, then the sample comes off the sampler in one step.
  const sampleNow = () => page.evaluate((t) => window.quaver.project.tracks.find((x) => x.id === t).instrument.sample ?? null, track);
  await page.evaluate(() => { for (let i = 0; i < 4; i += 1) window.quaver.undo(); });
  assert.equal(await sampleNow(), 'ah.wav');
  await page.evaluate(() => window.quaver.undo());
  assert.equal(await sampleNow(), null);
  await page.click('#tab-roll');
  await page.click(`.track-head[data-track="${track}"] button.solo`);
  assert.deepEqual(session.pageErrors, []);
});

test('the Devices tab is the effect chain: effects added there, moved earlier and later (there and in the mixer), bypassed and removed, and the bounce hears the order', async () => {
  await page.click('#add-track');
  const track = await page.evaluate(() => window.quaver.selection.track);
  await page.click(`.track-head[data-track="${track}"] button.solo`);
  await page.click('#tab-device');
  const chain = () => page.evaluate((t) => window.quaver.project.tracks.find((x) => x.id === t).inserts.map((d) => `${d.kind}${d.bypass ? ' (off)' : ''}`), track);
  const add = page.locator('.device.add-device select');
  await add.selectOption('biquad');
  await page.locator('.device.add-device select').selectOption('compressor');
  assert.deepEqual(await chain(), ['biquad', 'compressor']);
  const rate = await page.evaluate(() => window.quaver.context.sampleRate);
  const bar = 4 * PPQ;
  const start = 8 * bar;
  await page.evaluate(([t, s, b, ppq]) => {
    const app = window.quaver;
    const row = () => app.project.tracks.find((x) => x.id === t);
    const id = app.addMidiClip(row(), s, b);
    for (const key of [48, 55, 64]) app.addNote(row(), row().clips.find((c) => c.id === id), { start: 0, length: 2 * ppq, key, velocity: 127 });
    app.setLoop({ start: s, end: s + b });
    // A hard compressor, so what it hears matters.
    const compressor = row().inserts[1].id;
    app.edit({ edit: 'setParam', track: t, device: compressor, name: 'threshold', value: -50 });
    app.edit({ edit: 'setParam', track: t, device: compressor, name: 'ratio', value: 20 });
  }, [track, start, bar, PPQ]);
  await page.click('#tab-device');
  const filterFirst = await bounceLoopLeft(rate);
  // The compressor's ◀ puts it first: the compressor now hears the unfiltered chord.
  const compressorCard = page.locator('.device', { has: page.locator('h3 .kind', { hasText: 'compressor' }) });
  assert.equal(await compressorCard.getByRole('button', { name: 'compressor 2: Move later in the chain' }).isDisabled(), true, 'the last device cannot move later');
  await compressorCard.getByRole('button', { name: 'compressor 2: Move earlier in the chain' }).click();
  assert.deepEqual(await chain(), ['compressor', 'biquad']);
  assert.equal(await page.evaluate(() => document.activeElement?.closest('.device')?.querySelector('.kind')?.textContent), 'compressor', 'the keyboard stays on the card that moved');
  await page.click('#tab-mixer');
  const names = await page.locator(`.strip.track[data-channel="${track}"] li .device-name`).allTextContents();
  assert.deepEqual(names, ['compressor', 'biquad'], 'the mixer strip lists the new order');
  await page.click('#tab-device');
  await page.screenshot({ path: path.join(shots, 'studio-effect-chain.png') });
  const compressorFirst = await bounceLoopLeft(rate);
  let largest = 0;
  for (let i = 0; i < filterFirst.length; i += 1) largest = Math.max(largest, Math.abs(filterFirst[i] - compressorFirst[i]));
  console.log(`studio: the two orders differ by up to ${largest}`);
  assert.ok(largest > 0.005, `the order is heard (largest difference ${largest}; the same order gives 0)`);
  // One undo puts the filter first again, and the bounce is the first one, sample for sample.
  await page.click('#undo');
  assert.deepEqual(await chain(), ['biquad', 'compressor']);
  assert.deepEqual(Array.from(await bounceLoopLeft(rate)), Array.from(filterFirst), 'undone, the chain plays as before');
  // In the mixer an insert is dragged onto another to take its place, and Alt+↓ moves it back.
  await page.click('#tab-mixer');
  const slot = (kind) => page.locator(`.strip.track[data-channel="${track}"] li`, { has: page.locator('.device-name', { hasText: kind }) });
  await slot('compressor').dragTo(slot('biquad'));
  assert.deepEqual(await chain(), ['compressor', 'biquad'], 'dragged onto the filter, the compressor goes first');
  assert.deepEqual(await page.locator(`.strip.track[data-channel="${track}"] li .device-name`).allTextContents(), ['compressor', 'biquad']);
  assert.deepEqual(Array.from(await bounceLoopLeft(rate)), Array.from(compressorFirst), 'the dragged order plays as the one made on the Devices tab');
  await page.click('#tab-mixer');
  await slot('compressor').locator('.device-name').focus();
  await page.keyboard.press('Alt+ArrowDown');
  assert.deepEqual(await chain(), ['biquad', 'compressor']);
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'compressor', 'the keyboard stays on the moved insert');
  await page.click('#tab-device');
  // Bypass and remove from the card.
  await page.locator('.device', { has: page.locator('h3 .kind', { hasText: 'biquad' }) }).getByRole('button', { name: 'biquad 1: On: bypass' }).click();
  assert.deepEqual(await chain(), ['biquad (off)', 'compressor']);
  assert.equal(await page.locator('.device.bypassed h3 .kind').textContent(), 'biquad');
  await page.locator('.device', { has: page.locator('h3 .kind', { hasText: 'compressor' }) }).getByRole('button', { name: 'compressor 2: Remove' }).click();
  assert.deepEqual(await chain(), ['biquad (off)']);
  await page.click(`.track-head[data-track="${track}"] button.solo`);
  assert.deepEqual(session.pageErrors, []);
});

test('? lists the keyboard shortcuts from the table the keys run, and Escape or ? closes the list', async () => {
  await page.click('#tab-roll');
  await page.keyboard.press('?');
  const dialog = page.locator('#shortcuts-dialog');
  assert.equal(await dialog.isVisible(), true);
  const rows = await page.evaluate(() => [...document.querySelectorAll('#shortcuts-table tr')].map((r) => [...r.children].map((c) => c.textContent)));
  const keys = rows.filter((r) => r.length === 2).map((r) => r[0]);
  const groups = rows.filter((r) => r.length === 1).map((r) => r[0]);
  assert.deepEqual(groups, ['Transport', 'Editing', 'View', 'Project', 'Playing', 'Tracks and mixer']);
  for (const key of ['Space', 'Ctrl+Z', 'Ctrl+Shift+Z', 'L', 'M', '?', 'Z / X']) assert.ok(keys.includes(key), `${key} is listed (${keys})`);
  assert.equal(new Set(keys).size, keys.length, 'each key once');
  await page.screenshot({ path: path.join(shots, 'studio-shortcuts.png') });
  await page.keyboard.press('Escape');
  assert.equal(await dialog.isVisible(), false, 'Escape closes it');
  // The list is the table the keys run: L, listed as the loop, turns the loop on and off.
  const looping = () => page.evaluate(() => window.quaver.looping);
  const before = await looping();
  await page.keyboard.press('l');
  assert.equal(await looping(), !before);
  await page.keyboard.press('l');
  assert.equal(await looping(), before);
  await page.click('#shortcuts');
  assert.equal(await dialog.isVisible(), true, 'the ? button opens it too');
  await page.click('#shortcuts-close');
  assert.equal(await dialog.isVisible(), false);
  assert.deepEqual(session.pageErrors, []);
});

test('the lower pane is as tall as the divider is dragged, the piano roll with it, and stays so after a reload', async () => {
  await page.click('#tab-roll');
  const sizes = () => page.evaluate(() => ({
    lower: document.querySelector('.lower').getBoundingClientRect().height,
    roll: document.getElementById('roll').getBoundingClientRect().height,
    timeline: document.querySelector('main').getBoundingClientRect().height,
  }));
  const before = await sizes();
  const handle = await page.locator('#pane-divider').boundingBox();
  const x = handle.x + handle.width / 2;
  const y = handle.y + handle.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  for (const step of [50, 120, 200]) await page.mouse.move(x, y - step);
  await page.mouse.up();
  await page.waitForFunction((h) => document.getElementById('roll').getBoundingClientRect().height > h + 150, before.roll);
  const taller = await sizes();
  console.log(`studio: lower pane ${before.lower} → ${taller.lower} px, piano roll ${before.roll} → ${taller.roll} px, timeline ${before.timeline} → ${taller.timeline} px`);
  assert.ok(Math.abs(taller.lower - before.lower - 200) <= 1, `the pane grew by the drag (${before.lower} → ${taller.lower})`);
  assert.ok(Math.abs(taller.roll - before.roll - 200) <= 2, `the piano roll grew with it (${before.roll} → ${taller.roll})`);
  assert.ok(Math.abs(before.timeline - taller.timeline - 200) <= 1, `the timeline gave the room (${before.timeline} → ${taller.timeline})`);
  await page.screenshot({ path: path.join(shots, 'studio-tall-roll.png') });
  // Dragged past what the timeline allows, the pane stops there.
  await page.mouse.move(x, y - 200);
  await page.mouse.down();
  await page.mouse.move(x, 5);
  await page.mouse.up();
  const most = await sizes();
  assert.equal(most.lower, 900 - 300, 'the pane stops where the timeline would get too short');
  assert.ok(most.timeline >= 160, `the timeline keeps its least height (${most.timeline})`);

  await page.reload();
  await page.waitForFunction(() => window.quaver.ready === true, null, { timeout: 60_000 });
  assert.equal((await sizes()).lower, most.lower, 'the height comes back after a reload');
  await page.dblclick('#pane-divider');
  assert.equal((await sizes()).lower, 330, 'a double-click gives the usual height back');
  await page.focus('#pane-divider');
  await page.keyboard.press('ArrowUp');
  assert.equal((await sizes()).lower, 350, '↑ on the focused divider makes the pane taller');
  await page.dblclick('#pane-divider');
  assert.deepEqual(session.pageErrors, []);
});

test('a bounce can be cancelled while it renders, and the next one runs', async () => {
  const outcome = await page.evaluate(async () => {
    const app = window.quaver;
    const running = app.bounce({ format: 'float32', sampleRate: 48000, save: false, tail: 60 });
    const progressed = await new Promise((resolve) => {
      const started = performance.now();
      const look = () => (document.getElementById('bounce-progress').value > 0 || performance.now() - started > 5000 ? resolve(document.getElementById('bounce-progress').value) : setTimeout(look, 5));
      look();
    });
    const busy = Boolean(app.bouncing);
    app.cancelBounce();
    const error = await running.then(() => null, (err) => err.message);
    const after = { bouncing: app.bouncing, status: document.getElementById('bounce-status').textContent, startEnabled: !document.getElementById('bounce-start').disabled };
    const next = await app.bounce({ format: 'float32', sampleRate: 48000, save: false, tail: 0 });
    // Cancelled at once, while the threads build is still starting.
    const early = app.bounce({ format: 'float32', sampleRate: 48000, save: false, tail: 0 });
    const starting = { bouncing: app.bouncing, startEnabled: !document.getElementById('bounce-start').disabled, status: document.getElementById('bounce-status').textContent };
    app.cancelBounce();
    const earlyError = await early.then(() => null, (err) => err.message);
    const afterEarly = { bouncing: app.bouncing, status: document.getElementById('bounce-status').textContent, startEnabled: !document.getElementById('bounce-start').disabled };
    return { progressed, busy, error, after, nextFrames: next.frames, starting, earlyError, afterEarly };
  });
  console.log(`studio: cancelled at ${(100 * outcome.progressed).toFixed(1)} %: ${JSON.stringify(outcome)}`);
  assert.ok(outcome.busy && outcome.progressed < 1, 'the bounce was still running when cancelled');
  assert.equal(outcome.error, 'cancelled');
  assert.deepEqual(outcome.after, { bouncing: null, status: 'Cancelled', startEnabled: true });
  assert.ok(outcome.nextFrames > 0, 'the next bounce runs to its end');
  assert.deepEqual(outcome.starting, { bouncing: 'starting', startEnabled: false, status: 'Starting…' }, 'busy from the click');
  assert.equal(outcome.earlyError, 'cancelled');
  assert.deepEqual(outcome.afterEarly, { bouncing: null, status: 'Cancelled', startEnabled: true });
  assert.deepEqual(session.pageErrors, []);
});

test('Ctrl+C, Ctrl+X and Ctrl+V copy, cut and paste notes at the playhead in the piano roll, and clips on the timeline, one undo step each', async () => {
  // A synth track of its own, with a one-bar clip of three notes.
  const ids = await page.evaluate((ppq) => {
    const app = window.quaver;
    app.addTrack('synth');
    const track = app.project.tracks.at(-1);
    const [clip, a, b, c] = [app.session.freshId(), app.session.freshId() + 1, app.session.freshId() + 2, app.session.freshId() + 3];
    const notes = [{ id: a, start: 0, length: ppq / 2, key: 60, velocity: 90 }, { id: b, start: ppq / 2, length: ppq / 2, key: 64, velocity: 80 }, { id: c, start: 2 * ppq, length: ppq, key: 67, velocity: 70 }];
    app.edit({ edit: 'addClip', track: track.id, clip: { id: clip, start: 0, length: 4 * ppq, content: { type: 'midi', notes }, looping: null } });
    app.select({ track: track.id, clip });
    return { track: track.id, clip };
  }, PPQ);
  await page.click('#tab-roll');
  await page.evaluate(() => document.activeElement?.blur());
  const notesOf = () => page.evaluate((x) => window.quaver.project.tracks.find((t) => t.id === x.track).clips.find((c) => c.id === x.clip).content.notes.map((n) => [n.start, n.length, n.key, n.velocity, n.id]), ids);
  const undoDepth = () => page.evaluate(() => JSON.parse(window.quaver.session.save()).undo.length);
  const original = await notesOf();
  // The first two notes (Ctrl+A, then the third taken out of the selection) copied and pasted
  // on beat 4: the same notes a bar's three beats on, with ids of their own, selected.
  await page.keyboard.press('Control+a');
  assert.equal(await page.evaluate(() => window.quaver.roll.selected.size), 3);
  await page.evaluate((id) => window.quaver.roll.selected.delete(id), original[2][4]);
  await page.keyboard.press('Control+c');
  await page.evaluate((t) => window.quaver.seek(t), 3 * PPQ);
  const steps = await undoDepth();
  await page.keyboard.press('Control+v');
  const pasted = await notesOf();
  assert.equal(await undoDepth(), steps + 1, 'one paste, one undo step');
  const added = pasted.filter((n) => !original.some((o) => o[4] === n[4]));
  assert.deepEqual(added.map((n) => n.slice(0, 4)), [[3 * PPQ, PPQ / 2, 60, 90], [3.5 * PPQ, PPQ / 2, 64, 80]]);
  assert.deepEqual(await page.evaluate(() => [...window.quaver.roll.selected].sort()), added.map((n) => n[4]).sort(), 'the pasted notes are selected');
  await page.evaluate(() => window.quaver.undo());
  assert.deepEqual(await notesOf(), original);
  // Cut takes them out (one undo step); pasted on beat 2 they come back there.
  await page.evaluate((keep) => { window.quaver.roll.selected = new Set(keep); }, [original[0][4], original[1][4]]);
  await page.keyboard.press('Control+x');
  assert.deepEqual((await notesOf()).map((n) => n.slice(0, 4)), [original[2].slice(0, 4)]);
  await page.evaluate((t) => window.quaver.seek(t), PPQ);
  await page.keyboard.press('Control+v');
  assert.deepEqual((await notesOf()).map((n) => n.slice(0, 4)).sort((x, y) => x[0] - y[0]), [[PPQ, PPQ / 2, 60, 90], [2 * PPQ, PPQ, 67, 70], [1.5 * PPQ, PPQ / 2, 64, 80]].sort((x, y) => x[0] - y[0]));
  // The playhead outside the clip: nothing is pasted, and the message says why.
  await page.evaluate((t) => window.quaver.seek(t), 9 * PPQ);
  const before = await notesOf();
  await page.keyboard.press('Control+v');
  assert.deepEqual(await notesOf(), before);
  assert.match(await page.locator('#message').textContent(), /playhead inside the clip/);
  // With no notes selected, Ctrl+C copies the clip, and Ctrl+V puts a copy at the playhead
  // (bar 3) on the selected track: the same notes, ids of its own, one undo step.
  await page.evaluate(() => window.quaver.roll.selected.clear());
  await page.keyboard.press('Control+c');
  await page.evaluate((t) => window.quaver.seek(t), 8 * PPQ);
  await page.keyboard.press('Control+v');
  const clips = await page.evaluate((x) => window.quaver.project.tracks.find((t) => t.id === x.track).clips.map((c) => ({ id: c.id, start: c.start, notes: c.content.notes.map((n) => [n.start, n.length, n.key, n.velocity, n.id]) })), ids);
  assert.equal(clips.length, 2);
  const [source, copy] = clips;
  assert.equal(copy.start, 8 * PPQ);
  assert.deepEqual(copy.notes.map((n) => n.slice(0, 4)), source.notes.map((n) => n.slice(0, 4)));
  assert.ok(copy.notes.every((n) => !source.notes.some((o) => o[4] === n[4])), 'the copy\'s notes have ids of their own');
  assert.equal(await page.evaluate(() => window.quaver.selection.clip), copy.id, 'the pasted clip is selected');
  await page.evaluate(() => window.quaver.undo());
  assert.equal(await page.evaluate((x) => window.quaver.project.tracks.find((t) => t.id === x.track).clips.length, ids), 1);
  assert.deepEqual(session.pageErrors, []);
});

test('a track header dragged onto another takes its place, as Alt+↑/↓ in its name do, one undo step each, and the song sounds the same', async () => {
  const order = () => page.evaluate(() => window.quaver.project.tracks.map((t) => t.id));
  await page.evaluate(() => { while (window.quaver.project.tracks.length < 3) window.quaver.addTrack('drums'); });
  const start = await order();
  // The third track, dragged onto the first (the top rows: a drag that scrolls the list is no drag).
  const moving = start[2];
  const rate = 44100;
  const before = readWav(new Uint8Array(await page.evaluate(async (sr) => Array.from((await window.quaver.bounce({ format: 'float32', sampleRate: sr, save: false, tail: 0 })).wav), rate)));
  // Taken by its lower line (its name above is a text field).
  await page.dragAndDrop(`.track-head[data-track="${moving}"]`, `.track-head[data-track="${start[0]}"]`, { sourcePosition: { x: 100, y: 45 } });
  assert.deepEqual(await order(), [moving, start[0], start[1], ...start.slice(3)], 'the third track is first');
  assert.deepEqual(await page.evaluate(() => [...document.querySelectorAll('.strip.track h3')].map((h) => h.textContent)), await page.evaluate(() => window.quaver.project.tracks.map((t) => t.name)), 'the mixer follows');
  // Alt+↓ in its name moves it back down one place, with the keyboard still in the name.
  await page.locator(`.track-head[data-track="${moving}"] input.name`).focus();
  await page.keyboard.press('Alt+ArrowDown');
  const moved = [start[0], moving, start[1], ...start.slice(3)];
  assert.deepEqual(await order(), moved);
  assert.equal(await page.evaluate(() => document.activeElement.closest('.track-head')?.dataset.track), String(moving));
  const after = readWav(new Uint8Array(await page.evaluate(async (sr) => Array.from((await window.quaver.bounce({ format: 'float32', sampleRate: sr, save: false, tail: 0 })).wav), rate)));
  let off = 0;
  for (const ch of [0, 1]) for (let i = 0; i < before.frames; i += 1) off = Math.max(off, Math.abs(after.channels[ch][i] - before.channels[ch][i]));
  console.log(`studio: the song with its tracks reordered, ${off.toExponential(2)} off the song before`);
  assert.equal(after.frames, before.frames);
  assert.ok(before.channels[0].some((v) => Math.abs(v) > 0.01), 'the song is heard');
  assert.equal(off, 0, 'the same song, bit for bit');
  // After a drag the keyboard is the studio's: Ctrl+Z undoes the move.
  await page.dragAndDrop(`.track-head[data-track="${moving}"]`, `.track-head[data-track="${start[0]}"]`, { sourcePosition: { x: 100, y: 45 } });
  assert.deepEqual((await order()).slice(0, 2), [moving, start[0]]);
  await page.keyboard.press('Control+z');
  assert.deepEqual(await order(), moved);
  await page.evaluate(() => { window.quaver.undo(); window.quaver.undo(); });
  assert.deepEqual(await order(), start);
  assert.deepEqual(session.pageErrors, []);
});
