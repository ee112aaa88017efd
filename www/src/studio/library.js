// Main thread: the Library tab — a folder of audio and MIDI files analysed in the background
// (on the threads build's pool where the page is cross-origin isolated, else on a pool of
// single-threaded Workers, both running the engine's analysis), then browsed and filtered by
// tempo, key, kind, length and loudness, previewed, and dragged (or added with +) into the
// project. Copies of one content (same blake3 hash) show once. The index lives in IndexedDB, so
// it is there after a reload, and adding the same folder again analyses only files that are new
// or changed (by path, size and time). Compressed audio is decoded here (Workers have no
// decoder) and its channels analysed like the rest.

import { Session, readWav } from '../../../pkg/quaver.js';
import { startBounce } from './bouncing.js';
import { ask, startThreads } from './threads.js';
import { clearLibrary, getLibraryFolders, getLibraryRecords, putLibraryFolder, putLibraryRecords } from './storage.js';
import { el } from './dom.js';
import { PITCH_CLASSES } from './notes.js';

const CANDIDATE = /\.(wav|wave|mid|midi|kar|rmi|mp3|ogg|oga|opus|flac|aac|m4a)$/i;
const PLAIN = /\.(wav|wave|mid|midi|kar|rmi)$/i;
/** Records are written to storage in batches this large (and at the end). */
const SAVE_EVERY = 64;
/** The threads build analyses this many files (or bytes) at a time, side by side. */
const BATCH_FILES = 32;
const BATCH_BYTES = 64 << 20;
/** A MIDI file's preview renders this much of it. */
const PREVIEW_SECONDS = 30;
/** The drag type that carries a library row's id to the timeline. */
export const LIBRARY_DRAG = 'application/x-quaver-library';

const minutes = (s) => (s === null || s === undefined ? '—' : `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`);
const numberOrNull = (input) => (input.value === '' ? null : Number(input.value));

/** Every file under a directory handle (File System Access), with its path from the folder. */
async function* filesOfHandle(handle, prefix) {
  for await (const entry of handle.values()) {
    const path = `${prefix}/${entry.name}`;
    if (entry.kind === 'directory') yield* filesOfHandle(entry, path);
    else yield { path, file: await entry.getFile() };
  }
}

/** Every file under a dropped directory entry (the older entries API every browser has). */
async function* filesOfEntry(entry, prefix = '') {
  const path = prefix ? `${prefix}/${entry.name}` : entry.name;
  if (entry.isFile) {
    yield { path, file: await new Promise((resolve, reject) => entry.file(resolve, reject)) };
    return;
  }
  const reader = entry.createReader();
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) break;
    for (const child of batch) yield* filesOfEntry(child, path);
  }
}

export class Library {
  constructor(root, app) {
    this.app = app;
    this.root = root;
    /** Records by id (`path|size|modified`). */
    this.records = new Map();
    /** The files behind them, while this page has them. */
    this.files = new Map();
    this.folders = [];
    this.sort = { column: 'file', ascending: true };
    this.workers = [];
    this.preview = null;
    this.build();
  }

  build() {
    const $ = (id) => this.root.querySelector(`#${id}`);
    this.$ = $;
    $('library-add').onclick = () => this.pickFolder();
    $('library-input').onchange = (event) => {
      const picked = [...event.target.files].map((file) => ({ path: file.webkitRelativePath || file.name, file }));
      event.target.value = '';
      this.add(picked);
    };
    $('library-cancel').onclick = () => this.cancel();
    $('library-forget').onclick = async () => {
      if (!window.confirm('Forget every analysed file? The files themselves are not touched.')) return;
      await clearLibrary();
      this.records.clear();
      this.files.clear();
      this.folders = [];
      this.render();
    };
    const keys = $('lib-key');
    keys.append(el('option', { value: '', textContent: 'any' }));
    for (const mode of ['major', 'minor']) for (const name of PITCH_CLASSES) keys.append(el('option', { value: `${name} ${mode}`, textContent: `${name} ${mode}` }));
    for (const id of ['lib-bpm-lo', 'lib-bpm-hi', 'lib-key', 'lib-kind', 'lib-seconds', 'lib-lufs-lo', 'lib-lufs-hi', 'lib-errors', 'lib-search']) {
      $(id).addEventListener('input', () => this.render());
    }
    // A folder dropped on the library pane is added to it.
    this.root.addEventListener('dragover', (event) => {
      if (![...event.dataTransfer.types].includes('Files')) return;
      event.preventDefault();
      this.root.classList.add('dropping');
    });
    this.root.addEventListener('dragleave', () => this.root.classList.remove('dropping'));
    this.root.addEventListener('drop', async (event) => {
      event.preventDefault();
      this.root.classList.remove('dropping');
      const entries = [...event.dataTransfer.items].map((item) => item.webkitGetAsEntry?.()).filter(Boolean);
      const found = [];
      for (const entry of entries) for await (const f of filesOfEntry(entry)) found.push(f);
      this.add(found);
    });
  }

  /** Loads the index kept in storage. */
  /** Reads the index kept in this browser once, when the library is first wanted. */
  load() {
    this.loading ??= this.readIndex();
    return this.loading;
  }

  async readIndex() {
    try {
      for (const record of await getLibraryRecords()) this.records.set(record.id, record);
      this.folders = await getLibraryFolders().catch(() => []);
    } catch (err) {
      this.status(`The library index could not be read (${err?.message ?? err}); files added now are analysed again.`);
    }
    this.render();
  }

  status(text) {
    this.$('library-status').textContent = text;
  }

  async pickFolder() {
    if (typeof window.showDirectoryPicker !== 'function') {
      this.$('library-input').click();
      return;
    }
    let handle;
    try {
      handle = await window.showDirectoryPicker({ mode: 'read' });
    } catch (err) {
      if (err?.name !== 'AbortError') this.status(String(err?.message ?? err));
      return;
    }
    await putLibraryFolder(handle).catch(() => {});
    this.folders = [...this.folders.filter((h) => h.name !== handle.name), handle];
    const found = [];
    for await (const f of filesOfHandle(handle, handle.name)) found.push(f);
    this.add(found);
  }

  /** Adds `found` (`{ path, file }`): analyses what is new or changed, keeps the rest. */
  async add(found) {
    await this.load();
    if (this.running) {
      this.status('Still analysing the last folder: wait for it or cancel it first.');
      return;
    }
    const candidates = found.filter(({ path }) => CANDIDATE.test(path));
    const todo = [];
    for (const { path, file } of candidates) {
      const id = `${path}|${file.size}|${file.lastModified}`;
      this.files.set(id, file);
      if (!this.records.has(id)) todo.push({ id, path, file });
    }
    const skipped = candidates.length - todo.length;
    if (todo.length === 0) {
      this.status(`${candidates.length} audio and MIDI files, all analysed before${found.length > candidates.length ? ` (${found.length - candidates.length} other files left alone)` : ''}.`);
      this.render();
      return;
    }
    await this.analyse(todo, skipped);
  }

  startWorkers(count) {
    const module = this.app.engine.module;
    this.workers = Array.from({ length: count }, () => {
      const worker = new Worker(new URL('quaver-library.js', document.baseURI));
      worker.postMessage({ type: 'init', module });
      return worker;
    });
  }

  /**
   * What a Worker needs to analyse one file: `{ message }` (its bytes, and the channels the
   * page decoded where the engine cannot read the format), or `{ record }` saying why not.
   */
  async prepare({ id, path, file }) {
    const bytes = await file.arrayBuffer();
    const message = { id, name: path, bytes: new Uint8Array(bytes) };
    if (!PLAIN.test(path)) {
      try {
        const audio = await this.app.context.decodeAudioData(bytes.slice(0));
        message.channels = Array.from({ length: audio.numberOfChannels }, (_, c) => audio.getChannelData(c));
        message.sampleRate = audio.sampleRate;
      } catch (err) {
        return { record: { file: path, error: `this browser cannot decode it (${err?.message ?? err})` } };
      }
    }
    return { message };
  }

  /** Sends one file to a single-threaded `worker`; resolves to its record. */
  async analyseOne(worker, item) {
    const { message, record } = await this.prepare(item);
    if (record) return record;
    return new Promise((resolve) => {
      worker.onmessage = ({ data }) => resolve(data.record);
      worker.onerror = (event) => resolve({ file: item.path, error: `the analysis failed: ${event.message}` });
      worker.postMessage(message, [message.bytes.buffer]);
    });
  }

  /**
   * Analyses `todo` in batches on the threads build's pool (`threads`), reading and decoding
   * the next batch while the pool works on this one; `accept(item, record)` takes each result.
   * If the pool fails, rejects with the items not yet accepted as `remaining`.
   */
  async analyseOnThreads(threads, todo, run, accept) {
    let next = 0;
    const readBatch = async () => {
      const batch = [];
      let bytes = 0;
      while (next < todo.length && batch.length < BATCH_FILES && bytes < BATCH_BYTES) {
        const item = todo[next];
        next += 1;
        const prepared = await this.prepare(item);
        bytes += item.file.size;
        batch.push({ item, ...prepared });
      }
      return batch;
    };
    let first = 0;
    let batch = await readBatch();
    while (batch.length && !run.cancelled) {
      const messages = batch.filter((b) => b.message).map((b) => b.message);
      const analysed = messages.length
        ? ask(threads, { type: 'analyze', files: messages }, { transfer: messages.map((m) => m.bytes.buffer) })
        : Promise.resolve({ records: [] });
      const following = readBatch();
      let records;
      try {
        ({ records } = await analysed);
      } catch (err) {
        await following;
        throw Object.assign(err, { remaining: todo.slice(first) });
      }
      if (run.cancelled) return;
      let r = 0;
      for (const b of batch) await accept(b.item, b.record ?? records[r++]);
      first += batch.length;
      batch = await following;
    }
  }

  async analyse(todo, skipped) {
    // Cancel terminates the Workers, whose answers then never come: `stopped` ends the wait.
    let stop;
    const stopped = new Promise((resolve) => { stop = resolve; });
    this.running = { cancelled: false, stop };
    const run = this.running;
    const progress = this.$('library-progress');
    progress.hidden = false;
    progress.max = todo.length;
    progress.value = 0;
    this.$('library-cancel').hidden = false;
    this.status('Starting the analysis…');
    const started = performance.now();
    let done = 0;
    let pending = [];
    const save = async () => {
      const batch = pending;
      pending = [];
      if (batch.length) await putLibraryRecords(batch).catch((err) => this.status(`Analysed, but not kept in this browser's storage (${err?.message ?? err}).`));
    };
    const accept = async (item, record) => {
      const full = { ...record, id: item.id, file: item.path, size: item.file.size, modified: item.file.lastModified };
      this.records.set(item.id, full);
      pending.push(full);
      done += 1;
      progress.value = done;
      this.status(`Analysing ${done} of ${todo.length}…`);
      if (pending.length >= SAVE_EVERY) await save();
    };
    const onWorkers = async (items) => {
      const count = Math.max(1, Math.min(navigator.hardwareConcurrency || 2, 4, items.length));
      this.startWorkers(count);
      let next = 0;
      const lane = async (worker) => {
        while (!run.cancelled && next < items.length) {
          const item = items[next];
          next += 1;
          const record = await this.analyseOne(worker, item);
          if (run.cancelled) return;
          await accept(item, record);
        }
      };
      await Promise.race([Promise.all(this.workers.map(lane)), stopped]);
      return `${count} Worker${count === 1 ? '' : 's'}`;
    };
    const threads = todo.length > 1 ? await startThreads() : null;
    if (threads) this.workers = [threads];
    let where = 'no Workers';
    if (threads && !run.cancelled) {
      where = `${threads.threads} thread${threads.threads === 1 ? '' : 's'}`;
      try {
        await Promise.race([this.analyseOnThreads(threads, todo, run, accept), stopped]);
      } catch (err) {
        // The pool failed: what it had not finished goes to single-threaded Workers.
        console.warn(`[quaver] the threads build failed (${err.message}); going on with single-threaded Workers`);
        threads.terminate();
        if (!run.cancelled) where = `${where}, then ${await onWorkers(err.remaining)}`;
      }
    } else if (!run.cancelled) {
      where = await onWorkers(todo);
    }
    await save();
    for (const w of this.workers) w.terminate();
    this.workers = [];
    this.running = null;
    progress.hidden = true;
    this.$('library-cancel').hidden = true;
    const seconds = (performance.now() - started) / 1000;
    const errors = todo.filter((t) => this.records.get(t.id)?.error).length;
    this.lastRun = { files: done, seconds, where, threads: Boolean(threads), cancelled: run.cancelled };
    this.status(`${run.cancelled ? 'Cancelled after' : 'Analysed'} ${done} file${done === 1 ? '' : 's'} in ${seconds.toFixed(1)} s on ${where}`
      + `${errors ? `, ${errors} could not be read (tick "errors" to see why)` : ''}${skipped ? `; ${skipped} unchanged since last time` : ''}.`);
    this.render();
  }

  cancel() {
    if (!this.running) return;
    this.running.cancelled = true;
    for (const w of this.workers) w.terminate();
    this.running.stop();
  }

  /** The rows the filters let through: one per content, with how many copies it has. */
  rows() {
    const $ = this.$;
    const bpmLo = numberOrNull($('lib-bpm-lo'));
    const bpmHi = numberOrNull($('lib-bpm-hi'));
    const lufsLo = numberOrNull($('lib-lufs-lo'));
    const lufsHi = numberOrNull($('lib-lufs-hi'));
    const longest = numberOrNull($('lib-seconds'));
    const key = $('lib-key').value;
    const kind = $('lib-kind').value;
    const errors = $('lib-errors').checked;
    const search = $('lib-search').value.trim().toLowerCase();
    const byContent = new Map();
    for (const r of this.records.values()) {
      if (errors !== Boolean(r.error)) continue;
      if (search && !r.file.toLowerCase().includes(search)) continue;
      if (!errors) {
        if (bpmLo !== null && !(r.bpm >= bpmLo)) continue;
        if (bpmHi !== null && !(r.bpm <= bpmHi)) continue;
        if (lufsLo !== null && !(r.loudness_lufs >= lufsLo)) continue;
        if (lufsHi !== null && !(r.loudness_lufs <= lufsHi)) continue;
        if (longest !== null && !(r.seconds <= longest)) continue;
        if (key && r.key !== key) continue;
        if (kind && r.kind !== kind) continue;
      }
      const content = r.hash ?? r.id;
      const seen = byContent.get(content);
      if (seen) {
        seen.copies += 1;
        if (r.file < seen.record.file) seen.record = r;
      } else {
        byContent.set(content, { record: r, copies: 1 });
      }
    }
    const { column, ascending } = this.sort;
    const value = (row) => row.record[column];
    return [...byContent.values()].sort((a, b) => {
      const x = value(a);
      const y = value(b);
      const order = x === y ? 0 : x === null || x === undefined ? 1 : y === null || y === undefined ? -1 : x < y ? -1 : 1;
      return ascending ? order : -order;
    });
  }

  render() {
    const rows = this.rows();
    const columns = [['', null], ['File', 'file'], ['Kind', 'kind'], ['BPM', 'bpm'], ['Key', 'key'], ['Length', 'seconds'], ['LUFS', 'loudness_lufs'], ['Copies', null], ['', null]];
    const head = el('tr', {}, ...columns.map(([label, column]) => {
      const th = el('th', { textContent: label + (column && this.sort.column === column ? (this.sort.ascending ? ' ▲' : ' ▼') : '') });
      if (column) {
        th.className = 'sortable';
        th.onclick = () => {
          this.sort = { column, ascending: this.sort.column === column ? !this.sort.ascending : true };
          this.render();
        };
      }
      return th;
    }));
    const body = rows.slice(0, 2000).map(({ record: r, copies }) => {
      const play = el('button', { type: 'button', className: 'preview', textContent: this.preview?.id === r.id ? '■' : '▶', title: r.kind === 'midi' ? `Preview (the first ${PREVIEW_SECONDS} s, with the instruments an import gives it)` : 'Preview' });
      play.disabled = Boolean(r.error);
      play.onclick = () => this.togglePreview(r);
      const addButton = el('button', { type: 'button', textContent: '+', title: 'Add to the project at the playhead' });
      addButton.disabled = Boolean(r.error);
      addButton.onclick = () => this.addToProject(r.id);
      const row = el('tr', { draggable: !r.error, title: r.error ?? (r.key_disagrees ? `The file declares ${r.declared_key}; its notes are in ${r.key}` : r.file) },
        el('td', {}, play),
        el('td', { className: 'file', textContent: r.file }),
        el('td', { textContent: r.error ? 'error' : r.kind }),
        el('td', { className: 'num', textContent: r.error ? '' : r.bpm === null ? '—' : r.bpm.toFixed(1) }),
        el('td', { textContent: r.error ? r.error : r.key ?? '—' }),
        el('td', { className: 'num', textContent: minutes(r.seconds) }),
        el('td', { className: 'num', textContent: r.loudness_lufs === null || r.loudness_lufs === undefined ? '—' : r.loudness_lufs.toFixed(1) }),
        el('td', { className: 'num', textContent: copies > 1 ? `×${copies}` : '' }),
        el('td', {}, addButton));
      row.dataset.id = r.id;
      row.addEventListener('dragstart', (event) => {
        event.dataTransfer.setData(LIBRARY_DRAG, r.id);
        event.dataTransfer.effectAllowed = 'copy';
      });
      return row;
    });
    this.$('library-table').replaceChildren(el('thead', {}, head), el('tbody', {}, ...body));
    const total = this.records.size;
    this.$('library-count').textContent = total ? `${rows.length} of ${total} shown${rows.length > 2000 ? ' (first 2000)' : ''}` : 'Add a folder of audio and MIDI files (or drop one here) to analyse and browse it.';
  }

  /** The file behind a record: from this page, or read again from a folder kept in storage. */
  async fileOf(id) {
    if (this.files.has(id)) return this.files.get(id);
    const record = this.records.get(id);
    const [root, ...parts] = record.file.split('/');
    const folder = this.folders.find((h) => h.name === root);
    if (!folder) return null;
    try {
      if ((await folder.queryPermission?.({ mode: 'read' })) !== 'granted' && (await folder.requestPermission?.({ mode: 'read' })) !== 'granted') return null;
      let handle = folder;
      for (const part of parts.slice(0, -1)) handle = await handle.getDirectoryHandle(part);
      const file = await (await handle.getFileHandle(parts.at(-1))).getFile();
      this.files.set(id, file);
      return file;
    } catch {
      return null;
    }
  }

  async missing(id) {
    const file = await this.fileOf(id);
    if (!file) this.status(`${this.records.get(id)?.file ?? 'That file'} is not open in this page: add its folder again to use it.`);
    return file;
  }

  async togglePreview(record) {
    if (this.preview) {
      this.preview.source.stop();
      const same = this.preview.id === record.id;
      this.preview = null;
      this.render();
      if (same) return;
    }
    const file = await this.missing(record.id);
    if (!file) return;
    try {
      const buffer = record.kind === 'midi' ? await this.renderMidi(file) : await this.app.context.decodeAudioData(await file.arrayBuffer());
      await this.app.context.resume();
      const source = new AudioBufferSourceNode(this.app.context, { buffer });
      source.connect(this.app.context.destination);
      source.onended = () => {
        if (this.preview?.source === source) {
          this.preview = null;
          this.render();
        }
      };
      source.start();
      this.preview = { id: record.id, source };
    } catch (err) {
      this.status(`${record.file} could not be played: ${err?.message ?? err}`);
    }
    this.render();
  }

  /**
   * A MIDI file as the project would play it once added: its first PREVIEW_SECONDS, with the
   * instruments an import gives its tracks, rendered by the engine in a bounce Worker.
   */
  async renderMidi(file) {
    const session = new Session('preview');
    try {
      if (!session.importMidi(new Uint8Array(await file.arrayBuffer()), 0)) throw new Error('it has no notes');
      const project = session.save();
      const songEnd = Math.max(...session.project().tracks.flatMap((t) => t.clips).map((c) => c.start + c.length));
      const tempo = session.tempoMap();
      const end = Math.min(songEnd, Math.floor(tempo.tickAt(PREVIEW_SECONDS)));
      tempo.free();
      const { sampleRate } = this.app.context;
      this.status(`Rendering ${file.name}…`);
      const request = { module: this.app.engine.module, project, sampleRate, format: 'float32', end, tail: 1 };
      const { wav } = await startBounce(request, { what: 'the preview Worker' }).result;
      const audio = readWav(wav);
      const buffer = new AudioBuffer({ length: audio.channels[0].length, numberOfChannels: audio.channels.length, sampleRate: audio.sampleRate });
      audio.channels.forEach((channel, c) => buffer.copyToChannel(channel, c));
      this.status(`Playing ${file.name}${end < songEnd ? ` (its first ${PREVIEW_SECONDS} s)` : ''}.`);
      return buffer;
    } finally {
      session.free();
    }
  }

  /** Puts a library file into the project: at `at` (`{ track, tick }`) or the playhead. */
  async addToProject(id, at = null) {
    const file = await this.missing(id);
    if (!file) return null;
    const named = new File([file], this.records.get(id).file.split('/').at(-1), { type: file.type, lastModified: file.lastModified });
    if (/\.(mid|midi|kar|rmi)$/i.test(named.name)) return this.app.openFile(named);
    return this.app.importAudio(named, at ?? {});
  }
}
