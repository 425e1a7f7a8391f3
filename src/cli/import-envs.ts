/**
 * `--import FILE`, an option of every command: loads a module of your own environments before the command runs, so
 * that `train`, `eval`, `plot`, `play` and `env list` know them by id. The module exports `envs`, an array of
 * EnvSpec, which rl-ggml registers, or calls registerEnv itself.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Options } from 'yargs';
import type { EnvSpec } from '../../envs/core/types.js';
import { knownEnvSpecs, registerEnv } from '../../envs/registry.js';
import { EnvError } from '../errors.js';

export const importOption: Options = {
  type: 'string',
  // one value per flag (an array option would swallow the command after it); repeated flags make an array
  nargs: 1,
  coerce: (v: string | string[]) => [v].flat(),
  global: true,
  describe: 'a JavaScript module of your own environments (it exports `envs`, an array of EnvSpec, or calls registerEnv); repeatable',
};

/** Imports each module (a path, relative to `cwd`) and registers the environments it exports. */
export async function importEnvModules(files: readonly string[], cwd = process.cwd()): Promise<void> {
  for (const file of files) {
    const before = knownEnvSpecs().length;
    let module: { envs?: unknown };
    try {
      module = await import(pathToFileURL(resolve(cwd, file)).href);
    } catch (err) {
      throw new EnvError('BAD_IMPORT', `--import ${file}: cannot load it: ${(err as Error).message}`, { cause: err });
    }
    if (module.envs !== undefined) {
      if (!Array.isArray(module.envs)) throw new EnvError('BAD_IMPORT', `--import ${file}: its export "envs" must be an array of environment specs`);
      for (const spec of module.envs as EnvSpec[]) registerEnv(spec);
    }
    if (knownEnvSpecs().length === before) {
      throw new EnvError(
        'BAD_IMPORT',
        `--import ${file}: the module added no environment (export "envs", an array of environment specs, or call registerEnv from the rl-ggml package this command runs)`,
      );
    }
  }
}
