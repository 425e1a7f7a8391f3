import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError } from '../../src/errors.js';
import { validateGameFile, type GameFile } from './game.js';
import { taskFromTrajData, TASK_TYPES, type TaskSpec, type TaskType } from './tasks.js';

/** ETO's split names and the ALFWorld data folders they read. */
export const DATA_SPLITS: Record<string, string> = { train: 'train', seen: 'valid_seen', unseen: 'valid_unseen' };

export interface GameEntry {
  /** Path of the `game.tw-pddl` file. */
  path: string;
  taskType: TaskType;
}

/**
 * The playable games of a downloaded ALFWorld data folder, as AlfredTWEnv selects them: every trial folder with a
 * `traj_data.json` and an `initial_state.pddl`, not under a `movable` or `Sliced` path, of a known task type, whose
 * `game.tw-pddl` says `solvable: true`. `root` is the folder holding `json_2.1.1` (or `json_2.1.1` itself); the list
 * is sorted by path so it is the same on every machine. On the real data this gives 3,321 / 140 / 134 games.
 */
export function listGames(root: string, split: string): GameEntry[] {
  const folder = DATA_SPLITS[split];
  if (!folder) throw new InvalidArgumentError('BAD_SPLIT', `household: unknown split "${split}" (train|seen|unseen)`);
  const base = existsSync(join(root, 'json_2.1.1')) ? join(root, 'json_2.1.1') : root;
  const dir = join(base, folder);
  if (!existsSync(dir)) throw new InvalidArgumentError('NO_DATA', `household: no ALFWorld split folder at ${dir}`);
  const out: GameEntry[] = [];
  const walk = (d: string): void => {
    const names = readdirSync(d).sort();
    if (names.includes('traj_data.json')) {
      const entry = readEntry(d, names);
      if (entry) out.push(entry);
    }
    for (const n of names) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function readEntry(dir: string, names: string[]): GameEntry | null {
  if (!names.includes('initial_state.pddl') || !names.includes('game.tw-pddl')) return null;
  if (dir.includes('movable') || dir.includes('Sliced')) return null;
  const traj = JSON.parse(readFileSync(join(dir, 'traj_data.json'), 'utf8')) as { task_type?: string };
  if (!TASK_TYPES.includes(traj.task_type as TaskType)) return null;
  const game = JSON.parse(readFileSync(join(dir, 'game.tw-pddl'), 'utf8')) as { solvable?: boolean };
  if (game.solvable !== true) return null;
  return { path: join(dir, 'game.tw-pddl'), taskType: traj.task_type as TaskType };
}

/** Reads a game file and, when a `traj_data.json` lies next to it, the task it describes. */
export function readGameFile(path: string): { game: GameFile; task: TaskSpec | null } {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new InvalidArgumentError('BAD_GAME', `household: cannot read game file ${path}: ${(err as Error).message}`);
  }
  const game = validateGameFile(data);
  const trajPath = join(path, '..', 'traj_data.json');
  const task = existsSync(trajPath) ? taskFromTrajData(JSON.parse(readFileSync(trajPath, 'utf8'))) : null;
  return { game, task };
}
