/**
 * `--import FILE`, an option of every command: loads a module of your own environments before the command runs. The
 * module exports
 * - `envs`, an array of EnvSpec, which rl-ggml registers (or calls registerEnv itself): `train`, `eval`, `plot`,
 *   `play` and `env list` then know them by id;
 * - `taskOf(id)`, the conversational task (ChatTask) a trajectory id names, or undefined for ids it does not know:
 *   `explore --tasks` and `eto` then play its tasks.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Options } from 'yargs';
import { chatTaskById, type ChatTask, type ChatTaskOptions } from '../../envs/chat-tasks.js';
import type { EnvSpec } from '../../envs/core/types.js';
import { knownEnvSpecs, registerEnv } from '../../envs/registry.js';
import { EnvError } from '../errors.js';

export const importOption: Options = {
  type: 'string',
  // one value per flag (an array option would swallow the command after it); repeated flags make an array
  nargs: 1,
  coerce: (v: string | string[]) => [v].flat(),
  global: true,
  describe: 'a JavaScript module of your own environments: it exports `envs` (EnvSpecs, for train and eval) and/or `taskOf(id)` (conversational tasks, for explore and eto); repeatable',
};

type TaskOf = (id: string) => ChatTask | undefined;

/** The `taskOf` exports of the imported modules, in order. */
const importedTaskOfs: TaskOf[] = [];

/** Imports each module (a path, relative to `cwd`) and registers what it exports. */
export async function importEnvModules(files: readonly string[], cwd = process.cwd()): Promise<void> {
  for (const file of files) {
    const before = knownEnvSpecs().length;
    let module: { envs?: unknown; taskOf?: unknown };
    try {
      module = await import(pathToFileURL(resolve(cwd, file)).href);
    } catch (err) {
      throw new EnvError('BAD_IMPORT', `--import ${file}: cannot load it: ${(err as Error).message}`, { cause: err });
    }
    if (module.envs !== undefined) {
      if (!Array.isArray(module.envs)) throw new EnvError('BAD_IMPORT', `--import ${file}: its export "envs" must be an array of environment specs`);
      for (const spec of module.envs as EnvSpec[]) registerEnv(spec);
    }
    if (module.taskOf !== undefined) {
      if (typeof module.taskOf !== 'function') throw new EnvError('BAD_IMPORT', `--import ${file}: its export "taskOf" must be a function of a trajectory id`);
      importedTaskOfs.push(module.taskOf as TaskOf);
    } else if (knownEnvSpecs().length === before) {
      throw new EnvError(
        'BAD_IMPORT',
        `--import ${file}: the module added no environment (export "envs", an array of environment specs, or "taskOf", or call registerEnv from the rl-ggml package this command runs)`,
      );
    }
  }
}

/** The conversational task a trajectory id names: an imported module's, else a shipped one (chatTaskById). */
export function taskOfImported(options: ChatTaskOptions = {}): (id: string) => ChatTask {
  return (id) => {
    for (const taskOf of importedTaskOfs) {
      const task = taskOf(id);
      if (task === undefined) continue;
      if (typeof task?.open !== 'function') throw new EnvError('BAD_IMPORT', `--import: taskOf("${id}") gave no task (an object with an open() method)`);
      return task;
    }
    return chatTaskById(id, options);
  };
}
