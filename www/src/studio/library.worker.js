// Worker: analyses library files with the engine's own analysis (the wasm build the page runs):
// WAV and MIDI from their bytes, other audio from the channels the page decoded. One file at a
// time per Worker; the page runs several Workers side by side and terminates them to cancel.
import { analyzeDecoded, analyzeFile, initSync } from '../../../pkg/quaver.js';

self.onmessage = ({ data }) => {
  if (data.type === 'init') {
    initSync({ module: data.module });
    return;
  }
  const { id, name, bytes, channels, sampleRate } = data;
  let record;
  try {
    record = channels
      ? analyzeDecoded(name, new Uint8Array(bytes), channels, sampleRate)
      : analyzeFile(name, new Uint8Array(bytes));
  } catch (err) {
    record = { file: name, error: `could not be analysed: ${err?.message ?? err}` };
  }
  self.postMessage({ id, record });
};
