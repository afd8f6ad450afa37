// Cancel: a tracking number -> FedEx's cancel request, and its answer -> cancelled or not. Pure.

import type { FedexCancelRequest, FedexCancelResponse } from '../wire';

export function toFedexCancelRequest(
  trackingNumber: string,
  opts: { accountNumber: string; senderCountryCode?: string },
): FedexCancelRequest {
  return {
    accountNumber: { value: opts.accountNumber },
    trackingNumber,
    ...(opts.senderCountryCode ? { senderCountryCode: opts.senderCountryCode } : {}),
    deletionControl: 'DELETE_ALL_PACKAGES',
  };
}

export function parseCancelResponse(body: FedexCancelResponse): { cancelled: boolean; message: string } {
  return { cancelled: body.output?.cancelledShipment === true, message: body.output?.message ?? '' };
}
