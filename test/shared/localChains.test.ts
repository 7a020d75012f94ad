import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LocalChains } from '../../src/shared/localChains.js';

describe('sign-in chains (per process)', () => {
  it('honours each step once, in order, and revokes the chain when a used step comes back', () => {
    const chains = new LocalChains();
    assert.equal(chains.advance('a', 0, 60_000), true, 'the code');
    assert.equal(chains.advance('a', 1, 60_000), true, 'the first refresh token');
    assert.equal(chains.advance('a', 1, 60_000), false, 'the first refresh token again');
    assert.equal(chains.advance('a', 2, 60_000), false, 'the chain is revoked: its newest step too');
    assert.equal(chains.advance('b', 0, 60_000), true, 'other chains are untouched');
  });

  it('takes any step of a chain it has not seen (a restart forgets), and forgets chains whose time is up', async () => {
    const chains = new LocalChains();
    assert.equal(chains.advance('seen-elsewhere', 5, 60_000), true);
    assert.equal(chains.advance('seen-elsewhere', 5, 60_000), false);
    assert.equal(chains.advance('short', 0, 1), true);
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(chains.advance('short', 0, 60_000), true, 'expired chains are forgotten');
  });

  it('refuses (throws) rather than forget a live chain when full, and keeps the live ones working', () => {
    const chains = new LocalChains(2);
    chains.advance('a', 0, 60_000);
    chains.advance('b', 0, 60_000);
    assert.throws(() => chains.advance('c', 0, 60_000), /full/);
    assert.equal(chains.advance('a', 1, 60_000), true);
    assert.equal(chains.advance('a', 1, 60_000), false);
  });
});
