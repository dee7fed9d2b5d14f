import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { grpcTlsEnv } from './grpc.js';
import { repoRoot } from './harness.js';

/**
 * Builds workspaces (`@parley/ingress`, …) and their dependencies, as tests that run `dist/` need;
 * the caller asserts the result so a failed build fails the test with turbo's errors.
 *
 * @example
 * const build = buildWorkspaces(['@parley/ingress']);
 * expect(build.status, build.stderr).toBe(0);
 */
export function buildWorkspaces(workspaces: readonly string[]) {
  return spawnSync(
    'npx',
    ['turbo', 'run', 'build', ...workspaces.map((name) => `--filter=${name}`), '--output-logs=errors-only'],
    { cwd: repoRoot, encoding: 'utf8' },
  );
}

/** A built service running in a process of its own, as a pod runs it. */
export interface ServiceProcess {
  readonly child: ChildProcess;
  /** Settles once the process exited and its output is complete. */
  readonly exited: Promise<{ code: number | null; at: number }>;
  /** Everything it printed so far (stdout and stderr). */
  output: string;
}

/**
 * Starts `services/<service>/dist/main.js` (build it first) with the test's environment, warn-level
 * JSON logs, the service's gRPC TLS files and `env`.
 *
 * @example
 * const pod = startServiceProcess('ingress', { ...kafkaServiceEnv('ingress'), HTTP_PORT: '0' });
 * pod.child.kill('SIGTERM');
 * expect((await pod.exited).code, pod.output).toBe(0);
 */
export function startServiceProcess(
  service: 'ingress' | 'enrichment',
  env: Record<string, string>,
): ServiceProcess {
  const child = spawn(process.execPath, [`services/${service}/dist/main.js`], {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: 'warn', LOG_PRETTY: 'false', ...grpcTlsEnv(service), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const started: ServiceProcess = {
    child,
    output: '',
    // 'close', not 'exit': the output is complete by then (an error logged while stopping included).
    exited: new Promise((resolve) => child.once('close', (code) => resolve({ code, at: Date.now() }))),
  };
  for (const stream of [child.stdout, child.stderr])
    stream?.on('data', (chunk: Buffer) => {
      started.output += chunk.toString();
    });
  return started;
}
