// Unsigned LEB128, the variable-length integers of the WebAssembly binary format, for the
// scripts that rewrite the release .wasm (short-imports.mjs, order-functions.mjs).

/** Reads an unsigned LEB128 at `at`: [value, next offset]. */
export function uleb(buf, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = buf[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (byte < 0x80) return [value, at];
  }
}

/** Writes an unsigned LEB128. */
export function lebBytes(value) {
  const out = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return Buffer.from(out);
}
