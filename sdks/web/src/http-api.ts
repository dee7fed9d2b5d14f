import type * as api from '@parley/contracts';
import { ParleyClientError } from './parley-client-error.js';
import { type CustomerData, readSyncPage, type SessionInfo, type SyncPage } from './protocol.js';

/** The part of a fetch `Response` the client reads. */
export interface FetchResponseLike {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}

/**
 * The `fetch` the client calls: the platform's `fetch` fits, and so does a test double.
 *
 * @example
 * const loggingFetch: FetchLike = async (url, init) => {
 *   console.info(init.method, url);
 *   return fetch(url, init);
 * };
 */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
) => Promise<FetchResponseLike>;

/** The answer to a message sent: its id (the same for the same clientMessageId) and thread. */
export type SentMessage = api.MessageAccepted;

/** A message to send (`POST /v1/messages` and the stream's `send` frame). */
export type OutgoingMessage = api.SendMessageRequest;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function retryAfterSeconds(header: string | null): number | undefined {
  const seconds = header === null ? Number.NaN : Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

function failureOf(response: FetchResponseLike, body: unknown, what: string): ParleyClientError {
  const status = response.status;
  const error = isRecord(body) && isRecord(body.error) ? body.error : undefined;
  if (typeof error?.code !== 'string')
    return new ParleyClientError('http_error', `${what} failed with HTTP ${status}`, { status });
  return new ParleyClientError(
    error.code,
    typeof error.message === 'string' ? error.message : `${what} failed`,
    { status, retryAfterSeconds: retryAfterSeconds(response.headers.get('retry-after')) },
  );
}

/** The chat endpoints of ingress, every failure as a `ParleyClientError`. */
export function createHttpApi(deps: {
  baseUrl: string;
  tenantId: string;
  channelId: string;
  fetch: FetchLike;
}) {
  const { baseUrl, tenantId, channelId, fetch: send } = deps;

  async function call(
    method: string,
    path: string,
    request: { token?: string; headers?: Record<string, string>; body?: object },
  ): Promise<Record<string, unknown>> {
    const what = `${method} ${path.split('?')[0]}`;
    const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
    if (request.token) headers.authorization = `Bearer ${request.token}`;
    if (request.body) headers['content-type'] = 'application/json';
    let response: FetchResponseLike;
    let text: string;
    try {
      response = await send(`${baseUrl}${path}`, {
        method,
        headers,
        ...(request.body ? { body: JSON.stringify(request.body) } : {}),
      });
      text = await response.text();
    } catch (error) {
      throw new ParleyClientError('network_error', `${what} failed: the server could not be reached`, {
        cause: error,
      });
    }
    const body = parseJson(text);
    if (!response.ok) throw failureOf(response, body, what);
    if (!isRecord(body))
      throw new ParleyClientError('invalid_response', `${what} answered something that is not JSON`, {
        status: response.status,
      });
    return body;
  }

  return {
    /** `POST /v1/channels/{channelId}/sessions`: the brand's code for a Parley session. */
    async createSession(input: {
      code: string;
      codeVerifier?: string;
      iss?: string;
      redirectUri: string;
      device: { id: string; platform: string };
    }): Promise<{ token: string; session: SessionInfo }> {
      const body = await call('POST', `/v1/channels/${encodeURIComponent(channelId)}/sessions`, {
        headers: { 'parley-tenant': tenantId },
        body: input,
      });
      const thread = body.thread as { id?: unknown } | undefined;
      const customer = body.customer as Partial<SessionInfo['customer']> | undefined;
      if (typeof body.sessionToken !== 'string' || typeof thread?.id !== 'string' || !customer)
        throw new ParleyClientError('invalid_response', 'the sign-in answer has no session', { status: 201 });
      return {
        token: body.sessionToken,
        session: {
          customer: {
            key: String(customer.key ?? ''),
            id: String(customer.id ?? ''),
            name: customer.name ?? null,
            customFields: customer.customFields ?? {},
          },
          threadId: thread.id,
          expiresAt: String(body.expiresAt ?? ''),
        },
      };
    },

    /** `POST /v1/messages`: idempotent by clientMessageId. */
    async sendMessage(token: string, message: OutgoingMessage): Promise<SentMessage> {
      const body = await call('POST', '/v1/messages', { token, body: message });
      if (typeof body.messageId !== 'string' || typeof body.threadId !== 'string')
        throw new ParleyClientError('invalid_response', 'the send answer has no message id', { status: 202 });
      return { messageId: body.messageId, threadId: body.threadId };
    },

    /** `GET /v1/thread/messages`: the thread after a seq, oldest first. */
    async syncMessages(token: string, after: number, limit: number): Promise<SyncPage> {
      return readSyncPage(await call('GET', `/v1/thread/messages?after=${after}&limit=${limit}`, { token }));
    },

    /** `GET /v1/thread/customer`: null before the customer's first message was stored. */
    async getCustomerData(token: string): Promise<CustomerData | null> {
      let body: Record<string, unknown>;
      try {
        body = await call('GET', '/v1/thread/customer', { token });
      } catch (error) {
        if (error instanceof ParleyClientError && error.code === 'not_found') return null;
        throw error;
      }
      const text = (value: unknown) => (typeof value === 'string' ? value : null);
      return {
        id: text(body.id),
        name: text(body.name),
        customFields: isRecord(body.customFields) ? (body.customFields as CustomerData['customFields']) : {},
        fetchedAt: text(body.fetchedAt),
      };
    },

    /** `DELETE /v1/session`: this device, or all of the customer's devices. */
    async endSession(token: string, allDevices: boolean): Promise<void> {
      await call('DELETE', `/v1/session${allDevices ? '?allDevices=true' : ''}`, { token });
    },
  };
}

export type HttpApi = ReturnType<typeof createHttpApi>;
