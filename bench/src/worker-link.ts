import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BenchError, type BenchErrorCode } from './bench-error.js';

type Tagged = { readonly type: string; readonly id?: number };

/**
 * A forked worker process of the benchmark (load generator, baseline) and its request/reply
 * channel. Its CPU is its own, so the orchestrator's numbers do not hide it. A `failed` reply or
 * the worker dying rejects what waits on it with `BenchError(code)`.
 */
export interface WorkerLink<Command extends Tagged, Reply extends Tagged> {
  readonly pid: number;
  /** Sends `command` and waits for the reply of type `type` (with the command's `id`, if any). */
  request<T extends Reply['type']>(command: Command, type: T): Promise<Extract<Reply, { type: T }>>;
  /** Asks it to stop, then kills it after `timeoutMs`. */
  stop(stopCommand: Command, timeoutMs?: number): Promise<void>;
}

export function forkWorker<Command extends Tagged, Reply extends Tagged>(
  script: URL,
  name: string,
  code: BenchErrorCode,
): WorkerLink<Command, Reply> {
  const child: ChildProcess = fork(fileURLToPath(script), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  const waiting = new Set<{
    type: string;
    id: number | undefined;
    resolve: (reply: Reply) => void;
    reject: (error: Error) => void;
  }>();
  let stopping = false;
  const failAll = (error: Error) => {
    for (const waiter of waiting) waiter.reject(error);
    waiting.clear();
  };
  child.on('message', (message: Reply & { message?: string }) => {
    if (message.type === 'failed') {
      return failAll(new BenchError(code, `${name}: ${message.message ?? 'failed'}`));
    }
    for (const waiter of waiting) {
      if (waiter.type === message.type && (waiter.id === undefined || waiter.id === message.id)) {
        waiting.delete(waiter);
        return waiter.resolve(message);
      }
    }
  });
  child.once('exit', (exitCode, signal) => {
    if (!stopping) failAll(new BenchError(code, `${name} exited (${signal ?? `code ${exitCode}`})`));
  });
  if (child.pid === undefined) throw new BenchError(code, `${name} could not be started`);

  return {
    pid: child.pid,
    request(command, type) {
      return new Promise((resolve, reject) => {
        waiting.add({ type, id: command.id, resolve: resolve as (reply: Reply) => void, reject });
        child.send(command);
      });
    },
    async stop(stopCommand, timeoutMs = 10_000) {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      if (child.connected) child.send(stopCommand);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * The worker side: handles each command as it comes (the orchestrator sends one at a time) and
 * replies `failed` with the error's message when handling throws.
 */
export function serveWorker<Command extends Tagged, Reply extends Tagged>(
  handle: (command: Command, reply: (reply: Reply) => void) => Promise<void>,
): void {
  const reply = (message: Reply | { type: 'failed'; message: string }) => {
    if (process.connected) process.send?.(message);
  };
  process.on('message', (command: Command) => {
    handle(command, reply).catch((error: unknown) =>
      reply({ type: 'failed', message: error instanceof Error ? error.message : String(error) }),
    );
  });
  // The orchestrator is gone (crashed, killed): nothing is left to report to.
  process.on('disconnect', () => process.exit(0));
}
