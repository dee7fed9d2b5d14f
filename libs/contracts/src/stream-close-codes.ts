// No imports: the browser SDK (sdks/web) loads this module as it is.

/**
 * Close codes of the `/v1/stream` WebSocket, as ingress sends them and the SDK reads them (the
 * docs/api.md's close-code table lists them with what a client does).
 *
 * @example
 * if (error.closeCode === streamCloseCodes.unavailable) showBanner('chat is reconnecting…');
 */
export const streamCloseCodes = {
  goingAway: 1001, // the pod is shutting down: reconnect (to another pod) and sync
  tooManyPendingFrames: 1008, // more frames waiting than the server takes: wait for acks before sending more
  frameTooLarge: 1009, // a frame over BODY_LIMIT_BYTES (sent by the WebSocket library itself)
  badFrame: 4400, // a frame that is not JSON or not a known type, or a second `auth`: a client bug
  reauthenticationRequired: 4401, // the brand refused the grant: sign in again
  unauthenticated: 4403, // no valid session (logged out, forged or expired): sign in again
  authTimeout: 4408, // no credentials within the time allowed after connecting
  tooManyStreams: 4409, // this session, or this customer, has as many streams open on this pod as allowed
  rateLimited: 4429, // the session's rate limit is used up: reconnect after a minute
  unavailable: 4503, // the brand or auth did not answer: retry with backoff
} as const;

export type StreamCloseCode = (typeof streamCloseCodes)[keyof typeof streamCloseCodes];
