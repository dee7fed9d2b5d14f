import { Agent, request } from 'node:http';
import { connect as connectTcp, type Socket } from 'node:net';
import { type BrandServer, startBrandServer } from '@parley/test-brand';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { dropSchema, serviceStore } from '../support/database.js';
import { openDeviceStream } from '../support/device-stream.js';
import { authClient } from '../support/grpc.js';
import {
  freePort,
  freshTopics,
  kafkaServiceEnv,
  testKafka,
  testLogger,
  waitFor,
  waitForReady,
} from '../support/harness.js';
import { buildWorkspaces, type ServiceProcess, startServiceProcess } from '../support/service-process.js';
import {
  dropStore,
  pipelineTopics,
  putBrandChannel,
  signInThroughAuth,
  startAuth,
  startHistory,
  startIngress,
} from '../support/services.js';

/** Signs `sub` in on a device at the brand and through auth, as a chat window would. */
async function signIn(auth: { grpcAddress(): string }, brand: BrandServer, sub: string, deviceId: string) {
  const grpc = authClient(auth.grpcAddress());
  try {
    return await signInThroughAuth(grpc, brand, sub, { tenantId: 'acme', channelId: 'web', deviceId });
  } finally {
    grpc.close();
  }
}

describe('ingress streams across pods', () => {
  const logger = testLogger('ingress-streams-test');
  let brand: BrandServer;
  let auth: Awaited<ReturnType<typeof startAuth>>;
  let history: Awaited<ReturnType<typeof startHistory>>;
  const pods: Awaited<ReturnType<typeof startIngress>>[] = [];

  beforeAll(async () => {
    brand = await startBrandServer();
    brand.customers.set('c-1', { name: 'Ada' });
    const prefix = await freshTopics(testKafka(), pipelineTopics);
    history = await startHistory(prefix, logger);
    auth = await startAuth(logger);
    await putBrandChannel(auth.grpcAddress(), brand);
    for (const instance of ['pod-1', 'pod-2']) {
      pods.push(
        await startIngress(prefix, { auth: auth.grpcAddress(), history: history.grpcAddress() }, logger, {
          INSTANCE_ID: instance,
          // The periodic re-check is far away: only the logout's event can close the stream in time.
          STREAM_REAUTHORIZE_SECONDS: '3600',
        }),
      );
    }
    // Ready: both pods' consumers have joined their groups and see what comes next.
    for (const pod of pods)
      await waitFor('the pod ready', async () => (await fetch(`${pod.opsUrl()}/readyz`)).status === 200);
  });

  afterAll(async () => {
    for (const pod of pods) await pod.stop();
    await auth?.stop();
    await history?.stop();
    await Promise.all([...pods.map((pod) => dropStore(pod)), dropStore(auth), dropStore(history)]);
    await brand?.stop();
  });

  it('closes a stream on pod 2 within a second of a logout served by pod 1 (4403)', async () => {
    const [pod1, pod2] = pods as [(typeof pods)[0], (typeof pods)[0]];
    const tablet = await signIn(auth, brand, 'c-1', 'tablet');
    const phone = await signIn(auth, brand, 'c-1', 'phone');
    const ended = openDeviceStream(pod2.httpUrl(), tablet.sessionToken);
    const other = openDeviceStream(pod2.httpUrl(), phone.sessionToken);
    await ended.frame('ready');
    await other.frame('ready');

    const loggedOutAt = Date.now();
    const logout = await fetch(`${pod1.httpUrl()}/v1/session`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${tablet.sessionToken}` },
    });
    expect(logout.status).toBe(200);
    const closed = await waitFor('the close on pod 2', () => ended.closed(), { timeoutMs: 1000 });
    expect(closed).toMatchObject({ code: 4403, reason: 'session_ended' });
    expect((ended.closedAt() ?? Number.POSITIVE_INFINITY) - loggedOutAt).toBeLessThan(1000);
    // The customer's other device keeps its stream.
    expect(other.closed()).toBeUndefined();
    other.socket.close();
  });
});

describe('stopping an ingress process (SIGTERM) with clients connected', () => {
  const logger = testLogger('ingress-sigterm-test');
  let brand: BrandServer;
  let auth: Awaited<ReturnType<typeof startAuth>>;
  let history: Awaited<ReturnType<typeof startHistory>>;
  let pod: ServiceProcess | undefined;
  let prefix = '';
  const store = serviceStore('ingress');

  beforeAll(async () => {
    const build = buildWorkspaces(['@parley/ingress']);
    expect(build.status, build.stderr).toBe(0);
    brand = await startBrandServer();
    brand.customers.set('c-1', { name: 'Ada' });
    auth = await startAuth(logger);
    prefix = await freshTopics(testKafka(), pipelineTopics);
    history = await startHistory(prefix, logger);
    await putBrandChannel(auth.grpcAddress(), brand);
  }, 180_000);

  afterAll(async () => {
    if (pod && pod.child.exitCode === null) pod.child.kill('SIGKILL');
    await history?.stop();
    await auth?.stop();
    await Promise.all([dropStore(history), dropStore(auth), dropSchema(store.DATABASE_SCHEMA)]);
    await brand?.stop();
  });

  it('closes idle keep-alive connections at once and streams with 1001, and exits 0 well within the timeout', {
    timeout: 120_000,
  }, async () => {
    const [httpPort, opsPort] = [await freePort(), await freePort()];
    pod = startServiceProcess('ingress', {
      ...kafkaServiceEnv('ingress'),
      ...store,
      BIND_HOST: '127.0.0.1',
      KAFKA_TOPIC_PREFIX: prefix,
      AUTH_GRPC_ADDRESS: auth.grpcAddress(),
      HISTORY_GRPC_ADDRESS: history.grpcAddress(),
      INTEGRATIONS_GRPC_ADDRESS: '127.0.0.1:9',
      HTTP_PORT: String(httpPort),
      OPS_PORT: String(opsPort),
      SHUTDOWN_TIMEOUT_SECONDS: '25',
    });
    await waitForReady('ingress', `http://127.0.0.1:${opsPort}`);
    const api = `http://127.0.0.1:${httpPort}`;

    // An idle keep-alive connection: one request answered, the socket kept open by the agent.
    const agent = new Agent({ keepAlive: true, keepAliveMsecs: 60_000 });
    let keptAlive: Socket | undefined;
    let keptAliveClosedAt: number | undefined;
    await new Promise<void>((resolve, reject) => {
      const sent = request(`${api}/openapi.json`, { agent }, (response) => {
        response.resume();
        response.on('end', () => resolve());
      });
      sent.on('socket', (socket) => {
        keptAlive = socket;
        socket.once('close', () => {
          keptAliveClosedAt = Date.now();
        });
      });
      sent.on('error', reject);
      sent.end();
    });
    expect(keptAlive?.destroyed).toBe(false);

    // Streams: one authorized, one that has not sent its credentials yet.
    const session = await signIn(auth, brand, 'c-1', 'laptop');
    const ready = openDeviceStream(api, session.sessionToken);
    await ready.frame('ready');
    const waiting = openDeviceStream(api);
    await waitFor('the second stream open', () => waiting.socket.readyState === WebSocket.OPEN);
    // A device gone silent (asleep, or its network lost): upgraded, and then it never answers.
    const silent = connectTcp(httpPort, '127.0.0.1');
    let upgraded = '';
    let silentClosedAt: number | undefined;
    silent.on('data', (chunk: Buffer) => {
      if (!upgraded.includes('\r\n\r\n')) upgraded += chunk.toString('latin1');
    });
    silent.on('close', () => {
      silentClosedAt = Date.now();
    });
    silent.write(
      [
        'GET /v1/stream HTTP/1.1',
        `Host: 127.0.0.1:${httpPort}`,
        'Upgrade: websocket',
        'Connection: Upgrade',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
        'Sec-WebSocket-Version: 13',
        'Sec-WebSocket-Protocol: parley.v1',
        '',
        '',
      ].join('\r\n'),
    );
    await waitFor('the silent stream upgraded', () => upgraded.startsWith('HTTP/1.1 101'));

    const stoppedAt = Date.now();
    pod.child.kill('SIGTERM');
    const exit = await pod.exited;
    expect(pod.output).not.toContain('shutdown timed out');
    expect(exit.code).toBe(0);
    expect(exit.at - stoppedAt).toBeLessThan(8000);
    expect(ready.closed()).toMatchObject({ code: 1001 });
    expect(waiting.closed()).toMatchObject({ code: 1001 });
    // Both closed by the server while it stopped, not by the process's exit.
    const closedAt = await waitFor('both sockets closed', () =>
      keptAliveClosedAt && silentClosedAt ? { keptAliveClosedAt, silentClosedAt } : undefined,
    );
    expect(closedAt.keptAliveClosedAt).toBeLessThan(exit.at);
    expect(closedAt.silentClosedAt).toBeLessThan(exit.at);
    agent.destroy();
  });
});
