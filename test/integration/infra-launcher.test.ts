import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { kafkaAdminCredentials, serviceKafkaCredentials } from '../../scripts/infra/kafka.mjs';
import { freePort, repoRoot, testInfra } from '../support/harness.js';

const scratches: string[] = [];

function scratchDir(): string {
  const scratch = mkdtempSync(join(tmpdir(), 'parley-infra-'));
  scratches.push(scratch);
  return scratch;
}

/** Runs the launcher CLI in a scratch state directory, never touching the servers the tests use. */
function infra(command: string, env: Record<string, string>) {
  const result = spawnSync(process.execPath, [join(repoRoot, 'scripts/infra.mjs'), command], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '',
      PARLEY_CACHE_DIR: join(scratchDir(), 'cache'),
      PARLEY_INFRA: 'local',
      // kafkajs 2.2 warns about a negative timeout on Node 20 when it asks the broker for metadata.
      NODE_NO_WARNINGS: '1',
      ...env,
    },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.trim() };
}

/** The shared broker, so that only PostgreSQL is started by the launcher under test. */
const sharedKafka = () => ({ KAFKA_BROKERS: testInfra().kafkaBrokers.join(',') });

afterAll(() => {
  for (const scratch of scratches) {
    // A cluster the server's user could not keep under the scratch folder lives elsewhere.
    const pointer = join(scratch, 'infra/postgres/data-dir');
    if (existsSync(pointer)) rmSync(readFileSync(pointer, 'utf8').trim(), { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  }
});

describe('infrastructure launcher', () => {
  let blocker: Server | undefined;
  afterEach(() => blocker?.close());

  it('names a missing prerequisite in one line, without a stack trace', () => {
    // A PATH holding node alone: no java, mvn or go.
    const bin = scratchDir();
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

  it('names missing PostgreSQL server binaries in one line, and what to install', () => {
    const empty = scratchDir();
    const result = infra('start', {
      ...sharedKafka(),
      PARLEY_POSTGRES_BIN: empty,
      PARLEY_POSTGRES_PORT: '39994',
    });
    expect(result).toMatchObject({
      status: 2,
      stderr: `infra: PARLEY_POSTGRES_BIN=${empty} holds no PostgreSQL server binaries (initdb, postgres): point it at their folder (e.g. /usr/lib/postgresql/15/bin), or unset it to use the installed ones (apt-get install postgresql)`,
    });
  });

  it('refuses a port taken by another process and says how to choose another', async () => {
    const server = createServer();
    blocker = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    expect(infra('start', { PARLEY_KAFKA_PORT: String(port) })).toMatchObject({
      status: 2,
      stderr: `infra: port ${port} is taken by another process: set PARLEY_KAFKA_PORT, or KAFKA_BROKERS to use that broker`,
    });
    expect(infra('start', { ...sharedKafka(), PARLEY_POSTGRES_PORT: String(port) })).toMatchObject({
      status: 2,
      stderr: `infra: port ${port} is taken by another process: set PARLEY_POSTGRES_PORT, or DATABASE_URL to use that server`,
    });
  });

  it('rejects malformed settings and unknown commands', () => {
    expect(infra('start', { PARLEY_POSTGRES_PORT: 'abc' })).toMatchObject({
      status: 2,
      stderr: 'infra: PARLEY_POSTGRES_PORT must be a port number (1-65535), got "abc"',
    });
    expect(infra('start', { PARLEY_KAFKA_VERSION: '3.9.2' })).toMatchObject({
      status: 2,
      stderr: 'infra: PARLEY_KAFKA_VERSION must be a Kafka 4 release from 4.1 on, such as 4.4.0, got "3.9.2"',
    });
    expect(infra('start', { PARLEY_KAFKA_ADMIN_USERNAME: 'parley-admin' })).toMatchObject({
      status: 2,
      stderr:
        'infra: PARLEY_KAFKA_ADMIN_USERNAME and PARLEY_KAFKA_ADMIN_PASSWORD go together: set both or neither',
    });
    expect(infra('restart', {})).toMatchObject({
      status: 2,
      stderr: 'infra: unknown command "restart": use start, status, stop or env',
    });
  });

  it('never signals an unrelated process whose pid is in a stale pid file', () => {
    const scratch = scratchDir();
    // The pid of this very test worker: alive, but not a server of that data directory.
    for (const [dir, file] of [
      ['infra/kafka', 'kafka.pid'],
      ['infra/postgres', 'postgres.pid'],
    ] as const) {
      mkdirSync(join(scratch, dir), { recursive: true });
      writeFileSync(join(scratch, dir, file), `${process.pid}\n`);
    }
    const env = { PARLEY_CACHE_DIR: scratch };
    expect(infra('status', env).stdout).toMatch(/^kafka: stopped.*\npostgres: stopped/m);
    expect(infra('stop', env)).toMatchObject({
      status: 0,
      stdout: 'kafka: was not running\npostgres: was not running\n',
    });
  });

  it('refuses to reuse a broker that runs from its data dir for another setup (a Kafka 3 one)', async () => {
    const scratch = scratchDir();
    const properties = join(scratch, 'infra/kafka/server.properties');
    mkdirSync(join(scratch, 'infra/kafka'), { recursive: true });
    // A live process whose command line names the data dir's server.properties, as an older
    // launcher's broker does; no format stamp beside it.
    const old = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)', properties], {
      stdio: 'ignore',
    });
    try {
      writeFileSync(join(scratch, 'infra/kafka/kafka.pid'), `${old.pid}\n`);
      expect(
        infra('start', { PARLEY_CACHE_DIR: scratch, DATABASE_URL: testInfra().databaseUrl }),
      ).toMatchObject({
        status: 2,
        stderr: `infra: the Kafka broker running from ${join(scratch, 'infra/kafka')} (pid ${old.pid}) was started for another setup (Kafka 3 without SASL, another version or other users): stop it (npm run infra -- stop, with the same PARLEY_* settings) and start again`,
      });
    } finally {
      old.kill('SIGKILL');
    }
  });

  it('starts Kafka 4 with SASL users and the authorizer, formatting a Kafka 3 data dir anew, and stops it', {
    timeout: 180_000,
  }, async () => {
    const scratch = scratchDir();
    const [port, controllerPort, tlsPort] = [await freePort(), await freePort(), await freePort()];
    const env = {
      // The repository's jar cache (downloaded once), a scratch data dir.
      PARLEY_CACHE_DIR: join(repoRoot, '.cache'),
      PARLEY_INFRA_DATA_DIR: join(scratch, 'infra'),
      PARLEY_KAFKA_PORT: String(port),
      PARLEY_KAFKA_CONTROLLER_PORT: String(controllerPort),
      PARLEY_KAFKA_TLS_PORT: String(tlsPort),
      DATABASE_URL: testInfra().databaseUrl,
    };
    // What a 3.x launcher left: formatted storage, no stamp of the SASL setup.
    mkdirSync(join(scratch, 'infra/kafka/data'), { recursive: true });
    writeFileSync(
      join(scratch, 'infra/kafka/data/meta.properties'),
      'version=1\ncluster.id=Kafka3ClusterIdAAAAAAA\nnode.id=1\n',
    );

    const first = infra('start', env);
    expect(first).toMatchObject({ status: 0 });
    expect(first.stderr).toContain(
      `[infra] ${join(scratch, 'infra/kafka/data')} holds Kafka data formatted for another setup (Kafka 3, another version or other SASL users): formatting it anew`,
    );
    expect(first.stdout).toMatch(
      new RegExp(
        `^Kafka: 127\\.0\\.0\\.1:${port} — Apache Kafka 4\\.\\d+\\.\\d+ \\(KRaft, SASL SCRAM-SHA-512, StandardAuthorizer\\) \\[local, started now, SASL as parley-admin\\]$`,
        'm',
      ),
    );
    expect(readFileSync(join(scratch, 'infra/kafka/data/meta.properties'), 'utf8')).not.toContain(
      'Kafka3ClusterId',
    );
    const brokers = [`127.0.0.1:${port}`];
    const listTopics = async (sasl?: { username: string; password: string }) => {
      const admin = new Kafka({
        clientId: 'launcher-test',
        brokers,
        logLevel: logLevel.NOTHING,
        retry: { retries: 0 },
        ...(sasl ? { sasl: { mechanism: 'scram-sha-512', ...sasl } } : {}),
      }).admin();
      try {
        await admin.connect();
        return await admin.listTopics();
      } finally {
        await admin.disconnect();
      }
    };
    await expect(listTopics()).rejects.toThrow();
    await expect(listTopics(serviceKafkaCredentials('history'))).resolves.toEqual([]);
    await expect(listTopics(kafkaAdminCredentials)).resolves.toEqual([]);

    expect(infra('start', env).stdout).toMatch(
      /^Kafka: .* \[local, already running, SASL as parley-admin\]$/m,
    );
    expect(infra('env', env).stdout).toContain(
      `export KAFKA_BROKERS=127.0.0.1:${port}\nexport DATABASE_URL=${testInfra().databaseUrl}\nexport PARLEY_KAFKA_ADMIN_USERNAME=parley-admin\n`,
    );
    expect(infra('stop', env)).toMatchObject({
      status: 0,
      stdout: 'kafka: stopped\npostgres: was not running\n',
    });
  });

  it('reports a scratch state directory as stopped', () => {
    const result = infra('status', {});
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^kafka: stopped/m);
    expect(result.stdout).toMatch(/^postgres: stopped/m);
  });

  it('starts PostgreSQL once, reuses it, reports it, and stops it; the data outlives a restart', async () => {
    const scratch = scratchDir();
    // Reachable by the unprivileged user the server runs as under root, so the cluster stays here.
    chmodSync(scratch, 0o755);
    const port = await freePort();
    const env = { ...sharedKafka(), PARLEY_CACHE_DIR: scratch, PARLEY_POSTGRES_PORT: String(port) };
    const url = `postgres://parley@127.0.0.1:${port}/postgres`;

    const first = infra('start', env);
    expect(first).toMatchObject({ status: 0 });
    expect(first.stdout).toMatch(
      new RegExp(`^Store: ${url} — PostgreSQL \\d+\\.\\d+.* \\[local, started now\\]$`, 'm'),
    );
    const status = infra('status', env);
    const pid = Number(/^postgres: running \(pid (\d+)\) on 127\.0\.0\.1:(\d+)/m.exec(status.stdout)?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(status.stdout).toContain(
      `on 127.0.0.1:${port} — log ${join(scratch, 'infra/postgres/postgres.log')}`,
    );
    expect(readFileSync(join(scratch, 'infra/postgres/data-dir'), 'utf8').trim()).toBe(
      join(scratch, 'infra/postgres/cluster'),
    );
    if (process.getuid?.() === 0) {
      // PostgreSQL refuses root: the launcher runs it as an unprivileged user.
      const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      expect(Number(uid)).not.toBe(0);
    }

    const again = infra('start', env);
    expect(again.stdout).toMatch(/^Store: .* \[local, already running\]$/m);
    expect(infra('status', env).stdout).toContain(`postgres: running (pid ${pid})`);
    expect(infra('env', env).stdout).toContain(`export DATABASE_URL=${url}\n`);

    // The Parley database and the service roles exist; a table written now outlives a restart.
    const client = new pg.Client({
      connectionString: `postgres://parley_history:parley-dev@127.0.0.1:${port}/parley`,
    });
    await client.connect();
    await client.query(
      'create schema kept; create table kept.t (v text); insert into kept.t values ($$here$$)',
    );
    await client.end();

    expect(infra('stop', env)).toMatchObject({
      status: 0,
      stdout: 'kafka: was not running\npostgres: stopped\n',
    });
    expect(infra('stop', env).stdout).toBe('kafka: was not running\npostgres: was not running\n');
    expect(infra('status', env).stdout).toMatch(/^postgres: stopped/m);

    expect(infra('start', env).stdout).toMatch(/\[local, started now\]$/m);
    const reopened = new pg.Client({
      connectionString: `postgres://parley_history:parley-dev@127.0.0.1:${port}/parley`,
    });
    await reopened.connect();
    expect((await reopened.query('select v from kept.t')).rows).toEqual([{ v: 'here' }]);
    await reopened.end();
    expect(infra('stop', env).stdout).toBe('kafka: was not running\npostgres: stopped\n');
  });
});
