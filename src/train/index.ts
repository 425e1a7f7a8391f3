/** The training API: train, evaluate and plot as typed async functions (what the CLI's train/eval/plot call). */
export { train, defaultRunDir } from './train.js';
export type { TrainOptions, TrainHooks, TrainProgress, TrainResult, UpdateMetrics } from './train.js';
export { evaluate } from './evaluate.js';
export type { EvaluateOptions, EvaluateHooks, EvaluationResult } from './evaluate.js';
export { plotRuns } from './plot.js';
export type { PlotOptions, PlotResult, PlotSeries } from './plot.js';
export { algos, configSchema, defaultConfig, resolveConfig, updateCount } from './config.js';
export type { Algo, PpoConfig, SayCanConfig, TrainConfig, TwosomeConfig } from './config.js';
export { cacheDir, parseHfUri, resolveModel } from './model-source.js';
export type { PolicyFactory, PolicyOptions } from './twosome.js';
