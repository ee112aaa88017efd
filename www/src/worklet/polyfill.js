// Worklet scope: AudioWorkletGlobalScope has no TextDecoder/TextEncoder, and the wasm-bindgen
// glue makes one of each when it loads. Import this first. UTF-8 only, which is all the glue uses.

class Utf8Decoder {
  constructor(label = 'utf-8') {
    if (String(label).toLowerCase().replace('-', '') !== 'utf8') throw new RangeError(`only UTF-8 is supported, not ${label}`);
    this.encoding = 'utf-8';
  }

  decode(input) {
    if (input === undefined) return '';
    const bytes = input instanceof Uint8Array ? input : new Uint8Array(input.buffer ?? input, input.byteOffset ?? 0, input.byteLength);
    let out = '';
    let chunk = [];
    for (let i = 0; i < bytes.length; ) {
      const b = bytes[i];
      let code;
      let extra;
      if (b < 0x80) { code = b; extra = 0; }
      else if (b >= 0xc2 && b < 0xe0) { code = b & 0x1f; extra = 1; }
      else if (b >= 0xe0 && b < 0xf0) { code = b & 0x0f; extra = 2; }
      else if (b >= 0xf0 && b < 0xf5) { code = b & 0x07; extra = 3; }
      else { code = 0xfffd; extra = 0; }
      i += 1;
      for (let k = 0; k < extra; k += 1, i += 1) {
        if (i >= bytes.length || (bytes[i] & 0xc0) !== 0x80) { code = 0xfffd; break; }
        code = (code << 6) | (bytes[i] & 0x3f);
      }
      if (code > 0xffff) {
        code -= 0x10000;
        chunk.push(0xd800 + (code >> 10), 0xdc00 + (code & 0x3ff));
      } else {
        chunk.push(code);
      }
      if (chunk.length > 4096) { out += String.fromCharCode(...chunk); chunk = []; }
    }
    return out + String.fromCharCode(...chunk);
  }
}

class Utf8Encoder {
  get encoding() { return 'utf-8'; }

  encode(text = '') {
    const out = new Uint8Array(text.length * 3);
    return out.slice(0, this.encodeInto(text, out).written);
  }

  encodeInto(text, dest) {
    let read = 0;
    let written = 0;
    for (const ch of text) {
      const code = ch.codePointAt(0);
      const size = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
      if (written + size > dest.length) break;
      if (size === 1) dest[written] = code;
      else if (size === 2) { dest[written] = 0xc0 | (code >> 6); dest[written + 1] = 0x80 | (code & 0x3f); }
      else if (size === 3) { dest[written] = 0xe0 | (code >> 12); dest[written + 1] = 0x80 | ((code >> 6) & 0x3f); dest[written + 2] = 0x80 | (code & 0x3f); }
      else {
        dest[written] = 0xf0 | (code >> 18); dest[written + 1] = 0x80 | ((code >> 12) & 0x3f);
        dest[written + 2] = 0x80 | ((code >> 6) & 0x3f); dest[written + 3] = 0x80 | (code & 0x3f);
      }
      written += size;
      read += ch.length;
    }
    return { read, written };
  }
}

if (typeof globalThis.TextDecoder === 'undefined') globalThis.TextDecoder = Utf8Decoder;
if (typeof globalThis.TextEncoder === 'undefined') globalThis.TextEncoder = Utf8Encoder;

export { Utf8Decoder, Utf8Encoder };
