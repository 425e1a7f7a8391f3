/** Runs the built CLI (dist/src/cli/main.js) in a child process. */
import { spawn, spawnSync } from 'node:child_process';
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

/** Runs the CLI and sends it Ctrl-C (SIGINT) once its standard output so far satisfies `when`. */
export function runCliInterrupted(args: string[], when: (stdout: string) => boolean): Promise<CliResult> {
  const child = spawn(process.execPath, [main, ...args]);
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.on('data', (d) => {
    stdout += d;
    if (when(stdout) && !child.killed) child.kill('SIGINT');
  });
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}
