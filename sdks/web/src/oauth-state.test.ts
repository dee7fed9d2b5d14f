import { describe, expect, it } from 'vitest';
import { createOAuthState, verifyOAuthState } from './oauth-state.js';

describe('createOAuthState / verifyOAuthState', () => {
  it('makes a fresh 43-character base64url state each time', () => {
    const first = createOAuthState();
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(createOAuthState()).not.toBe(first);
  });

  it('accepts only the very state that was sent, in constant time', () => {
    const state = createOAuthState();
    expect(verifyOAuthState(state, state)).toBe(true);
    expect(verifyOAuthState(state, `${state.slice(0, -1)}${state.endsWith('A') ? 'B' : 'A'}`)).toBe(false);
    expect(verifyOAuthState(state, state.slice(0, -1))).toBe(false);
    expect(verifyOAuthState(state, null)).toBe(false);
    expect(verifyOAuthState(state, undefined)).toBe(false);
    expect(verifyOAuthState('', '')).toBe(false); // no state saved: nothing to match
  });
});
