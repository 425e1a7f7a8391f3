/** One temp folder per test process, removed when the process exits; tests make their folders and files inside it. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = mkdtempSync(join(tmpdir(), 'rl-ggml-test-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));

/** A path inside the process's temp folder. */
export function tempPath(name: string): string {
  return join(root, name);
}

/** A new empty folder inside the process's temp folder, its name starting with `prefix`. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(root, prefix));
}
