// ETO's loop: trajectory ids name the tasks the experts played (household and WebShop); an agent replaying the
// expert's replies through exploration gets the expert's conversation and reward back; a model's exploration replies
// with its own greedy continuation of exactly the training layout and stops where the context ends; `eto` iterates,
// resumes to the same result, and the CLI commands run it.
import t from 'tap';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chatTaskById, chatTasks } from '../../envs/chat-tasks.js';
import { INVALID_FORMAT } from '../../envs/core/chat.js';
import { runExpert as runShopExpert } from '../../envs/webshop/expert.js';
import { Shop } from '../../envs/webshop/shop.js';
import { expertConversation } from '../../src/cli/experts/household.js';
import { TwPddlGame } from '../../envs/household/game.js';
import { generateGame } from '../../envs/household/gen/generator.js';
import type { Generation, Prompt } from '../../src/generate.js';
import { OutOfMemoryError } from '../../src/errors.js';
import { loadModel } from '../../src/model.js';
import { agentReplies, conversationTokens, selectTrajectories, type Trajectory } from '../../src/training/conversation.js';
import { eto, type EtoEvent } from '../../src/training/eto.js';
import { bestOf, explore, exploreSummary, stepwiseTasks, type Agent, type ExploredTrajectory } from '../../src/training/explore.js';
import { sft } from '../../src/training/sft.js';
import { runCli, runCliInterrupted } from '../helpers/cli.js';
import { doorExperts, doorTasks, taskOf } from '../helpers/doors.js';
import { tempPath, testModel } from '../helpers/models.js';
import { syntheticCatalog } from '../envs/webshop/fixture.js';

/** An agent that replies with the given texts in turn (one conversation at a time). */
function scripted(replies: string[]): Agent {
  let next = 0;
  return {
    generate: async <P extends Prompt>(prompts: readonly P[]) =>
      prompts.map((prompt): Generation<P> => ({ prompt, text: ` ${replies[next++] ?? 'no more'} `, tokens: [], logprobs: [], finishReason: 'eos', cachedTokens: 0 })),
  };
}

const householdExpert = (type: Parameters<typeof generateGame>[0], seed: number): Trajectory => {
  const g = generateGame(type, 'train', seed);
  return expertConversation(`household/${type}/train/${seed}`, new TwPddlGame(g.game), g.task)!;
};

t.test('task ids: the experts’ games and goals, replayed through exploration with the expert’s replies', async (t) => {
  const model = await loadModel(await testModel(), { threads: 2 });
  t.teardown(() => model.dispose());
  const expert = householdExpert('pick_clean_then_place_in_recep', 4);
  const replies = agentReplies(expert);
  const [played] = await explore(model, scripted(replies), [chatTaskById(expert.id)]);
  t.same(played.conversations, expert.conversations, 'the same conversation, turn for turn');
  t.same([played.reward, played.forced, played.steps, played.end], [1, 0, replies.length, 'done']);

  // step-wise: the expert's first t replies are replayed, the agent plays on from there
  const takeovers = [1, 2, 3].map((seed) => stepwiseTasks([expert], chatTaskById, seed)[0].forced.length);
  t.ok(takeovers.every((n) => n >= 1 && n < replies.length) && new Set(takeovers).size > 1, `take-over points ${takeovers} in 1..${replies.length - 1}`);
  const [forced] = stepwiseTasks([expert], chatTaskById, 1);
  t.same(forced.forced, replies.slice(0, forced.forced.length));
  const [resumed] = await explore(model, scripted(replies.slice(forced.forced.length)), [forced]);
  t.same(resumed.conversations, expert.conversations, 'the expert replayed to the take-over, then the agent');
  t.same([resumed.reward, resumed.forced, resumed.steps], [1, forced.forced.length, replies.length - forced.forced.length]);
  const oneReply = { ...expert, conversations: expert.conversations.slice(0, 5) };
  t.same(stepwiseTasks([oneReply], chatTaskById, 1), [], 'a single reply leaves no point to take over from');

  const tasks = chatTasks('household/mixed', 'train', 3, { seed: 7 });
  const r = runCli(['experts', '--env', 'household/mixed', '--split', 'train', '--n', '3', '--seed', '7', '--out', tempPath('exp7.json'), '--json']);
  t.equal(r.status, 0, r.stderr);
  t.same(tasks.map((x) => x.id), JSON.parse(readFileSync(tempPath('exp7.json'), 'utf8')).map((x: Trajectory) => x.id), 'chatTasks lists the games experts visits');

  const shop = Shop.open({ dataDir: syntheticCatalog(300, 5).dir });
  const goal = shop.goals.findIndex((_, i) => runShopExpert(shop, i) !== null);
  const shopExpert = runShopExpert(shop, goal)!;
  const shopReplies = agentReplies(shopExpert);
  const [bought] = await explore(model, scripted(shopReplies), [chatTaskById(shopExpert.id, { shop })]);
  t.same([bought.reward, bought.conversations], [shopExpert.reward, shopExpert.conversations]);
  t.same(chatTasks('webshop', 'all', 2, { shop }).map((x) => x.id), ['webshop_0', 'webshop_1']);

  const [lost] = await explore(model, scripted(['I am not sure.', 'Action: jump', 'Action: look']), [chatTaskById(expert.id, { maxSteps: 3 })]);
  t.same(lost.conversations.slice(3).map((x) => x.value.split('\n')[0]), ['I am not sure.', INVALID_FORMAT, 'Action: jump', 'Observation: Nothing happens.', 'Action: look']);
  t.same([lost.reward, lost.steps, lost.end], [0, 3, 'done'], 'the step limit ends the episode');

  t.throws(() => chatTaskById('webshop_3'), { code: 'NO_DATA_DIR' });
  t.throws(() => chatTaskById(`webshop_${shop.goals.length}`, { shop }), { code: 'UNKNOWN_TASK' });
  t.throws(() => chatTaskById('household/flying/train/1'), { code: 'UNKNOWN_TASK' });
  t.throws(() => chatTaskById('trajectory-17'), { code: 'UNKNOWN_TASK', message: /household\/<type>\/<split>\/<seed>/ });
  t.throws(() => chatTasks('household/nope', 'train', 1), { code: 'UNKNOWN_ENV' });
  t.throws(() => chatTasks('webshop', 'test', 1), { code: 'NO_DATA_DIR' });
});

t.test('a model explores with greedy replies to the training layout, and stops where its context ends', async (t) => {
  const model = await loadModel(await testModel(), { threads: 2 });
  t.teardown(() => model.dispose());
  const tasks = chatTasks('household/mixed', 'train', 3, { maxSteps: 2 });
  const episodes: ExploredTrajectory[] = [];
  const runs = await explore(model, model, tasks, { maxTokens: 12, parallel: 2 }, { onEpisode: (x, _done, _total, play) => void (episodes[play] = x) });
  t.same(episodes, runs, 'each episode reported as it is returned, under its play number');
  t.same(runs.map((x) => x.id), tasks.map((x) => x.id), 'task order');
  t.same(exploreSummary(runs), { episodes: 3, meanReward: 0, successRate: 0 });
  for (const run of runs) t.same([run.steps, run.end, run.conversations.length], [2, 'done', 3 + 3]);
  // the first reply is the model's greedy continuation of the conversation's tokens
  const prompt = conversationTokens(model, runs[1].conversations.slice(0, 3)).tokens;
  const [direct] = await model.generate([prompt], { maxTokens: 12 });
  t.equal(runs[1].conversations[3].value, direct.text.trim());
  t.same(await explore(model, model, tasks, { maxTokens: 12, parallel: 3 }), runs, 'greedy exploration is repeatable, whatever the batching');

  const short = await loadModel(await testModel({ ctx: 512 }), { threads: 2 });
  t.teardown(() => short.dispose());
  const [cut] = await explore(short, short, chatTasks('household/mixed', 'train', 1), { maxTokens: 64 });
  t.equal(cut.end, 'context');
  t.ok(conversationTokens(short, cut.conversations).tokens.length + 64 > 512);
  await t.rejects(explore(model, model, tasks, { maxTokens: 0 }), { code: 'INVALID_ARGUMENT' });
  await t.rejects(explore(model, model, tasks, { parallel: 1.5 }), { code: 'INVALID_ARGUMENT' });
});

t.test('exploration that runs out of device memory goes on with fewer conversations at once, the same episodes', async (t) => {
  const model = await loadModel(await testModel(), { threads: 2 });
  t.teardown(() => model.dispose());
  const tasks = chatTasks('household/mixed', 'train', 3, { maxSteps: 3 });
  const options = { maxTokens: 8, temperature: 1.5, samples: 2, seed: 3 };
  // K,V for two conversations at most, like a GPU too small for more: generate fails beyond that
  const calls: number[] = [];
  const small: Agent = {
    async generate(prompts, o) {
      calls.push(prompts.length);
      if (prompts.length > 2) throw new OutOfMemoryError('OUT_OF_MEMORY', 'out of memory for a KV cache');
      return model.generate(prompts, o);
    },
    releaseGenerationCache: () => model.releaseGenerationCache(),
  };
  const runs = await explore(model, small, tasks, { ...options, parallel: 6 });
  t.same(calls.slice(0, 3), [6, 3, 2], 'halved twice, then played');
  t.ok(calls.slice(2).every((n) => n <= 2), 'two at most from then on');
  t.same(runs, await explore(model, model, tasks, { ...options, parallel: 2 }), 'the episodes of a run with two at once');
  const none: Agent = { generate: async () => { throw new OutOfMemoryError('OUT_OF_MEMORY', 'out of memory'); } };
  await t.rejects(explore(model, none, tasks, options), OutOfMemoryError, 'one conversation that does not fit is an error');
});

t.test('several sampled episodes per task (Best-of-N, rejection sampling), the same whatever the batching', async (t) => {
  const model = await loadModel(await testModel(), { threads: 2 });
  t.teardown(() => model.dispose());
  const tasks = chatTasks('household/mixed', 'train', 2, { maxSteps: 2 });
  const options = { maxTokens: 8, temperature: 1.5, samples: 3, seed: 5 };
  const runs = await explore(model, model, tasks, { ...options, parallel: 2 });
  t.same(runs.map((x) => [x.id, x.sample]), tasks.flatMap((x) => [0, 1, 2].map((k) => [x.id, k])), "a task's samples together, in task order");
  t.same(await explore(model, model, tasks, { ...options, parallel: 5 }), runs, 'each episode draws its own seeds: batching changes nothing');
  t.equal(new Set(runs.map((x) => x.conversations[3].value)).size, 6, 'every sample replies its own way');
  t.not(JSON.stringify(await explore(model, model, tasks, { ...options, seed: 6 })), JSON.stringify(runs), 'another seed, other samples');
  await t.rejects(explore(model, model, tasks, { samples: 2 }), { code: 'INVALID_ARGUMENT', message: /need sampled replies/ });
  await t.rejects(explore(model, model, tasks, { samples: 0, temperature: 1 }), { code: 'INVALID_ARGUMENT' });

  const played = (id: string, sample: number, reward: number, reply = `r${sample}`): ExploredTrajectory => ({
    id,
    sample,
    reward,
    forced: 0,
    steps: 1,
    end: 'done',
    conversations: [{ from: 'human', value: 'task' }, { from: 'gpt', value: reply }],
  });
  const sampled = [played('a', 0, 0.2), played('a', 1, 0.5), played('a', 2, 0.5), played('b', 0, 0), played('b', 1, 0)];
  t.same(bestOf(sampled).map((x) => [x.id, x.sample]), [['a', 1], ['b', 0]], 'the first of the best per task');
  t.same(exploreSummary(bestOf(sampled)), { episodes: 2, meanReward: 0.25, successRate: 0 });

  const expert: Trajectory = { id: 'a', conversations: [{ from: 'human', value: 'task' }, { from: 'gpt', value: 'r0' }] };
  const explored = [played('a', 0, 1), played('a', 1, 1, 'other'), played('a', 2, 0.5, 'third'), played('b', 0, 1, 'r0')];
  t.same(
    selectTrajectories([[expert], explored], 1).map((x) => [x.id, x.conversations[1].value]),
    [['a', 'r0'], ['a', 'other'], ['b', 'r0']],
    "RFT's data: experts (no reward: 1) and the successes, a conversation the expert already had once",
  );
  t.equal(selectTrajectories([[expert], explored]).length, 4, 'without a floor, every distinct conversation');
});

t.test('eto iterates exploration and DPO, and a resumed run ends where an uninterrupted one does', async (t) => {
  const path = await testModel();
  const model = await loadModel(path, { threads: 2 });
  t.teardown(() => model.dispose());
  const experts = [householdExpert('pick_and_place_simple', 1), householdExpert('pick_heat_then_place_in_recep', 2)];
  const start = tempPath('eto-sft');
  await (await sft({ model, data: experts, out: start, steps: 3, batch: 2 })).policy.dispose();
  const options = {
    model,
    start,
    experts,
    iterations: 2,
    dpo: { batch: 1, epochs: 2, lr: 1e-3 },
    explore: { maxTokens: 16 },
    tasks: { maxSteps: 2 },
  };
  const events: EtoEvent[] = [];
  const whole = await eto({ ...options, out: tempPath('eto-whole') }, { onEvent: (e) => events.push(e) });
  t.same([whole.stopped, whole.iterations.length, whole.adapter], [false, 2, join(tempPath('eto-whole'), 'iter-2', 'adapter.gguf')]);
  for (const it of whole.iterations) {
    t.same([it.explored.episodes, it.pairs, it.steps, it.dropped], [2, 2, 4, 0]);
    t.ok(Math.abs(it.firstLoss! - Math.LN2) < 1e-6 && it.finalLoss! < it.firstLoss!, `iteration ${it.iteration}: loss ${it.firstLoss} -> ${it.finalLoss}`);
  }
  t.same(
    [...new Set(events.map((e) => e.type))],
    ['episode', 'explore', 'dpo', 'iteration'],
    'episodes, then the exploration summary, DPO steps and the iteration',
  );
  const metrics = readFileSync(join(tempPath('eto-whole'), 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.equal(metrics.filter((m) => m.type === 'dpo').length, 8);
  const explored = JSON.parse(readFileSync(join(tempPath('eto-whole'), 'iter-1.explored.json'), 'utf8'));
  t.same(explored.map((x: Trajectory) => x.id), experts.map((x) => x.id));

  // stopped in the middle of iteration 2's DPO, then resumed
  const out = tempPath('eto-resumed');
  const controller = new AbortController();
  const first = await eto({ ...options, out }, { signal: controller.signal, onEvent: (e) => e.type === 'dpo' && e.iteration === 2 && e.step === 2 && controller.abort() });
  t.same([first.stopped, first.iterations.length], [true, 1]);
  await t.rejects(eto({ ...options, out }), { code: 'RUN_EXISTS' });
  const resumed = await eto({ ...options, out, resume: true });
  t.same(resumed.iterations.map((i) => ({ ...i, dir: '' })), whole.iterations.map((i) => ({ ...i, dir: '' })));
  t.ok(readFileSync(resumed.adapter).equals(readFileSync(whole.adapter)), 'the same final adapter, byte for byte');
  t.same(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').length, metrics.length, 'no line of the stopped iteration is left');

  t.notOk(existsSync(join(out, 'iter-2.dpo')), "the finished stage's checkpoint is removed");

  // stopped in iteration 1's exploration after its first episode, then crashed in iteration 2's DPO after a
  // checkpoint: each resume goes on from what was kept
  const out2 = tempPath('eto-stops');
  const oneAtATime = { ...options, explore: { ...options.explore, parallel: 1 } }; // the same episodes, one after the other
  const stopExploring = new AbortController();
  await eto({ ...oneAtATime, out: out2 }, { signal: stopExploring.signal, onEvent: (e) => e.type === 'episode' && stopExploring.abort() });
  t.equal(readFileSync(join(out2, 'iter-1.partial.jsonl'), 'utf8').trim().split('\n').length, 1, 'the finished episode is recorded');
  const replayed: string[] = [];
  const crash = (e: EtoEvent) => {
    if (e.type === 'episode') replayed.push(e.id);
    if (e.type === 'dpo' && e.iteration === 2 && e.step === 3) throw new Error('power cut');
  };
  await t.rejects(eto({ ...oneAtATime, out: out2, resume: true, checkpointEvery: 2 }, { onEvent: crash }), { message: 'power cut' });
  t.equal(replayed.filter((id) => id === experts[0].id).length, 1, "iteration 1 played only the episode it had not finished (and iteration 2's)");
  t.ok(existsSync(join(out2, 'iter-2.dpo', 'policy.json')), "iteration 2's DPO stage has a checkpoint");
  const steps: number[] = [];
  const last = await eto({ ...oneAtATime, out: out2, resume: true }, { onEvent: (e) => e.type === 'dpo' && steps.push(e.step) });
  t.same(steps, [3, 4], 'the stage goes on after its checkpoint (step 2)');
  t.same(last.iterations.map((i) => ({ ...i, dir: '' })), whole.iterations.map((i) => ({ ...i, dir: '' })));
  t.ok(readFileSync(last.adapter).equals(readFileSync(whole.adapter)), 'the same final adapter, byte for byte');
  t.same(
    readFileSync(join(out2, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).map(({ step, type, iteration }) => ({ step, type, iteration })),
    metrics.map(({ step, type, iteration }) => ({ step, type, iteration })),
    'the same metrics lines, once each',
  );
  t.notOk(existsSync(join(out2, 'iter-1.partial.jsonl')), 'the episode record goes once the exploration is written');

  // ETO's script: another β from iteration 2 on
  const later = await eto({ ...options, out: tempPath('eto-later'), laterDpo: { beta: 0.5, lr: undefined } });
  t.same({ ...later.iterations[0], dir: '' }, { ...whole.iterations[0], dir: '' }, 'iteration 1 as before');
  t.not(later.iterations[1].finalLoss, whole.iterations[1].finalLoss, 'iteration 2 with β 0.5');
  t.same(JSON.parse(readFileSync(join(tempPath('eto-later'), 'config.json'), 'utf8')).laterDpo, { beta: 0.5 });
  await t.rejects(eto({ ...options, out: tempPath('eto-later'), resume: true }), { code: 'CONFIG_MISMATCH', message: /another laterDpo/ });
  const oldConfig = join(tempPath('eto-whole'), 'config.json');
  const { laterDpo: _, ...recordedBefore } = JSON.parse(readFileSync(oldConfig, 'utf8'));
  writeFileSync(oldConfig, JSON.stringify(recordedBefore));
  t.equal((await eto({ ...options, out: tempPath('eto-whole'), resume: true })).iterations.length, 2, 'a run recorded before laterDpo existed resumes');

  await t.rejects(eto({ ...options, out, resume: true, dpo: { ...options.dpo, lr: 1 } }), { code: 'CONFIG_MISMATCH', message: /another dpo/ });
  await t.rejects(eto({ ...options, out, resume: true, experts: experts.slice(1) }), { code: 'CONFIG_MISMATCH', message: /another tasks/ });
  await t.rejects(eto({ ...options, out: tempPath('eto-bad-start'), start: tempPath('nowhere') }), { message: /nowhere is not a readable GGUF file/ });
  t.notOk(existsSync(tempPath('eto-bad-start')), 'a start that does not load leaves no run folder');
  const unfinished = tempPath('eto-sft-unfinished');
  const stopSft = new AbortController();
  await (await sft({ model, data: experts, out: unfinished, steps: 3, batch: 2 }, { signal: stopSft.signal, onProgress: () => stopSft.abort() })).policy.dispose();
  await t.rejects(eto({ ...options, start: unfinished, out: tempPath('eto-unfinished') }), { code: 'SFT_UNFINISHED', message: /stopped after step 1 of 3/ });
  t.notOk(existsSync(tempPath('eto-unfinished')), 'nor does a start whose behaviour cloning was stopped');
  const chatml = await loadModel(path, { threads: 1, chatTemplate: 'chatml' });
  t.teardown(() => chatml.dispose());
  await t.rejects(eto({ ...options, model: chatml, out: tempPath('eto-other-template') }), { code: 'CHAT_TEMPLATE_MISMATCH', message: /trained on conversations in the "llama2" chat template/ });
  t.notOk(existsSync(tempPath('eto-other-template')), 'nor does a start trained in another chat template');
  await t.rejects(eto({ ...options, out: tempPath('eto-none'), resume: true }), { code: 'NO_RUN' });
  await t.rejects(eto({ ...options, out: tempPath('eto-dup'), experts: [experts[0], experts[0]] }), { code: 'BAD_DATA' });
  await t.rejects(eto({ ...options, out: tempPath('eto-zero'), iterations: 0 }), { code: 'INVALID_ARGUMENT' });
  await t.rejects(eto({ ...options, out: tempPath('eto-kind'), pairs: 'turn' as never }), { code: 'INVALID_ARGUMENT', message: /pairs must be one of/ });

  // the ablation's mixture: a task explored from its start and from a step of the expert's trajectory (the replayed
  // replies count against the step limit, which the expert's 7 replies fit)
  const mixture = { ...options, out: tempPath('eto-mixture'), experts: experts.slice(0, 1), iterations: 1, pairs: 'mixture' as const, tasks: { maxSteps: 8 } };
  const mixed = await eto(mixture);
  const played = JSON.parse(readFileSync(join(tempPath('eto-mixture'), 'iter-1.explored.json'), 'utf8')) as ExploredTrajectory[];
  t.same(played.map((x) => [x.id, x.forced > 0]), [[experts[0].id, false], [experts[0].id, true]]);
  t.ok(played.every((x) => x.steps > 0 && x.reward === 0), 'the agent replied in both episodes, and failed');
  t.equal(mixed.iterations[0].pairs, 2, 'a pair per episode');
  await t.rejects(eto({ ...mixture, resume: true, pairs: 'step' }), { code: 'CONFIG_MISMATCH', message: /another pairs/ });
});

t.test('eto on your own conversational environment (taskOf)', async (t) => {
  const model = await loadModel(await testModel(), { threads: 2 });
  t.teardown(() => model.dispose());
  const [tasks, experts] = [doorTasks, doorExperts];
  const replayed = await explore(model, scripted(agentReplies(experts[1])), [tasks[1]]);
  t.same([replayed[0].reward, replayed[0].conversations], [1, experts[1].conversations], "the expert's reply wins its task");

  const start = tempPath('doors-sft');
  await (await sft({ model, data: experts, out: start, steps: 2, batch: 3 })).policy.dispose();
  const out = tempPath('doors-eto');
  const run = await eto({ model, start, experts, out, iterations: 1, taskOf, dpo: { batch: 3, epochs: 1 }, explore: { maxTokens: 8 } });
  const explored = JSON.parse(readFileSync(join(out, 'iter-1.explored.json'), 'utf8')) as ExploredTrajectory[];
  t.same(explored.map((x) => [x.id, x.conversations.slice(0, 3)]), experts.map((x) => [x.id, x.conversations.slice(0, 3)]), 'each expert task explored, from its own opening turns');
  t.equal(run.iterations[0].pairs, explored.filter((x) => x.reward < 1).length, 'a pair per failed episode');
  t.ok(existsSync(run.adapter), 'the iteration wrote its adapter');
  await t.rejects(eto({ model, start, experts, out: tempPath('doors-unknown'), taskOf: () => undefined }), { code: 'UNKNOWN_TASK', message: /no task for the expert trajectory "doors\/red"/ });
  t.notOk(existsSync(tempPath('doors-unknown')), 'and no run folder when a task is unknown');
});

t.test('explore and eto CLIs', async (t) => {
  const path = await testModel();
  const data = tempPath('cli-eto-experts.json');
  const r0 = runCli(['experts', '--env', 'household/mixed', '--split', 'train', '--n', '2', '--out', data]);
  t.equal(r0.status, 0, r0.stderr);
  const sftDir = tempPath('cli-eto-sft');
  // a budget below any conversation's estimate: each runs as its own micro-batch
  t.equal(runCli(['sft', '--model', path, '--data', data, '--out', sftDir, '--steps', '2', '--memory-budget', '1']).status, 0);
  const badBudget = runCli(['sft', '--model', path, '--data', data, '--out', tempPath('cli-sft-budget'), '--memory-budget', '0']);
  t.match([badBudget.status, badBudget.stderr], [1, /memoryBudget must be positive, got 0/]);

  const traj = tempPath('cli-explored.json');
  const ex = runCli(['explore', '--model', path, '--adapter', join(sftDir, 'adapter.gguf'), '--env', 'household/mixed', '--split', 'seen', '--n', '2', '--max-steps', '2', '--max-tokens', '8', '--out', traj, '--json']);
  t.equal(ex.status, 0, ex.stderr);
  const lines = ex.stdout.trim().split('\n').map((l) => JSON.parse(l));
  t.same(lines.map((l) => l.type), ['episode', 'episode', 'result']);
  t.match(lines[2], { episodes: 2, meanReward: 0, successRate: 0, out: traj });
  t.equal(JSON.parse(readFileSync(traj, 'utf8')).length, 2);
  const shopDir = syntheticCatalog(300, 5).dir;
  const shopRun = runCli(['explore', '--model', path, '--env', 'webshop', '--data-dir', shopDir, '--n', '1', '--max-steps', '1', '--max-tokens', '4', '--json']);
  t.equal(shopRun.status, 0, shopRun.stderr);
  t.match(JSON.parse(shopRun.stdout.trim().split('\n').at(-1)!), { type: 'result', env: 'webshop', split: 'test', episodes: 1 });
  const plain = runCli(['explore', '--model', path, '--env', 'household/mixed', '--n', '1', '--max-steps', '1', '--max-tokens', '4']);
  t.match(plain.stdout, /^1 episodes: mean reward 0\.000, success rate 0\.0%/);

  const out = tempPath('cli-eto');
  const run = runCli(['eto', '--model', path, '--start', sftDir, '--data', data, '--out', out, '--iterations', '1', '--max-steps', '2', '--max-tokens', '8', '--batch', '2', '--epochs', '1', '--json']);
  t.equal(run.status, 0, run.stderr);
  const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
  t.match(result, { type: 'result', stopped: false, adapter: join(out, 'iter-1', 'adapter.gguf') });
  t.equal(result.iterations[0].pairs, 2);
  const text = runCli(['eto', '--model', path, '--start', sftDir, '--data', data, '--out', out, '--iterations', '2', '--max-steps', '2', '--max-tokens', '8', '--batch', '2', '--epochs', '1', '--resume', '--memory-budget', '1000000']);
  t.equal(text.status, 0, text.stderr);
  t.match(text.stdout, /iteration 2: explored mean reward 0\.000 \(success 0\.0%\), 2 pairs, DPO loss 0\.6931 → /);
  t.match(text.stdout, /done: the last adapter is .*iter-2/, 'resumed under another memory budget (it splits steps, not what they compute)');

  // Ctrl-C during DPO: exit 130, nothing of the unfinished iteration kept as finished, its DPO stage checkpointed
  const stopped = tempPath('cli-eto-stopped');
  const c = await runCliInterrupted(['eto', '--model', path, '--start', sftDir, '--data', data, '--out', stopped, '--max-steps', '2', '--max-tokens', '8', '--batch', '1', '--epochs', '50', '--json'], (out) => out.includes('"type":"dpo"'));
  t.equal(c.status, 130, c.stderr);
  t.match(c.stderr, /stopping: finished episodes and DPO steps are kept/);
  t.match(JSON.parse(c.stdout.trim().split('\n').at(-1)!), { type: 'result', stopped: true, iterations: [], adapter: join(sftDir, 'adapter.gguf') });
  t.notOk(existsSync(join(stopped, 'iter-1')));
  t.ok(existsSync(join(stopped, 'iter-1.dpo', 'policy.json')), 'its DPO stage wrote a checkpoint');

  // Ctrl-C during exploration: the finished episodes are recorded, --resume plays the others
  const explored = tempPath('cli-explore-stopped.json');
  const exploreArgs = ['explore', '--model', path, '--env', 'household/mixed', '--n', '4', '--parallel', '1', '--max-steps', '2', '--max-tokens', '8', '--out', explored];
  const e = await runCliInterrupted([...exploreArgs, '--json'], (out) => out.includes('"type":"episode"'));
  t.equal(e.status, 130, e.stderr);
  t.match(JSON.parse(e.stdout.trim().split('\n').at(-1)!), { type: 'result', stopped: true, out: null });
  t.notOk(existsSync(explored), 'no trajectories file until the exploration is whole');
  const [header, ...episodeLines] = readFileSync(`${explored}.partial.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.match(header, { run: { tasks: Array, maxTokens: 8, samples: 1 } }, 'the record says what is played');
  const recorded = episodeLines.length;
  t.ok(recorded >= 1 && recorded < 4, `${recorded} episodes recorded`);
  t.match(runCli(exploreArgs).stderr, /records a stopped exploration: continue it with --resume/);
  t.match(runCli([...exploreArgs.map((a) => (a === '8' ? '9' : a)), '--resume']).stderr, /was started with another maxTokens \(8\)/);
  const resumed = runCli([...exploreArgs, '--resume', '--json']);
  t.equal(resumed.status, 0, resumed.stderr);
  t.equal(resumed.stdout.trim().split('\n').filter((l) => JSON.parse(l).type === 'episode').length, 4 - recorded, 'only the other episodes are played');
  const whole = tempPath('cli-explore-whole.json');
  t.equal(runCli([...exploreArgs.slice(0, -1), whole]).status, 0);
  t.same(JSON.parse(readFileSync(explored, 'utf8')), JSON.parse(readFileSync(whole, 'utf8')), 'the trajectories of an uninterrupted exploration');
  t.notOk(existsSync(`${explored}.partial.jsonl`));
  t.match(runCli([...exploreArgs, '--resume']).stderr, /nothing to resume/);

  const shopData = tempPath('cli-eto-shop.json');
  writeFileSync(shopData, JSON.stringify([{ id: 'webshop_1', conversations: [{ from: 'human', value: 'x' }, { from: 'gpt', value: 'Action: search[a]' }] }]));
  const noShop = runCli(['eto', '--model', path, '--start', sftDir, '--data', shopData, '--out', tempPath('cli-eto-shop')]);
  t.equal(noShop.status, 1);
  t.match(noShop.stderr, /WebShop goal: give the shop's --data-dir/);
  t.match(runCli(['eto', '--help']).stdout, /--beta[\s\S]*--pairs[\s\S]*--memory-budget/);
  const badKind = runCli(['eto', '--model', path, '--start', sftDir, '--data', data, '--out', tempPath('cli-eto-kind'), '--pairs', 'turn']);
  t.match([badKind.status, badKind.stderr], [2, /Argument: pairs, Given: "turn", Choices: "trajectory", "step", "mixture"/]);

  // Best-of-N on the expert tasks, then rejection-sampling fine-tuning on the experts plus the successes
  const sampled = tempPath('cli-sampled.json');
  const bon = runCli(['explore', '--model', path, '--adapter', join(sftDir, 'adapter.gguf'), '--tasks', data, '--samples', '2', '--temperature', '1', '--max-steps', '1', '--max-tokens', '4', '--out', sampled, '--json']);
  t.equal(bon.status, 0, bon.stderr);
  const bonResult = JSON.parse(bon.stdout.trim().split('\n').at(-1)!);
  t.match(bonResult, { type: 'result', tasks: data, samples: 2, episodes: 4, bestOf: { episodes: 2 } });
  t.same(JSON.parse(readFileSync(sampled, 'utf8')).map((x: ExploredTrajectory) => x.id), JSON.parse(readFileSync(data, 'utf8')).flatMap((x: Trajectory) => [x.id, x.id]));
  t.match(runCli(['explore', '--model', path, '--tasks', data, '--samples', '2', '--temperature', '1', '--max-steps', '1', '--max-tokens', '4']).stdout, /^4 episodes: .*; best of 2 per task \(2 tasks\): mean reward/);
  t.match(runCli(['explore', '--model', path, '--n', '1']).stderr, /give either --env or --tasks/);
  t.match(runCli(['explore', '--model', path, '--env', 'household/mixed', '--samples', '3']).stderr, /3 samples per task need sampled replies/);
  const rft = runCli(['sft', '--model', path, '--data', data, '--data', sampled, '--min-reward', '1', '--out', tempPath('cli-rft'), '--steps', '1', '--json']);
  t.equal(rft.status, 0, rft.stderr);
  t.match(JSON.parse(rft.stdout.trim().split('\n').at(-1)!), { type: 'done', trajectories: 2, steps: 1 }, 'the experts; no sampled episode succeeded');
  const none = runCli(['sft', '--model', path, '--data', sampled, '--min-reward', '1', '--out', tempPath('cli-rft-none')]);
  t.equal(none.status, 1);
  t.match(none.stderr, /no trajectory has a reward of at least 1/);
  t.match(runCli(['explore', '--help']).stdout, /--max-tokens/);
});
