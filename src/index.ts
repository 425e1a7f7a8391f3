/** rl-ggml's library API. */
export * from './errors.js';
export { loadModel, Model } from './model.js';
export type { LoadModelOptions, ModelHParams, TensorInfo, TokenizeOptions, TokenLogprobs } from './model.js';
export { listDevices } from './devices.js';
export type { GenerateOptions, Generation, Prompt } from './generate.js';
export type { Device, DeviceInfo, DeviceList } from './devices.js';
export { normalizations } from './scoring.js';
export type { ActionScore, Normalization, PromptScores, ScoreItem, ScoreOptions } from './scoring.js';
export { makeModel, presets, weightTypes } from './make-model.js';
export type { MakeModelOptions, ModelShape, WeightType } from './make-model.js';
export { envSpecs, getEnvSpec, makeEnv } from '../envs/registry.js';
export type { Env, EnvSpec, Observation, StepInfo, StepResult, ResetOptions } from '../envs/core/types.js';
export * from './train/index.js';
export { createPolicy, loadPolicy, loadAdapter, NativeLlmPolicy } from './training/llm-policy.js';
export type { CreatePolicyOptions, MarkedSequence } from './training/llm-policy.js';
export * from './training/policy.js';
export { sft } from './training/sft.js';
export type { SftOptions, SftProgress, SftResult } from './training/sft.js';
