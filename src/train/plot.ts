/**
 * Learning curves: logged return against decisions for several runs on one chart, drawn with Vega-Lite (rendered to
 * SVG by Vega in Node) and rasterized to PNG by resvg. Runs whose configurations differ only in the seed form one
 * series: the mean across seeds with a ±1 standard deviation band.
 */
import { writeFile } from 'node:fs/promises';
import { basename, extname, resolve } from 'node:path';
import { getEnvSpec } from '../../envs/registry.js';
import { InvalidArgumentError } from '../errors.js';
import type { TrainConfig } from './config.js';
import { mean, std } from './math.js';
import { RunFolder } from './run-folder.js';

export interface PlotOptions {
  runs: string[];
  /** Output file: .svg or .png. */
  out: string;
  /** Each point averages the episodes of this many updates up to it (default 10). */
  smooth?: number;
  title?: string;
  width?: number;
  height?: number;
}

export interface PlotSeries {
  label: string;
  runs: string[];
  points: { decisions: number; mean: number; low: number; high: number }[];
}

export interface PlotResult {
  out: string;
  format: 'svg' | 'png';
  series: PlotSeries[];
}

interface LoadedRun {
  dir: string;
  config: TrainConfig;
  /** (decisions, smoothed return) per update that has episodes in its window. */
  curve: Map<number, number>;
}

function loadRun(dir: string, smooth: number): LoadedRun {
  const folder = new RunFolder(resolve(dir));
  const config = folder.readConfig();
  const metrics = folder.readMetrics();
  const curve = new Map<number, number>();
  metrics.forEach((m, i) => {
    const window = metrics.slice(Math.max(0, i - smooth + 1), i + 1).flatMap((w) => (w.returns as number[]) ?? []);
    if (window.length > 0) curve.set(m.decisions as number, mean(window));
  });
  return { dir: folder.dir, config, curve };
}

/** Groups runs by their configuration without the seed; each group's points are where all its runs have one. */
export function seriesOf(runs: readonly LoadedRun[]): PlotSeries[] {
  const groups = new Map<string, LoadedRun[]>();
  for (const r of runs) {
    const { seed: _seed, ...rest } = r.config;
    const key = JSON.stringify(rest);
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const multipleEnvs = new Set(runs.map((r) => r.config.env)).size > 1;
  const labels = [...groups.values()].map((g) => `${g[0].config.algo}${multipleEnvs ? ` ${g[0].config.env}` : ''}`);
  return [...groups.values()].map((group, k) => {
    const ambiguous = labels.filter((l) => l === labels[k]).length > 1;
    const label = `${labels[k]}${ambiguous ? ` (${basename(group[0].dir)})` : ''}${group.length > 1 ? ` (${group.length} seeds)` : ''}`;
    const xs = [...group[0].curve.keys()].filter((x) => group.every((r) => r.curve.has(x))).sort((a, b) => a - b);
    const points = xs.map((decisions) => {
      const ys = group.map((r) => r.curve.get(decisions)!);
      const m = mean(ys);
      const s = std(ys);
      return { decisions, mean: m, low: m - s, high: m + s };
    });
    return { label, runs: group.map((r) => r.dir), points };
  });
}

/** The Vega-Lite specification of the chart. */
export function chartSpec(series: readonly PlotSeries[], options: { title?: string; width: number; height: number; optimal: number | null }): Record<string, unknown> {
  const values = series.flatMap((s) => s.points.map((p) => ({ series: s.label, ...p })));
  const x = { field: 'decisions', type: 'quantitative', title: 'decisions', axis: { format: '~s' } };
  // One shared legend for band and line, drawn as strokes in full colour.
  const color = { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom', symbolType: 'stroke', symbolOpacity: 1, symbolStrokeWidth: 3 } };
  const layers: Record<string, unknown>[] = [
    { mark: { type: 'area', opacity: 0.2 }, encoding: { x, y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' }, color } },
    { mark: { type: 'line', strokeWidth: 2 }, encoding: { x, y: { field: 'mean', type: 'quantitative', title: 'episodic return (logged)' }, color } },
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
  const series = seriesOf(runs);
  const envs = new Set(runs.map((r) => r.config.env));
  const optimal = envs.size === 1 ? getEnvSpec(runs[0].config.env).optimalReturn : null;
  const title = options.title ?? (envs.size === 1 ? runs[0].config.env : undefined);
  const spec = chartSpec(series, { title, width: options.width ?? 640, height: options.height ?? 360, optimal });

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
