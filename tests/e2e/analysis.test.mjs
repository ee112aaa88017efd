// The wasm build's analysis against the native CLI's on the same files: every field of every
// record agrees (keys and kinds exactly; numbers within what last-bit differences between wasm's
// and x86's FFT arithmetic can move a rounded figure). And a clip's drawn analysis holds what
// the page draws.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const glue = await import(pathToFileURL(path.join(root, 'pkg', 'quaver.js')).href);
glue.initSync({ module: readFileSync(path.join(root, 'pkg', 'quaver_bg.wasm')) });

function corpus() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'quaver-analysis-'));
  const python = path.join(root, '.venv', 'bin', 'python');
  const files = path.join(root, 'tests', 'interop', 'files.py');
  execFileSync(python, [files, 'audio-pieces', dir, '4', '5', '8']);
  execFileSync(python, [files, 'midi-pieces', dir, '6', '5']);
  writeFileSync(path.join(dir, 'broken.wav'), 'RIFF\u0004\u0000\u0000\u0000WAVE');
  return dir;
}

const TOLERANCE = { bpm: 0.02, tempo_confidence: 0.005, key_confidence: 0.005, loudness_lufs: 0.011, loudness_range_lu: 0.011, true_peak_dbtp: 0.011, seconds: 0.0011 };

test('wasm and native give the same record for every file', () => {
  const dir = corpus();
  try {
    const names = readdirSync(dir).sort();
    const cli = path.join(root, 'target', 'debug', 'quaver');
    const native = execFileSync(cli, ['analyze', ...names.map((n) => path.join(dir, n)), '--json'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.equal(native.length, names.length);
    names.forEach((name, i) => {
      const file = path.join(dir, name);
      const ours = glue.analyzeFile(file, readFileSync(file));
      const theirs = native[i];
      assert.deepEqual(Object.keys(ours).sort(), Object.keys(theirs).sort(), name);
      for (const [field, value] of Object.entries(theirs)) {
        if (typeof value === 'number' && field in TOLERANCE) {
          assert.ok(Math.abs(ours[field] - value) <= TOLERANCE[field], `${name} ${field}: wasm ${ours[field]}, native ${value}`);
        } else {
          assert.deepEqual(ours[field], value, `${name} ${field}`);
        }
      }
    });
    assert.ok(native.find((r) => r.file.endsWith('broken.wav')).error, 'the broken file has an error row');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a clip analysis carries the spectrogram, partials, pitch, beats, key and loudness the page draws', () => {
  const rate = 44100;
  const seconds = 6;
  const left = new Float32Array(rate * seconds);
  const bpm = 128;
  for (let i = 0; i < left.length; i += 1) {
    const t = i / rate;
    const sinceBeat = t % (60 / bpm);
    left[i] = 0.2 * Math.sin(2 * Math.PI * 220 * t) + 0.1 * Math.sin(2 * Math.PI * 440 * t) + 0.5 * Math.exp(-sinceBeat * 200) * Math.sin(2 * Math.PI * 60 * t);
  }
  const a = glue.analyzeClip([left, left], rate);
  assert.equal(a.seconds, seconds);
  assert.ok(a.spectrogram.frames > 100 && a.spectrogram.frames <= 1201);
  assert.equal(a.spectrogram.decibels.length, a.spectrogram.frames * a.spectrogram.bins);
  assert.ok(Math.abs(a.harmonics[0].frequency - 220) < 0.5, JSON.stringify(a.harmonics.slice(0, 3)));
  assert.ok(Math.abs(a.tempo.bpm - bpm) < bpm * 0.02, `${a.tempo.bpm}`);
  assert.ok(a.tempo.beats.length >= 10);
  assert.equal(a.pitch.times.length, a.pitch.hz.length);
  assert.ok(a.loudness.integrated < 0 && a.loudness.shortTerm.length === seconds * 10);
  assert.ok(a.onsets.length >= 10);
  assert.throws(() => glue.analyzeClip([left], Number.NaN), /sample rate/);
  const silent = glue.analyzeClip([new Float32Array(rate)], rate);
  assert.equal(silent.tempo, null);
  assert.equal(silent.key, null);
  assert.equal(silent.loudness.integrated, null);
});
