// Independent conformance ledger: written from docs/PROTOCOL.md alone; keep it free of
// any import from crates/ (see money.js).
//
// A strict JSON reader (§1.1, §6.8) that keeps number lexemes, so the ledger can refuse
// `1e0`, `1.0` or `01` where the document asks for digits, and refuses duplicate keys,
// a byte-order mark and trailing text. JSON.parse cannot do either.
export class Num {
  constructor(text) {
    this.text = text;
  }
}

export function parseStrict(src) {
  let i = 0;
  const ws = () => {
    while (i < src.length && ' \t\n\r'.includes(src[i])) i++;
  };
  const fail = (m) => {
    throw new SyntaxError(m + ' at ' + i);
  };
  let depth = 0;
  function val() {
    ws();
    const c = src[i];
    if (c === '{' || c === '[') {
      if (++depth > 128) fail('nesting too deep');
      const v = c === '{' ? obj() : arr();
      depth--;
      return v;
    }
    if (c === '"') return str();
    if (src.startsWith('true', i)) return (i += 4), true;
    if (src.startsWith('false', i)) return (i += 5), false;
    if (src.startsWith('null', i)) return (i += 4), null;
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(src.slice(i, i + 400));
    if (!m) fail('value');
    i += m[0].length;
    return new Num(m[0]);
  }
  function obj() {
    i++;
    const o = Object.create(null);
    ws();
    if (src[i] === '}') return i++, o;
    for (;;) {
      ws();
      if (src[i] !== '"') fail('key');
      const k = str();
      ws();
      if (src[i++] !== ':') fail(':');
      if (k in o) fail('duplicate key ' + k);
      o[k] = val();
      ws();
      if (src[i] === ',') {
        i++;
        continue;
      }
      if (src[i] === '}') return i++, o;
      fail('object');
    }
  }
  function arr() {
    i++;
    const a = [];
    ws();
    if (src[i] === ']') return i++, a;
    for (;;) {
      a.push(val());
      ws();
      if (src[i] === ',') {
        i++;
        continue;
      }
      if (src[i] === ']') return i++, a;
      fail('array');
    }
  }
  function str() {
    let j = i + 1;
    while (j < src.length && src[j] !== '"') {
      if (src[j] === '\\') j++;
      j++;
    }
    if (j >= src.length) fail('string');
    const s = JSON.parse(src.slice(i, j + 1));
    if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s)) fail('lone surrogate');
    i = j + 1;
    return s;
  }
  const v = val();
  ws();
  if (i !== src.length) fail('trailing text');
  return v;
}

/** A mutation seq (§1): digits, no leading zero, 1 … 2^53 − 1; null otherwise. */
export function seqOf(v) {
  if (!(v instanceof Num) || !/^[1-9][0-9]*$/.test(v.text)) return null;
  const n = BigInt(v.text);
  return n > 2n ** 53n - 1n ? null : Number(n);
}

/** An instant (§6.8 `at`): any JSON integer in the signed 64-bit range, negative allowed; null otherwise. */
export function instantOf(v) {
  if (!(v instanceof Num) || !/^-?(0|[1-9][0-9]*)$/.test(v.text)) return null;
  const n = BigInt(v.text);
  return n < -(2n ** 63n) || n > 2n ** 63n - 1n ? null : n;
}

export const isObject = (x) => x !== null && typeof x === 'object' && !Array.isArray(x) && !(x instanceof Num);
