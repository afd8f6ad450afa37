import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { createRepos, type ShipmentIntent } from '../../lib/db/repos';
import { forEachDatabase, uniqueName } from '../helpers/db';

function intent(over: Partial<ShipmentIntent> = {}): ShipmentIntent {
  const orderKey = uniqueName('SO');
  return {
    idempotencyKey: `order/plex-demo/${orderKey}/shipment`,
    workflowId: `order/plex-demo/${orderKey}`,
    erpConnection: 'plex-demo',
    orderKey,
    carrier: 'fedex',
    carrierConnection: uniqueName('fedex'),
    carrierAccount: '740561073',
    serviceType: 'FEDEX_GROUND',
    ...over,
  };
}

const created = (tn: string, extra: string[] = []) => ({
  carrierShipmentId: `ship-${tn}`,
  masterTrackingNumber: tn,
  trackingNumbers: [tn, ...extra],
  labelRef: 'lbl-1',
  labelFormat: 'PDF',
  labelUrl: 'https://labels.example/1',
  labelUrlExpiresAt: new Date('2026-12-01T00:00:00Z'),
  costAmount: '12.34',
  costCurrency: 'USD',
});

// One database per kind for the whole file (PGlite takes seconds to start); tests use unique keys.
forEachDatabase('repositories', (getDb) => {
  describe('ShipmentRepo', () => {
    const repo = () => createRepos(getDb().db).shipments;

    it('claimIntent tells a new intent from one recorded before', async () => {
      const i = intent();
      const first = await repo().claimIntent(i);
      assert.equal(first.existed, false);
      const again = await repo().claimIntent(i);
      assert.equal(again.existed, true);
      assert.equal(again.shipment.id, first.shipment.id);
    });

    it('records an intent once per idempotency key', async () => {
      const i = intent();
      const first = await repo().recordIntent(i);
      assert.equal(first.status, 'pending');
      assert.equal(typeof first.id, 'string', 'bigserial ids come back as strings');
      assert.deepEqual(first.tracking_numbers, []);
      const again = await repo().recordIntent({ ...i, serviceType: 'PRIORITY_OVERNIGHT' });
      assert.equal(again.id, first.id);
      assert.equal(again.service_type, 'FEDEX_GROUND', 'the first intent wins');
      const parallel = await Promise.all(
        [1, 2, 3].map(() => repo().recordIntent(intent({ idempotencyKey: `${i.idempotencyKey}-p` }))),
      );
      assert.equal(new Set(parallel.map((s) => s.id)).size, 1);
    });

    it('completes, finds and lists shipments', async () => {
      const i = intent();
      await repo().recordIntent(i);
      const tn = uniqueName('7946');
      const row = await repo().markCreated(i.idempotencyKey, created(tn, [`${tn}-2`]));
      assert.equal(row.status, 'created');
      assert.deepEqual(row.tracking_numbers, [tn, `${tn}-2`]);
      assert.equal(row.cost_amount, '12.34', 'numeric keeps its precision as a string');
      assert.ok(row.label_url_expires_at instanceof Date);
      assert.equal((await repo().findByKey(i.idempotencyKey))?.id, row.id);
      assert.equal((await repo().findByTrackingNumber(tn))?.id, row.id, 'by master tracking number');
      assert.equal((await repo().findByTrackingNumber(`${tn}-2`))?.id, row.id, 'by package tracking number');
      assert.equal(await repo().findByTrackingNumber(uniqueName('none')), undefined);
      assert.equal(await repo().findByKey('no-such-key'), undefined);
    });

    it('marks failed and cancelled, and refuses unknown keys', async () => {
      const a = intent();
      await repo().recordIntent(a);
      const failed = await repo().markFailed(a.idempotencyKey, 'address rejected');
      assert.equal(failed.status, 'failed');
      assert.equal(failed.error, 'address rejected');
      const b = intent();
      await repo().recordIntent(b);
      assert.equal((await repo().markCancelled(b.idempotencyKey)).status, 'cancelled');
      await assert.rejects(repo().markCancelled('nope'), /no shipment recorded for idempotency key nope/);
    });

    it('lists in-transit shipments of one carrier connection with keyset paging', async () => {
      const conn = uniqueName('fedex');
      const ids: string[] = [];
      for (let n = 0; n < 5; n++) {
        const i = intent({ carrierConnection: conn });
        await repo().recordIntent(i);
        ids.push((await repo().markCreated(i.idempotencyKey, created(uniqueName('tn')))).id);
      }
      // Not in transit: pending, cancelled, delivered, another connection.
      await repo().recordIntent(intent({ carrierConnection: conn }));
      const cancelled = intent({ carrierConnection: conn });
      await repo().recordIntent(cancelled);
      await repo().markCreated(cancelled.idempotencyKey, created(uniqueName('tn')));
      await repo().markCancelled(cancelled.idempotencyKey);
      await repo().updateTrackingStatus(ids[4]!, 'delivered', new Date());
      const other = intent();
      await repo().recordIntent(other);
      await repo().markCreated(other.idempotencyKey, created(uniqueName('tn')));

      // Delivered at the carrier but its workflow not told yet (a sweep died in between): still listed.
      const all = async () => {
        const out: string[] = [];
        let afterId: string | undefined;
        for (;;) {
          const page = await repo().listInTransit(conn, { limit: 2, ...(afterId ? { afterId } : {}) });
          out.push(...page.map((s) => s.id));
          if (page.length < 2) return out;
          afterId = page[1]!.id;
        }
      };
      assert.deepEqual(await all(), ids);
      await repo().markNotified(ids[4]!, 'delivered', new Date());
      assert.deepEqual(await all(), ids.slice(0, 4));
      await repo().markNotified(ids[3]!, 'in_transit', new Date());
      assert.deepEqual(await all(), ids.slice(0, 4), 'told a status that is not final: still tracked');
    });

    it('applies tracking updates in time order only', async () => {
      const i = intent();
      await repo().recordIntent(i);
      const { id } = await repo().markCreated(i.idempotencyKey, created(uniqueName('tn')));
      const t1 = new Date('2026-11-21T10:00:00Z');
      const t2 = new Date('2026-11-21T12:00:00Z');
      assert.equal(await repo().updateTrackingStatus(id, 'in_transit', t2), true);
      assert.equal(
        await repo().updateTrackingStatus(id, 'picked_up', t1),
        false,
        'an older update is ignored',
      );
      let row = await repo().findByKey(i.idempotencyKey);
      assert.equal(row?.tracking_status, 'in_transit');
      assert.equal(row?.delivered_at, null);
      const t3 = new Date('2026-11-22T09:30:00Z');
      assert.equal(await repo().updateTrackingStatus(id, 'delivered', t3), true);
      row = await repo().findByKey(i.idempotencyKey);
      assert.equal(row?.delivered_at?.toISOString(), t3.toISOString());
      const signed = new Date('2026-11-22T09:00:00Z');
      await repo().updateTrackingStatus(id, 'delivered', t3, signed);
      assert.equal(
        (await repo().findByKey(i.idempotencyKey))?.delivered_at?.toISOString(),
        signed.toISOString(),
      );
    });
  });

  describe('LabelRepo', () => {
    it('saves label bytes under a random URL-safe id', async () => {
      const { labels, shipments } = createRepos(getDb().db);
      const ship = await shipments.recordIntent(intent());
      const content = Buffer.from([0x25, 0x50, 0x44, 0x46, 0x00, 0xff, 0x10]);
      const id = await labels.save({ shipmentId: ship.id, format: 'PDF', content });
      const id2 = await labels.save({ format: 'ZPLII', content: Buffer.from('^XA^XZ') });
      assert.match(id, /^[A-Za-z0-9_-]{20,}$/);
      assert.notEqual(id, id2);
      const got = await labels.get(id);
      assert.ok(got);
      assert.ok(Buffer.isBuffer(got.content));
      assert.deepEqual(got.content, content);
      assert.equal(got.shipment_id, ship.id);
      assert.equal((await labels.get(id2))?.shipment_id, null);
      assert.equal(await labels.get('missing'), undefined);
    });

    it("saves a shipment's package labels in one insert and lists them in package order", async () => {
      const { labels, shipments } = createRepos(getDb().db);
      const ship = await shipments.recordIntent(intent());
      const docs = Array.from({ length: 6 }, (_, i) => Buffer.from(`%PDF package ${i}`));
      const ids = await labels.saveAll(
        docs.map((content) => ({ shipmentId: ship.id, format: 'PDF', content })),
      );
      assert.equal(new Set(ids).size, 6);
      const listed = await labels.listForShipment(ship.id);
      assert.deepEqual(
        listed.map((l) => l.id),
        ids,
      );
      assert.deepEqual(
        listed.map((l) => l.content.toString()),
        docs.map((d) => d.toString()),
      );
      assert.deepEqual(await labels.saveAll([]), []);
    });

    it('completes a shipment and stores its package labels in one statement', async () => {
      const { labels, shipments } = createRepos(getDb().db);
      const i = intent();
      const ship = await shipments.recordIntent(i);
      const docs = Array.from({ length: 3 }, (_, n) => Buffer.from(`%PDF package ${n}`));
      const tn = uniqueName('tn');
      const labelIds = await shipments.markCreatedWithLabels(
        i.idempotencyKey,
        { masterTrackingNumber: tn, trackingNumbers: [tn], costAmount: '12.50', costCurrency: 'USD' },
        { format: 'PDF', documents: docs },
      );
      const shipment = (await shipments.findByKey(i.idempotencyKey))!;
      assert.equal(shipment.status, 'created');
      assert.equal(shipment.master_tracking_number, tn);
      assert.equal(shipment.label_ref, labelIds[0]);
      assert.equal(shipment.label_format, 'PDF');
      const listed = await labels.listForShipment(ship.id);
      assert.deepEqual(
        listed.map((l) => [l.id, l.content.toString()]),
        labelIds.map((id, n) => [id, docs[n]!.toString()]),
      );
      await assert.rejects(
        shipments.markCreatedWithLabels(
          uniqueName('missing'),
          { masterTrackingNumber: tn, trackingNumbers: [tn] },
          { format: 'PDF', documents: docs },
        ),
        /no shipment recorded/,
      );
      assert.equal((await labels.listForShipment(ship.id)).length, 3, 'an unknown key stores no labels');
    });
  });

  describe('OrderRepo', () => {
    const repo = () => createRepos(getDb().db).orders;

    it('records a lifecycle change in one statement, creating the row or moving it', async () => {
      const connection = uniqueName('plex');
      const order = { connection, orderKey: 'O-1', erpOrderNumber: '100', workflowId: 'order/x/O-1' };
      const created = await repo().recordStatus(order, 'creating_shipment');
      assert.equal(created.status, 'creating_shipment');
      await repo().setErpVersion(connection, 'O-1', 'v1'); // the poll, after the workflow
      const labelled = await repo().recordStatus(
        { ...order, erpOrderNumber: 'other', workflowId: 'other' },
        'in_transit',
        { carrier: 'fedex', trackingNumber: '7946' },
      );
      assert.equal(labelled.status, 'in_transit');
      assert.equal(labelled.erp_order_number, '100', 'a known row keeps its order number');
      assert.equal(labelled.workflow_id, 'order/x/O-1');
      assert.equal(labelled.erp_version, 'v1');
      const parked = await repo().recordStatus(order, 'needs_attention', { reason: 'carrier down' });
      assert.equal(parked.reason, 'carrier down');
      assert.equal(parked.tracking_number, '7946', 'kept when none is given');
      const moved = await repo().recordStatus(order, 'delivered');
      assert.equal(moved.reason, null, 'the reason belonged to the earlier status');
      assert.equal(moved.carrier, 'fedex');
    });

    it('concurrent status changes share upserts; changes of one order land in the order made', async () => {
      const connection = uniqueName('plex');
      const orders = Array.from({ length: 20 }, (_, i) => ({
        connection,
        orderKey: `C-${i}`,
        erpOrderNumber: `${i}`,
        workflowId: `order/x/C-${i}`,
      }));
      const same = orders[0]!;
      // One repo, as a worker process has: its batches keep one order's changes in order (separate
      // repo instances batch separately, like separate processes).
      const shared = repo();
      const results = await Promise.all([
        ...orders.map((o) => shared.recordStatus(o, 'creating_shipment')),
        shared.recordStatus(same, 'in_transit', { carrier: 'fedex', trackingNumber: '7946' }),
        shared.recordStatus(same, 'delivered'),
      ]);
      assert.deepEqual(
        results.slice(0, 20).map((r) => r.order_key),
        orders.map((o) => o.orderKey),
      );
      const last = await repo().get(connection, same.orderKey);
      assert.equal(last?.status, 'delivered');
      assert.equal(last?.tracking_number, '7946', 'kept when the later change gives none');
      assert.equal((await repo().get(connection, 'C-7'))?.status, 'creating_shipment');
    });

    it('records a detected order once and keeps its status on later detections', async () => {
      const connection = uniqueName('exact');
      const order = {
        connection,
        orderKey: 'SO-1',
        erpOrderNumber: '1001',
        workflowId: `order/${connection}/SO-1`,
      };
      const first = await repo().upsertDetected(order);
      assert.equal(first.isNew, true);
      assert.equal(first.order.status, 'detected');
      await repo().setStatus(connection, 'SO-1', 'in_transit', { carrier: 'fedex', trackingNumber: '7946' });
      const again = await repo().upsertDetected(order);
      assert.equal(again.isNew, false);
      assert.equal(again.order.status, 'in_transit');
    });

    it('records a poll batch of detected orders in one go; a row written first keeps its status and takes the version', async () => {
      const connection = uniqueName('plex');
      const detected = (key: string, erpVersion?: string) => ({
        connection,
        orderKey: key,
        erpOrderNumber: `N-${key}`,
        workflowId: `order/${connection}/${key}`,
        ...(erpVersion ? { erpVersion } : {}),
      });
      // The workflow of B recorded its first status before the poll wrote its row (no version yet).
      await repo().recordStatus(
        { connection, orderKey: 'B', erpOrderNumber: 'N-B', workflowId: `order/${connection}/B` },
        'creating_shipment',
      );
      await repo().recordDetected([
        detected('A', 'v1'),
        detected('B', 'v2'),
        detected('C'),
        detected('A', 'v1'),
      ]);
      const rows = await repo().getMany(connection, ['A', 'B', 'C']);
      assert.equal(rows.size, 3);
      assert.equal(rows.get('A')?.status, 'detected');
      assert.equal(rows.get('A')?.erp_version, 'v1');
      assert.equal(rows.get('B')?.status, 'creating_shipment', 'a status the workflow wrote stays');
      assert.equal(rows.get('B')?.erp_version, 'v2', 'the version the poll saw is kept for the next poll');
      assert.equal(rows.get('C')?.erp_version, null);
      // Seen again without a version (another source): the version already known stays.
      await repo().recordDetected([detected('A')]);
      assert.equal((await repo().get(connection, 'A'))?.erp_version, 'v1');
      await repo().recordDetected([]);
    });

    it('sets status with reason, carrier and tracking number', async () => {
      const connection = uniqueName('plex');
      await repo().upsertDetected({
        connection,
        orderKey: 'A',
        erpOrderNumber: 'A',
        workflowId: `order/${connection}/A`,
      });
      let o = await repo().setStatus(connection, 'A', 'needs_attention', { reason: 'missing weight' });
      assert.equal(o.status, 'needs_attention');
      assert.equal(o.reason, 'missing weight');
      o = await repo().setStatus(connection, 'A', 'writing_tracking', {
        carrier: 'shipstation',
        trackingNumber: '1Z9',
      });
      assert.equal(o.reason, null, 'the reason belongs to the previous status');
      o = await repo().setStatus(connection, 'A', 'in_transit');
      assert.equal(o.carrier, 'shipstation');
      assert.equal(o.tracking_number, '1Z9');
      assert.ok(o.updated_at.getTime() >= o.created_at.getTime());
      await assert.rejects(repo().setStatus(connection, 'missing', 'cancelled'), /unknown order/);
      assert.equal((await repo().get(connection, 'A'))?.status, 'in_transit');
      assert.equal(await repo().get(connection, 'missing'), undefined);
    });

    it('lists by status and connection, and counts by status', async () => {
      const connection = uniqueName('ifs');
      for (const key of ['1', '2', '3']) {
        await repo().upsertDetected({
          connection,
          orderKey: key,
          erpOrderNumber: key,
          workflowId: `order/${connection}/${key}`,
        });
      }
      await repo().setStatus(connection, '2', 'needs_attention', { reason: 'carrier rejected' });
      const all = await repo().list({ connection, limit: 10 });
      assert.equal(all.length, 3);
      assert.equal(all[0]?.order_key, '2', 'most recently changed first');
      assert.deepEqual(
        (await repo().list({ connection, status: 'detected', limit: 10 })).map((o) => o.order_key).sort(),
        ['1', '3'],
      );
      assert.equal((await repo().list({ connection, limit: 1 })).length, 1);
      const before = await repo().countByStatus();
      await repo().upsertDetected({
        connection,
        orderKey: '4',
        erpOrderNumber: '4',
        workflowId: `order/${connection}/4`,
      });
      const afterCounts = await repo().countByStatus();
      assert.equal(typeof afterCounts.detected, 'number');
      assert.equal(afterCounts.detected, (before.detected ?? 0) + 1);
      assert.ok((afterCounts.needs_attention ?? 0) >= 1);
    });
  });

  describe('AuditRepo', () => {
    it('appends entries and lists them per order and per workflow, oldest first', async () => {
      const { audit } = createRepos(getDb().db);
      const workflowId = uniqueName('order/sage/SO');
      const id1 = await audit.append({
        actor: 'worker',
        action: 'fedex.ship',
        outcome: 'ok',
        connection: 'sage',
        system: 'fedex',
        workflowId,
        orderKey: 'SO-9',
        httpMethod: 'POST',
        httpPath: '/ship/v1/shipments',
        httpStatus: 200,
        durationMs: 123.6,
        details: { trackingNumber: '7946' },
      });
      await audit.append({
        actor: 'operator',
        action: 'retry',
        outcome: 'ok',
        connection: 'sage',
        orderKey: 'SO-9',
        workflowId,
      });
      await audit.append({
        actor: 'worker',
        action: 'other',
        outcome: 'ok',
        connection: 'sage',
        orderKey: 'SO-10',
      });
      const forOrder = await audit.listForOrder('sage', 'SO-9');
      assert.ok(forOrder.length >= 2);
      const mine = forOrder.filter((e) => e.workflow_id === workflowId);
      assert.deepEqual(
        mine.map((e) => e.action),
        ['fedex.ship', 'retry'],
      );
      assert.equal(mine[0]?.id, id1);
      assert.equal(mine[0]?.duration_ms, 124);
      assert.deepEqual(mine[0]?.details, { trackingNumber: '7946' });
      assert.deepEqual(mine[1]?.details, {});
      assert.deepEqual(
        (await audit.listForWorkflow(workflowId)).map((e) => e.action),
        ['fedex.ship', 'retry'],
      );
    });

    it('group-commits concurrent appends: each gets its own row and id; a bad row fails alone', async () => {
      const { audit } = createRepos(getDb().db);
      const workflowId = uniqueName('order/batch');
      const actions = Array.from({ length: 60 }, (_, i) => `call.${i}`);
      const appends = actions.map((action, i) =>
        audit.append({
          actor: 'worker',
          action,
          outcome: 'ok',
          workflowId,
          ...(i % 3 === 0 ? { at: new Date(Date.UTC(2026, 10, 21, 12, 0, i)) } : {}),
          details: { i },
        }),
      );
      // A row the table refuses (actor is NOT NULL), in the middle of the pile.
      const bad = audit.append({
        actor: null as unknown as string,
        action: 'bad',
        outcome: 'ok',
        workflowId,
      });
      const more = audit.append({ actor: 'worker', action: 'after-bad', outcome: 'ok', workflowId });
      const ids = await Promise.all(appends);
      await assert.rejects(bad);
      await more;
      assert.equal(new Set(ids).size, ids.length);
      const rows = await audit.listForWorkflow(workflowId);
      const byId = new Map(rows.map((r) => [r.id, r]));
      ids.forEach((id, i) => {
        assert.equal(byId.get(id)?.action, actions[i], `append ${i} resolved with its own row's id`);
        assert.deepEqual(byId.get(id)?.details, { i });
      });
      assert.ok(rows.some((r) => r.action === 'after-bad'));
      assert.ok(!rows.some((r) => r.action === 'bad'));
    });

    it('refuses UPDATE and DELETE in the database itself', async () => {
      const { db } = getDb();
      const id = await createRepos(db).audit.append({ actor: 'test', action: 'x', outcome: 'ok' });
      await assert.rejects(
        db.updateTable('audit_log').set({ outcome: 'tampered' }).where('id', '=', id).execute(),
        /append-only \(UPDATE refused\)/,
      );
      await assert.rejects(
        db.deleteFrom('audit_log').where('id', '=', id).execute(),
        /append-only \(DELETE refused\)/,
      );
      const row = await db.selectFrom('audit_log').select('outcome').where('id', '=', id).executeTakeFirst();
      assert.equal(row?.outcome, 'ok');
    });
  });

  describe('TrackingEventRepo', () => {
    it('stores an event once per dedup key and lists them in time order', async () => {
      const { trackingEvents } = createRepos(getDb().db);
      const tn = uniqueName('7946');
      const scan = {
        dedupKey: `fedex:${tn}:2026-11-21T12:00:00Z:PU`,
        carrier: 'fedex',
        trackingNumber: tn,
        status: 'picked_up',
        rawCode: 'PU',
        description: 'Picked up',
        location: 'MEMPHIS, TN',
        eventTime: new Date('2026-11-21T12:00:00Z'),
        source: 'poll',
      };
      assert.equal(await trackingEvents.insertOnce(scan), true);
      assert.equal(
        await trackingEvents.insertOnce({ ...scan, source: 'webhook' }),
        false,
        'same scan via the webhook',
      );
      assert.equal(
        await trackingEvents.insertOnce({
          ...scan,
          dedupKey: `fedex:${tn}:2026-11-20T08:00:00Z:OC`,
          status: 'label_created',
          rawCode: 'OC',
          eventTime: new Date('2026-11-20T08:00:00Z'),
          estimatedDelivery: new Date('2026-11-23T00:00:00Z'),
        }),
        true,
      );
      const events = await trackingEvents.listForTrackingNumber(tn);
      assert.deepEqual(
        events.map((e) => e.status),
        ['label_created', 'picked_up'],
      );
      assert.equal(events[1]?.source, 'poll');
      assert.equal(events[0]?.estimated_delivery?.toISOString(), '2026-11-23T00:00:00.000Z');
    });
  });

  describe('WatermarkRepo', () => {
    it('advances and never moves backwards', async () => {
      const { watermarks } = createRepos(getDb().db);
      const connection = uniqueName('exact');
      assert.equal(await watermarks.get(connection, 'orders'), undefined);
      const t1 = new Date('2026-11-21T10:00:00Z');
      const t2 = new Date('2026-11-21T11:00:00Z');
      assert.equal(await watermarks.advance(connection, 'orders', t1), true);
      assert.equal(await watermarks.advance(connection, 'orders', t2, 'page-2'), true);
      assert.equal(await watermarks.advance(connection, 'orders', t1, 'stale'), false);
      assert.deepEqual(await watermarks.get(connection, 'orders'), { watermark: t2, cursor: 'page-2' });
      assert.equal(
        await watermarks.advance(connection, 'orders', t2, 'page-3'),
        true,
        'same time, next page',
      );
      assert.equal((await watermarks.get(connection, 'orders'))?.cursor, 'page-3');
      assert.equal(await watermarks.advance(connection, 'shipments', t1), true, 'streams are independent');
      assert.deepEqual(await watermarks.get(connection, 'shipments'), { watermark: t1, cursor: null });
    });
  });

  describe('WebhookInboxRepo', () => {
    const repo = () => createRepos(getDb().db).webhookInbox;

    it('stores a delivery once per source and dedup key', async () => {
      const key = uniqueName('evt');
      const delivery = {
        source: 'shipstation',
        dedupKey: key,
        eventType: 'SHIP_NOTIFY',
        headers: { 'content-type': 'application/json' },
        body: '{"a":1}',
      };
      const first = await repo().insertOnce(delivery);
      assert.equal(first.duplicate, false);
      const again = await repo().insertOnce(delivery);
      assert.deepEqual(again, { id: first.id, duplicate: true });
      const otherSource = await repo().insertOnce({ ...delivery, source: 'fedex' });
      assert.equal(otherSource.duplicate, false);
      const row = await repo().get(first.id);
      assert.deepEqual(row?.headers, { 'content-type': 'application/json' });
      assert.equal(row?.status, 'received');
    });

    it('claims, retries, fails and completes deliveries; concurrent claimers never share a row', async () => {
      // Drain whatever earlier tests left so the counts below are this test's own.
      for (let rows = await repo().claimNext(100); rows.length; rows = await repo().claimNext(100)) {
        for (const r of rows) await repo().markProcessed(r.id);
      }
      const ids: string[] = [];
      for (let n = 0; n < 6; n++) {
        ids.push(
          (
            await repo().insertOnce({
              source: 'fedex',
              dedupKey: uniqueName('e'),
              headers: {},
              body: `{"n":${n}}`,
            })
          ).id,
        );
      }
      const [a, b] = await Promise.all([repo().claimNext(3), repo().claimNext(3)]);
      const claimed = [...a!, ...b!].map((r) => r.id).sort();
      assert.deepEqual(claimed, [...ids].sort(), 'every row claimed exactly once');
      assert.ok(
        a!.every((r) => r.status === 'processing' && r.attempts === 1 && r.claimed_at instanceof Date),
      );
      assert.deepEqual(await repo().claimNext(10), [], 'claimed rows are not handed out again');

      await repo().markProcessed(ids[0]!);
      assert.equal((await repo().get(ids[0]!))?.status, 'processed');
      assert.ok((await repo().get(ids[0]!))?.processed_at instanceof Date);

      await repo().markFailed(ids[1]!, 'ERP timed out', { maxAttempts: 2 });
      let row = await repo().get(ids[1]!);
      assert.equal(row?.status, 'received', 'retryable until out of attempts');
      assert.equal(row?.error, 'ERP timed out');
      const retry = await repo().claimNext(1);
      assert.deepEqual(
        retry.map((r) => [r.id, r.attempts]),
        [[ids[1], 2]],
      );
      await repo().markFailed(ids[1]!, 'x'.repeat(5000), { maxAttempts: 2 });
      row = await repo().get(ids[1]!);
      assert.equal(row?.status, 'failed');
      assert.equal(row?.error?.length, 2000);
    });

    it("claims only the given source's rows when asked for one", async () => {
      const mine = uniqueName('shipstation:mine');
      const other = uniqueName('shipstation:other');
      const insert = async (source: string) =>
        (await repo().insertOnce({ source, dedupKey: uniqueName('e'), headers: {}, body: '{}' })).id;
      const others = [await insert(other), await insert(other)];
      const mineIds = [await insert(mine), await insert(mine)];
      const claimed = await repo().claimNext(10, { source: mine });
      assert.deepEqual(
        claimed.map((r) => r.id),
        mineIds,
        "both of this source's rows, oldest first, none of the other's",
      );
      assert.ok(claimed.every((r) => r.source === mine && r.status === 'processing'));
      assert.deepEqual(await repo().claimNext(10, { source: mine }), [], 'nothing left for this source');
      for (const id of others) assert.equal((await repo().get(id))?.status, 'received', 'untouched');
      // Without a source, any source's rows (the other's are still there to take).
      const any = await repo().claimNext(100);
      assert.ok(others.every((id) => any.some((r) => r.id === id)));
    });

    it('reclaims rows whose processor stopped answering', async () => {
      const { db } = getDb();
      const { id } = await repo().insertOnce({
        source: 'exact',
        dedupKey: uniqueName('e'),
        headers: {},
        body: '{}',
      });
      await db
        .updateTable('webhook_inbox')
        .set({ status: 'processing', claimed_at: sql`now() - interval '10 minutes'` })
        .where('id', '=', id)
        .execute();
      const reclaimed = await repo().claimNext(50, { staleAfterMs: 60_000 });
      assert.ok(reclaimed.some((r) => r.id === id));
      const fresh = await repo().claimNext(50, { staleAfterMs: 60_000 });
      assert.ok(!fresh.some((r) => r.id === id), 'a fresh claim is left alone');
    });
  });

  describe('ConnectionRepo', () => {
    it('mirrors config connections (insert, then update in place)', async () => {
      const { connections } = createRepos(getDb().db);
      const name = uniqueName('fedex');
      const first = await connections.upsert(name, 'fedex', 'https://apis-sandbox.fedex.com', {
        accountNumber: '740561073',
      });
      assert.deepEqual(first.settings, { accountNumber: '740561073' });
      const second = await connections.upsert(name, 'fedex', 'https://apis.fedex.com', {
        accountNumber: '1',
      });
      assert.equal(second.base_url, 'https://apis.fedex.com');
      assert.deepEqual(second.settings, { accountNumber: '1' });
      assert.equal(second.created_at.toISOString(), first.created_at.toISOString());
      assert.equal((await connections.get(name))?.system, 'fedex');
      assert.ok((await connections.list()).some((c) => c.name === name));
      assert.equal(await connections.get(uniqueName('none')), undefined);
    });
  });
});
