/**
 * Household engine benchmark: steps/s of TwPddlGame on generated games (uniform random admissible commands, mixed task
 * types, reset every 50 steps) and game-generation time (layout, problem, and the expert's solvability run).
 * Usage: node dist/bench/household/main.js [--seconds S] [--games N] [--json]
 */
import { TwPddlGame } from '../../envs/household/game.js';
import { generateGame } from '../../envs/household/gen/generator.js';
import { Rng } from '../../envs/household/gen/rng.js';
import { TASK_TYPES } from '../../envs/household/tasks.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const seconds = arg('seconds', 3);
const nGames = arg('games', 24);

let t0 = performance.now();
const games = Array.from({ length: nGames }, (_, i) => generateGame(TASK_TYPES[i % TASK_TYPES.length]!, 'train', 1000 + i).game);
const generationMs = (performance.now() - t0) / nGames;

t0 = performance.now();
const engines = games.map((g) => new TwPddlGame(g));
const loadMs = (performance.now() - t0) / nGames;

const rng = new Rng(7);
const cpu0 = process.cpuUsage();
let steps = 0;
let admissibleTotal = 0;
t0 = performance.now();
const deadline = t0 + seconds * 1000;
while (performance.now() < deadline) {
  const game = engines[steps % engines.length]!;
  let o = game.reset();
  for (let i = 0; i < 50; i++) {
    o = game.step(rng.pick(o.admissible));
    admissibleTotal += o.admissible.length;
    steps++;
  }
}
const elapsed = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
// The machine is shared: steps per second of this process's own CPU time is the load-independent figure.
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const result = {
  stepsPerSecond: Math.round(steps / elapsed),
  stepsPerCpuSecond: Math.round(steps / cpuSeconds),
  meanAdmissible: Number((admissibleTotal / steps).toFixed(1)),
  generationMsPerGame: Number(generationMs.toFixed(1)),
  loadMsPerGame: Number(loadMs.toFixed(2)),
  games: nGames,
  steps,
};
if (process.argv.includes('--json')) console.log(JSON.stringify(result));
else {
  console.log(`engine: ${result.stepsPerSecond} steps/s wall, ${result.stepsPerCpuSecond} steps per CPU second (random admissible commands, ${result.meanAdmissible} admissible on average)`);
  console.log(`generation: ${result.generationMsPerGame} ms/game (incl. expert solvability run); load: ${result.loadMsPerGame} ms/game`);
}
