// The Library and Analysis tabs on the real page, as a musician uses them: add a folder of
// WAV, MP3 and MIDI files, watch it analysed on the threads build's pool (and, on a page
// that is not cross-origin isolated, by single-threaded Workers, to the same records), find each file's tempo and key as the
// native CLI reads them, filter, see copies once, reload and find the index again (adding the
// folder again analyses nothing), put files into the project, and read the selected clip's
// analysis in the Analysis tab. Screenshots of both tabs are kept.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { breakThreadsWorker, openStudio } from './lab.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const shots = path.join(root, 'test-results');
mkdirSync(shots, { recursive: true });

let session;
let page;
let folder;
let truths;

before(async () => {
  folder = path.join(mkdtempSync(path.join(os.tmpdir(), 'quaver-library-page-')), 'crate');
  mkdirSync(path.join(folder, 'loops'), { recursive: true });
  mkdirSync(path.join(folder, 'midi'), { recursive: true });
  const python = path.join(root, '.venv', 'bin', 'python');
  const files = path.join(root, 'tests', 'interop', 'files.py');
  truths = JSON.parse(execFileSync(python, [files, 'audio-pieces', path.join(folder, 'loops'), '3', '21', '8'], { encoding: 'utf8' }));
  execFileSync(python, [files, 'midi-pieces', path.join(folder, 'midi'), '4', '21']);
  copyFileSync(path.join(folder, 'loops', 'loop000.wav'), path.join(folder, 'loops', 'same loop.wav'));
  execFileSync('ffmpeg', ['-loglevel', 'error', '-i', path.join(folder, 'loops', 'loop001.wav'), '-b:a', '192k', path.join(folder, 'loops', 'loop001.mp3')]);
  writeFileSync(path.join(folder, 'midi', 'broken.mid'), 'MThd\u0000\u0000');
  writeFileSync(path.join(folder, 'notes.txt'), 'not music');
  session = await openStudio();
  ({ page } = session);
});

after(async () => {
  await session?.close();
  rmSync(path.dirname(folder), { recursive: true, force: true });
});

async function addFolder() {
  await page.click('#tab-library');
  await page.setInputFiles('#library-input', folder);
  await page.waitForFunction(() => /Analysed|all analysed before/.test(document.getElementById('library-status').textContent), null, { timeout: 120_000 });
  return page.locator('#library-status').textContent();
}

const rowsShown = () => page.evaluate(() => [...document.querySelectorAll('#library-table tbody tr')].map((tr) => [...tr.children].map((td) => td.textContent)));

let threadRecords;

test('a folder is analysed on the threads build\'s pool into rows that agree with the native CLI, copies shown once', async () => {
  const status = await addFolder();
  // Four WAVs (one a copy), an MP3, four MIDI pieces and a broken MIDI file; notes.txt is left
  // alone. The page is cross-origin isolated, so the threads build's pool does the work.
  assert.match(status, /Analysed 10 files in [\d.]+ s on [2-8] threads, 1 could not be read/);
  assert.equal(await page.evaluate(() => window.quaver.library.lastRun.threads), true);
  const records = await page.evaluate(() => [...window.quaver.library.records.values()]);
  threadRecords = records;
  assert.equal(records.length, 10);
  const wavs = readdirSync(path.join(folder, 'loops')).filter((n) => n.endsWith('.wav')).sort();
  const mids = readdirSync(path.join(folder, 'midi')).sort();
  const native = execFileSync(path.join(root, 'target', 'debug', 'quaver'), ['analyze', ...wavs.map((n) => path.join(folder, 'loops', n)), ...mids.map((n) => path.join(folder, 'midi', n)), '--json'], { encoding: 'utf8' })
    .trim().split('\n').map((l) => JSON.parse(l));
  for (const theirs of native) {
    const relative = `crate/${path.relative(folder, theirs.file)}`;
    const ours = records.find((r) => r.file === relative);
    assert.ok(ours, `${relative} has a row`);
    assert.equal(ours.key, theirs.key, relative);
    assert.equal(ours.hash, theirs.hash, relative);
    if (theirs.error) assert.equal(ours.error, theirs.error);
    else assert.ok(Math.abs(ours.bpm - theirs.bpm) <= 0.02, `${relative}: ${ours.bpm} against ${theirs.bpm}`);
  }
  // The MP3 was decoded by the browser: its tempo is the WAV's it came from.
  const mp3 = records.find((r) => r.file.endsWith('loop001.mp3'));
  assert.ok(Math.abs(mp3.bpm - truths[1].bpm) / truths[1].bpm < 0.02, `mp3 ${mp3.bpm} against ${truths[1].bpm}`);
  assert.equal(mp3.kind, 'audio');
  // The copy shows once, marked ×2; the broken file only among the errors.
  const rows = await rowsShown();
  assert.equal(rows.length, 8, "three loops (one with a copy), the MP3, four pieces");
  assert.equal(rows.filter((r) => r[7] === '×2').length, 1);
  await page.check('#lib-errors');
  const errors = await rowsShown();
  assert.equal(errors.length, 1);
  assert.match(errors[0][1], /broken\.mid/);
  await page.uncheck('#lib-errors');
  await page.locator('#pane-library').screenshot({ path: path.join(shots, 'studio-library.png') });
});

test('a page that is not cross-origin isolated analyses the folder on single-threaded Workers, to the same records', async () => {
  const plain = await openStudio({ isolate: false });
  try {
    await plain.page.click('#tab-library');
    await plain.page.setInputFiles('#library-input', folder);
    await plain.page.waitForFunction(() => /Analysed/.test(document.getElementById('library-status').textContent), null, { timeout: 120_000 });
    assert.match(await plain.page.locator('#library-status').textContent(), /Analysed 10 files in [\d.]+ s on \d Workers?, 1 could not be read/);
    const records = await plain.page.evaluate(() => [...window.quaver.library.records.values()]);
    const byFile = (list) => Object.fromEntries(list.map((r) => [r.file, r]));
    assert.deepEqual(byFile(records), byFile(threadRecords), 'the same record for every file, field by field');
    assert.deepEqual(plain.pageErrors, []);
  } finally {
    await plain.close();
  }
});

test('when the threads build fails, the files it had not finished go to single-threaded Workers, to the same records', async () => {
  // The threads Worker answers its first batch with an error, as a failed pool would.
  const broken = await openStudio({ init: breakThreadsWorker, initArg: 'analyze' });
  try {
    await broken.page.click('#tab-library');
    await broken.page.setInputFiles('#library-input', folder);
    await broken.page.waitForFunction(() => /Analysed/.test(document.getElementById('library-status').textContent), null, { timeout: 120_000 });
    assert.match(await broken.page.locator('#library-status').textContent(), /Analysed 10 files in [\d.]+ s on [2-8] threads, then \d Workers?, 1 could not be read/);
    const records = await broken.page.evaluate(() => [...window.quaver.library.records.values()]);
    const byFile = (list) => Object.fromEntries(list.map((r) => [r.file, r]));
    assert.deepEqual(byFile(records), byFile(threadRecords));
    assert.deepEqual(broken.pageErrors, []);
  } finally {
    await broken.close();
  }
});

test('filters narrow the rows by tempo, kind and key', async () => {
  const slow = Math.min(...truths.map((t) => t.bpm));
  await page.fill('#lib-bpm-lo', String(Math.floor(slow) - 1));
  await page.fill('#lib-bpm-hi', String(Math.ceil(slow) + 1));
  const bySlow = await rowsShown();
  assert.ok(bySlow.length >= 1 && bySlow.every((r) => Math.abs(Number(r[3]) - slow) <= 1.5), JSON.stringify(bySlow));
  await page.fill('#lib-bpm-lo', '');
  await page.fill('#lib-bpm-hi', '');
  await page.selectOption('#lib-kind', 'midi');
  const midi = await rowsShown();
  assert.equal(midi.length, 4);
  const key = midi[0][4];
  await page.selectOption('#lib-key', key);
  const byKey = await rowsShown();
  assert.ok(byKey.length >= 1 && byKey.every((r) => r[4] === key));
  await page.selectOption('#lib-key', '');
  await page.selectOption('#lib-kind', '');
});

test('a MIDI file is previewed as the engine renders it, and stopped again', async () => {
  await page.selectOption('#lib-kind', 'midi');
  const row = page.locator('#library-table tbody tr').first();
  await row.locator('button.preview').click();
  await page.waitForFunction(() => window.quaver.library.preview !== null, null, { timeout: 60_000 });
  const heard = await page.evaluate(() => {
    const { buffer } = window.quaver.library.preview.source;
    let peak = 0;
    for (let c = 0; c < buffer.numberOfChannels; c += 1) for (const v of buffer.getChannelData(c)) peak = Math.max(peak, Math.abs(v));
    return { peak, seconds: buffer.duration, finite: [...buffer.getChannelData(0)].every(Number.isFinite) };
  });
  assert.ok(heard.peak > 0.01 && heard.finite, `the preview is heard (peak ${heard.peak})`);
  assert.ok(heard.seconds > 1 && heard.seconds <= 31.5, `${heard.seconds} s: the piece, at most its first 30 s and a second of tail`);
  assert.match(await page.locator('#library-status').textContent(), /^Playing /);
  assert.equal(await row.locator('button.preview').textContent(), '■');
  await row.locator('button.preview').click();
  assert.equal(await page.evaluate(() => window.quaver.library.preview), null);
  await page.selectOption('#lib-kind', '');
  assert.deepEqual(session.pageErrors, []);
});

test('the index survives a reload, and the same folder again analyses nothing', async () => {
  await page.waitForTimeout(300);
  await page.reload();
  await page.waitForFunction(() => window.quaver.ready === true, null, { timeout: 60_000 });
  // The index is read when the tab is first opened, not at start-up.
  assert.equal(await page.evaluate(() => window.quaver.library.records.size), 0);
  await page.click('#tab-library');
  await page.waitForFunction(() => window.quaver.library.records.size === 10);
  const status = await addFolder();
  assert.match(status, /10 audio and MIDI files, all analysed before \(1 other files? left alone\)/);
});

test('a library file goes into the project, and the Analysis tab draws the selected clip', async () => {
  await page.click('#tab-library');
  const before = await page.evaluate(() => window.quaver.project.tracks.length);
  const row = page.locator('#library-table tbody tr', { hasText: 'loop002.wav' });
  await row.locator('button', { hasText: '+' }).click();
  await page.waitForFunction((n) => window.quaver.project.tracks.length === n + 1, before);
  const clip = await page.evaluate(() => window.quaver.selection.clip);
  assert.notEqual(clip, null, 'the new clip is selected');
  await page.click('#tab-analysis');
  await page.waitForFunction(() => document.querySelector('#analysis .analysis-facts h3')?.textContent.includes('loop002'));
  const facts = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#analysis .fact')].map((f) => [f.children[0].textContent, f.children[1].textContent])));
  const bpm = Number(/([\d.]+) BPM/.exec(facts.Tempo)[1]);
  assert.ok(Math.abs(bpm - truths[2].bpm) / truths[2].bpm < 0.02, `${facts.Tempo} against ${truths[2].bpm}`);
  assert.match(facts.Key, /^[A-G]#? (major|minor) \(0\.\d\d\)$/);
  assert.match(facts.Integrated, /^-\d+\.\d LUFS$/);
  assert.match(facts['True peak'], /dBTP$/);
  const partials = await page.locator('#analysis .partials tbody tr').count();
  assert.ok(partials >= 3, `${partials} partials listed`);
  // The picture is drawn: the spectrogram is not one flat colour.
  const spread = await page.evaluate(() => {
    const c = document.querySelector('#analysis canvas');
    const data = c.getContext('2d').getImageData(0, 0, c.width, Math.floor(c.height / 2)).data;
    let lo = 255;
    let hi = 0;
    for (let i = 0; i < data.length; i += 4) {
      lo = Math.min(lo, data[i]);
      hi = Math.max(hi, data[i]);
    }
    return hi - lo;
  });
  assert.ok(spread > 100, `the spectrogram spans ${spread} levels of red`);
  // The waveform overview across the top: the loop's drum hits reach further from the middle
  // line than the gaps between them, which hold only the quieter tone.
  const reach = await page.evaluate(() => {
    const c = document.querySelector('#analysis canvas');
    const lane = Math.floor(c.height * 0.16);
    const data = c.getContext('2d').getImageData(0, 0, c.width, lane).data;
    const columns = [];
    for (let x = 0; x < c.width; x += 1) {
      let drawn = 0;
      for (let y = 0; y < lane; y += 1) if (data[(y * c.width + x) * 4 + 1] > 150) drawn += 1;
      columns.push(drawn / lane);
    }
    columns.sort((a, b) => a - b);
    return { quiet: columns[Math.floor(columns.length * 0.1)], loud: columns[columns.length - 1] };
  });
  assert.ok(reach.quiet > 0 && reach.loud > 2 * reach.quiet, `the waveform lane: ${JSON.stringify(reach)}`);
  await page.locator('#pane-analysis').screenshot({ path: path.join(shots, 'studio-analysis.png') });
  // A MIDI file from the library becomes tracks (chords, melody, and drums on the kit): a
  // pitched clip's analysis is its key, the drum clip's its hits per drum.
  await page.click('#tab-library');
  const tracks = await page.evaluate(() => window.quaver.project.tracks.length);
  await page.locator('#library-table tbody tr', { hasText: 'piece000.mid' }).locator('button', { hasText: '+' }).click();
  await page.waitForFunction((n) => window.quaver.project.tracks.length >= n + 3, tracks);
  await page.click('#tab-analysis');
  const heading = () => page.evaluate(() => document.querySelector('#analysis .analysis-facts h3')?.textContent);
  const showClipOf = (name) => page.evaluate((n) => {
    const app = window.quaver;
    const track = app.project.tracks.find((t) => t.name === n);
    app.select({ track: track.id, clip: track.clips[0].id });
  }, name);
  await showClipOf('chords');
  await page.waitForFunction(() => document.querySelector('#analysis .analysis-facts h3')?.textContent === 'MIDI clip');
  assert.match(await page.locator('#analysis .analysis-facts').innerText(), /Key\s+[A-G]#? (major|minor)/);
  await showClipOf('drums');
  await page.waitForFunction(() => document.querySelector('#analysis .analysis-facts h3')?.textContent === 'Drum clip');
  assert.match(await page.locator('#analysis .analysis-facts').innerText(), /Hits\s+\d+ on 3 drums/, `the kick, snare and closed hat (${await heading()})`);
  assert.deepEqual(session.pageErrors, []);
});
