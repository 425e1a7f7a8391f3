// Device selection: the CPU always works; CUDA requests fail with a DeviceError that says why (no CUDA backend in
// this build, no GPU, no such GPU), and bad device names are argument errors. On a GPU machine the same tests check
// that "auto" and "cuda" land on the GPU.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { DeviceError, InvalidArgumentError } from '../../src/errors.js';
import { listDevices, resolveDeviceOption } from '../../src/devices.js';
import { loadModel } from '../../src/model.js';
import { runCli } from '../helpers/cli.js';
import { testModel } from '../helpers/models.js';

t.test('the device list starts with the CPU and says whether CUDA is built', async (t) => {
  const list = await listDevices();
  t.type(list.cudaBuilt, 'boolean');
  t.match(list.devices[0], { id: 'cpu', name: 'CPU', kind: 'cpu' });
  for (const d of list.devices) {
    t.ok(d.memoryTotal > 0 && d.memoryFree <= d.memoryTotal, `${d.id}: free ${d.memoryFree} of ${d.memoryTotal}`);
  }
  const gpus = list.devices.filter((d) => d.kind === 'gpu');
  t.same(gpus.map((d) => d.id), gpus.map((_, i) => `cuda:${i}`), 'GPUs are numbered in CUDA order');
  if (!list.cudaBuilt) t.equal(gpus.length, 0, 'no GPU without the CUDA backend');
  // the build targets this CPU (GGML_NATIVE): its backward may multiply in bf16 only where the CPU has AVX512-BF16
  // (and there only where bf16 outruns f32, which the engine measures)
  const cpuFlags = process.platform === 'linux' && process.arch === 'x64' ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const forcedF32 = process.env.RL_GGML_BACKWARD_F32 === '1';
  if (forcedF32 || (cpuFlags && !/\bavx512_bf16\b/.test(cpuFlags))) t.equal(list.devices[0].backwardPrecision, 'f32');
  else t.match(list.devices[0].backwardPrecision, /^(bf16|f32)$/);
  // NVIDIA GPUs multiply bf16 from Ampere (compute capability 8.0) on, as nvidia-smi reports it
  const caps = gpus.length > 0 ? spawnSync('nvidia-smi', ['--query-gpu=compute_cap', '--format=csv,noheader'], { encoding: 'utf8' }) : undefined;
  gpus.forEach((d, i) => {
    const reported = caps?.stdout?.trim().split('\n')[i];
    const cap = reported ? Number(reported) : NaN;
    if (Number.isFinite(cap)) t.equal(d.backwardPrecision, cap >= 8 && !forcedF32 ? 'bf16' : 'f32', `${d.id}: compute capability ${cap}`);
    else t.match(d.backwardPrecision, /^(bf16|f32)$/);
  });
  const before = process.env.RL_GGML_BACKWARD_F32;
  process.env.RL_GGML_BACKWARD_F32 = '1';
  const forced = (await listDevices()).devices;
  t.same(forced.map((d) => d.backwardPrecision), forced.map(() => 'f32'), 'RL_GGML_BACKWARD_F32=1 holds every device to f32');
  if (before === undefined) delete process.env.RL_GGML_BACKWARD_F32;
  else process.env.RL_GGML_BACKWARD_F32 = before;
});

t.test('a model lands on the device asked for', async (t) => {
  const path = await testModel();
  const gpus = (await listDevices()).devices.filter((d) => d.kind === 'gpu');
  const cpu = await loadModel(path, { device: 'cpu', threads: 1 });
  t.match(cpu.device, { id: 'cpu', kind: 'cpu' });
  const mem = cpu.deviceMemory();
  t.ok(mem.total > 0 && mem.free <= mem.total);
  // f32 weights: their bytes, plus alignment padding
  const weights = cpu.tensors.reduce((n, x) => n + 4 * x.shape.reduce((a, b) => a * b, 1), 0);
  const usage = cpu.memoryUsage();
  t.ok(usage.weights >= weights && usage.weights < weights + 65536, `weights ${usage.weights} B for ${weights} B of tensors`);
  t.equal(usage.compute, 0, 'no compute buffer before the first graph');
  await cpu.scoreActions([{ prompt: 'Hello', actions: ['world'] }]);
  t.ok(cpu.memoryUsage().compute > 0, 'the scoring graph took a compute buffer');
  await cpu.dispose();
  const auto = await loadModel(path, { device: 'auto', threads: 1 });
  t.equal(auto.device.id, gpus.length ? 'cuda:0' : 'cpu', 'auto prefers a GPU');
  await auto.dispose();
});

t.test('CUDA requests that cannot be met say why', async (t) => {
  const path = await testModel();
  const { cudaBuilt, devices } = await listDevices();
  const gpus = devices.filter((d) => d.kind === 'gpu').length;
  const why = !cudaBuilt ? /no CUDA backend: reinstall with RL_GGML_CUDA=1/ : /no usable GPU/;
  if (gpus === 0) await t.rejects(loadModel(path, { device: 'cuda' }), { constructor: DeviceError, code: 'DEVICE_UNAVAILABLE', message: why } as never);
  else {
    const m = await loadModel(path, { device: 'cuda' });
    t.equal(m.device.id, 'cuda:0');
    await m.dispose();
  }
  const missing = gpus === 0 ? why : /does not exist/;
  await t.rejects(loadModel(path, { device: `cuda:${gpus + 3}` as 'cuda:3' }), { constructor: DeviceError, message: missing } as never);
});

t.test('bad device names are argument errors, from options and from RL_GGML_DEVICE', async (t) => {
  const path = await testModel();
  await t.rejects(loadModel(path, { device: 'gpu' as 'cpu' }), { constructor: InvalidArgumentError, message: /unknown device "gpu"/ } as never);
  await t.rejects(loadModel(path, { device: 'cuda:x' as 'cpu' }), { constructor: InvalidArgumentError } as never);
  const saved = process.env.RL_GGML_DEVICE;
  t.teardown(() => {
    if (saved === undefined) delete process.env.RL_GGML_DEVICE;
    else process.env.RL_GGML_DEVICE = saved;
  });
  process.env.RL_GGML_DEVICE = 'cpu';
  t.equal(resolveDeviceOption(undefined), 'cpu');
  t.equal(resolveDeviceOption('auto'), 'auto', 'an explicit option wins over the environment');
  process.env.RL_GGML_DEVICE = 'tpu';
  t.throws(() => resolveDeviceOption(undefined), { message: /unknown device "tpu" \(from RL_GGML_DEVICE\)/ });
  delete process.env.RL_GGML_DEVICE;
  t.equal(resolveDeviceOption(undefined), 'auto');
});

t.test('CLI: info --devices, and --device on model commands', async (t) => {
  const json = runCli(['info', '--devices', '--json']);
  t.equal(json.status, 0, json.stderr);
  const list = JSON.parse(json.stdout) as { cudaBuilt: boolean; devices: { id: string }[] };
  t.equal(list.devices[0].id, 'cpu');
  const text = runCli(['info', '--devices']);
  t.match(text.stdout, /^cpu\s+CPU\s+.*; backward products in (bf16|f32)\)$/m);
  if (!list.cudaBuilt) t.match(text.stdout, /RL_GGML_CUDA=1 npm install/);
  else if (list.devices.length === 1) t.match(text.stdout, /CUDA backend is built but found no usable GPU/);
  else t.notMatch(text.stdout, /no usable GPU|no CUDA backend/);

  const path = await testModel();
  const info = runCli(['info', '--model', path, '--device', 'cpu']);
  t.equal(info.status, 0, info.stderr);
  t.match(info.stdout, /^device\s+cpu \(/m);
  const bad = runCli(['score', '--model', path, '--prompt', 'p', '--action', 'a', '--device', 'gpu']);
  t.equal(bad.status, 1);
  t.match(bad.stderr, /unknown device "gpu"/);
  const none = runCli(['info']);
  t.equal(none.status, 1);
  t.match(none.stderr, /info needs --model \(or --devices\)/);
});
