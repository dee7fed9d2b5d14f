import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorBody } from '@parley/contracts';
import { errorCodes, isParleyError, ParleyError } from '@parley/errors';
import type { FastifyBaseLogger, FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/** The body of every error answer (`errorBody` of @parley/contracts): the public code and message. */
export function errorAnswer(error: ParleyError): ErrorBody {
  const { code, message } = error.toPublic();
  return { error: { code, message } };
}

/** Every error leaves ingress as `{ error: { code, message } }` with the registry's HTTP status. */
export function sendError(reply: FastifyReply, error: ParleyError): FastifyReply {
  const body = errorAnswer(error);
  if (error.code === 'rate_limited' && typeof error.context.retryAfterSeconds === 'number') {
    reply.header('retry-after', String(error.context.retryAfterSeconds));
  }
  return reply.status(errorCodes[body.error.code].httpStatus).send(body);
}

/** Fastify's own errors (bad JSON, body too large, bad URL, …) in Parley's vocabulary. */
export function toParleyHttpError(error: unknown): ParleyError {
  if (isParleyError(error)) return error;
  const fastifyError = error as Partial<FastifyError>;
  switch (fastifyError.code) {
    case 'FST_ERR_BAD_URL':
      return new ParleyError('invalid_argument', 'the URL is not validly percent-encoded');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new ParleyError('invalid_argument', 'a path parameter of the URL is too long');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ParleyError('payload_too_large', 'the request body is too large');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ParleyError('invalid_argument', 'the request body is not valid JSON');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ParleyError('invalid_argument', 'send the body as application/json');
    default:
      if (fastifyError.statusCode && fastifyError.statusCode < 500) {
        return new ParleyError('invalid_argument', fastifyError.message ?? 'bad request');
      }
      return new ParleyError('server_error', 'unexpected error', { cause: error });
  }
}

export function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  const parleyError = toParleyHttpError(error);
  const expose = parleyError.info.expose;
  request.log[expose ? 'info' : 'error']({ err: error, code: parleyError.code }, 'request failed');
  return sendError(reply, parleyError);
}

/** The raw HTTP/1.1 answer, in Parley's shape, to a request Node's HTTP parser refused. */
export function clientErrorResponse(error: { code?: string }, headers: Record<string, string> = {}): string {
  const parleyError =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? new ParleyError('headers_too_large', 'the request line and headers are over the size limit')
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new ParleyError('request_timeout', 'the request did not arrive in time')
        : new ParleyError('invalid_argument', 'the request is not valid HTTP/1.1');
  return rawErrorResponse(parleyError, headers);
}

function rawErrorResponse(error: ParleyError, headers: Record<string, string>): string {
  const status = errorCodes[error.code].httpStatus;
  const body = JSON.stringify(errorAnswer(error));
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    'content-type: application/json; charset=utf-8',
    `content-length: ${Buffer.byteLength(body)}`,
    'connection: close',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/**
 * Node's `clientError`: a request its HTTP parser refused (a malformed request or header line, a
 * header section over the limit, conflicting lengths) or that timed out, before any route runs.
 * The answer is Parley's `{error: {code, message}}`, then the connection closes.
 */
export function clientErrorHandler(
  this: { log: FastifyBaseLogger },
  error: Error & { code?: string },
  socket: Duplex,
): void {
  // A reset connection has nobody to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  this.log.debug({ err: error }, 'client error');
  if (socket.writable) socket.write(clientErrorResponse(error));
  socket.destroy();
}

/**
 * A WebSocket handshake the ws server refused (no or a bad `Sec-WebSocket-Key`, an unknown
 * version, a malformed protocol or extension header): 400 `invalid_argument` in Parley's shape.
 */
export function webSocketHandshakeError(error: Error, socket: Duplex): void {
  if (socket.destroyed) return;
  const refusal = new ParleyError('invalid_argument', `invalid WebSocket handshake: ${error.message}`);
  // RFC 6455 §4.4: a server refusing the version names the ones it speaks.
  const headers: Record<string, string> = /version/i.test(error.message)
    ? { 'sec-websocket-version': '13, 8' }
    : {};
  if (socket.writable) socket.write(rawErrorResponse(refusal, headers));
  socket.destroy();
}
