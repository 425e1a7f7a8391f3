/**
 * Reads the members of a top-level JSON array or object from a file of any size without holding it as one
 * string (WebShop's full catalog is several GB, past V8's string limit): a byte scanner finds member
 * boundaries, and each member is handed to JSON.parse on its own.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { InvalidArgumentError } from '../../src/errors.js';

const CHUNK = 1 << 22;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * Calls `onMember(text)` with the raw text of each top-level member, in file order: an element of an array,
 * or `"key": value` of an object. The top level must be of kind `expect`.
 */
export function scanJsonMembers(path: string, expect: 'array' | 'object', onMember: (text: string) => void): void {
  const fd = openSync(path, 'r');
  try {
    let top: 'array' | 'object' | null = null;
    let depth = 0;
    let inString = false;
    let escaped = false;
    let parts: Buffer[] = [];
    let memberStart = -1;
    let closed = false;
    const buf = Buffer.allocUnsafe(CHUNK);
    const flush = (chunk: Buffer, end: number) => {
      parts.push(chunk.subarray(memberStart, end));
      const text = Buffer.concat(parts).toString('utf8').trim();
      parts = [];
      memberStart = -1;
      if (text.length > 0) onMember(text);
    };
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) break;
      const chunk = buf.subarray(0, n);
      for (let i = 0; i < n; i++) {
        const c = chunk[i];
        if (inString) {
          if (escaped) escaped = false;
          else if (c === BACKSLASH) escaped = true;
          else if (c === QUOTE) inString = false;
          continue;
        }
        if (top === null) {
          if (isSpace(c) || (c === 0xef || c === 0xbb || c === 0xbf)) continue; // whitespace or a UTF-8 BOM
          if (c === 0x5b) top = 'array';
          else if (c === 0x7b) top = 'object';
          if (top !== expect) throw new InvalidArgumentError('BAD_JSON', `${path}: expected a JSON ${expect} at the top level`);
          depth = 1;
          continue;
        }
        if (closed) {
          if (!isSpace(c)) throw new InvalidArgumentError('BAD_JSON', `${path}: unexpected data after the top-level value`);
          continue;
        }
        if (depth === 1 && memberStart < 0 && !isSpace(c) && c !== COMMA && c !== 0x5d && c !== 0x7d) memberStart = i;
        if (c === QUOTE) inString = true;
        else if (c === 0x5b || c === 0x7b) depth++;
        else if (c === 0x5d || c === 0x7d) {
          depth--;
          if (depth === 0) {
            if (memberStart >= 0) flush(chunk, i);
            closed = true;
          }
        } else if (c === COMMA && depth === 1) {
          if (memberStart < 0) throw new InvalidArgumentError('BAD_JSON', `${path}: empty member`);
          flush(chunk, i);
        }
      }
      if (memberStart >= 0) {
        parts.push(Buffer.from(chunk.subarray(memberStart, n)));
        memberStart = 0;
      }
    }
    if (top === null || !closed || inString) throw new InvalidArgumentError('BAD_JSON', `${path}: truncated JSON`);
  } finally {
    closeSync(fd);
  }
}

/** Each element of a top-level JSON array, parsed, in file order. */
export function forEachArrayElement(path: string, onElement: (value: unknown) => void): void {
  scanJsonMembers(path, 'array', (text) => onElement(JSON.parse(text)));
}

/** Each `key: value` of a top-level JSON object, in file order; `value` stays raw JSON text (parse on demand). */
export function forEachObjectEntry(path: string, onEntry: (key: string, rawValue: string) => void): void {
  scanJsonMembers(path, 'object', (text) => {
    // The key is a JSON string; find its closing quote, then the colon.
    let i = 1;
    while (text.charCodeAt(i) !== QUOTE) i += text.charCodeAt(i) === BACKSLASH ? 2 : 1;
    const key = JSON.parse(text.slice(0, i + 1)) as string;
    const colon = text.indexOf(String.fromCharCode(COLON), i + 1);
    onEntry(key, text.slice(colon + 1).trim());
  });
}
