/**
 * A run folder:
 *   config.json          the effective configuration
 *   run.json             the model's resolved path and fingerprint, the format version
 *   metrics.jsonl        one JSON object per update
 *   checkpoints/update-NNNNNN/  state.json (loop state) + the agent's files; written to a temporary folder and
 *                        renamed into place, so a checkpoint folder is always complete
 *   checkpoints/latest   the name of the newest complete checkpoint (replaced atomically)
 */
import { existsSync, readFileSync } from 'node:fs';
import { appendFile, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError } from '../errors.js';
import type { TrainConfig } from './config.js';
import { writeFileAtomic, writeJsonAtomic } from './files.js';

export const RUN_FORMAT = 1;

export interface RunMeta {
  format: number;
  /** The local model file and its fingerprint (LLM algorithms). */
  model?: { path: string; fingerprint: string; generated: boolean };
}

export class RunFolder {
  constructor(readonly dir: string) {}

  get configPath(): string {
    return join(this.dir, 'config.json');
  }

  get metricsPath(): string {
    return join(this.dir, 'metrics.jsonl');
  }

  get checkpointsDir(): string {
    return join(this.dir, 'checkpoints');
  }

  exists(): boolean {
    return existsSync(this.configPath);
  }

  async create(config: TrainConfig, meta: RunMeta): Promise<void> {
    await mkdir(this.checkpointsDir, { recursive: true });
    await writeJsonAtomic(this.configPath, config);
    await writeJsonAtomic(join(this.dir, 'run.json'), meta);
    await writeFileAtomic(this.metricsPath, '');
  }

  readConfig(): TrainConfig {
    return readJson(this.configPath, 'the run configuration') as TrainConfig;
  }

  readMeta(): RunMeta {
    const meta = readJson(join(this.dir, 'run.json'), 'the run description') as RunMeta;
    if (meta.format !== RUN_FORMAT) throw new InvalidArgumentError('BAD_RUN', `${this.dir}: run format ${meta.format}, this version reads ${RUN_FORMAT}`);
    return meta;
  }

  async appendMetrics(line: object): Promise<void> {
    await appendFile(this.metricsPath, `${JSON.stringify(line)}\n`);
  }

  /** Every metrics line (each with an `update` number). */
  readMetrics(): Record<string, unknown>[] {
    if (!existsSync(this.metricsPath)) return [];
    return readFileSync(this.metricsPath, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l, n) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          throw new InvalidArgumentError('BAD_RUN', `${this.metricsPath}: line ${n + 1} is not JSON`);
        }
      });
  }

  /** Drops the metrics of updates after `update` (logged after the checkpoint a resume starts from). */
  async truncateMetrics(update: number): Promise<void> {
    const kept = this.readMetrics().filter((m) => (m.update as number) <= update);
    await writeFileAtomic(this.metricsPath, kept.map((m) => `${JSON.stringify(m)}\n`).join(''));
  }

  /**
   * Writes checkpoint `update`: `fill` writes into a temporary folder, which is then renamed into place and named in
   * `latest`; only the newest `keep` checkpoints stay.
   */
  async writeCheckpoint(update: number, state: object, fill: (dir: string) => Promise<void>, keep: number): Promise<string> {
    const name = `update-${String(update).padStart(6, '0')}`;
    const tmp = join(this.checkpointsDir, `.tmp-${name}-${process.pid}`);
    const final = join(this.checkpointsDir, name);
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    await fill(tmp);
    await writeJsonAtomic(join(tmp, 'state.json'), state);
    // A checkpoint of the same update (written before an interruption) is replaced whole.
    if (existsSync(final)) await rm(final, { recursive: true, force: true });
    await rename(tmp, final);
    await writeFileAtomic(join(this.checkpointsDir, 'latest'), `${name}\n`);
    const old = (await readdir(this.checkpointsDir)).filter((n) => /^update-\d+$/.test(n)).sort();
    for (const n of old.slice(0, Math.max(0, old.length - keep))) await rm(join(this.checkpointsDir, n), { recursive: true, force: true });
    return final;
  }

  /** The newest complete checkpoint folder, or null when there is none. */
  latestCheckpoint(): string | null {
    const pointer = join(this.checkpointsDir, 'latest');
    if (!existsSync(pointer)) return null;
    const dir = join(this.checkpointsDir, readFileSync(pointer, 'utf8').trim());
    return existsSync(join(dir, 'state.json')) ? dir : null;
  }

  async readState<T>(checkpoint: string): Promise<T> {
    return JSON.parse(await readFile(join(checkpoint, 'state.json'), 'utf8')) as T;
  }
}

function readJson(path: string, what: string): unknown {
  if (!existsSync(path)) throw new InvalidArgumentError('BAD_RUN', `${what} is missing: ${path} (not a run folder?)`);
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new InvalidArgumentError('BAD_RUN', `${path} is not valid JSON: ${(err as Error).message}`);
  }
}
