import { describe, expect, it } from 'vitest';
import { createLastSeen } from './last-seen.js';

describe('createLastSeen', () => {
  it('keeps the newest value per key and drops the least recently used past its size', () => {
    const lastSeen = createLastSeen<number>(2);
    lastSeen.set('a', 1);
    lastSeen.set('b', 2);
    expect(lastSeen.get('a')).toBe(1); // a is now the most recently used
    lastSeen.set('c', 3);
    expect(lastSeen.get('b')).toBeUndefined();
    expect(lastSeen.get('a')).toBe(1);
    lastSeen.set('a', 4);
    expect(lastSeen.get('a')).toBe(4);
    expect(lastSeen.get('c')).toBe(3);
  });
});
