/**
 * Ctrl-C for long commands: the first one aborts the signal `fn` gets (the command stops cleanly and says `message`
 * on stderr), a second one quits at once with status 130.
 */
export async function withInterrupt<T>(message: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write(`\n${message} (Ctrl-C again to quit at once)\n`);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    return await fn(controller.signal);
  } finally {
    process.off('SIGINT', onSigint);
  }
}
