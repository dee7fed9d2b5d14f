import { describe, expect, it } from 'vitest';
import {
  childTraceparent,
  currentTraceId,
  currentTraceparent,
  newTraceparent,
  parseTraceparent,
  runInTrace,
} from './index.js';

const example = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('W3C trace context', () => {
  it('parses a valid traceparent and refuses malformed ones', () => {
    expect(parseTraceparent(example)).toEqual({
      version: '00',
      traceId: '0af7651916cd43dd8448eb211c80319c',
      parentId: 'b7ad6b7169203331',
      flags: '01',
    });
    // A later version may carry more fields; version 00 may not.
    expect(parseTraceparent(`01${example.slice(2)}-more`)?.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    for (const bad of [
      undefined,
      42,
      '',
      'garbage',
      `${example}-more`,
      `ff${example.slice(2)}`,
      example.toUpperCase(),
      `00-${'0'.repeat(32)}-b7ad6b7169203331-01`,
      `00-0af7651916cd43dd8448eb211c80319c-${'0'.repeat(16)}-01`,
    ]) {
      expect(parseTraceparent(bad), String(bad)).toBeUndefined();
    }
  });

  it('creates new traces and child hops that keep the trace id and flags', () => {
    const fresh = parseTraceparent(newTraceparent());
    expect(fresh).toMatchObject({ version: '00', flags: '01' });
    expect(parseTraceparent(newTraceparent())?.traceId).not.toBe(fresh?.traceId);

    const child = parseTraceparent(
      childTraceparent(`00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00`),
    );
    expect(child).toMatchObject({ traceId: '0af7651916cd43dd8448eb211c80319c', flags: '00' });
    expect(child?.parentId).not.toBe('b7ad6b7169203331');
    expect(parseTraceparent(childTraceparent('garbage'))?.traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('makes a hop current through everything it awaits, and only there', async () => {
    expect(currentTraceparent()).toBeUndefined();
    const seen = await runInTrace(example, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      const inner = await Promise.all([1, 2].map(async () => currentTraceId()));
      return { traceparent: currentTraceparent(), inner };
    });
    expect(parseTraceparent(seen.traceparent)?.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(seen.inner).toEqual(['0af7651916cd43dd8448eb211c80319c', '0af7651916cd43dd8448eb211c80319c']);
    expect(currentTraceparent()).toBeUndefined();

    // Without an incoming traceparent a hop starts a new trace; nested hops keep theirs.
    runInTrace(undefined, () => {
      const outer = currentTraceId();
      expect(outer).toMatch(/^[0-9a-f]{32}$/);
      runInTrace(currentTraceparent(), () => expect(currentTraceId()).toBe(outer));
    });
  });
});
