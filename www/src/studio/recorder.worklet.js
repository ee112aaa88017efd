// Audio thread: the microphone recorder. Copies its input into chunks of up to CHUNK
// contiguous frames, each stamped with the context frame of its first sample, and hands every full chunk to the page
// (transferred, not copied). The page gives emptied chunks back, so after the first few
// nothing is allocated here while recording.
const CHUNK = 8192;
const SPARE_CHUNKS = 8;

class QuaverRecorder extends AudioWorkletProcessor {
  constructor(options) {
    super();
    this.channels = options.processorOptions?.channels ?? 1;
    this.spare = Array.from({ length: SPARE_CHUNKS }, () => this.chunk());
    this.current = null;
    this.filled = 0;
    this.startFrame = 0;
    this.recording = false;
    this.finished = false;
    this.port.onmessage = ({ data }) => {
      if (data.type === 'start') this.recording = true;
      else if (data.type === 'stop') this.stop();
      else if (data.type === 'spare') this.spare.push(data.channels);
    };
  }

  chunk() {
    return Array.from({ length: this.channels }, () => new Float32Array(CHUNK));
  }

  send(frames) {
    const channels = this.current;
    this.port.postMessage({ type: 'chunk', frame: this.startFrame, frames, channels }, channels.map((c) => c.buffer));
    this.current = null;
    this.filled = 0;
  }

  stop() {
    if (this.current && this.filled > 0) this.send(this.filled);
    this.recording = false;
    this.finished = true;
    this.port.postMessage({ type: 'stopped' });
  }

  process(inputs) {
    const input = inputs[0];
    if (!this.recording || input.length === 0) return !this.finished;
    const frames = input[0].length;
    // A quantum that brought no input (the device stalled under load) leaves a gap in context
    // frames: the chunk so far is sent as it is, and the next one is stamped where sound resumed,
    // so every sample keeps the frame it arrived at.
    if (this.current && currentFrame !== this.startFrame + this.filled) this.send(this.filled);
    let read = 0;
    while (read < frames) {
      if (!this.current) {
        this.current = this.spare.pop() ?? this.chunk();
        this.startFrame = currentFrame + read;
      }
      const take = Math.min(frames - read, CHUNK - this.filled);
      for (let c = 0; c < this.channels; c += 1) {
        // A mono microphone fills every channel.
        const from = input[Math.min(c, input.length - 1)];
        const to = this.current[c];
        for (let i = 0; i < take; i += 1) to[this.filled + i] = from[read + i];
      }
      this.filled += take;
      read += take;
      if (this.filled === CHUNK) this.send(CHUNK);
    }
    return true;
  }
}

registerProcessor('quaver-recorder', QuaverRecorder);
