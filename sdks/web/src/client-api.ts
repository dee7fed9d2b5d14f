import type { SentMessage } from './http-api.js';
import type { ParleyClientError } from './parley-client-error.js';
import type { CustomerData, SessionInfo, ThreadMessage } from './protocol.js';

/**
 * Where the client stands:
 * - `idle`: not connected, not trying (created, or `close()`d);
 * - `connecting`: the stream is opening and being authorized;
 * - `live`: the stream is authorized; messages arrive as they are stored;
 * - `offline`: the stream dropped; a reconnect is scheduled;
 * - `reauthentication_required`: the session was refused; sign in again with `authorize`;
 * - `signed_out`: after `logout()`.
 *
 * @example
 * client.onStatus((status: ClientStatus) => banner.toggle(status === 'offline'));
 */
export type ClientStatus =
  | 'idle'
  | 'connecting'
  | 'live'
  | 'offline'
  | 'reauthentication_required'
  | 'signed_out';

/**
 * A Parley chat client for one customer on one device. Create it with `createParleyClient`.
 *
 * @example
 * const client: ParleyClient = createParleyClient(options);
 * client.onMessage((message) => render(message));
 * if (!client.resume()) location.assign(authorizationUrl);
 */
export interface ParleyClient {
  /**
   * Signs in with the brand's authorization code and PKCE verifier (`POST
   * /v1/channels/{channelId}/sessions`), stores the session, then connects. `iss` is the
   * authorization response's `iss` parameter (RFC 9207) when the brand sends one. An empty
   * verifier is left out, for channels that allow sign-in without PKCE.
   *
   * @example
   * const params = new URL(location.href).searchParams;
   * const session = await client.authorize(params.get('code')!, verifier, { iss: params.get('iss') ?? undefined });
   */
  authorize(code: string, codeVerifier: string, extra?: { iss?: string | undefined }): Promise<SessionInfo>;

  /**
   * Connects with the stored session, from the stored last seq. False when there is no session
   * (or it has expired: it is then removed); sign in with `authorize`.
   *
   * @example
   * if (!client.resume()) showSignIn();
   */
  resume(): boolean;

  /**
   * Sends a message: on the live stream when there is one (settled by the server's `ack` or
   * `error`), over `POST /v1/messages` otherwise. Network failures, timeouts and 503s are tried
   * again with the same clientMessageId, so the server keeps one message. The message itself also
   * comes back through `onMessage` once stored.
   *
   * @example
   * const { messageId } = await client.send('Where is my order?');
   */
  send(text: string): Promise<SentMessage>;

  /**
   * The customer's own data as the brand gave it with their latest message (`GET
   * /v1/thread/customer`), or null before their first message. Like every call with the session
   * it is authorized by the brand, and counts against the session's rate limit.
   *
   * @example
   * client.onMessage(async (message) => {
   *   if (message.author.kind === 'customer') showProfile(await client.getCustomerData());
   * });
   */
  getCustomerData(): Promise<CustomerData | null>;

  /**
   * Every stored message of the thread, exactly once and in seq order: the customer's own (from
   * this and their other devices), the bots' and agents'. Returns the unsubscribe function.
   *
   * @example
   * const stop = client.onMessage((message) => list.append(`${message.author.kind}: ${message.text}`));
   */
  onMessage(listener: (message: ThreadMessage) => void): () => void;

  /**
   * Called once when the server refuses the session (the brand refused the grant, or the session
   * ended): the stored session is removed and the client stops reconnecting.
   *
   * @example
   * client.onReauthenticationRequired(() => showSignIn('Please sign in again'));
   */
  onReauthenticationRequired(listener: () => void): () => void;

  /**
   * Called on every status change.
   *
   * @example
   * client.onStatus((status) => { indicator.dataset.status = status; });
   */
  onStatus(listener: (status: ClientStatus) => void): () => void;

  /**
   * Problems the client handles itself but that are worth logging: a stream closed by the server
   * (4400 means a client bug), an unreadable frame, a failed sync (retried), storage failures.
   *
   * @example
   * client.onError((error) => console.warn('parley', error.code, error.message));
   */
  onError(listener: (error: ParleyClientError) => void): () => void;

  /**
   * Logs out (`DELETE /v1/session`, or every device of the customer with `allDevices`), closes the
   * stream and clears the storage. Local state is cleared even when the server cannot be reached;
   * the promise then rejects, as the session may live on at the server until it expires.
   *
   * @example
   * await client.logout({ allDevices: true });
   */
  logout(options?: { allDevices?: boolean }): Promise<void>;

  /**
   * Closes the stream without logging out; `resume()` reconnects.
   *
   * @example
   * window.addEventListener('pagehide', () => client.close());
   */
  close(): void;

  /** The signed-in session (never the token), or null. */
  readonly session: SessionInfo | null;
  /** The messages delivered so far by this client, in seq order (a new array after each change). */
  readonly messages: readonly ThreadMessage[];
  /** The last seq delivered (and stored): the stream resumes after it. */
  readonly lastSeq: number;
  readonly status: ClientStatus;
}
