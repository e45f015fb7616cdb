// What the `nascent` process does about the ways a person stops it, beside the commands' own
// Ctrl-C handling (a search finishes the episode in hand on the first SIGINT, stops at once on the
// second). Installed by the executable only (bin/nascent.mjs, through main.ts's runExecutable), never
// by code that imports the commands.

/**
 * A SIGINT this soon after the last one taken is the same Ctrl-C delivered twice, not a second
 * press. npm (`npm run nascent`, `npm run search:cifar`, `npx nascent`) forwards the SIGINT it gets
 * from the terminal to its script, which got the terminal's own already: where `sh -c` execs the
 * script (bash does, as /bin/sh on macOS), every Ctrl-C would arrive twice within milliseconds and
 * count as "Ctrl-C twice: stop now", losing the episode in hand.
 */
export const SAME_INTERRUPT_MS = 500;

let installed = false;

/**
 * Installs, once per process: SIGINTs within SAME_INTERRUPT_MS of the last one taken are dropped;
 * and a closed stdout or stderr (`nascent search ... | head -2`, a terminal that went away) stops
 * the command as a first Ctrl-C does, after which nothing more is written to the closed stream,
 * instead of an EPIPE crash. Must run before any SIGINT listener is added: Node binds
 * `process.emit` for a signal when its first listener is added.
 */
export function installInterruptHandling(): void {
  if (installed) return;
  installed = true;
  const emit = process.emit;
  let taken = Number.NEGATIVE_INFINITY;
  process.emit = function (this: NodeJS.Process, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'SIGINT') {
      const now = performance.now();
      if (now - taken < SAME_INTERRUPT_MS) return true;
      taken = now;
    }
    return (emit as (this: NodeJS.Process, event: string | symbol, ...args: unknown[]) => boolean).call(this, event, ...args);
  } as typeof process.emit;

  let stopped = false;
  const closed = (stream: NodeJS.WriteStream) => {
    silence(stream);
    if (stopped) return;
    stopped = true;
    // A reader that went away wants no more: stop as a Ctrl-C would (a search finishes the
    // episode in hand and stays resumable). Commands without a SIGINT handler simply go on.
    process.emit('SIGINT');
  };
  for (const stream of [process.stdout, process.stderr]) {
    // A pipe's write fails at once, but Node emits the error a tick later, by when a search may have
    // begun its next episode: the failed write is noticed as it returns.
    const write = stream.write;
    stream.write = function (this: NodeJS.WriteStream, ...args: unknown[]): boolean {
      const ok = (write as (...a: unknown[]) => boolean).apply(this, args);
      if ((stream.errored as NodeJS.ErrnoException | null)?.code === 'EPIPE') closed(stream);
      return ok;
    } as typeof stream.write;
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      closed(stream);
    });
  }
}

/** Makes every later write to `stream` a no-op that succeeds (its reader is gone). */
function silence(stream: NodeJS.WriteStream): void {
  stream.write = ((_chunk: unknown, encoding?: unknown, callback?: unknown) => {
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') process.nextTick(done as () => void);
    return true;
  }) as typeof stream.write;
}
