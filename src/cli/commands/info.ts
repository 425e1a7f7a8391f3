import type { Argv, CommandModule } from 'yargs';
import { listDevices, type Device, type DeviceInfo } from '../../devices.js';
import { InvalidArgumentError } from '../../errors.js';
import { deviceOption } from '../device-option.js';
import { chatTemplateOptions, withModel, type ChatTemplateArgs } from '../model-session.js';

interface Args extends ChatTemplateArgs {
  model?: string;
  devices: boolean;
  device?: Device;
  json: boolean;
}

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

function describeDevice(d: DeviceInfo): string {
  return `${d.id.padEnd(8)} ${d.name.padEnd(7)} ${d.description} (${gib(d.memoryFree)} free of ${gib(d.memoryTotal)}; backward products in ${d.backwardPrecision})`;
}

/** `rl-ggml info`: what a GGUF model is, as rl-ggml reads it, and which devices this build can run on. */
export const infoCommand: CommandModule<object, Args> = {
  command: 'info',
  describe: 'Show a model (architecture, sizes, tensor types, vocabulary) or, with --devices, the compute devices',
  builder: (y: Argv) =>
    y
      .option('model', { type: 'string', describe: 'GGUF model path' })
      .option('devices', { type: 'boolean', default: false, describe: 'list the compute devices this build can use' })
      .option('device', deviceOption)
      .options(chatTemplateOptions)
      .option('json', { type: 'boolean', default: false, describe: 'JSON output' }) as unknown as Argv<Args>,
  handler: async (argv) => {
    if (argv.devices) {
      const list = await listDevices();
      if (argv.json) console.log(JSON.stringify(list));
      else {
        for (const d of list.devices) console.log(describeDevice(d));
        if (!list.cudaBuilt) console.log('(this build has no CUDA backend: reinstall with RL_GGML_CUDA=1 npm install to use NVIDIA GPUs)');
        else if (!list.devices.some((d) => d.kind === 'gpu')) console.log('(the CUDA backend is built but found no usable GPU: check the driver with nvidia-smi)');
      }
      return;
    }
    if (!argv.model) throw new InvalidArgumentError('BAD_OPTIONS', 'info needs --model (or --devices)');
    await withModel({ ...argv, model: argv.model }, async (model) => {
      const typeCounts: Record<string, number> = {};
      let params = 0;
      for (const t of model.tensors) {
        typeCounts[t.type] = (typeCounts[t.type] ?? 0) + 1;
        params += t.shape.reduce((a, b) => a * b, 1);
      }
      const summary = {
        path: model.path,
        vocab: model.vocab,
        parameters: params,
        ...model.hparams,
        device: model.device,
        chatTemplate: model.chatTemplate,
        tensorTypes: typeCounts,
        tensors: model.tensors,
      };
      if (argv.json) {
        console.log(JSON.stringify(summary));
        return;
      }
      const hp = model.hparams;
      console.log(`model         ${model.path}`);
      console.log(`architecture  ${hp.architecture} (${(params / 1e6).toFixed(2)}M parameters)`);
      console.log(`vocabulary    ${model.vocab} (${hp.nVocab} tokens)`);
      console.log(`layers        ${hp.nLayer}`);
      console.log(`embedding     ${hp.nEmbd} (heads ${hp.nHead}, kv heads ${hp.nHeadKv}, head size ${hp.headDim})`);
      console.log(hp.experts ? `feed-forward  ${hp.experts.count} experts of ${hp.experts.ff}, ${hp.experts.used} per token` : `feed-forward  ${hp.nFf}`);
      // layers of their own shapes (Gemma 4's windowed and global layers): each shape and its layers
      const shapes = new Map<string, number[]>();
      hp.layers.forEach((d, il) => {
        const shape = `head size ${d.headDim}, kv heads ${d.nHeadKv}, feed-forward ${d.nFf}, rope dims ${d.nRot}`;
        shapes.set(shape, [...(shapes.get(shape) ?? []), il]);
      });
      if (shapes.size > 1) for (const [shape, layers] of shapes) console.log(`  layers ${layers.join(', ')}: ${shape}`);
      if (hp.perLayerInputs > 0) console.log(`layer inputs  ${hp.perLayerInputs} per layer from the tokens`);
      if (hp.sharedKvLayers > 0) console.log(`shared kv     the last ${hp.sharedKvLayers} layers attend with earlier layers' keys and values`);
      console.log(`context       ${hp.nCtxTrain}`);
      const scaling = hp.ropeScaling === 'none' ? '' : `, ${hp.ropeScaling} scaling ×${+(1 / hp.ropeFreqScale).toPrecision(6)}`;
      console.log(`rope          base ${hp.ropeFreqBase}, dims ${hp.nRot}${scaling}${hp.ropeFreqs ? ', frequency factors' : ''}`);
      if (hp.slidingWindow > 0) console.log(`attention     sliding window of ${hp.slidingWindow} positions in some layers`);
      if (hp.softCaps.attention > 0 || hp.softCaps.final > 0) {
        console.log(`soft caps     ${[hp.softCaps.attention > 0 && `${hp.softCaps.attention} on attention scores`, hp.softCaps.final > 0 && `${hp.softCaps.final} on output logits`].filter(Boolean).join(', ')}`);
      }
      if (hp.architecture === 'granite') {
        const { embedding, residual, attention, logit } = hp.scales;
        const f = (x: number) => +x.toPrecision(6);
        console.log(`multipliers   embeddings ×${f(embedding)}, residual ×${f(residual)}, scores ×${f(attention)}, logits ÷${f(logit)}${hp.noRope ? '; no RoPE' : ''}`);
      }
      if (hp.attnTemperature !== 0) console.log(`temperature   queries × 1 + ${+hp.attnTemperature.toPrecision(6)}·log(1 + ⌊position / original context⌋)`);
      if (hp.fusedQkv || hp.fusedUp) console.log(`projections   fused: ${[hp.fusedQkv && 'q, k, v (LoRA target qkv)', hp.fusedUp && 'gate, up (LoRA target up)'].filter(Boolean).join('; ')}`);
      console.log(`output        ${hp.tiedOutput ? 'tied to token embedding' : 'separate'}`);
      console.log(`tensor types  ${Object.entries(typeCounts).map(([t, n]) => `${t} ×${n}`).join(', ')}`);
      console.log(`device        ${model.device.id} (${model.device.description})`);
      const chatSource = { option: 'chosen by --chat-template', gguf: "the model file's own Jinja template", vocabulary: "the vocabulary's family; the file has no template" };
      console.log(`chat template ${model.chatTemplate.id} (${chatSource[model.chatTemplate.source]})`);
    });
  },
};
