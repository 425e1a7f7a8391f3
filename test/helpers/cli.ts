/** Runs the built CLI (dist/src/cli/main.js) in a child process. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], input?: string): CliResult {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', input, timeout: 300_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
