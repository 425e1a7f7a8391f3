/**
 * Training progress for people and programs: a live bar on a terminal, a plain line every few seconds when the
 * output is a file or pipe, or one JSON object per update.
 */
import type { TrainProgress } from './train.js';

export type ProgressMode = 'tty' | 'plain' | 'json';

export interface ProgressWriter {
  write(chunk: string): unknown;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(r).padStart(2, '0')}s` : `${r}s`;
}

function figures(p: TrainProgress): string {
  const ret = p.recentReturn === null ? '–' : p.recentReturn.toFixed(4);
  return `${p.decisions.toLocaleString('en-US')}/${p.totalDecisions.toLocaleString('en-US')} decisions | return ${ret} | ${Math.round(p.decisionsPerSecond).toLocaleString('en-US')} dec/s | ETA ${formatDuration(p.etaSeconds)}`;
}

/** One rendered bar, `width` cells wide. */
export function progressBar(p: TrainProgress, width = 24): string {
  const frac = Math.min(1, p.decisions / p.totalDecisions);
  const full = Math.round(frac * width);
  return `[${'#'.repeat(full)}${'-'.repeat(width - full)}] ${(100 * frac).toFixed(1).padStart(5)}% ${figures(p)}`;
}

/**
 * A progress callback writing to `out` in `mode`; `plain` prints at most one line per `intervalSeconds` (and the
 * last update). `finish()` ends the bar's line.
 */
export function progressPrinter(mode: ProgressMode, out: ProgressWriter, intervalSeconds = 10, now: () => number = () => Date.now() / 1000) {
  let last = -Infinity;
  let open = false;
  return {
    update(p: TrainProgress): void {
      if (mode === 'json') {
        out.write(`${JSON.stringify({ type: 'progress', ...p })}\n`);
      } else if (mode === 'tty') {
        out.write(`\r\x1b[2K${progressBar(p)}`);
        open = true;
      } else if (now() - last >= intervalSeconds || p.update === p.updates) {
        last = now();
        out.write(`update ${p.update}/${p.updates}: ${figures(p)}\n`);
      }
    },
    /** A message on its own line (the bar is redrawn by the next update). */
    note(message: string): void {
      if (mode === 'json') out.write(`${JSON.stringify({ type: 'notice', message })}\n`);
      else {
        out.write(`${open ? '\r\x1b[2K' : ''}${message}\n`);
        open = false;
      }
    },
    finish(): void {
      if (open) out.write('\n');
      open = false;
    },
  };
}
