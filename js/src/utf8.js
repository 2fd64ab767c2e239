// UTF-8 as Python decodes it: where the first byte that is not UTF-8 is, and Python's words for it.

/**
 * The first invalid sequence of bytes from `start`: {at, end, byte, reason}, or null when all is
 * UTF-8. With `surrogatePass`, an encoded surrogate (ED A0..BF ..) is accepted, as Python's
 * json.loads(bytes) accepts it.
 */
export function firstInvalid(bytes, start = 0, surrogatePass = false) {
  for (let i = start; i < bytes.length; ) {
    const byte = bytes[i];
    if (byte < 0x80) {
      i += 1;
      continue;
    }
    let need;
    let low = 0x80;
    let high = 0xbf;
    if (byte >= 0xc2 && byte <= 0xdf) need = 1;
    else if (byte >= 0xe0 && byte <= 0xef) {
      need = 2;
      if (byte === 0xe0) low = 0xa0;
      if (byte === 0xed && !surrogatePass) high = 0x9f;
    } else if (byte >= 0xf0 && byte <= 0xf4) {
      need = 3;
      if (byte === 0xf0) low = 0x90;
      if (byte === 0xf4) high = 0x8f;
    } else {
      return { at: i, end: i + 1, byte, reason: "invalid start byte" };
    }
    for (let k = 1; k <= need; k++) {
      const next = bytes[i + k];
      const [from, to] = k === 1 ? [low, high] : [0x80, 0xbf];
      if (next === undefined) return { at: i, end: bytes.length, byte, reason: "unexpected end of data" };
      if (next < from || next > to) return { at: i, end: i + k, byte, reason: "invalid continuation byte" };
    }
    i += need + 1;
  }
  return null;
}

/** Python's UnicodeDecodeError text for a problem found by firstInvalid, positions from `base`. */
export function decodeErrorText({ at, end, byte, reason }, base = 0) {
  if (end - at > 1) return `'utf-8' codec can't decode bytes in position ${at - base}-${end - 1 - base}: ${reason}`;
  return `'utf-8' codec can't decode byte 0x${byte.toString(16).padStart(2, "0")} in position ${at - base}: ${reason}`;
}
