import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  PlexInsufficientStockError,
  fifoOrder,
  normalizeShipped,
  pickContainers,
  sumOnHand,
  type PlexContainer,
} from '../../connectors/plex/inventory';

const box = (serialNo: string, quantity: number, hour: number): PlexContainer => ({
  serialNo,
  quantity,
  addDateTime: `2026-11-21T${String(hour).padStart(2, '0')}:00:00.000Z`,
});

const serials = (picked: PlexContainer[] | undefined) => picked?.map((c) => c.serialNo);

describe('Plex inventory: picking whole containers', () => {
  it('orders containers oldest first, by serial number on a tie', () => {
    const list = [box('C', 1, 9), box('B', 1, 8), box('A', 1, 9)];
    assert.deepEqual(serials(fifoOrder(list)), ['B', 'A', 'C']);
  });

  it('takes the oldest containers that fit, skipping one too big for the rest', () => {
    const list = [box('new', 20, 12), box('old', 20, 8), box('big', 50, 9), box('mid', 20, 10)];
    assert.deepEqual(serials(pickContainers(list, 40)), ['old', 'mid']);
    assert.deepEqual(serials(pickContainers(list, 90)), ['old', 'big', 'mid']);
  });

  it('finds an exact set when the FIFO pass misses it', () => {
    // FIFO takes 15 then 20 (35) and is stuck; 20 + 20 is exact.
    const list = [box('a', 15, 1), box('b', 20, 2), box('c', 20, 3)];
    assert.deepEqual(serials(pickContainers(list, 40)), ['b', 'c']);
  });

  it('gives up when no whole containers add up, or stock is short', () => {
    const list = [box('a', 20, 1), box('b', 20, 2)];
    assert.equal(pickContainers(list, 30), undefined);
    assert.equal(pickContainers(list, 60), undefined);
    assert.equal(pickContainers([box('x', 0, 1), { serialNo: 'y' }], 1), undefined);
  });

  it('sums on-hand, ignoring missing or negative quantities', () => {
    assert.equal(sumOnHand([box('a', 20, 1), box('b', 2.5, 2), { serialNo: 'c', quantity: null }]), 22.5);
    assert.equal(sumOnHand([box('d', -4, 1)]), 0);
  });
});

describe('Plex inventory: recordShippedQuantities input', () => {
  it('merges repeated part numbers', () => {
    assert.deepEqual(
      normalizeShipped({
        externalShipmentCode: 'se-1',
        items: [
          { partNumber: 'A', quantity: 2 },
          { partNumber: 'B', quantity: 1 },
          { partNumber: 'A', quantity: 3 },
        ],
      }),
      {
        externalShipmentCode: 'se-1',
        items: [
          { partNumber: 'A', quantity: 5 },
          { partNumber: 'B', quantity: 1 },
        ],
      },
    );
  });

  it('refuses a missing or over-long code, no items, and bad quantities', () => {
    const item = { partNumber: 'A', quantity: 1 };
    for (const bad of [
      { externalShipmentCode: ' ', items: [item] },
      { externalShipmentCode: 'x'.repeat(51), items: [item] },
      { externalShipmentCode: 'se', items: [] },
      { externalShipmentCode: 'se', items: [{ partNumber: '', quantity: 1 }] },
      { externalShipmentCode: 'se', items: [{ partNumber: 'A', quantity: 0 }] },
      { externalShipmentCode: 'se', items: [{ partNumber: 'A', quantity: Number.NaN }] },
    ]) {
      assert.throws(() => normalizeShipped(bad), RangeError, JSON.stringify(bad));
    }
  });

  it('short stock is a typed, final error', () => {
    const err = new PlexInsufficientStockError('short');
    assert.equal(err.type, 'PlexInsufficientStockError');
    assert.equal(err.retryable, false);
  });
});
