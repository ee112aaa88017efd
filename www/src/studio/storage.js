// Main thread: the autosave. After every edit the project (with its undo history) is written to
// IndexedDB, so a closed tab loses nothing; the next visit opens it again. The samples audio
// clips play are stored there too, once each, by name. A write that fails (storage full,
// private mode) is reported and the project in memory stays as it is.
const DB_NAME = 'quaver';
const STORE = 'projects';
const SAMPLES = 'samples';
const CURRENT = 'current';
/** The library browser's index: a record per file, and the folders it came from. */
const LIBRARY = 'library';
const FOLDERS = 'folders';
/** Where an autosave that would not open is kept, so starting afresh does not destroy it. */
export const UNREADABLE = 'unreadable';

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 3);
    request.onupgradeneeded = () => {
      const db = request.result;
      for (const name of [STORE, SAMPLES, LIBRARY, FOLDERS]) if (!db.objectStoreNames.contains(name)) db.createObjectStore(name);
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(new Error('the project store is held open by another tab'));
  });
}

function run(mode, body, store = STORE) {
  return open().then((db) => new Promise((resolve, reject) => {
    const tx = db.transaction(store, mode);
    const request = body(tx.objectStore(store));
    tx.oncomplete = () => { db.close(); resolve(request.result); };
    tx.onabort = () => { db.close(); reject(tx.error ?? new Error('the write was aborted')); };
    tx.onerror = () => { db.close(); reject(tx.error); };
  }));
}

/** The autosaved project JSON, or null on a first visit. */
export function loadAutosave(key = CURRENT) {
  return run('readonly', (store) => store.get(key)).then((record) => record?.json ?? null);
}

export function writeAutosave(json, key = CURRENT) {
  return run('readwrite', (store) => store.put({ json, savedAt: Date.now() }, key));
}

/** A sample, `{ sampleRate, channels: Float32Array[] }`, kept under its name. */
export function putSample(name, sample) {
  return run('readwrite', (store) => store.put({ sampleRate: sample.sampleRate, channels: sample.channels }, name), SAMPLES);
}

/** The sample stored under `name`, or null. */
export function getSample(name) {
  return run('readonly', (store) => store.get(name), SAMPLES).then((record) => record ?? null);
}

/** Library records, each under its `id` (folder path, size and time), in one transaction. */
export function putLibraryRecords(records) {
  return run('readwrite', (store) => {
    let last = null;
    for (const record of records) last = store.put(record, record.id);
    return last ?? store.count();
  }, LIBRARY);
}

/** Every library record. */
export function getLibraryRecords() {
  return run('readonly', (store) => store.getAll(), LIBRARY);
}

/** A folder handle (File System Access) the library may read again after a reload. */
export function putLibraryFolder(handle) {
  return run('readwrite', (store) => store.put(handle, handle.name), FOLDERS);
}

export function getLibraryFolders() {
  return run('readonly', (store) => store.getAll(), FOLDERS);
}

export function clearLibrary() {
  return run('readwrite', (store) => store.clear(), LIBRARY).then(() => run('readwrite', (store) => store.clear(), FOLDERS));
}

/**
 * Calls `write()` once edits have paused for `ms`, and at once when the page is hidden; the
 * returned function marks the project changed. `onError` hears about failed writes.
 */
export function autosaver(read, onError, ms = 250) {
  let timer = null;
  let dirty = false;
  const flush = () => {
    clearTimeout(timer);
    timer = null;
    if (!dirty) return Promise.resolve();
    dirty = false;
    return writeAutosave(read()).catch((err) => {
      dirty = true;
      onError(err);
    });
  };
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'hidden') flush(); });
  window.addEventListener('pagehide', flush);
  const changed = () => {
    dirty = true;
    clearTimeout(timer);
    timer = setTimeout(flush, ms);
  };
  changed.flush = flush;
  return changed;
}
