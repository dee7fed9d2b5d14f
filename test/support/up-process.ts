import { spawn } from 'node:child_process';
import { freeUpPortOffset, randomName, repoRoot, testInfra, waitFor } from './harness.js';

/** `npm run up` (scripts/up.mjs) as tests run it: on the run's Kafka and store, at a free port offset. */
export interface UpProcess {
  /** PARLEY_UP_PORT_OFFSET of this run: every port is its default plus this. */
  readonly offset: number;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  readonly exited: Promise<number | null>;
  isRunning(): boolean;
  /** Ctrl-C, as a person would stop it; resolves with the exit code. */
  interrupt(): Promise<number | null>;
  kill(): void;
}

/**
 * Starts scripts/up.mjs and resolves once it printed "Parley is up:"; rejects with its output if
 * it exits or does not get there in time.
 *
 * @example
 * const up = await startUp('e2e', { LOG_LEVEL: 'warn' });
 * await fetch(`http://127.0.0.1:${8088 + up.offset}/`);
 */
export async function startUp(name: string, env: Record<string, string> = {}): Promise<UpProcess> {
  const offset = await freeUpPortOffset();
  let output = '';
  const child = spawn(process.execPath, ['scripts/up.mjs'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      KAFKA_BROKERS: testInfra().kafkaBrokers.join(','),
      DATABASE_URL: testInfra().databaseUrl,
      KAFKA_TOPIC_PREFIX: `${randomName(name)}.`,
      // Schemas of its own, so that runs beside each other (and beside `npm run up`) never share rows.
      PARLEY_SCHEMA_PREFIX: `${randomName(name).replace(/[^a-z0-9]/g, '_')}_`,
      PARLEY_UP_PORT_OFFSET: String(offset),
      LOG_PRETTY: 'false',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const isRunning = () => child.exitCode === null && child.signalCode === null;
  await waitFor('"Parley is up"', () => output.includes('Parley is up:') || !isRunning(), {
    timeoutMs: 240_000,
  });
  if (!output.includes('Parley is up:')) throw new Error(`npm run up did not come up:\n${output}`);
  return {
    offset,
    output: () => output,
    exited,
    isRunning,
    async interrupt() {
      child.kill('SIGINT');
      return exited;
    },
    kill: () => void child.kill('SIGKILL'),
  };
}
