import {
  ackFrame,
  clientFrame,
  errorFrame,
  messageFrame,
  pongFrame,
  readyFrame,
  streamCloseCodeMeanings,
  streamCloseCodes,
  syncFrame,
} from '@parley/contracts';
import { z } from 'zod';

// The WebSocket protocol of `/v1/stream` as an AsyncAPI 3.0 document, generated from the frame
// schemas ingress parses and sends (@parley/contracts) and the shared close-code table; the
// OpenAPI document points at it from `/v1/stream`.

const [authFrame, sendFrame, pingFrame] = clientFrame.options;
const serverFrames = {
  ready: readyFrame,
  sync: syncFrame,
  message: messageFrame,
  ack: ackFrame,
  error: errorFrame,
  pong: pongFrame,
};
const clientFrames = { auth: authFrame, send: sendFrame, ping: pingFrame };

/** Every close code with its name and what a client does, from the one table. */
export const streamCloseCodeList = (Object.keys(streamCloseCodes) as (keyof typeof streamCloseCodes)[]).map(
  (name) => ({ code: streamCloseCodes[name], name, meaning: streamCloseCodeMeanings[name] }),
);

/** The prose of `/v1/stream` in the OpenAPI document: how to connect, the frames, the close codes. */
export function streamDescription(): string {
  return [
    'Upgrade with subprotocols `parley.v1` and `parley.token.<session token>`, or send `{"type":"auth","token":…}` first (never put the token in the URL).',
    'Connect with `?after=<last seq seen>` (or `after` in the auth frame) to get what was missed.',
    `Server frames: ${Object.keys(serverFrames).join(', ')}; client frames: ${Object.keys(clientFrames).join(', ')} (schemas: /asyncapi.json). A live \`message\` carries the same message as sync pages.`,
    'A send frame is authorized by the brand like POST /v1/messages; one it refuses, e.g. text with a NUL character, is answered by `error` with `invalid_argument`.',
    'Limits per pod: STREAMS_PER_SESSION (5) streams of one session, STREAMS_PER_CUSTOMER (20) of one customer; frames are handled in order, at most STREAM_MAX_PENDING_FRAMES (32) waiting. Connects and each periodic re-check count against the session’s rate limit like messages. A logout closes the session’s streams on every pod within a second; a re-check that cannot reach auth or the brand closes the stream.',
    `Close codes: ${streamCloseCodeList.map(({ code, meaning }) => `${code} ${meaning}`).join(', ')}.`,
  ].join(' ');
}

const schemaOf = (schema: z.ZodType) => {
  const { $schema: _schema, ...rest } = z.toJSONSchema(schema, { target: 'draft-7', unrepresentable: 'any' });
  return rest;
};

function messages(frames: Record<string, z.ZodType>) {
  return Object.fromEntries(
    Object.entries(frames).map(([type, schema]) => [
      type,
      {
        name: type,
        ...(schema.description ? { summary: schema.description } : {}),
        payload: schemaOf(schema),
      },
    ]),
  );
}

const messageRefs = (frames: object) =>
  Object.keys(frames).map((type) => ({ $ref: `#/channels/stream/messages/${type}` }));

/** The AsyncAPI document of ingress's WebSocket, served at `/asyncapi.json`. */
export const asyncApiDocument = {
  asyncapi: '3.0.0',
  info: {
    title: 'Parley ingress stream',
    version: '1',
    description:
      'A device’s live connection: authorize, get what was missed (sync), then live messages; send messages and pings. The HTTP API is in /openapi.json.',
  },
  defaultContentType: 'application/json',
  channels: {
    stream: {
      address: '/v1/stream',
      title: 'The device stream',
      description: streamDescription(),
      messages: { ...messages(serverFrames), ...messages(clientFrames) },
      bindings: {
        ws: {
          method: 'GET',
          query: {
            type: 'object',
            properties: {
              after: { type: 'integer', minimum: 0, description: 'the last seq the device has' },
            },
          },
          headers: {
            type: 'object',
            properties: {
              'Sec-WebSocket-Protocol': {
                type: 'string',
                description: '`parley.v1`, and `parley.token.<session token>` unless an auth frame follows',
              },
            },
          },
        },
      },
      'x-close-codes': streamCloseCodeList,
    },
  },
  operations: {
    sendServerFrames: {
      action: 'send',
      channel: { $ref: '#/channels/stream' },
      summary: 'What ingress sends a device',
      messages: messageRefs(serverFrames),
    },
    receiveClientFrames: {
      action: 'receive',
      channel: { $ref: '#/channels/stream' },
      summary: 'What a device sends ingress; anything else closes the stream with 4400',
      messages: messageRefs(clientFrames),
    },
  },
};
