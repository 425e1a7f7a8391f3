/** Builds the agent of a configuration (training) or of a run folder (evaluation), checking that it fits the env. */
import { getEnvSpec, makeEnv } from '../../envs/registry.js';
import { InvalidArgumentError, RlGgmlError } from '../errors.js';
import type { Device } from '../devices.js';
import { loadModel, type Model } from '../model.js';
import type { Agent } from './agent.js';
import type { TrainConfig } from './config.js';
import { PpoAgent } from './ppo-baseline.js';
import { Rng } from './rng.js';
import { SayCanAgent } from './saycan.js';
import { nativePolicyFactory, scoreItem, TwosomeAgent, type PolicyFactory } from './twosome.js';

export interface MadeAgent {
  agent: Agent;
  /** The loaded model (LLM algorithms); the caller disposes it after the agent. */
  model?: Model;
}

/**
 * The agent for `config` acting in `env` (the configuration's env unless evaluating elsewhere). For LLM algorithms
 * `modelPath` is the resolved GGUF; its context must hold the env's prompts with all their actions.
 */
export async function makeAgent(
  config: TrainConfig,
  env: string,
  modelPath: string | undefined,
  { factory = nativePolicyFactory, device }: { factory?: PolicyFactory; device?: Device } = {},
): Promise<MadeAgent> {
  const first = makeEnv(env).reset({ seed: config.seed });
  if (config.algo === 'ppo') {
    const spec = getEnvSpec(env);
    const trained = getEnvSpec(config.env);
    if (spec.actionCount === null || first.vector.length === 0) throw new InvalidArgumentError('UNSUPPORTED_ENV', `algo "ppo" needs an observation vector and a fixed action list; env "${env}" has none`);
    const inputs = makeEnv(config.env).reset({ seed: config.seed }).vector.length;
    if (spec.actionCount !== trained.actionCount || first.vector.length !== inputs) {
      throw new InvalidArgumentError('ENV_MISMATCH', `env "${env}" (${first.vector.length} inputs, ${spec.actionCount} actions) does not fit networks trained on "${config.env}" (${inputs}, ${trained.actionCount})`);
    }
    // Initialization draws from its own stream, so the rollout's numbers do not depend on the network sizes.
    return { agent: new PpoAgent(config, inputs, spec.actionCount, new Rng(config.seed + 0x5eed)) };
  }
  if (!modelPath) throw new InvalidArgumentError('NO_MODEL', `algo "${config.algo}" needs a model`);
  const model = await loadModel(modelPath, { device });
  try {
    await checkPromptsFit(model, env, scoreItem(first));
    if (config.algo === 'saycan') return { agent: new SayCanAgent(model, config.normalization), model };
    return { agent: await TwosomeAgent.create(config, model, factory), model };
  } catch (err) {
    await model.dispose();
    throw err;
  }
}

/** Scores the env's first observation once: a context overflow becomes an error that names env and model. */
async function checkPromptsFit(model: Model, env: string, item: { prompt: string; actions: string[] }): Promise<void> {
  try {
    await model.scoreActions([item]);
  } catch (err) {
    if (err instanceof RlGgmlError && err.code === 'CONTEXT_OVERFLOW') {
      throw new InvalidArgumentError('PROMPT_TOO_LONG', `the prompts of env "${env}" do not fit the model ${model.path}: ${err.message}`, { cause: err });
    }
    throw err;
  }
}
