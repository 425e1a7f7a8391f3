/** Byte-level edits of GGUF files, to make the broken models the bad-input tests need. */
import { readFileSync, writeFileSync } from 'node:fs';

function find(buf: Buffer, s: string, from = 0): number {
  // Keys and names are stored as u64 length + bytes; match the length prefix too so "llama" != "general.architecture".
  const needle = Buffer.alloc(8 + Buffer.byteLength(s));
  needle.writeBigUInt64LE(BigInt(Buffer.byteLength(s)));
  needle.write(s, 8);
  const i = buf.indexOf(needle, from);
  if (i < 0) throw new Error(`"${s}" not found in the GGUF header`);
  return i + needle.length;
}

/** Sets a u32 key's value (keys written by make-model as UINT32). */
export function setU32(path: string, key: string, value: number): void {
  const buf = readFileSync(path);
  const at = find(buf, key);
  if (buf.readUInt32LE(at) !== 4) throw new Error(`${key} is not a u32`);
  buf.writeUInt32LE(value, at + 4);
  writeFileSync(path, buf);
}

/** Sets an f32 key's value. */
export function setF32(path: string, key: string, value: number): void {
  const buf = readFileSync(path);
  const at = find(buf, key);
  if (buf.readUInt32LE(at) !== 6) throw new Error(`${key} is not an f32`);
  buf.writeFloatLE(value, at + 4);
  writeFileSync(path, buf);
}

/** Replaces a string key's value with one of the same byte length. */
export function setString(path: string, key: string, value: string): void {
  const buf = readFileSync(path);
  const at = find(buf, key);
  const len = Number(buf.readBigUInt64LE(at + 4));
  if (Buffer.byteLength(value) !== len) throw new Error('replacement must keep the length');
  buf.write(value, at + 12);
  writeFileSync(path, buf);
}

/** Renames a tensor or a key (to a name of the same length). */
export function renameEntry(path: string, name: string, to: string): void {
  const buf = readFileSync(path);
  const at = find(buf, name);
  buf.write(to, at - Buffer.byteLength(name));
  writeFileSync(path, buf);
}

/** Changes a tensor's ggml type id in its info record. */
export function setTensorType(path: string, name: string, type: number): void {
  const buf = readFileSync(path);
  const at = find(buf, name);
  const nDims = buf.readUInt32LE(at);
  buf.writeUInt32LE(type, at + 4 + 8 * nDims);
  writeFileSync(path, buf);
}
