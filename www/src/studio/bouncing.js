// Main thread: one bounce in a Worker of its own running the engine build (`quaver-bounce.js`,
// from bounce.worker.js), for the Bounce dialog and the library's MIDI previews alike.

/**
 * Starts bouncing `request` (what bounce.worker.js takes); `onProgress(done, total)` as it goes.
 * Returns `{ result, cancel }`: `result` resolves to the Worker's `done` message and rejects
 * with its error (or "cancelled"); the Worker ends either way.
 */
export function startBounce(request, { onProgress = () => {}, what = 'the bounce Worker' } = {}) {
  const worker = new Worker(new URL('quaver-bounce.js', document.baseURI));
  let settle;
  const result = new Promise((resolve, reject) => {
    settle = { resolve, reject };
  });
  const end = (outcome) => {
    worker.terminate();
    outcome();
  };
  worker.onmessage = ({ data }) => {
    if (data.type === 'progress') {
      onProgress(data.done, data.total);
      return;
    }
    end(() => (data.type === 'done' ? settle.resolve(data) : settle.reject(new Error(data.message))));
  };
  worker.onerror = (event) => end(() => settle.reject(new Error(event.message || `${what} failed`)));
  worker.postMessage(request);
  return { result, cancel: () => end(() => settle.reject(new Error('cancelled'))) };
}
