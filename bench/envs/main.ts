/**
 * Environment throughput: decisions per second of every registered environment with a fixed action count (the TWOSOME
 * environments), single-threaded, with a uniform random policy over the offered actions (as the trainer samples only
 * offered ones); and the vectorized runner's overhead over stepping the same environments by hand.
 *
 *   node dist/bench/envs/main.js [--seconds S] [--envs N] [--json]
 */
import { VectorEnv } from '../../envs/core/vector.js';
import type { Env, Observation } from '../../envs/core/types.js';
import { envSpecs } from '../../envs/registry.js';

interface Row {
  id: string;
  /** Decisions per second, one environment, stepped directly (auto-reset on done). */
  decisionsPerSec: number;
  /** Primitive steps per second (macro-actions expanded). */
  primitiveStepsPerSec: number;
  episodesPerSec: number;
  /** Decisions per second through VectorEnv with `envs` environments, and by hand over the same number. */
  vectorDecisionsPerSec: number;
  manualDecisionsPerSec: number;
  /** Extra time per decision the runner costs over stepping by hand: relative, and in nanoseconds. */
  vectorOverheadPct: number;
  vectorOverheadNs: number;
}

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** mulberry32: a tiny seeded generator, so every run plays the same episodes. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = (obs: Observation, r: () => number) => obs.valid[Math.floor(r() * obs.valid.length)];

/** Runs `body` in batches until `seconds` have passed; returns decisions per second and the body's counters. */
function timed(seconds: number, body: () => number): { perSec: number; decisions: number; elapsed: number } {
  const start = process.hrtime.bigint();
  let decisions = 0;
  let elapsed = 0;
  while (elapsed < seconds) {
    decisions += body();
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  return { perSec: decisions / elapsed, decisions, elapsed };
}

function single(env: Env, seconds: number): { decisionsPerSec: number; primitiveStepsPerSec: number; episodesPerSec: number } {
  const r = rng(1);
  let obs = env.reset();
  let primitive = 0;
  let episodes = 0;
  const { perSec, elapsed } = timed(seconds, () => {
    for (let i = 0; i < 1000; i++) {
      const res = env.step(pick(obs, r));
      primitive += res.info.macroSteps;
      if (res.done) {
        episodes++;
        obs = env.reset();
      } else obs = res.observation;
    }
    return 1000;
  });
  return { decisionsPerSec: perSec, primitiveStepsPerSec: primitive / elapsed, episodesPerSec: episodes / elapsed };
}

function vectorized(make: () => Env, n: number, seconds: number): number {
  const r = rng(2);
  const vec = new VectorEnv(Array.from({ length: n }, make));
  let obs = vec.reset();
  const actions = new Array<number>(n);
  return timed(seconds, () => {
    for (let k = 0; k < 250; k++) {
      for (let i = 0; i < n; i++) actions[i] = pick(obs[i], r);
      obs = vec.step(actions).observations;
    }
    return 250 * n;
  }).perSec;
}

function manual(make: () => Env, n: number, seconds: number): number {
  const r = rng(2);
  const envs = Array.from({ length: n }, make);
  const obs = envs.map((e) => e.reset());
  return timed(seconds, () => {
    for (let k = 0; k < 250; k++) {
      for (let i = 0; i < n; i++) {
        const res = envs[i].step(pick(obs[i], r));
        obs[i] = res.done ? envs[i].reset() : res.observation;
      }
    }
    return 250 * n;
  }).perSec;
}

const ROUNDS = 5;

function main(): void {
  const seconds = option('seconds', 1);
  const n = option('envs', 4);
  const rows: Row[] = [];
  for (const spec of envSpecs.filter((s) => s.actionCount !== null)) {
    const make = () => spec.create();
    single(make(), seconds / 4); // warm-up
    const s = single(make(), seconds);
    // Alternate short rounds and keep the best of each, so drift in machine load does not land on one side.
    let man = 0;
    let vec = 0;
    for (let round = 0; round < ROUNDS; round++) {
      man = Math.max(man, manual(make, n, seconds / ROUNDS));
      vec = Math.max(vec, vectorized(make, n, seconds / ROUNDS));
    }
    rows.push({
      id: spec.id,
      ...s,
      vectorDecisionsPerSec: vec,
      manualDecisionsPerSec: man,
      vectorOverheadPct: (man / vec - 1) * 100,
      vectorOverheadNs: (1 / vec - 1 / man) * 1e9,
    });
  }
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify({ seconds, envs: n, node: process.version, rows }));
    return;
  }
  const k = (x: number) => `${(x / 1000).toFixed(1)}k`;
  console.log(`env steps per second, single thread (${seconds}s each; vector: ${n} envs)`);
  console.log(['id'.padEnd(40), 'decisions/s', 'primitive/s', 'episodes/s', `vector/s`, 'manual/s', 'overhead', 'ns/decision'].join('  '));
  for (const r of rows) {
    console.log(
      [r.id.padEnd(40), k(r.decisionsPerSec).padStart(11), k(r.primitiveStepsPerSec).padStart(11), r.episodesPerSec.toFixed(0).padStart(10), k(r.vectorDecisionsPerSec).padStart(8), k(r.manualDecisionsPerSec).padStart(8), `${r.vectorOverheadPct.toFixed(1)}%`.padStart(8), r.vectorOverheadNs.toFixed(0).padStart(11)].join('  '),
    );
  }
}

main();
