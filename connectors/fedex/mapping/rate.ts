// Rate: a rate request -> FedEx's rate quote request, and its answer -> one quote per service. Pure.

import type { Address, RateQuote, RateQuoteRequest } from '../../../domain/model';
import type { FedexRateRequest, FedexRateResponse } from '../wire';
import { fedexAddress, fedexServiceType, fedexTimeToUtc, lineItem, round } from './shared';

export function toFedexRateRequest(req: RateQuoteRequest, opts: { accountNumber: string }): FedexRateRequest {
  const serviceType = req.carrierServiceCode || req.serviceLevel ? fedexServiceType(req) : undefined;
  // The Rate API's address has no street lines: rates depend on postal code, country and residential.
  const address = (a: Address) => {
    const { streetLines: _lines, ...rest } = fedexAddress(a);
    return rest;
  };
  return {
    accountNumber: { value: opts.accountNumber },
    rateRequestControlParameters: { returnTransitTimes: true },
    requestedShipment: {
      shipper: { address: address(req.shipper) },
      recipient: { address: address(req.recipient) },
      pickupType: 'DROPOFF_AT_FEDEX_LOCATION',
      ...(serviceType ? { serviceType } : {}),
      ...(req.packagingType ? { packagingType: req.packagingType } : {}),
      ...(req.shipDate ? { shipDateStamp: req.shipDate } : {}),
      rateRequestType: ['ACCOUNT', 'LIST'],
      totalPackageCount: req.packages.length,
      requestedPackageLineItems: req.packages.map(lineItem),
    },
  };
}

/** One quote per service: the account rate when FedEx gives one, else the first rate it lists. */
export function parseRateResponse(body: FedexRateResponse): RateQuote[] {
  const quotes: RateQuote[] = [];
  for (const reply of body.output?.rateReplyDetails ?? []) {
    const rated = reply.ratedShipmentDetails ?? [];
    const pick = rated.find((r) => r.rateType === 'ACCOUNT') ?? rated[0];
    const currency = pick?.currency ?? pick?.shipmentRateDetail?.currency;
    if (!reply.serviceType || !pick || typeof pick.totalNetCharge !== 'number' || !currency) continue;
    const commitTime = fedexTimeToUtc(reply.commit?.dateDetail?.dayCxsFormat);
    quotes.push({
      serviceType: reply.serviceType,
      ...(reply.serviceName ? { serviceName: reply.serviceName } : {}),
      cost: { amount: round(pick.totalNetCharge, 2), currency },
      rateType: pick.rateType ?? '',
      ...(commitTime ? { commitTime } : {}),
    });
  }
  return quotes;
}
