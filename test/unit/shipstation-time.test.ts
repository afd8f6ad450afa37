import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  dayToPacific,
  pacificToUtc,
  shipStationDateToUtc,
  utcToPacific,
} from '../../connectors/shipstation/time';

describe('ShipStation V1 Pacific time -> UTC', () => {
  it('reads offset-less answers as Pacific time, standard and daylight', () => {
    // The documented answer shape: 7 fractional digits, no offset.
    assert.equal(pacificToUtc('2015-08-17T09:24:14.7800000'), '2015-08-17T16:24:14.780Z'); // PDT, UTC-7
    assert.equal(pacificToUtc('2026-01-15T09:24:14.78'), '2026-01-15T17:24:14.780Z'); // PST, UTC-8
    assert.equal(pacificToUtc('2016-11-29 23:59:59'), '2016-11-30T07:59:59.000Z');
    assert.equal(pacificToUtc('2014-09-04T09:18:01.293'), '2014-09-04T16:18:01.293Z');
  });

  it('keeps an explicit Z or offset', () => {
    assert.equal(pacificToUtc('2015-06-29T08:46:27.000Z'), '2015-06-29T08:46:27.000Z');
    assert.equal(pacificToUtc('2015-06-29T08:46:27+02:00'), '2015-06-29T06:46:27.000Z');
  });

  it('March: the hour before the skip is PST, the hour after is PDT', () => {
    assert.equal(pacificToUtc('2026-03-08T01:59:59'), '2026-03-08T09:59:59.000Z');
    assert.equal(pacificToUtc('2026-03-08T03:00:00'), '2026-03-08T10:00:00.000Z');
  });

  it('March: a wall time inside the skipped hour is read as if the clock had not moved yet', () => {
    // 02:30 does not exist on 2026-03-08; 02:30 PST is 10:30Z (= 03:30 PDT).
    assert.equal(pacificToUtc('2026-03-08T02:30:00'), '2026-03-08T10:30:00.000Z');
  });

  it('November: a wall time in the repeated hour maps to the earlier (PDT) instant', () => {
    // 01:30 happens at 08:30Z (PDT) and again at 09:30Z (PST); the first pass wins.
    assert.equal(pacificToUtc('2026-11-01T01:30:00'), '2026-11-01T08:30:00.000Z');
    assert.equal(pacificToUtc('2026-11-01 01:00:00'), '2026-11-01T08:00:00.000Z');
    // Either side of the repeated hour is unambiguous.
    assert.equal(pacificToUtc('2026-11-01T00:59:59'), '2026-11-01T07:59:59.000Z');
    assert.equal(pacificToUtc('2026-11-01T02:00:00'), '2026-11-01T10:00:00.000Z');
  });

  it('keeps a date-only value as a calendar day', () => {
    assert.equal(shipStationDateToUtc('2014-10-03'), '2014-10-03');
    assert.equal(shipStationDateToUtc('2014-10-03T10:00:00.0000000'), '2014-10-03T17:00:00.000Z');
  });

  it('refuses what is not a date-time', () => {
    for (const bad of ['', 'yesterday', '2026-13-01T00:00:00', '2026-02-30 10:00:00', '20261101T013000']) {
      assert.throws(() => pacificToUtc(bad), RangeError, bad);
    }
  });
});

describe('UTC -> ShipStation V1 request dates', () => {
  it('formats in Pacific time as yyyy-MM-dd HH:mm:ss', () => {
    assert.equal(utcToPacific('2026-07-01T19:00:00Z'), '2026-07-01 12:00:00'); // PDT
    assert.equal(utcToPacific(new Date('2026-01-01T07:59:59Z')), '2025-12-31 23:59:59'); // PST
  });

  it('rounds a window start down and a window end up to whole seconds', () => {
    assert.equal(utcToPacific('2026-07-01T19:00:00.400Z', 'floor'), '2026-07-01 12:00:00');
    assert.equal(utcToPacific('2026-07-01T19:00:00.400Z', 'ceil'), '2026-07-01 12:00:01');
    assert.equal(utcToPacific('2026-07-01T19:00:00.000Z', 'ceil'), '2026-07-01 12:00:00');
  });

  it('crosses the March skip: 09:59:59Z is 01:59:59 PST, 10:00Z is 03:00 PDT', () => {
    assert.equal(utcToPacific('2026-03-08T09:59:59Z'), '2026-03-08 01:59:59');
    assert.equal(utcToPacific('2026-03-08T10:00:00Z'), '2026-03-08 03:00:00');
  });

  it('in the repeated November hour, both instants format to the same wall time', () => {
    assert.equal(utcToPacific('2026-11-01T08:30:00Z'), '2026-11-01 01:30:00');
    assert.equal(utcToPacific('2026-11-01T09:30:00Z'), '2026-11-01 01:30:00');
    // ...and reading it back gives the earlier one: a window start can only move earlier.
    assert.equal(pacificToUtc(utcToPacific('2026-11-01T09:30:00Z')), '2026-11-01T08:30:00.000Z');
  });

  it('round-trips every other instant', () => {
    for (const iso of ['2026-03-08T09:00:00.000Z', '2026-03-08T11:00:00.000Z', '2026-11-01T10:15:00.000Z']) {
      assert.equal(pacificToUtc(utcToPacific(iso)), iso);
    }
  });

  it('formats a calendar day as its start and refuses bad days and instants', () => {
    assert.equal(dayToPacific('2026-11-20'), '2026-11-20 00:00:00');
    assert.throws(() => dayToPacific('2026-11-31'), RangeError);
    assert.throws(() => utcToPacific('not a date'), RangeError);
  });
});
