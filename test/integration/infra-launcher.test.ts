import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Runs the launcher CLI in a scratch state directory, never touching the servers the tests use. */
function infra(command: string, env: Record<string, string>) {
  const scratch = mkdtempSync(join(tmpdir(), 'parley-infra-'));
  const result = spawnSync(process.execPath, [join(root, 'scripts/infra.mjs'), command], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '',
      PARLEY_CACHE_DIR: join(scratch, 'cache'),
      PARLEY_INFRA: 'local',
      ...env,
    },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.trim() };
}

describe('infrastructure launcher', () => {
  let blocker: Server | undefined;
  afterEach(() => blocker?.close());

  it('names a missing prerequisite in one line, without a stack trace', () => {
    // A PATH holding node alone: no java, mvn or go.
    const bin = mkdtempSync(join(tmpdir(), 'parley-path-'));
    symlinkSync(process.execPath, join(bin, 'node'));
    const result = infra('start', {
      PATH: bin,
      PARLEY_KAFKA_PORT: '39992',
      PARLEY_KAFKA_CONTROLLER_PORT: '39993',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(
      /^infra: java is needed to run the Kafka broker but was not found on PATH: install a JDK 17\+/,
    );
    expect(result.stderr.split('\n')).toHaveLength(1);
  });

  it('refuses a port taken by another process and says how to choose another', async () => {
    const server = createServer();
    blocker = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const result = infra('start', { PARLEY_KAFKA_PORT: String(port) });
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      `infra: port ${port} is taken by another process: set PARLEY_KAFKA_PORT, or KAFKA_BROKERS to use that broker`,
    );
  });

  it('rejects malformed settings and unknown commands', () => {
    expect(infra('start', { PARLEY_MONGO_PORT: 'abc' })).toMatchObject({
      status: 2,
      stderr: 'infra: PARLEY_MONGO_PORT must be a port number (1-65535), got "abc"',
    });
    expect(infra('start', { PARLEY_KAFKA_VERSION: '4.1.0' })).toMatchObject({
      status: 2,
      stderr: 'infra: PARLEY_KAFKA_VERSION must be a 3.x release such as 3.9.2, got "4.1.0"',
    });
    expect(infra('restart', {})).toMatchObject({
      status: 2,
      stderr: 'infra: unknown command "restart": use start, status, stop or env',
    });
  });

  it('never signals an unrelated process whose pid is in a stale pid file', () => {
    const scratch = mkdtempSync(join(tmpdir(), 'parley-infra-'));
    mkdirSync(join(scratch, 'infra/kafka'), { recursive: true });
    // The pid of this very test worker: alive, but not a Kafka broker of that data directory.
    writeFileSync(join(scratch, 'infra/kafka/kafka.pid'), `${process.pid}\n`);
    const env = { PARLEY_CACHE_DIR: scratch };
    expect(infra('status', env).stdout).toMatch(/^kafka: stopped/m);
    expect(infra('stop', env)).toMatchObject({
      status: 0,
      stdout: expect.stringMatching(/^kafka: was not running/m),
    });
  });

  it('reports a scratch state directory as stopped', () => {
    const result = infra('status', {});
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^kafka: stopped/m);
    expect(result.stdout).toMatch(/^ferretdb: stopped/m);
  });
});
