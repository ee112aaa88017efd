// Main thread: playing an instrument live — from the computer keyboard (two rows as a piano
// octave, Z and X shift it) and from Web MIDI devices where the browser offers them. Both call
// `play(key, velocity)`; velocity 0 releases.

/** Keyboard codes of one octave from C to C: white keys on A S D F G H J K, black above (L is the loop). */
const PIANO_CODES = ['KeyA', 'KeyW', 'KeyS', 'KeyE', 'KeyD', 'KeyF', 'KeyT', 'KeyG', 'KeyY', 'KeyH', 'KeyU', 'KeyJ', 'KeyK'];
const KEYBOARD_VELOCITY = 100;

/** True where typing must go to a form field, not to the instrument or shortcuts. */
export function typingInField(event) {
  const el = event.target;
  if (!(el instanceof HTMLElement)) return false;
  if (el.isContentEditable) return true;
  if (el.tagName === 'TEXTAREA' || el.tagName === 'SELECT') return true;
  return el.tagName === 'INPUT' && !['range', 'checkbox', 'button', 'radio'].includes(el.type);
}

export class ComputerKeyboard {
  constructor(play, onOctave = () => {}) {
    this.play = play;
    this.onOctave = onOctave;
    this.octave = 4;
    /** Each range's octave while the other is played: a piano's, and a drum kit's (from C2, its kick). */
    this.octaves = { piano: 4, named: 2 };
    this.range = 'piano';
    this.held = new Map();
    window.addEventListener('keydown', (e) => this.down(e));
    window.addEventListener('keyup', (e) => this.up(e));
    window.addEventListener('blur', () => this.releaseAll());
  }

  /** Whether the event is for the instrument (then it has been handled). */
  down(event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typingInField(event)) return false;
    if (event.code === 'KeyZ' || event.code === 'KeyX') {
      this.releaseAll();
      this.octave = Math.max(0, Math.min(8, this.octave + (event.code === 'KeyZ' ? -1 : 1)));
      this.onOctave(this.octave);
      event.preventDefault();
      return true;
    }
    const index = PIANO_CODES.indexOf(event.code);
    if (index < 0) return false;
    event.preventDefault();
    if (event.repeat || this.held.has(event.code)) return true;
    const key = (this.octave + 1) * 12 + index;
    if (key > 127) return true;
    this.held.set(event.code, key);
    this.play(key, KEYBOARD_VELOCITY);
    return true;
  }

  /** Plays a piano's range or a drum kit's, each at the octave it was last left at. */
  switchRange(range) {
    if (range === this.range) return;
    this.releaseAll();
    this.octaves[this.range] = this.octave;
    this.range = range;
    this.octave = this.octaves[range];
    this.onOctave(this.octave);
  }

  up(event) {
    const key = this.held.get(event.code);
    if (key === undefined) return;
    this.held.delete(event.code);
    this.play(key, 0);
  }

  releaseAll() {
    for (const key of this.held.values()) this.play(key, 0);
    this.held.clear();
  }
}

/**
 * Listens to every MIDI input the browser offers. Resolves to a sentence for the status line:
 * how many devices, or why there is no MIDI (unsupported browser, permission refused).
 */
export async function connectMidi(play) {
  if (typeof navigator.requestMIDIAccess !== 'function') return 'MIDI input: this browser has no Web MIDI';
  let access;
  try {
    access = await navigator.requestMIDIAccess();
  } catch (err) {
    return `MIDI input: not allowed (${err.message ?? err})`;
  }
  const listen = () => {
    for (const input of access.inputs.values()) {
      input.onmidimessage = ({ data }) => {
        const [status, key, velocity = 0] = data;
        const type = status & 0xf0;
        if (type === 0x90) play(key, velocity);
        else if (type === 0x80) play(key, 0);
      };
    }
  };
  listen();
  access.onstatechange = listen;
  const count = access.inputs.size;
  return count === 0 ? 'MIDI input: no devices connected' : `MIDI input: ${count} device${count === 1 ? '' : 's'}`;
}
