import { streamCloseCodes } from '@parley/contracts';
import { ParleyError } from '@parley/errors';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createConnectionRegistry } from '../adapters/connection-registry.js';
import { createRateLimiter } from '../adapters/rate-limiter.js';
import {
  createInMemoryAuth,
  createInMemoryHistory,
  createRecordingProducer,
  testSession,
} from '../http/edge.fixture.js';
import { createSessionQuota } from './session-quota.js';
import { openStreamConnection, type StreamConnectionDeps } from './stream-connection.js';

// The connection without any transport: a fake socket records frames and the close.
function fakeSocket() {
  const state = { open: true, frames: [] as Record<string, unknown>[], pings: 0, terminated: false };
  let closedWith: { code: number; reason: string } | undefined;
  return {
    state,
    closedWith: () => closedWith,
    socket: {
      send: (frame: object) => {
        if (state.open) state.frames.push(frame as Record<string, unknown>);
      },
      close: (code: number, reason: string) => {
        closedWith ??= { code, reason };
        state.open = false;
      },
      ping: () => {
        state.pings += 1;
      },
      terminate: () => {
        state.terminated = true;
        state.open = false;
      },
      isOpen: () => state.open,
    },
  };
}

function setUp(options: { limit?: number; deps?: Partial<StreamConnectionDeps>; token?: string } = {}) {
  const { auth, state: authState } = createInMemoryAuth({ 'tok-1': testSession('s-1') });
  const { producer, published } = createRecordingProducer();
  const deps: StreamConnectionDeps = {
    auth,
    history: createInMemoryHistory(),
    producer,
    sessionQuota: createSessionQuota({
      limiter: createRateLimiter({ limit: options.limit ?? 100, windowMs: 60_000 }),
    }),
    connections: createConnectionRegistry({ perSession: 5, perCustomer: 20 }),
    ...options.deps,
  };
  const device = fakeSocket();
  const errors: unknown[] = [];
  const connection = openStreamConnection(deps, device.socket, {
    cursor: 0,
    ...(options.token ? { token: options.token } : {}),
    onFrameError: (error) => errors.push(error),
  });
  const types = () => device.state.frames.map((frame) => frame.type);
  const sendFrame = (frame: object) => connection.received(JSON.stringify(frame));
  return { ...device, connection, authState, published, deps, types, sendFrame, errors };
}

const flush = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('a stream connection', () => {
  it('authorizes by the first frame, then sends ready and the sync', async () => {
    const stream = setUp();
    stream.sendFrame({ type: 'auth', token: 'tok-1' });
    await flush();
    expect(stream.types()).toEqual(['ready', 'sync']);
    expect(stream.state.frames[0]).toEqual({ type: 'ready', threadId: 't-k-1', sessionId: 's-1' });
    stream.connection.closed();
  });

  it('authorizes with the token the transport carried', async () => {
    const stream = setUp({ token: 'tok-1' });
    await flush();
    expect(stream.types()).toEqual(['ready', 'sync']);
    stream.connection.closed();
  });

  it('closes with 4403 for an unknown token, 4503 when auth is down', async () => {
    const unknown = setUp({ token: 'nope' });
    await flush();
    expect(unknown.closedWith()).toEqual({
      code: streamCloseCodes.unauthenticated,
      reason: 'unauthenticated',
    });
    const down = setUp();
    down.authState.down = true;
    down.sendFrame({ type: 'auth', token: 'tok-1' });
    await flush();
    expect(down.closedWith()).toEqual({ code: streamCloseCodes.unavailable, reason: 'auth_unavailable' });
  });

  it('closes with 4408 when no credentials come in time', async () => {
    const stream = setUp();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(stream.closedWith()).toEqual({ code: streamCloseCodes.authTimeout, reason: 'no credentials' });
  });

  it('closes with 4400 for a frame that is not one, and a second auth', async () => {
    const garbage = setUp();
    garbage.connection.received('not json');
    await flush();
    expect(garbage.closedWith()?.code).toBe(streamCloseCodes.badFrame);
    const twice = setUp({ token: 'tok-1' });
    await flush();
    twice.sendFrame({ type: 'auth', token: 'tok-1' });
    await flush();
    expect(twice.closedWith()).toEqual({ code: streamCloseCodes.badFrame, reason: 'already authorized' });
  });

  it('answers a ping with a pong, before authorization too', async () => {
    const stream = setUp();
    stream.sendFrame({ type: 'ping' });
    await flush();
    expect(stream.types()).toEqual(['pong']);
  });

  it('refuses a send before authorization with 4403', async () => {
    const stream = setUp();
    stream.sendFrame({ type: 'send', clientMessageId: 'c-1', text: 'hi' });
    await flush();
    expect(stream.closedWith()).toEqual({
      code: streamCloseCodes.unauthenticated,
      reason: 'authorize first',
    });
  });

  it('publishes a send and acks it; a send it refuses is answered and not published', async () => {
    const stream = setUp({ token: 'tok-1' });
    stream.sendFrame({ type: 'send', clientMessageId: 'c-1', text: 'hi' });
    stream.sendFrame({ type: 'send', clientMessageId: 'c-2', text: 'nul \u0000' });
    await flush();
    expect(stream.types()).toEqual(['ready', 'sync', 'ack', 'error']);
    expect(stream.state.frames[2]).toMatchObject({ type: 'ack', clientMessageId: 'c-1', threadId: 't-k-1' });
    expect(stream.state.frames[3]).toMatchObject({ clientMessageId: 'c-2', code: 'invalid_argument' });
    expect(stream.published.map(({ topic }) => topic)).toEqual(['chat.messages.enriched.v1']);
    stream.connection.closed();
  });

  it('answers a send past the session quota with an error frame that says when to retry', async () => {
    // The connect counts once against the session (once learnt): with 2 a minute, the second message is refused.
    const stream = setUp({ token: 'tok-1', limit: 2 });
    await flush();
    stream.sendFrame({ type: 'send', clientMessageId: 'c-1', text: 'hi' });
    stream.sendFrame({ type: 'send', clientMessageId: 'c-2', text: 'hi' });
    await flush();
    expect(stream.state.frames.at(-1)).toEqual({
      type: 'error',
      clientMessageId: 'c-2',
      code: 'rate_limited',
      retryAfterSeconds: expect.any(Number),
    });
    expect(stream.closedWith()).toBeUndefined();
    stream.connection.closed();
  });

  it('closes with 4401 when the brand wants the customer to sign in again on a send', async () => {
    const stream = setUp({ token: 'tok-1' });
    await flush();
    stream.deps.auth.authorizeSession = async () => {
      throw new ParleyError('reauthentication_required', 'sign in again');
    };
    stream.sendFrame({ type: 'send', clientMessageId: 'c-1', text: 'hi' });
    await flush();
    expect(stream.state.frames.at(-1)).toMatchObject({ type: 'error', code: 'reauthentication_required' });
    expect(stream.closedWith()?.code).toBe(streamCloseCodes.reauthenticationRequired);
  });

  it('closes with 1008 once more frames wait than allowed', async () => {
    const stuck = new Promise<void>(() => {});
    const stream = setUp({
      token: 'tok-1',
      deps: { maxPendingFrames: 2, producer: { publish: () => stuck } as never },
    });
    await flush();
    for (let i = 0; i < 4; i += 1) stream.sendFrame({ type: 'send', clientMessageId: `c-${i}`, text: 'hi' });
    expect(stream.closedWith()).toEqual({
      code: streamCloseCodes.tooManyPendingFrames,
      reason: 'too many frames waiting',
    });
  });

  it('closes with 4409 past the streams of a session', async () => {
    const stream = setUp({
      token: 'tok-1',
      deps: { connections: createConnectionRegistry({ perSession: 0, perCustomer: 5 }) },
    });
    await flush();
    expect(stream.closedWith()).toEqual({
      code: streamCloseCodes.tooManyStreams,
      reason: 'too many streams of this session',
    });
  });

  it('re-checks the session and closes (4503) when auth cannot answer; stops when closed', async () => {
    const stream = setUp({ token: 'tok-1', deps: { reauthorizeMs: 1000 } });
    await flush();
    expect(stream.authState.authorizeCalls).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(stream.authState.authorizeCalls).toBe(2);
    stream.authState.down = true;
    await vi.advanceTimersByTimeAsync(1000);
    expect(stream.closedWith()).toEqual({ code: streamCloseCodes.unavailable, reason: 'auth_unavailable' });
    stream.connection.closed();
    const calls = stream.authState.authorizeCalls;
    await vi.advanceTimersByTimeAsync(5000);
    expect(stream.authState.authorizeCalls).toBe(calls);
  });

  it('terminates a socket that stops answering pings', async () => {
    const stream = setUp({ token: 'tok-1', deps: { heartbeatMs: 100 } });
    await vi.advanceTimersByTimeAsync(100);
    expect(stream.state.pings).toBe(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(stream.state.terminated).toBe(true);
  });
});
