import { Counter, Gauge, type Registry } from 'prom-client';
import type { AnnouncementOutcome } from '../domain/session-ended-announcer.js';
import type { BotStreamObserver } from '../http/bot-events-route.js';

/**
 * Ingress's own Prometheus series: the bot event streams and the session.ended events of logouts.
 * `open` and `pending` are read when scraped.
 */
export function createIngressMetrics(
  registry: Registry,
  current: { readonly openBotStreams: () => number; readonly pendingSessionEvents: () => number },
) {
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
    botStreams,
    sessionEnded: (outcome: AnnouncementOutcome) => sessionEvents.inc({ outcome }),
  };
}
