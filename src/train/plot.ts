/**
 * Learning curves drawn with Vega-Lite (rendered to SVG by Vega in Node) and rasterized to PNG by resvg: logged return
 * against decisions of `rl-ggml train` runs, where runs whose configurations differ only in the seed form one series
 * (the mean across seeds with a ±1 standard deviation band); the loss against steps of `rl-ggml sft` folders, and the
 * DPO loss against steps (all iterations in turn) of `rl-ggml eto` runs, one series per folder.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { getEnvSpec } from '../../envs/registry.js';
import { InvalidArgumentError } from '../errors.js';
import type { TrainConfig } from './config.js';
import { readJsonLines } from './files.js';
import { mean, std } from './math.js';
import { RunFolder } from './run-folder.js';

export interface PlotOptions {
  /** Folders of one kind: `rl-ggml train` runs, `rl-ggml sft` outputs or `rl-ggml eto` runs. */
  runs: string[];
  /** Output file: .svg or .png. */
  out: string;
  /** Each point averages this many updates (train: their episodes) or steps (sft, eto) up to it (default 10). */
  smooth?: number;
  title?: string;
  width?: number;
  height?: number;
}

export interface PlotSeries {
  label: string;
  runs: string[];
  /** x: decisions (train) or steps (sft, eto). */
  points: { x: number; mean: number; low: number; high: number }[];
}

export interface PlotResult {
  out: string;
  format: 'svg' | 'png';
  series: PlotSeries[];
}

export type RunKind = 'train' | 'sft' | 'eto';

/** Axis titles; losses get a y scale fitted to the data (their interest is in the fall, not the distance to 0). */
const AXES: Record<RunKind, { x: string; y: string; fit: boolean }> = {
  train: { x: 'decisions', y: 'episodic return (logged)', fit: false },
  sft: { x: 'step', y: 'loss per agent token', fit: true },
  eto: { x: 'DPO step (iterations in turn)', y: 'DPO loss', fit: true },
};

interface LoadedRun {
  dir: string;
  kind: RunKind;
  /** Runs with the same key are seeds of one series. */
  key: string;
  label: string;
  /** The training run's configuration. */
  config?: TrainConfig;
  /** (x, smoothed y) per point. */
  curve: Map<number, number>;
}

/** What a folder holds, by its files. */
function runKind(dir: string): RunKind {
  if (existsSync(join(dir, 'run.json'))) return 'train';
  if (existsSync(join(dir, 'config.json')) && existsSync(join(dir, 'metrics.jsonl'))) return 'eto';
  if (existsSync(join(dir, 'policy.json')) && existsSync(join(dir, 'metrics.jsonl'))) return 'sft';
  throw new InvalidArgumentError('BAD_RUN', `${dir} is not a run folder of rl-ggml train, sft or eto`);
}

/** Each value averaged with the `smooth` − 1 before it. */
function smoothed(xs: readonly number[], ys: readonly number[], smooth: number): Map<number, number> {
  return new Map(xs.map((x, i) => [x, mean(ys.slice(Math.max(0, i - smooth + 1), i + 1))]));
}

function loadRun(dir: string, smooth: number): LoadedRun {
  const kind = runKind(dir);
  if (kind === 'train') {
    const folder = new RunFolder(resolve(dir));
    const config = folder.readConfig();
    const metrics = folder.readMetrics();
    const curve = new Map<number, number>();
    metrics.forEach((m, i) => {
      const window = metrics.slice(Math.max(0, i - smooth + 1), i + 1).flatMap((w) => (w.returns as number[]) ?? []);
      if (window.length > 0) curve.set(m.decisions as number, mean(window));
    });
    const { seed: _seed, ...rest } = config;
    return { dir: folder.dir, kind, key: JSON.stringify(rest), label: config.algo, config, curve };
  }
  const lines = readJsonLines<Record<string, unknown>>(join(dir, 'metrics.jsonl'));
  let points: { x: number; y: number }[];
  if (kind === 'sft') {
    points = lines.map((l) => ({ x: l.step as number, y: l.loss as number }));
  } else {
    // an iteration's steps follow the steps of the iterations before it
    const before = new Map<number, number>();
    for (const l of lines) if (l.type === 'iteration') before.set((l.iteration as number) + 1, (before.get(l.iteration as number) ?? 0) + (l.steps as number));
    points = lines.filter((l) => l.type === 'dpo').map((l) => ({ x: (before.get(l.iteration as number) ?? 0) + (l.step as number), y: l.loss as number }));
  }
  const full = resolve(dir);
  return { dir: full, kind, key: full, label: basename(full), curve: smoothed(points.map((p) => p.x), points.map((p) => p.y), smooth) };
}

/** Groups runs by their key; each group's points are where all its runs have one. */
export function seriesOf(runs: readonly LoadedRun[]): PlotSeries[] {
  const groups = new Map<string, LoadedRun[]>();
  for (const r of runs) groups.set(r.key, [...(groups.get(r.key) ?? []), r]);
  const multipleEnvs = new Set(runs.map((r) => r.config?.env)).size > 1;
  const labels = [...groups.values()].map((g) => `${g[0].label}${multipleEnvs ? ` ${g[0].config!.env}` : ''}`);
  return [...groups.values()].map((group, k) => {
    const ambiguous = labels.filter((l) => l === labels[k]).length > 1;
    const label = `${labels[k]}${ambiguous ? ` (${basename(group[0].dir)})` : ''}${group.length > 1 ? ` (${group.length} seeds)` : ''}`;
    const xs = [...group[0].curve.keys()].filter((x) => group.every((r) => r.curve.has(x))).sort((a, b) => a - b);
    const points = xs.map((x) => {
      const ys = group.map((r) => r.curve.get(x)!);
      const m = mean(ys);
      const s = std(ys);
      return { x, mean: m, low: m - s, high: m + s };
    });
    return { label, runs: group.map((r) => r.dir), points };
  });
}

/** The Vega-Lite specification of the chart. */
export function chartSpec(
  series: readonly PlotSeries[],
  options: { title?: string; width: number; height: number; optimal: number | null; axes: { x: string; y: string; fit: boolean } },
): Record<string, unknown> {
  const values = series.flatMap((s) => s.points.map((p) => ({ series: s.label, ...p })));
  const x = { field: 'x', type: 'quantitative', title: options.axes.x, axis: { format: '~s' } };
  // One shared legend for band and line, drawn as strokes in full colour.
  const color = { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom', symbolType: 'stroke', symbolOpacity: 1, symbolStrokeWidth: 3 } };
  const layers: Record<string, unknown>[] = [
    { mark: { type: 'area', opacity: 0.2 }, encoding: { x, y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' }, color } },
    { mark: { type: 'line', strokeWidth: 2 }, encoding: { x, y: { field: 'mean', type: 'quantitative', title: options.axes.y, scale: { zero: !options.axes.fit } }, color } },
  ];
  if (options.optimal !== null) {
    layers.push({
      data: { values: [{ optimal: options.optimal }] },
      mark: { type: 'rule', strokeDash: [6, 4], color: 'gray' },
      encoding: { y: { field: 'optimal', type: 'quantitative' } },
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...(options.title ? { title: options.title } : {}),
    width: options.width,
    height: options.height,
    background: 'white',
    data: { values },
    layer: layers,
  };
}

export async function plotRuns(options: PlotOptions): Promise<PlotResult> {
  if (options.runs.length === 0) throw new InvalidArgumentError('BAD_OPTIONS', 'plot needs at least one run folder');
  const ext = extname(options.out).toLowerCase();
  if (ext !== '.svg' && ext !== '.png') throw new InvalidArgumentError('BAD_OPTIONS', `the output must be a .svg or .png file, got ${options.out}`);
  const smooth = options.smooth ?? 10;
  if (!Number.isInteger(smooth) || smooth < 1) throw new InvalidArgumentError('BAD_OPTIONS', `smooth must be a positive integer, got ${smooth}`);
  const runs = options.runs.map((d) => loadRun(d, smooth));
  const kind = runs[0].kind;
  if (runs.some((r) => r.kind !== kind)) throw new InvalidArgumentError('BAD_OPTIONS', `plot draws runs of one kind at a time (train, sft or eto); got ${[...new Set(runs.map((r) => r.kind))].join(' and ')}`);
  const series = seriesOf(runs);
  const envs = new Set(runs.map((r) => r.config?.env));
  const env = kind === 'train' && envs.size === 1 ? runs[0].config!.env : undefined;
  const optimal = env === undefined ? null : getEnvSpec(env).optimalReturn;
  const title = options.title ?? env ?? { train: undefined, sft: 'behaviour cloning', eto: 'ETO' }[kind];
  const spec = chartSpec(series, { title, width: options.width ?? 640, height: options.height ?? 360, optimal, axes: AXES[kind] });

  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(vegaLite.compile(spec as never).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  if (ext === '.svg') {
    await writeFile(options.out, svg);
  } else {
    const { Resvg } = await import('@resvg/resvg-js');
    await writeFile(options.out, new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, fitTo: { mode: 'zoom', value: 2 } }).render().asPng());
  }
  return { out: options.out, format: ext === '.svg' ? 'svg' : 'png', series };
}
