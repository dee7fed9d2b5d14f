import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { AnnouncementOutcome } from '../domain/session-ended-announcer.js';
import type { BotStreamObserver } from '../http/bot-events-route.js';
import type { AnsweredRequest } from '../http/create-http-app.js';

/**
 * Ingress's own Prometheus series: HTTP requests, the devices' WebSocket streams, the bot event
 * streams and the session.ended events of logouts. The gauges are read when scraped.
 */
export function createIngressMetrics(
  registry: Registry,
  current: {
    readonly openBotStreams: () => number;
    readonly pendingSessionEvents: () => number;
    readonly openDeviceStreams: () => number;
  },
) {
  const requests = new Histogram({
    name: 'parley_ingress_http_request_duration_seconds',
    help: 'Answered HTTP requests by method, route pattern (unmatched: no route) and status class, from arrival to answer.',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  new Gauge({
    name: 'parley_ingress_websocket_connections',
    help: 'Devices connected to this pod by WebSocket (GET /v1/stream).',
    registers: [registry],
    collect() {
      this.set(current.openDeviceStreams());
    },
  });
  const streams = new Counter({
    name: 'parley_ingress_bot_streams_total',
    help: 'Bot event streams asked for, by outcome (opened, or why refused).',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const closed = new Counter({
    name: 'parley_ingress_bot_streams_closed_total',
    help: 'Bot event streams that ended, by reason.',
    labelNames: ['reason'],
    registers: [registry],
  });
  const events = new Counter({
    name: 'parley_ingress_bot_stream_events_total',
    help: 'Events written to bot event streams, by type.',
    labelNames: ['type'],
    registers: [registry],
  });
  new Gauge({
    name: 'parley_ingress_bot_streams_open',
    help: 'Bot event streams open on this pod.',
    registers: [registry],
    collect() {
      this.set(current.openBotStreams());
    },
  });
  const sessionEvents = new Counter({
    name: 'parley_ingress_session_ended_events_total',
    help: 'session.ended events of logouts: published, deferred (kept for a retry) or dropped.',
    labelNames: ['outcome'],
    registers: [registry],
  });
  new Gauge({
    name: 'parley_ingress_session_ended_events_pending',
    help: 'session.ended events waiting to be published again.',
    registers: [registry],
    collect() {
      this.set(current.pendingSessionEvents());
    },
  });
  const botStreams: BotStreamObserver = {
    opened: () => streams.inc({ outcome: 'opened' }),
    refused: (reason) => streams.inc({ outcome: reason }),
    closed: (reason) => closed.inc({ reason }),
    sent: (type) => events.inc({ type }),
  };
  return {
    answered: ({ method, route, statusCode, seconds }: AnsweredRequest) =>
      requests.observe({ method, route, status: `${Math.floor(statusCode / 100)}xx` }, seconds),
    botStreams,
    sessionEnded: (outcome: AnnouncementOutcome) => sessionEvents.inc({ outcome }),
  };
}
