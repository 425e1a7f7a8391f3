/** Generated models shared by tests: written once per test process into a temp folder. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeModel, type MakeModelOptions } from '../../src/make-model.js';

const dir = mkdtempSync(join(tmpdir(), 'rl-ggml-test-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const made = new Map<string, Promise<string>>();

export function tempPath(name: string): string {
  return join(dir, name);
}

/** Path of a generated model with these options (made on first use). */
export function testModel(options: Omit<MakeModelOptions, 'out'> = {}): Promise<string> {
  const key = JSON.stringify(options);
  let p = made.get(key);
  if (!p) {
    const out = join(dir, `model-${made.size}.gguf`);
    p = makeModel({ ...options, out }).then(() => out);
    made.set(key, p);
  }
  return p;
}
