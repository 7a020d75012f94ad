import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isoTimeOfSeconds } from '../../src/flux/isoTime.js';

function expected(seconds: number): string | undefined {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

describe('isoTimeOfSeconds', () => {
  it('writes what toISOString writes, for times across every part of the range', () => {
    const samples = [
      1, 0.0005, 0.9999, 59.999, 86_399.999, 86_400, 951_782_400, 951_868_799.5, 1_732_400_000, 1_732_400_000.123456,
      4_102_444_800, 253_402_300_799.999, 253_402_300_800, 8_640_000_000_000, 8.64e12 + 0.0004,
    ];
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 20_000; i++) samples.push(random() * 4e9, Math.floor(random() * 2e9), random() * 8.64e12);
    for (const seconds of samples) assert.equal(isoTimeOfSeconds(seconds), expected(seconds), `seconds ${seconds}`);
  });

  it('gives nothing for times no Date can hold', () => {
    assert.equal(expected(8.64e12 + 0.001), undefined);
    assert.equal(isoTimeOfSeconds(8.64e12 + 0.001), undefined);
    assert.equal(isoTimeOfSeconds(1e300), undefined);
    assert.equal(isoTimeOfSeconds(Number.POSITIVE_INFINITY), undefined);
    assert.equal(isoTimeOfSeconds(Number.NaN), undefined);
  });

  it('is right when consecutive times change day, back and forth', () => {
    for (const seconds of [86_399.5, 86_400.5, 86_399.5, 1_732_400_000, 1, 1_732_400_000]) {
      assert.equal(isoTimeOfSeconds(seconds), expected(seconds));
    }
  });
});
