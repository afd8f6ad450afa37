import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shipperShowsUpdate, toShipperStatusUpdate } from '../../connectors/plex/mapping';
import type { PlexCustomerShipper } from '../../connectors/plex/wire';

describe('shipperShowsUpdate (is a status write already applied?)', () => {
  const update = toShipperStatusUpdate(
    {
      status: 'delivered',
      at: '2026-11-24T15:00:00Z',
      description: 'Delivered',
      trackingNumber: '794612345678',
    },
    { statusMap: { delivered: 'Delivered' } },
  );
  const applied: PlexCustomerShipper = {
    id: 's1',
    status: 'Delivered',
    shipperNote: update.shipperNote,
    // Plex answers with milliseconds; the update was sent without.
    deliveryDateTime: '2026-11-24T15:00:00.000Z',
    trackingNumber: '794612345678',
  };

  it('true when every field of the update is on the shipper', () => {
    assert.equal(shipperShowsUpdate(applied, update), true);
  });

  it('false when any field differs or is missing', () => {
    assert.equal(shipperShowsUpdate({ ...applied, status: 'Shipped' }, update), false);
    assert.equal(shipperShowsUpdate({ ...applied, shipperNote: 'ml-connector: in_transit' }, update), false);
    assert.equal(shipperShowsUpdate({ ...applied, deliveryDateTime: null }, update), false);
    assert.equal(shipperShowsUpdate({ ...applied, deliveryDateTime: '2026-11-24T15:00:01Z' }, update), false);
  });

  it('an update without a mapped status or delivery date compares the note only', () => {
    const note = toShipperStatusUpdate({
      status: 'in_transit',
      at: '2026-11-23T10:00:00Z',
      description: 'x',
    });
    assert.deepEqual(Object.keys(note), ['shipperNote']);
    assert.equal(shipperShowsUpdate({ id: 's1', status: 'Open', shipperNote: note.shipperNote }, note), true);
    assert.equal(shipperShowsUpdate({ id: 's1', status: 'Open' }, note), false);
  });

  it('a freight amount cannot be confirmed by a read, so it is never taken as applied', () => {
    assert.equal(shipperShowsUpdate(applied, { ...update, freightAmount: 12.5 }), false);
  });
});
