// Track by reference: the CUSTOMER_REFERENCE an order's shipment was created with -> FedEx's
// reference search, and its answer -> the shipments found (a retry reuses a live one). Pure.

import type { TrackingStatus } from '../../../domain/status';
import type { FedexTrackByReferenceRequest, FedexTrackResponse } from '../wire';
import { normaliseFedexStatus } from './track';

function addDays(isoDate: string, days: number): string {
  const d = new Date(`${isoDate}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/**
 * Look a shipment up by the CUSTOMER_REFERENCE it was created with. The ship date narrows the
 * search (a day either side); without it, the last 30 days, which is FedEx's own default range.
 */
export function toFedexTrackByReferenceRequest(
  reference: string,
  opts: { accountNumber: string; shipDate?: string; now: Date },
): FedexTrackByReferenceRequest {
  const today = opts.now.toISOString().slice(0, 10);
  const begin = opts.shipDate ? addDays(opts.shipDate, -1) : addDays(today, -30);
  const end = opts.shipDate ? addDays(opts.shipDate, 1) : addDays(today, 1);
  return {
    includeDetailedScans: false,
    referencesInformation: {
      type: 'CUSTOMER_REFERENCE',
      value: reference,
      accountNumber: opts.accountNumber,
      shipDateBegin: begin,
      shipDateEnd: end,
      shipDateEndDate: end,
    },
  };
}

export interface FoundShipment {
  trackingNumber: string;
  status: TrackingStatus;
  rawCode: string;
}

/** Shipments found by reference, cancelled ones last (a live shipment is the one to reuse). */
export function parseTrackByReferenceResponse(body: FedexTrackResponse): FoundShipment[] {
  const found: FoundShipment[] = [];
  for (const complete of body.output?.completeTrackResults ?? []) {
    for (const tr of complete.trackResults ?? []) {
      if (tr.error?.code) continue;
      const trackingNumber = tr.trackingNumberInfo?.trackingNumber ?? complete.trackingNumber;
      if (!trackingNumber) continue;
      const rawCode = tr.latestStatusDetail?.code ?? tr.latestStatusDetail?.derivedCode ?? '';
      found.push({ trackingNumber, status: normaliseFedexStatus(rawCode) ?? 'label_created', rawCode });
    }
  }
  return found.sort((a, b) => Number(a.status === 'cancelled') - Number(b.status === 'cancelled'));
}
