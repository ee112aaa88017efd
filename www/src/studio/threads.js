// The threads build, from the page: a dedicated Worker (dist/threads/worker.js) whose rayon pool
// analyses a batch of library files or renders a mix and its stems side by side. Only a
// cross-origin isolated page can share memory between Workers; elsewhere `startThreads` gives
// null and callers keep to their single-threaded Workers, which give the same results.

/** The pool size a page asks for: every core, within reason. */
export const poolSize = () => Math.max(1, Math.min(navigator.hardwareConcurrency || 2, 8));

/**
 * A Worker running the threads build with `threads` pool threads, or null where this page cannot
 * have one (not cross-origin isolated, `?threads=off`, or the build failed to start).
 */
export async function startThreads(threads = poolSize()) {
  if (!globalThis.crossOriginIsolated || new URLSearchParams(location.search).get('threads') === 'off') return null;
  const worker = new Worker(new URL('threads/worker.js', document.baseURI), { type: 'module' });
  try {
    const ready = await ask(worker, { type: 'start', threads });
    return Object.assign(worker, { threads: ready.threads });
  } catch (err) {
    console.warn(`[quaver] threads build unavailable, using single-threaded Workers: ${err.message}`);
    worker.terminate();
    return null;
  }
}

/**
 * Sends `message` to a threads Worker and resolves to its reply (rejects on an error reply);
 * `onProgress` sees progress messages on the way.
 */
export function ask(worker, message, { onProgress = null, transfer = [] } = {}) {
  return new Promise((resolve, reject) => {
    worker.onmessage = ({ data }) => {
      if (data.type === 'progress') onProgress?.(data);
      else if (data.type === 'error') reject(Object.assign(new Error(data.message), { code: data.code }));
      else resolve(data);
    };
    worker.onerror = (event) => reject(new Error(event.message || 'the threads Worker failed'));
    worker.postMessage(message, transfer);
  });
}
