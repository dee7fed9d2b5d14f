import { describe, expect, it } from 'vitest';
import { composeReply } from './demo-bot.js';

const event = (customer: { name: string | null; customFields: Record<string, unknown> } | null) => ({
  messageId: 'm-1',
  tenantId: 'demo',
  threadId: 'th-1',
  text: 'hello',
  customer: customer ? { id: 'c-1', ...customer } : null,
  enrichment: { status: customer ? ('ok' as const) : ('unavailable' as const) },
});

describe('the demo bot’s reply', () => {
  it('greets by first name, uses the tier from the message and the open case from the brand', () => {
    expect(
      composeReply(event({ name: 'Ada Lovelace', customFields: { tier: 'gold' } }), { openCase: 'CASE-1' }),
    ).toBe(
      'Hi Ada! As a gold member you are in our priority queue. I can see your open case CASE-1. An agent will be with you shortly.',
    );
  });

  it('does without what the brand did not give', () => {
    expect(composeReply(event({ name: null, customFields: {} }), { openCase: null })).toBe(
      'Hi there! Thanks for your message. An agent will be with you shortly.',
    );
    expect(composeReply(event(null), null)).toMatch(/could not load your account details/);
  });
});
