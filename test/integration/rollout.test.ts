import { randomUUID } from 'node:crypto';
import { createServer, type Server, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createParleyClient, type ParleyClient, type ThreadMessage } from '@parley/client';
import { type BrandServer, startBrandServer } from '@parley/test-brand';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { dropSchema, serviceStore } from '../support/database.js';
import { authClient, historyClient } from '../support/grpc.js';
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
} from '../support/services.js';

/**
 * A Kubernetes Service in miniature: each new connection goes to the first pod that accepts it, so
 * when a pod stops listening its clients land on the next one.
 */
async function serviceProxy(ports: () => number[]): Promise<{ url: string; close(): void }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    const candidates = [...ports()];
    const tryNext = () => {
      const port = candidates.shift();
      if (port === undefined) return void client.destroy();
      const upstream = new Socket();
      upstream.once('error', tryNext); // refused: this pod is gone, try the next
      upstream.connect(port, '127.0.0.1', () => {
        upstream.removeListener('error', tryNext);
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        client.pipe(upstream).pipe(client);
        upstream.on('close', () => client.destroy());
        client.on('close', () => upstream.destroy());
      });
    };
    tryNext();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

/**
 * A rolling restart under load: enrichment and an ingress pod get SIGTERM while customers send and
 * devices listen. Every accepted message must end up stored exactly once and reach the listening
 * devices in order; the stopped pods must exit cleanly within the grace period.
 */
describe('SIGTERM under load (rolling restart)', () => {
  const logger = testLogger('rollout-test');
  let brand: BrandServer;
  let auth: Awaited<ReturnType<typeof startAuth>>;
  let history: Awaited<ReturnType<typeof startHistory>>;
  let proxy: Awaited<ReturnType<typeof serviceProxy>>;
  const pods: ServiceProcess[] = [];
  const listeners: ParleyClient[] = [];
  let enrichmentEnv: () => Promise<Record<string, string>>;
  // The ingress pods share one schema, as the pods of a deployment do (and migrate it together).
  const ingressStore = serviceStore('ingress');

  beforeAll(async () => {
    const build = buildWorkspaces(['@parley/ingress', '@parley/enrichment']);
    expect(build.status, build.stderr).toBe(0);
    brand = await startBrandServer();
    for (let i = 0; i < 4; i += 1) brand.customers.set(`c-${i}`, { name: `Customer ${i}`, tier: 'gold' });
    auth = await startAuth(logger);
    const prefix = await freshTopics(testKafka(), pipelineTopics);
    history = await startHistory(prefix, logger);
    await putBrandChannel(auth.grpcAddress(), brand);
    const common = {
      BIND_HOST: '127.0.0.1',
      KAFKA_TOPIC_PREFIX: prefix,
      BRAND_HOST_ALLOW_LIST: '127.0.0.1',
      AUTH_GRPC_ADDRESS: auth.grpcAddress(),
      SHUTDOWN_TIMEOUT_SECONDS: '25',
    };
    const ingressEnv = async (instance: string) => ({
      ...common,
      ...kafkaServiceEnv('ingress'),
      ...ingressStore,
      HISTORY_GRPC_ADDRESS: history.grpcAddress(),
      INTEGRATIONS_GRPC_ADDRESS: '127.0.0.1:9',
      HTTP_PORT: String(await freePort()),
      OPS_PORT: String(await freePort()),
      RATE_LIMIT_PER_SESSION_PER_MINUTE: '100000',
      RATE_LIMIT_PER_IP_PER_MINUTE: '100000',
      INSTANCE_ID: instance,
    });
    enrichmentEnv = async () => ({
      ...common,
      ...kafkaServiceEnv('enrichment'),
      OPS_PORT: String(await freePort()),
    });
    const [i1, i2] = [await ingressEnv('ingress-1'), await ingressEnv('ingress-2')];
    pods.push(startServiceProcess('ingress', i1), startServiceProcess('ingress', i2));
    const e1 = await enrichmentEnv();
    pods.push(startServiceProcess('enrichment', e1));
    const alive = new Set(['ingress-1', 'ingress-2']);
    const httpPorts = { 'ingress-1': Number(i1.HTTP_PORT), 'ingress-2': Number(i2.HTTP_PORT) };
    proxy = await serviceProxy(() => [...alive].map((name) => httpPorts[name as keyof typeof httpPorts]));
    // Ready means the consumers have joined their groups: the load starts on a settled system.
    // All at once, and patient: three processes joining consumer groups on a busy two-core machine.
    await Promise.all(
      (
        [
          [i1, 'ingress-1'],
          [i2, 'ingress-2'],
          [e1, 'enrichment-1'],
        ] as const
      ).map(([env, name]) => waitForReady(name, `http://127.0.0.1:${env.OPS_PORT}`, 90_000)),
    );
  }, 180_000);

  afterAll(async () => {
    for (const listener of listeners) listener.close();
    proxy?.close();
    for (const pod of pods) if (pod.child.exitCode === null) pod.child.kill('SIGKILL');
    await history?.stop();
    await auth?.stop();
    await Promise.all([dropStore(history), dropStore(auth), dropSchema(ingressStore.DATABASE_SCHEMA)]);
    await brand?.stop();
  });

  it('loses nothing accepted while enrichment and an ingress pod are replaced', {
    timeout: 240_000,
  }, async () => {
    const customers = ['c-0', 'c-1', 'c-2', 'c-3'];
    const grpc = authClient(auth.grpcAddress());
    const senders = await Promise.all(
      customers.map((sub) =>
        signInThroughAuth(grpc, brand, sub, { tenantId: 'acme', channelId: 'web', deviceId: 'laptop' }),
      ),
    );
    grpc.close();

    // The customers' phones listen through the "Service", with the SDK (reconnect, resume, gaps).
    const received = new Map<string, ThreadMessage[]>();
    for (const sub of customers) {
      const phone = createParleyClient({
        baseUrl: proxy.url,
        tenantId: 'acme',
        channelId: 'web',
        redirectUri: brand.client.redirectUri,
        device: { id: `phone-${sub}`, platform: 'ios' },
        WebSocket: WebSocket as never,
        reconnect: { initialDelayMs: 100, maxDelayMs: 1000 },
      });
      listeners.push(phone);
      const list: ThreadMessage[] = [];
      received.set(sub, list);
      phone.onMessage((message) => list.push(message));
      const { code, codeVerifier, iss } = await brand.authorize(sub);
      await phone.authorize(code, codeVerifier, { iss });
    }
    await waitFor('every phone live', () => listeners.every((phone) => phone.status === 'live'));

    // Load: every 40 ms a message from one of the customers, through the "Service"; a request that
    // fails in flight is retried with the same clientMessageId, as clients do.
    const accepted = new Map<string, Set<string>>(customers.map((sub) => [sub, new Set<string>()]));
    const failures: string[] = [];
    let sending = true;
    const sendOne = async (index: number) => {
      const sub = customers[index % customers.length] as string;
      const session = senders[index % customers.length] as (typeof senders)[number];
      const clientMessageId = randomUUID();
      for (let attempt = 1; attempt <= 20; attempt += 1) {
        try {
          const response = await fetch(`${proxy.url}/v1/messages`, {
            method: 'POST',
            headers: { authorization: `Bearer ${session.sessionToken}`, 'content-type': 'application/json' },
            body: JSON.stringify({ clientMessageId, text: `message ${index}` }),
          });
          if (response.status === 202) {
            accepted.get(sub)?.add(((await response.json()) as { messageId: string }).messageId);
            return;
          }
          failures.push(`${response.status}`);
        } catch (error) {
          failures.push((error as Error).message);
        }
        await sleep(100);
      }
    };
    const inFlight: Promise<void>[] = [];
    const load = (async () => {
      for (let index = 0; sending; index += 1) {
        inFlight.push(sendOne(index));
        await sleep(40);
      }
    })();

    await sleep(3000);
    const [ingress1, , enrichment1] = pods as [ServiceProcess, ServiceProcess, ServiceProcess];
    // Roll enrichment: the replacement starts, the old pod gets SIGTERM and drains.
    pods.push(startServiceProcess('enrichment', await enrichmentEnv()));
    const enrichmentStopped = Date.now();
    enrichment1.child.kill('SIGTERM');
    await sleep(3000);
    // Roll an ingress pod: its sockets close with 1001 and the phones reconnect to the other pod.
    const ingressStopped = Date.now();
    ingress1.child.kill('SIGTERM');
    await sleep(4000);
    sending = false;
    await load;
    await Promise.all(inFlight);

    const [enrichmentExit, ingressExit] = await Promise.all([enrichment1.exited, ingress1.exited]);
    expect(enrichmentExit.code, enrichment1.output).toBe(0);
    expect(ingressExit.code, ingress1.output).toBe(0);
    expect(enrichmentExit.at - enrichmentStopped).toBeLessThan(30_000);
    expect(ingressExit.at - ingressStopped).toBeLessThan(30_000);

    const total = [...accepted.values()].reduce((sum, ids) => sum + ids.size, 0);
    expect(total).toBeGreaterThan(100);
    console.log(
      `rollout: ${total} messages accepted, ${failures.length} attempts failed in flight and were retried; ` +
        `enrichment-1 exited after ${enrichmentExit.at - enrichmentStopped} ms, ingress-1 after ${ingressExit.at - ingressStopped} ms`,
    );

    // Every accepted message is stored exactly once, and every phone got all of them, in order.
    const historyIngress = historyClient(history.grpcAddress());
    for (const sub of customers) {
      const ids = accepted.get(sub) as Set<string>;
      const list = received.get(sub) as ThreadMessage[];
      await waitFor(
        `${sub}'s phone to have all ${ids.size} messages`,
        () => [...ids].every((id) => list.some((message) => message.messageId === id)),
        { timeoutMs: 60_000 },
      );
      const seqs = list.map((message) => message.seq);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
      expect(new Set(list.map((message) => message.messageId)).size).toBe(list.length);
      const stored = await historyIngress.call.Sync({
        tenantId: 'acme',
        customerKey: senders[customers.indexOf(sub)]?.customer?.customerKey ?? '',
        threadId: senders[customers.indexOf(sub)]?.threadId ?? '',
        afterSeq: 0,
        limit: 1000,
      });
      expect(stored.messages.map((message) => message.messageId).sort()).toEqual([...ids].sort());
    }
    historyIngress.close();
  });
});
