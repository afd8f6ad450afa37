import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExpiringCache } from '../../lib/expiring-cache';

describe('ExpiringCache', () => {
  it('answers an entry until its time is up, then forgets it', () => {
    const cache = new ExpiringCache<string>(1_000, 10);
    cache.set('a', 'A', 0);
    assert.equal(cache.get('a', 999), 'A');
    assert.equal(cache.get('a', 1_000), undefined);
    assert.equal(cache.size, 0, 'an expired entry is dropped when met');
  });

  it('when full, drops the oldest tenth; storing a key again makes it the newest', () => {
    const cache = new ExpiringCache<number>(60_000, 20);
    for (let i = 0; i < 20; i++) cache.set(`k${i}`, i, i);
    cache.set('k0', 0, 100); // already there: nothing is dropped, k0 becomes the newest
    assert.equal(cache.size, 20);
    cache.set('k20', 20, 101); // a new key into a full cache: k1 and k2, now the oldest, go
    assert.equal(cache.size, 19);
    assert.equal(cache.get('k0', 102), 0);
    assert.equal(cache.get('k1', 102), undefined);
    assert.equal(cache.get('k2', 102), undefined);
    assert.equal(cache.get('k3', 102), 3);
    assert.equal(cache.get('k20', 102), 20);
  });
});
