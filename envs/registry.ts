import { EnvError } from '../src/errors.js';
import type { Env, EnvSpec } from './core/types.js';
import { specs as overcooked } from './overcooked/index.js';
import { specs as virtualhome } from './virtualhome/index.js';
import { specs as household } from './household/index.js';
import { specs as webshop } from './webshop/index.js';

/** Every environment rl-ggml knows, in the order `rl-ggml env list` shows them. */
export const envSpecs: readonly EnvSpec[] = [...overcooked, ...virtualhome, ...household, ...webshop];

export function getEnvSpec(id: string): EnvSpec {
  const spec = envSpecs.find((s) => s.id === id);
  if (!spec) {
    throw new EnvError('UNKNOWN_ENV', `unknown environment "${id}"; known: ${envSpecs.map((s) => s.id).join(', ')}`);
  }
  return spec;
}

export function makeEnv(id: string, options?: Record<string, unknown>): Env {
  return getEnvSpec(id).create(options);
}
