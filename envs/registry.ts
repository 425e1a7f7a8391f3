import { EnvError } from '../src/errors.js';
import type { Env, EnvSpec } from './core/types.js';
import { specs as overcooked } from './overcooked/index.js';
import { specs as virtualhome } from './virtualhome/index.js';
import { specs as household } from './household/index.js';
import { specs as webshop } from './webshop/index.js';

/** Every environment rl-ggml ships, in the order `rl-ggml env list` shows them. */
export const envSpecs: readonly EnvSpec[] = [...overcooked, ...virtualhome, ...household, ...webshop];

/** Environments a program added with `registerEnv` (this process only). */
const registered: EnvSpec[] = [];

/**
 * Adds your own environment: `train`, `evaluate`, `plot` and `makeEnv` then know it by its id, in this process (register
 * it again before resuming or evaluating its runs in another; the CLI's `--import` loads a module that does).
 */
export function registerEnv(spec: EnvSpec): void {
  const bad = (why: string) => new EnvError('BAD_ENV_SPEC', `registerEnv: ${why}`);
  if (typeof spec?.id !== 'string' || !/^\S+$/.test(spec.id)) throw bad(`the id must be a non-empty string without spaces, got ${JSON.stringify(spec?.id)}`);
  if (typeof spec.create !== 'function') throw bad(`"${spec.id}" has no create function`);
  if (!(Number.isInteger(spec.horizon) && spec.horizon > 0)) throw bad(`"${spec.id}": horizon must be a positive integer, got ${spec.horizon}`);
  if (spec.actionCount !== null && !(Number.isInteger(spec.actionCount) && spec.actionCount > 0)) {
    throw bad(`"${spec.id}": actionCount must be a positive integer or null, got ${spec.actionCount}`);
  }
  if (findSpec(spec.id)) throw new EnvError('ENV_EXISTS', `registerEnv: an environment "${spec.id}" is already known`);
  registered.push({ ...spec });
}

/** The shipped environments, then those registered in this process. */
export function knownEnvSpecs(): EnvSpec[] {
  return [...envSpecs, ...registered];
}

function findSpec(id: string): EnvSpec | undefined {
  return knownEnvSpecs().find((s) => s.id === id);
}

export function getEnvSpec(id: string): EnvSpec {
  const spec = findSpec(id);
  if (!spec) {
    const known = knownEnvSpecs()
      .map((s) => s.id)
      .join(', ');
    throw new EnvError('UNKNOWN_ENV', `unknown environment "${id}"; known: ${known} (programs add their own with registerEnv, the CLI from a module with --import)`);
  }
  return spec;
}

export function makeEnv(id: string, options?: Record<string, unknown>): Env {
  return getEnvSpec(id).create(options);
}
