import type { Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../src/native.js';
import { tempPath } from './models.js';

/** The static libraries of the addon's CPU build (build/llama.cpp), for test programs to link. */
export const builtLibraries = {
  llama: join(packageRoot, 'build', 'llama.cpp', 'src', 'libllama.a'),
  ggml: join(packageRoot, 'build', 'llama.cpp', 'ggml', 'src', 'libggml.a'),
  ggmlCpu: join(packageRoot, 'build', 'llama.cpp', 'ggml', 'src', 'libggml-cpu.a'),
  ggmlBase: join(packageRoot, 'build', 'llama.cpp', 'ggml', 'src', 'libggml-base.a'),
};

/**
 * Compiles and links a test program (`compile` and `link` are argument lists for `compiler`, without the output
 * names), runs it with `args`, and returns its stdout's lines split on `separator`. Each step is a tap assertion.
 */
export function buildAndRun(
  t: Test,
  name: string,
  options: { compiler: string; compile: string[]; link: string[]; separator?: string; args?: string[] },
): string[][] {
  const exe = tempPath(name);
  const compile = spawnSync(options.compiler, [...options.compile, '-c', '-o', `${exe}.o`], { encoding: 'utf8' });
  t.equal(compile.status, 0, compile.stderr);
  const link = spawnSync(options.compiler, [`${exe}.o`, ...options.link, '-o', exe], { encoding: 'utf8' });
  t.equal(link.status, 0, link.stderr);
  const run = spawnSync(exe, options.args ?? [], { encoding: 'utf8' });
  t.equal(run.status, 0, run.stderr);
  return run.stdout.trim().split('\n').map((l) => l.split(options.separator ?? ' '));
}
