/**
 * Where a run's model comes from: a local GGUF path, an `hf:<user>/<repo>/<file>` URI resolved (and downloaded once)
 * by node-llama-cpp's model downloader, or — with no model given — a small random-weights model generated once into
 * the cache, for smoke runs.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { InvalidArgumentError, ModelLoadError } from '../errors.js';
import { makeModel, type MakeModelOptions } from '../make-model.js';

/** The cache folder: $RL_GGML_CACHE, else $XDG_CACHE_HOME/rl-ggml, else ~/.cache/rl-ggml. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.RL_GGML_CACHE) return env.RL_GGML_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'rl-ggml');
}

export interface HfUri {
  user: string;
  repo: string;
  /** Path of the file inside the repository. */
  file: string;
}

/** Parses `hf:<user>/<repo>/<path/to/file.gguf>`; null for anything that is not an hf: URI. */
export function parseHfUri(spec: string): HfUri | null {
  if (!spec.startsWith('hf:')) return null;
  const m = /^hf:([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)\/([^\s]+\.gguf)$/i.exec(spec);
  if (!m || m[3].split('/').some((p) => p === '' || p === '..')) {
    throw new InvalidArgumentError('BAD_MODEL_URI', `"${spec}" is not a model URI of the form hf:<user>/<repo>/<file>.gguf`);
  }
  return { user: m[1], repo: m[2], file: m[3] };
}

/** Downloads (or finds in `directory`) the file of an hf: URI and returns its local path. */
export type UriResolver = (uri: string, options: { directory: string; signal?: AbortSignal }) => Promise<string>;

const nodeLlamaCppResolver: UriResolver = async (uri, options) => {
  const { resolveModelFile } = await import('node-llama-cpp');
  return resolveModelFile(uri, { directory: options.directory, signal: options.signal, cli: process.stderr.isTTY === true });
};

export interface ResolvedModel {
  path: string;
  /** True for the generated random-weights model. */
  generated: boolean;
  /** A line for the user when the model is not a real one. */
  notice?: string;
}

export interface ResolveModelOptions {
  cache?: string;
  resolver?: UriResolver;
  signal?: AbortSignal;
}

const DEFAULT_MODEL = 'random-tiny-spm-v1.gguf';

/**
 * Generates the random-weights model `options` describe at `path` unless the file is already there (written beside
 * it and renamed into place, so an interrupted or concurrent run never leaves a partial file under that name).
 * Returns whether it generated the file.
 */
export async function ensureGeneratedModel(path: string, options: Omit<MakeModelOptions, 'out'>): Promise<boolean> {
  if (existsSync(path)) return false;
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await makeModel({ ...options, out: tmp });
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
  return true;
}

/** Turns a `--model` value (or none) into a local GGUF path. */
export async function resolveModel(spec: string | null | undefined, options: ResolveModelOptions = {}): Promise<ResolvedModel> {
  const cache = options.cache ?? cacheDir();
  if (spec === undefined || spec === null || spec === '') {
    const path = join(cache, DEFAULT_MODEL);
    await ensureGeneratedModel(path, { preset: 'tiny', seed: 1 });
    return {
      path,
      generated: true,
      notice:
        `no --model given: using ${path}, a tiny model with RANDOM weights (2 layers × 64, LLaMA tokenizer). ` +
        'It is for smoke runs only and cannot learn anything meaningful. For real training pass a LLaMA GGUF, e.g. ' +
        '--model ./llama-2-7b.Q4_0.gguf, or (online) --model hf:TheBloke/Llama-2-7B-GGUF/llama-2-7b.Q4_0.gguf.',
    };
  }
  const hf = parseHfUri(spec);
  if (hf) {
    const resolver = options.resolver ?? nodeLlamaCppResolver;
    try {
      return { path: await resolver(`hf:${hf.user}/${hf.repo}/${hf.file}`, { directory: join(cache, 'models'), signal: options.signal }), generated: false };
    } catch (err) {
      throw new ModelLoadError('MODEL_DOWNLOAD', `cannot resolve ${spec}: ${(err as Error).message}`, { cause: err });
    }
  }
  if (!existsSync(spec)) throw new ModelLoadError('MODEL_NOT_FOUND', `model file not found: ${spec}`);
  return { path: spec, generated: false };
}

/** Identifies a model file cheaply: its size and a hash of its first and last MiB (GGUF header and tail). */
export async function modelFingerprint(path: string): Promise<string> {
  const { size } = await stat(path);
  const chunk = Math.min(size, 1 << 20);
  const handle = await open(path, 'r');
  try {
    const hash = createHash('sha256');
    for (const at of [0, size - chunk]) {
      const buf = Buffer.alloc(chunk);
      await handle.read(buf, 0, chunk, at);
      hash.update(buf);
    }
    return `${size}:${hash.digest('hex').slice(0, 32)}`;
  } finally {
    await handle.close();
  }
}
