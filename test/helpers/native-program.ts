import type { Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { tempPath } from './models.js';

/**
 * Compiles and links a test program (`compile` and `link` are argument lists for `compiler`, without the output
 * names), runs it, and returns its stdout's lines split on `separator`. Each step is a tap assertion.
 */
export function buildAndRun(t: Test, name: string, options: { compiler: string; compile: string[]; link: string[]; separator?: string }): string[][] {
  const exe = tempPath(name);
  const compile = spawnSync(options.compiler, [...options.compile, '-c', '-o', `${exe}.o`], { encoding: 'utf8' });
  t.equal(compile.status, 0, compile.stderr);
  const link = spawnSync(options.compiler, [`${exe}.o`, ...options.link, '-o', exe], { encoding: 'utf8' });
  t.equal(link.status, 0, link.stderr);
  const run = spawnSync(exe, { encoding: 'utf8' });
  t.equal(run.status, 0, run.stderr);
  return run.stdout.trim().split('\n').map((l) => l.split(options.separator ?? ' '));
}
