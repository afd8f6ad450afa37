import { randomUUID } from 'node:crypto';
import type { TokenInfo } from './auth';
import { MESSAGES, errors } from './errors';
import {
  DOMESTIC_QUOTE_SERVICES,
  SERVICES,
  SERVICE_TYPES,
  packageCharges,
  pounds,
  sumCharges,
} from './pricing';
import { PICKUP_TYPES, WEIGHT_UNITS } from './ship';
import { dayOfWeek } from './time';
import { Checker, isObject, type Json } from './validate';

const RATE_REQUEST_TYPES = ['LIST', 'NONE', 'PREFERRED', 'ACCOUNT', 'INCENTIVE', 'RETAIL'] as const;

/** `POST /rate/v1/rates/quotes`. Note `recipient` is singular here, unlike Ship's `recipients[]`. */
export function rateQuotes(token: TokenInfo, now: number, body: Json): Json {
  const c = new Checker();
  const account = c.object(body, 'accountNumber', 'accountNumber');
  const accountNumber = account ? c.string(account, 'value', 'accountNumber.value', { max: 9 }) : undefined;
  const rs = c.object(body, 'requestedShipment', 'requestedShipment');
  if (!rs) c.throwIfAny();
  const shipment = rs!;
  const shipper = c.object(shipment, 'shipper', 'requestedShipment.shipper');
  if (shipper) lenientAddress(c, shipper, 'requestedShipment.shipper.address');
  const recipient = c.object(shipment, 'recipient', 'requestedShipment.recipient');
  if (recipient) lenientAddress(c, recipient, 'requestedShipment.recipient.address');
  c.string(shipment, 'pickupType', 'requestedShipment.pickupType', { enum: PICKUP_TYPES });
  const serviceType = c.string(shipment, 'serviceType', 'requestedShipment.serviceType', {
    required: false,
    enum: SERVICE_TYPES,
  });
  const rateTypes =
    c.array(shipment, 'rateRequestType', 'requestedShipment.rateRequestType', { required: false }) ?? [];
  rateTypes.forEach((t, i) => {
    if (!(RATE_REQUEST_TYPES as readonly unknown[]).includes(t)) {
      c.fail(`requestedShipment.rateRequestType[${i}]`, `must be one of ${RATE_REQUEST_TYPES.join(', ')}`);
    }
  });
  const items = c.array(
    shipment,
    'requestedPackageLineItems',
    'requestedShipment.requestedPackageLineItems',
    {
      min: 1,
      max: 100,
    },
  );
  const weights: { units: string; value: number }[] = [];
  (items ?? []).forEach((item, i) => {
    const path = `requestedShipment.requestedPackageLineItems[${i}].weight`;
    const weight = isObject(item) ? c.object(item, 'weight', path) : undefined;
    if (!isObject(item)) c.fail(path, 'is required');
    if (!weight) return;
    const units = c.string(weight, 'units', `${path}.units`, { enum: WEIGHT_UNITS });
    const value = c.number(weight, 'value', `${path}.value`, { min: 0.1 });
    if (units && value !== undefined) weights.push({ units, value });
  });
  c.throwIfAny();
  if (!accountNumber || !token.accounts.includes(accountNumber)) {
    throw errors.badRequest('ACCOUNTNUMBER.REGISTRATION.REQUIRED', MESSAGES.accountRegistration);
  }

  const wanted = (rateTypes as string[]).filter((t) => t === 'ACCOUNT' || t === 'LIST');
  const rateKinds = wanted.length > 0 ? wanted : ['ACCOUNT'];
  const services = serviceType ? [serviceType] : DOMESTIC_QUOTE_SERVICES;
  const billedLb = weights.reduce((acc, w) => acc + Math.max(1, Math.ceil(pounds(w))), 0);
  return {
    transactionId: randomUUID(),
    output: {
      rateReplyDetails: services.map((svc) => {
        const service = SERVICES[svc]!;
        const total = sumCharges(weights.map((w) => packageCharges(svc, w)));
        const ground = service.category === 'GROUND';
        const commitAt = now + (ground ? 3 : svc.includes('2_DAY') ? 2 : 1) * 86_400_000;
        return {
          serviceType: svc,
          serviceName: service.name,
          packagingType:
            typeof shipment.packagingType === 'string' ? shipment.packagingType : 'YOUR_PACKAGING',
          ratedShipmentDetails: rateKinds.map((kind) => {
            const net = kind === 'LIST' ? total.list : total.net;
            const base = kind === 'LIST' ? total.list : total.base;
            const surcharges = kind === 'LIST' ? 0 : total.surcharges;
            return {
              rateType: kind,
              ratedWeightMethod: 'ACTUAL',
              totalDiscounts: 0,
              totalBaseCharge: base,
              totalNetCharge: net,
              totalNetFedExCharge: net,
              totalNetChargeWithDutiesAndTaxes: net,
              totalDutiesAndTaxes: 0,
              totalAncillaryFeesAndTaxes: 0,
              totalDutiesTaxesAndFees: 0,
              shipmentRateDetail: {
                rateZone: '05',
                dimDivisor: 139,
                fuelSurchargePercent: 12,
                totalSurcharges: surcharges,
                totalFreightDiscount: 0,
                surCharges: [{ type: 'FUEL', description: 'Fuel Surcharge', amount: surcharges }],
                totalBillingWeight: { units: 'LB', value: billedLb },
                currency: 'USD',
              },
            };
          }),
          operationalDetail: {
            ineligibleForMoneyBackGuarantee: false,
            transitTime: ground ? 'THREE_DAYS' : 'ONE_DAY',
          },
          signatureOptionType: 'SERVICE_DEFAULT',
          serviceDescription: {
            serviceType: svc,
            code: svc,
            names: [{ type: 'long', encoding: 'utf-8', value: service.name }],
            serviceCategory: service.category.toLowerCase(),
            description: service.name,
          },
          commit: {
            dateDetail: {
              dayOfWeek: dayOfWeek(commitAt, 'UTC'),
              dayFormat: new Date(commitAt).toISOString().slice(0, 19),
            },
          },
        };
      }),
      quoteDate: new Date(now).toISOString().slice(0, 10),
      isEncoded: false,
      alerts: [],
    },
  };
}

/** Rate only needs postal and country code (the spec's minimal sample); street and city are optional. */
function lenientAddress(c: Checker, party: Json, path: string): void {
  const address = c.object(party, 'address', path);
  if (!address) return;
  c.string(address, 'countryCode', `${path}.countryCode`, { pattern: /^[A-Z]{2}$/ });
  const postal = c.string(address, 'postalCode', `${path}.postalCode`, { required: false, max: 10 });
  if (address.countryCode === 'US' && !postal) c.fail(`${path}.postalCode`, 'is required for US addresses');
}
