// The baseline, a forked process of its own: the physical limit of Parley's pipeline on this
// machine. Per message it does the same external work as Parley with nothing in between —
// introspect the customer's token at the brand, produce to Kafka (as Parley's producer does:
// idempotent, acks=all), consume it, fetch the customer data from the brand, insert one row into
// PostgreSQL (a table of its own, one statement in its own transaction) — at the same rate over the
// same customers, and times each step.
import { setTimeout as sleep } from 'node:timers/promises';
import { type Consumer, Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import pg from 'pg';
import type {
  BaselineCommand,
  BaselineReply,
  BaselineSetup,
  MessageSample,
  RunRequest,
  RunResult,
} from './load-protocol.js';
import { paceAt } from './pacing.js';
import { serveWorker } from './worker-link.js';

class StepError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

interface InFlight {
  readonly sample: MessageSample;
  readonly t0: number;
  readonly token: string;
}

let setup: BaselineSetup;
let producer: Producer;
let consumer: Consumer;
let pool: pg.Pool;
let insertMessage: (id: string, customer: unknown) => Promise<unknown>;
const inFlight = new Map<string, InFlight>();
let rtt = { introspection: [] as number[], userinfo: [] as number[] };

async function introspect(token: string): Promise<void> {
  const started = performance.now();
  const { clientId, clientSecret } = setup.brand;
  const response = await fetch(setup.brand.introspection, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
  }).catch(() => {
    throw new StepError('introspection_unreachable');
  });
  const body = (await response.json().catch(() => ({}))) as { active?: boolean };
  rtt.introspection.push(performance.now() - started);
  if (!response.ok) throw new StepError(`introspection_http_${response.status}`);
  if (body.active !== true) throw new StepError('token_inactive');
}

async function fetchCustomerData(token: string): Promise<unknown> {
  const started = performance.now();
  const response = await fetch(setup.brand.userinfo, { headers: { authorization: `Bearer ${token}` } }).catch(
    () => {
      throw new StepError('userinfo_unreachable');
    },
  );
  const body: unknown = await response.json().catch(() => undefined);
  rtt.userinfo.push(performance.now() - started);
  if (!response.ok) throw new StepError(`userinfo_http_${response.status}`);
  return body;
}

const codeOf = (error: unknown) => (error instanceof StepError ? error.code : 'failed');

/** The consumer's half: customer data, then one insert. Not awaited by the consumer loop. */
async function finish(id: string) {
  const entry = inFlight.get(id);
  if (!entry) return;
  try {
    const customer = await fetchCustomerData(entry.token);
    entry.sample.enrichedMs = performance.now() - entry.t0;
    await insertMessage(id, customer).catch(() => {
      throw new StepError('postgres_insert_failed');
    });
    entry.sample.deliveredMs = performance.now() - entry.t0;
  } catch (error) {
    entry.sample.error ??= codeOf(error);
  }
}

async function start(options: BaselineSetup) {
  setup = options;
  const kafka = new Kafka({
    clientId: 'parley-bench-baseline',
    brokers: [...setup.kafka.brokers],
    logLevel: logLevel.ERROR,
    // The same broker security as the services pay (SCRAM login; the admin owns its own topic).
    ...(setup.kafka.sasl ? { sasl: { ...setup.kafka.sasl } } : {}),
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic: setup.kafka.topic, numPartitions: 3, replicationFactor: 1 }],
  });
  await admin.disconnect();
  producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 5,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  consumer = kafka.consumer({ groupId: setup.kafka.groupId, maxWaitTimeInMs: 100 });
  await consumer.connect();
  // A topic of its own: from the beginning is exactly what this run produces.
  await consumer.subscribe({ topic: setup.kafka.topic, fromBeginning: true });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({
    partitionsConsumedConcurrently: 3,
    eachMessage: async ({ message }) => void finish(message.value?.toString() ?? ''),
  });
  await Promise.race([
    joined,
    sleep(30_000).then(() => {
      throw new Error('the baseline consumer did not join its group within 30 s');
    }),
  ]);
  // Pooled connections and a named (prepared) statement, as the services have.
  pool = new pg.Pool({ connectionString: setup.postgres.url, application_name: 'parley-bench-baseline' });
  pool.on('error', () => {}); // an idle connection that drops is replaced; inserts report their own failures
  const { schema } = setup.postgres;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`not a schema name: ${schema}`);
  await pool.query(`create schema if not exists ${schema}`);
  await pool.query(
    `create table if not exists ${schema}.messages (message_id text primary key, customer jsonb, stored_at timestamptz not null)`,
  );
  const insert = `insert into ${schema}.messages (message_id, customer, stored_at) values ($1, $2, now())`;
  insertMessage = (id, customer) =>
    pool.query({ name: 'baseline_insert', text: insert, values: [id, JSON.stringify(customer ?? null)] });
  await insertMessage('warm-up', null);
}

let runCounter = 0;

async function run(request: RunRequest): Promise<RunResult> {
  runCounter += 1;
  rtt = { introspection: [], userinfo: [] };
  const samples: MessageSample[] = [];
  const ids: string[] = [];
  const tokens = setup.accessTokens;
  const { start: started, end } = await paceAt(request.rate, request.durationMs, (index, t0) => {
    const id = `b${runCounter}.${index}`;
    const customer = index % tokens.length;
    const token = tokens[customer] as string;
    const sample: MessageSample = { sentAt: performance.timeOrigin + t0, brand: 'fast' };
    samples.push(sample);
    ids.push(id);
    inFlight.set(id, { sample, t0, token });
    void (async () => {
      try {
        await introspect(token);
        await producer
          .send({ topic: setup.kafka.topic, acks: -1, messages: [{ key: String(customer), value: id }] })
          .catch(() => {
            throw new StepError('kafka_produce_failed');
          });
        sample.ackMs = performance.now() - t0;
      } catch (error) {
        sample.error ??= codeOf(error);
      }
    })();
  });
  const settled = (sample: MessageSample) => sample.error !== undefined || sample.deliveredMs !== undefined;
  const deadline = performance.now() + request.drainMs;
  while (performance.now() < deadline && !samples.every(settled)) await sleep(50);
  for (const id of ids) inFlight.delete(id);
  return {
    label: request.label,
    rate: request.rate,
    startedAt: performance.timeOrigin + started,
    sendingEndedAt: performance.timeOrigin + end,
    samples,
    errors: {},
    brandRtt: rtt,
  };
}

/** The brand's round trips with nothing else running: one call at a time. */
async function probe(count: number) {
  rtt = { introspection: [], userinfo: [] };
  const token = setup.accessTokens[0] as string;
  for (let index = 0; index < count; index += 1) {
    await introspect(token);
    await fetchCustomerData(token);
  }
  return rtt;
}

serveWorker<BaselineCommand, BaselineReply>(async (command, reply) => {
  switch (command.type) {
    case 'start':
      await start(command.setup);
      return reply({ type: 'ready' });
    case 'run':
      return reply({ type: 'ran', id: command.id, result: await run(command) });
    case 'probe': {
      const measured = await probe(command.count);
      return reply({ type: 'probed', id: command.id, ...measured });
    }
    case 'stop':
      await Promise.allSettled([consumer?.disconnect(), producer?.disconnect(), pool?.end()]);
      process.exit(0);
  }
});
