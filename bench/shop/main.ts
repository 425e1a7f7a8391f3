/**
 * Shop benchmark: index build time and memory, search latency and environment steps/s on synthetic catalogs.
 *   node dist/bench/shop/main.js [--sizes 1000,100000,1000000] [--queries 200] [--json]
 * Each size runs in its own child process (`--one N`), so peak memory is measured per size.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildShopIndex, Catalog, resolveShopFiles } from '../../envs/webshop/catalog.js';
import { goalQuery, WebShopSession } from '../../envs/webshop/session.js';
import { Shop } from '../../envs/webshop/shop.js';
import { makeShop } from '../../envs/webshop/synthetic.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

function dirBytes(dir: string): number {
  return readdirSync(dir).reduce((s, f) => s + statSync(join(dir, f)).size, 0);
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

interface SizeResult {
  products: number;
  generateSeconds: number;
  sourceMB: number;
  buildSeconds: number;
  buildPeakRssMB: number;
  indexMB: number;
  terms: number;
  openSeconds: number;
  searchP50Ms: number;
  searchP95Ms: number;
  searchMeanMs: number;
  queries: number;
  stepsPerSecond: number;
}

function runOne(products: number, queryCount: number): SizeResult {
  const dir = mkdtempSync(join(tmpdir(), 'bench-shop-'));
  try {
    let t0 = performance.now();
    makeShop({ out: dir, products, seed: 1 });
    const generateSeconds = (performance.now() - t0) / 1000;
    const files = resolveShopFiles(dir);
    const sourceMB = (statSync(files.products).size + (files.ins ? statSync(files.ins).size : 0)) / 2 ** 20;
    const indexDir = join(dir, 'rl-ggml-index');
    t0 = performance.now();
    const report = buildShopIndex(files, indexDir);
    const buildSeconds = (performance.now() - t0) / 1000;
    const buildPeakRssMB = process.resourceUsage().maxRSS / 1024;
    t0 = performance.now();
    const shop = Shop.open({ dataDir: dir });
    const openSeconds = (performance.now() - t0) / 1000;
    // Queries as an agent types them: the goal-derived instruction text.
    const queries = shop.goals.slice(0, queryCount).map(goalQuery);
    for (const q of queries.slice(0, 10)) shop.search(q); // warm-up
    const times = queries.map((q) => {
      const s = performance.now();
      shop.search(q);
      return performance.now() - s;
    });
    // Environment steps: a fixed browsing loop over goals.
    const session = new WebShopSession(shop);
    let steps = 0;
    t0 = performance.now();
    for (let g = 0; performance.now() - t0 < 3000; g = (g + 1) % shop.goals.length) {
      session.reset(g);
      session.step(`search[${queries[g % queries.length]}]`);
      const asin = [...session.clickables().values()].find((c) => c.kind === 'asin');
      session.step('click[next >]');
      session.step('click[< prev]');
      steps += 3;
      if (asin) {
        session.step(`click[${asin.key}]`);
        session.step('click[description]');
        session.step('click[< prev]');
        session.step('click[< prev]');
        steps += 4;
      }
    }
    const stepsPerSecond = steps / ((performance.now() - t0) / 1000);
    new Catalog(indexDir).close();
    return {
      products: report.products,
      generateSeconds,
      sourceMB,
      buildSeconds,
      buildPeakRssMB,
      indexMB: dirBytes(indexDir) / 2 ** 20,
      terms: report.terms,
      openSeconds,
      searchP50Ms: percentile(times, 0.5),
      searchP95Ms: percentile(times, 0.95),
      searchMeanMs: times.reduce((a, b) => a + b, 0) / times.length,
      queries: times.length,
      stepsPerSecond,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const one = arg('one', '');
if (one) {
  console.log(JSON.stringify(runOne(Number(one), Number(arg('queries', '200')))));
} else {
  const sizes = arg('sizes', '1000,100000,1000000').split(',').map(Number);
  const results: SizeResult[] = [];
  for (const n of sizes) {
    const r = spawnSync(process.execPath, ['--max-old-space-size=8192', fileURLToPath(import.meta.url), '--one', String(n), '--queries', arg('queries', '200')], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status !== 0) throw new Error(`bench shop --one ${n} failed: ${r.stderr}`);
    results.push(JSON.parse(r.stdout.trim().split('\n').pop()!));
    if (!process.argv.includes('--json')) {
      const x = results[results.length - 1];
      console.log(
        `${x.products} products: build ${x.buildSeconds.toFixed(1)} s (peak RSS ${x.buildPeakRssMB.toFixed(0)} MB, index ${x.indexMB.toFixed(0)} MB, ${x.terms} terms), ` +
          `open ${x.openSeconds.toFixed(2)} s, search p50 ${x.searchP50Ms.toFixed(2)} ms / p95 ${x.searchP95Ms.toFixed(2)} ms, ${x.stepsPerSecond.toFixed(0)} steps/s`,
      );
    }
  }
  if (process.argv.includes('--json')) console.log(JSON.stringify({ bench: 'shop', node: process.version, results }));
}
