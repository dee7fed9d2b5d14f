// The load generator, a forked process of its own: every customer's devices on WebSockets to
// ingress (senders and receivers) and a bot consumer of the enriched events on Kafka. It times each
// message from its intended send to its `ack`, to its arrival on the customer's other device, and
// to the bot seeing it enriched.
import { setTimeout as sleep } from 'node:timers/promises';
import { type Consumer, Kafka, logLevel } from 'kafkajs';
import { WebSocket } from 'ws';
import { podOfDevice } from './ingress-pods.js';
import type {
  CustomerSession,
  LoadCommand,
  LoadReply,
  MessageSample,
  RunRequest,
  RunResult,
  StormResult,
} from './load-protocol.js';
import { interleaveBrands, mapConcurrent, paceAt } from './pacing.js';
import { serveWorker } from './worker-link.js';

interface Device {
  readonly customer: CustomerSession;
  readonly token: string;
  /** The stream URL of the ingress pod it connects to. */
  readonly url: string;
  socket: WebSocket | undefined;
  lastSeq: number;
  closing: boolean;
  onSync: (() => void) | undefined;
  onReady: (() => void) | undefined;
}

interface InFlight {
  readonly sample: MessageSample;
  readonly t0: number;
  readonly receiver: Device;
}

const textPrefix = 'bench ';
/** One per ingress pod (`--ingress-pods`); idle streams (e) go to the first. */
let streamUrls: readonly string[] = [];
let devices: Device[][] = [];
/** Devices added for the storm (c): sessions of their own, not sending in runs. */
let added: Device[] = [];
/** Streams held open, idle, for ingress's memory per connection (e). */
let idle: WebSocket[] = [];
let consumer: Consumer | undefined;
const inFlight = new Map<string, InFlight>();
let runErrors: Record<string, number> = {};

const countError = (code: string) => {
  runErrors[code] = (runErrors[code] ?? 0) + 1;
};

function onFrame(device: Device, frame: Record<string, unknown>) {
  const now = performance.now();
  switch (frame.type) {
    case 'ready':
      return device.onReady?.();
    case 'sync':
      device.lastSeq = Math.max(device.lastSeq, Number(frame.lastSeq) || 0);
      return device.onSync?.();
    case 'message': {
      device.lastSeq = Math.max(device.lastSeq, Number(frame.seq) || 0);
      const text = (frame.message as { text?: string } | undefined)?.text ?? '';
      const entry = text.startsWith(textPrefix) ? inFlight.get(text.slice(textPrefix.length)) : undefined;
      if (entry && entry.receiver === device) entry.sample.deliveredMs ??= now - entry.t0;
      return;
    }
    case 'ack': {
      const entry = inFlight.get(String(frame.clientMessageId));
      if (entry) entry.sample.ackMs ??= now - entry.t0;
      return;
    }
    case 'error': {
      const entry = inFlight.get(String(frame.clientMessageId));
      if (entry) entry.sample.error ??= String(frame.code ?? 'error');
      else countError(`frame_${String(frame.code ?? 'error')}`);
      return;
    }
  }
}

/** Opens a device's stream, resuming after its last seq; resolves with ms to `ready` and `sync`. */
function connect(device: Device, timeoutMs: number): Promise<{ readyMs: number; syncMs: number }> {
  const started = performance.now();
  let readyMs = Number.NaN;
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${device.url}?after=${device.lastSeq}`, [
      'parley.v1',
      `parley.token.${device.token}`,
    ]);
    device.socket = socket;
    device.closing = false;
    const timer = setTimeout(() => {
      reject(new Error('sync_timeout'));
      socket.terminate();
    }, timeoutMs);
    device.onReady = () => {
      readyMs = performance.now() - started;
    };
    device.onSync = () => {
      clearTimeout(timer);
      device.onSync = undefined;
      resolve({ readyMs, syncMs: performance.now() - started });
    };
    socket.on('message', (data) => {
      try {
        onFrame(device, JSON.parse(data.toString()) as Record<string, unknown>);
      } catch {
        countError('unreadable_frame');
      }
    });
    socket.on('error', () => {}); // followed by close
    socket.on('close', (code) => {
      clearTimeout(timer);
      if (device.socket === socket) device.socket = undefined;
      if (device.onSync) reject(new Error(`closed_${code}`));
      else if (!device.closing) countError(`socket_closed_${code}`);
    });
  });
}

async function startBot(kafka: Extract<LoadCommand, { type: 'connect' }>['kafka']) {
  // The probe timing send → enriched reads the internal topic as an operator's consumer (parley-admin).
  const client = new Kafka({
    clientId: 'parley-bench-bot',
    brokers: [...kafka.brokers],
    logLevel: logLevel.ERROR,
    ...(kafka.sasl ? { sasl: { ...kafka.sasl } } : {}),
  });
  consumer = client.consumer({ groupId: kafka.groupId, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: kafka.enrichedTopic, fromBeginning: false });
  const joined = new Promise<void>((resolve) => consumer?.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({
    eachMessage: async ({ message }) => {
      const now = performance.now();
      let event: { clientMessageId?: string; enrichment?: { status?: string; reason?: string } };
      try {
        event = JSON.parse(message.value?.toString() ?? '{}');
      } catch {
        return countError('unreadable_enriched_event');
      }
      const entry = inFlight.get(String(event.clientMessageId));
      if (!entry) return;
      entry.sample.enrichedMs ??= now - entry.t0;
      if (event.enrichment?.status !== 'ok')
        entry.sample.error ??= `enrichment_${event.enrichment?.reason ?? 'unavailable'}`;
    },
  });
  await Promise.race([
    joined,
    sleep(30_000).then(() => {
      throw new Error('the bot consumer did not join its group within 30 s');
    }),
  ]);
}

const settled = (sample: MessageSample) =>
  sample.error !== undefined ||
  (sample.ackMs !== undefined && sample.deliveredMs !== undefined && sample.enrichedMs !== undefined);

let runCounter = 0;

async function run(request: RunRequest): Promise<RunResult> {
  runErrors = {};
  runCounter += 1;
  const senders = interleaveBrands(
    devices.filter((customer) => request.brands.includes(customer[0]?.customer.brand ?? 'fast')),
  );
  if (senders.length === 0) throw new Error(`no customers of ${request.brands.join(', ')} brands`);
  const samples: MessageSample[] = [];
  const ids: string[] = [];
  const { start, end } = await paceAt(request.rate, request.durationMs, (index, t0) => {
    const customer = senders[index % senders.length] as Device[];
    const round = Math.floor(index / senders.length);
    const sender = customer[round % customer.length] as Device;
    const receiver = customer[(round + 1) % customer.length] as Device;
    const id = `r${runCounter}.${index}`;
    const sample: MessageSample = { sentAt: performance.timeOrigin + t0, brand: sender.customer.brand };
    samples.push(sample);
    ids.push(id);
    inFlight.set(id, { sample, t0, receiver });
    if (sender.socket?.readyState !== WebSocket.OPEN) sample.error = 'socket_not_open';
    else
      sender.socket.send(JSON.stringify({ type: 'send', clientMessageId: id, text: `${textPrefix}${id}` }));
  });
  const startedAt = performance.timeOrigin + start;
  const sendingEndedAt = performance.timeOrigin + end;
  const deadline = performance.now() + request.drainMs;
  while (performance.now() < deadline && !samples.every(settled)) await sleep(50);
  for (const id of ids) inFlight.delete(id);
  return { label: request.label, rate: request.rate, startedAt, sendingEndedAt, samples, errors: runErrors };
}

async function storm(timeoutMs: number, count: number): Promise<StormResult> {
  runErrors = {};
  const all = [...devices.flat(), ...added].slice(0, count);
  // Everyone leaves at once...
  await Promise.all(
    all.map(async (device) => {
      const socket = device.socket;
      if (!socket) return;
      device.closing = true;
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.close(1000, 'storm');
      await Promise.race([closed, sleep(5000).then(() => socket.terminate())]);
    }),
  );
  // ...and comes back at once, each resuming after the last seq it saw.
  const outcomes = await Promise.all(
    all.map((device) =>
      connect(device, timeoutMs).catch((error: Error) => {
        countError(`reconnect_${error.message}`);
        return undefined;
      }),
    ),
  );
  const ok = outcomes.filter((outcome) => outcome !== undefined);
  // Devices that did not get back in retry, unmeasured, as clients would: later scenarios need them.
  await Promise.all(
    outcomes.map(async (outcome, index) => {
      if (outcome) return;
      for (let attempt = 0; attempt < 3; attempt += 1) {
        await sleep(500 * (attempt + 1));
        const back = await connect(all[index] as Device, timeoutMs).then(
          () => true,
          () => false,
        );
        if (back) return;
      }
    }),
  );
  return {
    devices: all.length,
    readyMs: ok.map((outcome) => outcome.readyMs).filter((ms) => !Number.isNaN(ms)),
    syncMs: ok.map((outcome) => outcome.syncMs),
    allSyncedMs: ok.length === all.length ? Math.max(...ok.map((outcome) => outcome.syncMs)) : null,
    errors: runErrors,
  };
}

const newDevice = (customer: CustomerSession, token: string, url: string): Device => ({
  customer,
  token,
  url,
  socket: undefined,
  lastSeq: 0,
  closing: false,
  onSync: undefined,
  onReady: undefined,
});

const connectAll = (list: readonly Device[]) =>
  mapConcurrent(list, 20, async (device) => {
    await connect(device, 30_000).catch((error: Error) => {
      throw new Error(`a device could not open its stream (${error.message})`);
    });
  });

function closeDevices(list: readonly Device[]) {
  for (const device of list) {
    device.closing = true;
    device.socket?.close(1000, 'done');
  }
}

/** Opens one idle stream of `device`'s session, resuming after its last seq; resolves at its `sync`. */
function openIdle(device: Device, timeoutMs: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    // Ingress's memory (e) is measured on the first pod: its idle streams are all there.
    const socket = new WebSocket(`${streamUrls[0]}?after=${device.lastSeq}`, [
      'parley.v1',
      `parley.token.${device.token}`,
    ]);
    let synced = false;
    const timer = setTimeout(() => {
      reject(new Error('sync_timeout'));
      socket.terminate();
    }, timeoutMs);
    socket.on('message', (data) => {
      if (synced) return;
      try {
        if ((JSON.parse(data.toString()) as { type?: string }).type !== 'sync') return;
      } catch {
        return countError('unreadable_frame');
      }
      synced = true;
      clearTimeout(timer);
      resolve(socket);
    });
    socket.on('error', () => {}); // followed by close
    socket.on('close', (code) => {
      clearTimeout(timer);
      if (!synced) reject(new Error(`closed_${code}`));
      else if (idle.includes(socket)) countError(`idle_closed_${code}`);
    });
  });
}

serveWorker<LoadCommand, LoadReply>(async (command, reply) => {
  switch (command.type) {
    case 'connect': {
      streamUrls = command.streamUrls;
      const pods = streamUrls.length;
      const perPod = Array.from({ length: pods }, () => 0);
      devices = command.customers.map((customer, c) =>
        customer.sessionTokens.map((token, d) => {
          const pod = podOfDevice(c, d, customer.sessionTokens.length, pods);
          perPod[pod] = (perPod[pod] ?? 0) + 1;
          return newDevice(customer, token, streamUrls[pod] as string);
        }),
      );
      await connectAll(devices.flat());
      await startBot(command.kafka);
      return reply({ type: 'connected', devices: devices.flat().length, perPod });
    }
    case 'run':
      return reply({ type: 'ran', id: command.id, result: await run(command) });
    case 'add-devices': {
      const more = command.tokens.map((token, index) =>
        newDevice(
          { brand: 'fast', sessionTokens: [token] },
          token,
          streamUrls[(added.length + index) % streamUrls.length] as string,
        ),
      );
      added = [...added, ...more];
      await connectAll(more);
      return reply({ type: 'devices-added', devices: added.length });
    }
    case 'storm':
      return reply({
        type: 'stormed',
        id: command.id,
        result: await storm(command.timeoutMs, command.count),
      });
    case 'close-added-devices':
      closeDevices(added);
      return reply({ type: 'added-devices-closed' });
    case 'open-idle': {
      runErrors = {};
      const sessions = [...devices.flat(), ...added];
      const sockets = await mapConcurrent(
        Array.from({ length: command.count }, (_, index) => sessions[index % sessions.length] as Device),
        50,
        (device) =>
          openIdle(device, command.timeoutMs).catch((error: Error) => {
            countError(`idle_${error.message}`);
            return undefined;
          }),
      );
      idle = sockets.filter((socket) => socket !== undefined);
      return reply({ type: 'idle-opened', id: command.id, opened: idle.length, errors: runErrors });
    }
    case 'close-idle': {
      const closing = idle;
      idle = [];
      await Promise.all(
        closing.map(async (socket) => {
          const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
          socket.close(1000, 'done');
          await Promise.race([closed, sleep(5000).then(() => socket.terminate())]);
        }),
      );
      return reply({ type: 'idle-closed', id: command.id });
    }
    case 'stop':
      for (const socket of idle) socket.close(1000, 'done');
      closeDevices(added);
      for (const device of devices.flat()) {
        device.closing = true;
        device.socket?.close(1000, 'done');
      }
      await consumer?.disconnect().catch(() => {});
      process.exit(0);
  }
});
