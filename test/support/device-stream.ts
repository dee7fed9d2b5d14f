import { WebSocket } from 'ws';
import { waitFor } from './harness.js';

/** A device's WebSocket stream (`/v1/stream`, docs/api.md) as a test holds it. */
export interface DeviceStream {
  readonly socket: WebSocket;
  /** Every frame received so far, parsed, in order. */
  readonly frames: Record<string, unknown>[];
  /** How the stream closed; undefined while it is open. */
  closed(): { code: number; reason: string } | undefined;
  /** When it closed (`Date.now()`); undefined while it is open. */
  closedAt(): number | undefined;
  /** Settles once the socket is open; rejects if it errs first. */
  readonly opened: Promise<void>;
  /** Waits for the first frame of `type` (`ready`, `sync`, `ack`, …) and returns it. */
  frame(type: string, description?: string): Promise<Record<string, unknown>>;
}

/**
 * Opens a device's stream on ingress's HTTP address, authorized with `token` in the subprotocol,
 * or, without one, waiting for an `auth` frame.
 *
 * @example
 * const phone = openDeviceStream(ingress.httpUrl(), session.sessionToken);
 * await phone.frame('ready');
 */
export function openDeviceStream(httpUrl: string, token?: string): DeviceStream {
  const protocols = ['parley.v1', ...(token ? [`parley.token.${token}`] : [])];
  const socket = new WebSocket(`${httpUrl.replace('http', 'ws')}/v1/stream`, protocols);
  const frames: Record<string, unknown>[] = [];
  let closed: { code: number; reason: string } | undefined;
  let closedAt: number | undefined;
  socket.on('message', (data) => frames.push(JSON.parse(data.toString())));
  socket.on('close', (code, reason) => {
    closed = { code, reason: reason.toString() };
    closedAt = Date.now();
  });
  const opened = new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  // A stream the server drops (a pod stopping) may err after its close: tests look at the close.
  socket.on('error', () => {});
  return {
    socket,
    frames,
    closed: () => closed,
    closedAt: () => closedAt,
    opened,
    frame: (type, description = type) =>
      waitFor(description, () => frames.find((frame) => frame.type === type)),
  };
}
