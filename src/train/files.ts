/**
 * Run files: crash-safe writes (a reader, or a resumed run, sees the old file or the new one, never half of one), JSON
 * line logs that a crash may have cut short, and the check that a resumed run is the run it continues.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InvalidArgumentError } from '../errors.js';

/** Writes `data` to a temporary sibling, flushes it to disk, then renames it over `path`. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  await rename(tmp, path);
}

export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** The lines of a JSON-lines log that parse: none for a missing file; a line cut short by a crash is skipped. */
export function readJsonLines<T>(path: string): T[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as T];
      } catch {
        return [];
      }
    });
}

/** Rewrites a JSON-lines log with the lines `keep` accepts (what a resumed run keeps of it), and returns them. */
export function keepJsonLines<T>(path: string, keep: (line: T) => boolean): T[] {
  const kept = readJsonLines<T>(path).filter(keep);
  writeFileSync(path, kept.map((line) => `${JSON.stringify(line)}\n`).join(''));
  return kept;
}

/** A short fingerprint of a JSON value (the data a run trains on). */
export function fingerprint(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

/**
 * A resumed run must be the run it continues: every key of `current` as `saved` records it, else CONFIG_MISMATCH
 * naming the key (`who`: the command, `where`: what holds the saved run).
 */
export function checkSameRun(who: string, where: string, saved: Record<string, unknown>, current: Record<string, unknown>, what = 'options'): void {
  for (const [key, value] of Object.entries(current)) {
    if (JSON.stringify(saved[key]) !== JSON.stringify(value)) {
      throw new InvalidArgumentError('CONFIG_MISMATCH', `${who}: ${where} was started with another ${key} (${JSON.stringify(saved[key])}); resume it with the ${what} it was started with`);
    }
  }
}
