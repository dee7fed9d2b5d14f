import { errorCodes, isParleyError, ParleyError } from '@parley/errors';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/** Every error leaves ingress as `{ error: { code, message } }` with the registry's HTTP status. */
export function sendError(reply: FastifyReply, error: ParleyError): FastifyReply {
  const { code, message } = error.toPublic();
  if (error.code === 'rate_limited' && typeof error.context.retryAfterSeconds === 'number') {
    reply.header('retry-after', String(error.context.retryAfterSeconds));
  }
  return reply.status(errorCodes[code].httpStatus).send({ error: { code, message } });
}

/** Fastify's own errors (bad JSON, body too large, …) in Parley's vocabulary. */
export function toParleyHttpError(error: unknown): ParleyError {
  if (isParleyError(error)) return error;
  const fastifyError = error as Partial<FastifyError>;
  switch (fastifyError.code) {
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
