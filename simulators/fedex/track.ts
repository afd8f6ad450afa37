import { randomUUID } from 'node:crypto';
import { MESSAGES, errors } from './errors';
import { SERVICES } from './pricing';
import {
  eventsAt,
  type Address,
  type PlannedEvent,
  type ShipmentStore,
  type StatusCode,
  type StoredShipment,
} from './shipments';
import { localIso, zoneFor } from './time';
import { Checker, isObject, type Json } from './validate';
import type { TokenInfo } from './auth';

export const MAX_TRACKING_NUMBERS = 30;

/** FedEx wording for each status the simulator uses; derivedCode as FedEx reports it (OC is "IN", initiated). */
const STATUS_TEXT: Record<StatusCode, { derived: string; description: string; locale: string }> = {
  OC: { derived: 'IN', description: 'Shipment information sent to FedEx', locale: 'Label created' },
  PU: { derived: 'PU', description: 'Picked up', locale: 'Picked up' },
  IT: { derived: 'IT', description: 'In transit', locale: 'In transit' },
  OD: {
    derived: 'OD',
    description: 'On FedEx vehicle for delivery',
    locale: 'On FedEx vehicle for delivery',
  },
  DL: { derived: 'DL', description: 'Delivered', locale: 'Delivered' },
  DE: { derived: 'DE', description: 'Delivery exception', locale: 'Delivery exception' },
  CA: { derived: 'CA', description: 'Shipment cancelled by sender', locale: 'Cancelled' },
};

/** The one exception reason the simulator produces (FedEx code 07, as in the sandbox mock number 377101283611590). */
const EXCEPTION = { code: '07', description: 'Customer not available or business closed' };

/** Ship-side customerReferenceType -> the reference type Track reports (PackageIdentifier.type). */
const TRACK_REFERENCE_TYPE: Record<string, string> = {
  CUSTOMER_REFERENCE: 'CUSTOMER_REFERENCE',
  P_O_NUMBER: 'PURCHASE_ORDER',
  INVOICE_NUMBER: 'INVOICE',
  DEPARTMENT_NUMBER: 'DEPARTMENT',
  RMA_ASSOCIATION: 'RETURN_MATERIALS_AUTHORIZATION',
};

const HUB: Address = {
  streetLines: [],
  city: 'MEMPHIS',
  stateOrProvinceCode: 'TN',
  postalCode: '38118',
  countryCode: 'US',
};

function placeOf(shipment: StoredShipment, where: PlannedEvent['where']): Address {
  if (where === 'hub') return HUB;
  return where === 'origin' ? shipment.shipper.address : shipment.recipient.address;
}

function scanLocation(a: Address) {
  return {
    city: a.city.toUpperCase(),
    ...(a.stateOrProvinceCode ? { stateOrProvinceCode: a.stateOrProvinceCode } : {}),
    ...(a.postalCode ? { postalCode: a.postalCode } : {}),
    countryCode: a.countryCode,
    residential: false,
  };
}

function eventTime(shipment: StoredShipment, e: PlannedEvent): string {
  const place = placeOf(shipment, e.where);
  return localIso(e.at, zoneFor(place.countryCode, place.stateOrProvinceCode));
}

function scanEvent(shipment: StoredShipment, e: PlannedEvent) {
  const text = STATUS_TEXT[e.code];
  return {
    date: eventTime(shipment, e),
    eventType: e.code,
    eventDescription: text.description,
    derivedStatusCode: text.derived,
    derivedStatus: text.locale,
    exceptionCode: e.code === 'DE' ? EXCEPTION.code : '',
    exceptionDescription: e.code === 'DE' ? EXCEPTION.description : '',
    scanLocation: scanLocation(placeOf(shipment, e.where)),
    locationType: e.where === 'hub' ? 'FEDEX_FACILITY' : e.code === 'OC' ? 'CUSTOMER' : 'DELIVERY_LOCATION',
  };
}

/**
 * One `trackResults[]` entry for a package as it stands at simulated time `now`.
 * `upTo` limits the events (a webhook push describes the shipment as of one event).
 */
export function trackResult(
  shipment: StoredShipment,
  trackingNumber: string,
  now: number,
  opts: { detailedScans: boolean; upTo?: number } = { detailedScans: true },
): Json {
  const all = eventsAt(shipment, now);
  const events = opts.upTo !== undefined ? all.slice(0, opts.upTo) : all;
  const latest = events[events.length - 1]!;
  const text = STATUS_TEXT[latest.code];
  const pkg = shipment.packages.find((p) => p.trackingNumber === trackingNumber) ?? shipment.packages[0]!;
  const service = SERVICES[shipment.serviceType];
  const recipientZone = zoneFor(
    shipment.recipient.address.countryCode,
    shipment.recipient.address.stateOrProvinceCode,
  );
  const shipperZone = zoneFor(
    shipment.shipper.address.countryCode,
    shipment.shipper.address.stateOrProvinceCode,
  );
  const done = latest.code === 'DL' || latest.code === 'CA';

  const dateAndTimes: Json[] = [
    { type: 'SHIP', dateTime: localIso(shipment.createdAt, shipperZone) },
    { type: 'SHIPMENT_DATA_RECEIVED', dateTime: localIso(shipment.createdAt, shipperZone) },
  ];
  const pickup = events.find((e) => e.code === 'PU');
  if (pickup) dateAndTimes.push({ type: 'ACTUAL_PICKUP', dateTime: eventTime(shipment, pickup) });
  if (latest.code === 'DL')
    dateAndTimes.push({ type: 'ACTUAL_DELIVERY', dateTime: eventTime(shipment, latest) });
  if (!done) {
    dateAndTimes.push({
      type: 'ESTIMATED_DELIVERY',
      dateTime: localIso(shipment.estimatedDeliveryAt, recipientZone),
    });
  }
  const reversedScans = [...events].reverse().map((e) => scanEvent(shipment, e));

  return {
    trackingNumberInfo: {
      trackingNumber,
      carrierCode: service?.category === 'GROUND' ? 'FDXG' : 'FDXE',
      trackingNumberUniqueId: `12025~${trackingNumber}~${service?.category === 'GROUND' ? 'FDEG' : 'FX'}`,
    },
    additionalTrackingInfo: {
      packageIdentifiers: pkg.customerReferences.map((r) => ({
        type: TRACK_REFERENCE_TYPE[r.customerReferenceType] ?? 'FREE_FORM_REFERENCE',
        value: [r.value],
      })),
      hasAssociatedShipments: shipment.packages.length > 1,
    },
    latestStatusDetail: {
      code: latest.code,
      derivedCode: text.derived,
      statusByLocale: text.locale,
      description: text.description,
      scanLocation: scanLocation(placeOf(shipment, latest.where)),
      ...(latest.code === 'DE'
        ? {
            ancillaryDetails: [
              {
                reason: EXCEPTION.code,
                reasonDescription: EXCEPTION.description,
                action: 'NO_ACTION_REQUIRED',
                actionDescription: 'A new delivery attempt will be made on the next business day',
              },
            ],
          }
        : {}),
    },
    dateAndTimes,
    ...(done
      ? {}
      : {
          estimatedDeliveryTimeWindow: {
            type: 'ESTIMATED_DELIVERY',
            window: { ends: localIso(shipment.estimatedDeliveryAt, recipientZone) },
          },
        }),
    serviceDetail: {
      type: shipment.serviceType,
      description: service?.name ?? shipment.serviceType,
      shortDescription: shipment.serviceType,
    },
    packageDetails: {
      sequenceNumber: String(pkg.sequenceNumber),
      count: String(shipment.packages.length),
      packagingDescription: { type: shipment.packagingType, description: shipment.packagingType },
      weightAndDimensions: { weight: [{ unit: pkg.weight.units, value: String(pkg.weight.value) }] },
    },
    shipperInformation: { address: scanLocation(shipment.shipper.address) },
    recipientInformation: { address: scanLocation(shipment.recipient.address) },
    scanEvents: opts.detailedScans ? reversedScans : reversedScans.slice(0, 1),
    availableNotifications: ['ON_DELIVERY', 'ON_EXCEPTION'],
  };
}

function notFound(trackingNumber: string): Json {
  return {
    trackingNumber,
    trackResults: [
      {
        // FedEx sends carrierCode "" here; the spec's enum does not allow that, so the simulator leaves it out.
        trackingNumberInfo: { trackingNumber, trackingNumberUniqueId: '' },
        error: { code: 'TRACKING.TRACKINGNUMBER.NOTFOUND', message: MESSAGES.trackingNotFound },
      },
    ],
  };
}

/** `POST /track/v1/trackingnumbers`: at most 30 numbers; unknown numbers are per-number errors in a 200. */
export function trackByNumbers(store: ShipmentStore, now: number, body: Json): Json {
  const c = new Checker();
  const detailed = c.boolean(body, 'includeDetailedScans', 'includeDetailedScans');
  const infos = c.array(body, 'trackingInfo', 'trackingInfo');
  c.throwIfAny();
  if (infos!.length === 0) throw errors.badRequest('TRACKING.TRACKINGNUMBER.EMPTY', MESSAGES.trackingEmpty);
  if (infos!.length > MAX_TRACKING_NUMBERS) {
    throw errors.badRequest('TRACKING.TRACKINGNUMBERS.LIMITEXCEEDED', MESSAGES.trackingLimit);
  }
  const numbers = infos!.map((info) => {
    const tni = isObject(info) && isObject(info.trackingNumberInfo) ? info.trackingNumberInfo : undefined;
    const n = tni?.trackingNumber;
    if (typeof n !== 'string' || n.trim() === '') {
      throw errors.badRequest('TRACKING.TRACKINGNUMBER.EMPTY', MESSAGES.trackingEmpty);
    }
    return n.trim();
  });
  return {
    transactionId: randomUUID(),
    output: {
      completeTrackResults: numbers.map((n) => {
        const shipment = store.find(n);
        if (!shipment) return notFound(n);
        return {
          trackingNumber: n,
          trackResults: [trackResult(shipment, n, now, { detailedScans: detailed! })],
        };
      }),
    },
  };
}

/** Track-by-reference types and the ship-side customerReferenceType each one matches. */
const REFERENCE_TYPE_MATCH: Record<string, string[]> = {
  CUSTOMER_REFERENCE: ['CUSTOMER_REFERENCE'],
  SHIPPER_REFERENCE: ['CUSTOMER_REFERENCE'],
  PURCHASE_ORDER: ['P_O_NUMBER'],
  INVOICE: ['INVOICE_NUMBER'],
  DEPARTMENT: ['DEPARTMENT_NUMBER'],
  RETURN_MATERIALS_AUTHORIZATION: ['RMA_ASSOCIATION'],
};

/**
 * `POST /track/v1/referencenumbers`: find shipments by a customer reference plus either the
 * shipper account or the destination postal and country code. This is how a client finds a
 * shipment it may have created before an uncertain failure.
 */
export function trackByReference(store: ShipmentStore, token: TokenInfo, now: number, body: Json): Json {
  const c = new Checker();
  const info = c.object(body, 'referencesInformation', 'referencesInformation');
  c.boolean(body, 'includeDetailedScans', 'includeDetailedScans', false);
  c.throwIfAny();
  const ref = info!;
  const value = typeof ref.value === 'string' ? ref.value.trim() : '';
  if (!value) throw errors.badRequest('TRACKING.REFERENCEVALUE.EMPTY', MESSAGES.referenceValueEmpty);
  const type = typeof ref.type === 'string' && ref.type.trim() !== '' ? ref.type.trim() : undefined;
  const matchTypes = type ? REFERENCE_TYPE_MATCH[type] : undefined;
  if (type && !matchTypes) {
    throw errors.badRequest(
      'TRACKING.REFERENCETYPE.INVALID',
      'Please provide a valid reference/associated type.',
    );
  }
  const account =
    typeof ref.accountNumber === 'string' && ref.accountNumber !== '' ? ref.accountNumber : undefined;
  const country = typeof ref.destinationCountryCode === 'string' ? ref.destinationCountryCode : undefined;
  const postal = typeof ref.destinationPostalCode === 'string' ? ref.destinationPostalCode : undefined;
  if (!account && !(country && postal)) {
    throw errors.badRequest('TRACKING.REFERENCEDATA.INCOMPLETE', MESSAGES.referenceDataIncomplete);
  }
  // The spec names the end date both shipDateEnd (examples) and shipDateEndDate (schema); accept either.
  const begin = typeof ref.shipDateBegin === 'string' ? ref.shipDateBegin : undefined;
  const endRaw = ref.shipDateEnd ?? ref.shipDateEndDate;
  const end = typeof endRaw === 'string' ? endRaw : undefined;
  const detailed = body.includeDetailedScans === true;

  const matches = store.all().filter((s) => {
    if (account && (s.accountNumber !== account || !token.accounts.includes(account))) return false;
    if (
      !account &&
      (s.recipient.address.countryCode !== country || s.recipient.address.postalCode !== postal)
    ) {
      return false;
    }
    if (begin && s.shipDate < begin) return false;
    if (end && s.shipDate > end) return false;
    return s.packages.some((p) =>
      p.customerReferences.some(
        (r) => r.value === value && (!matchTypes || matchTypes.includes(r.customerReferenceType)),
      ),
    );
  });
  return {
    transactionId: randomUUID(),
    output: {
      completeTrackResults:
        matches.length > 0
          ? matches.map((s) => ({
              trackingNumber: s.masterTrackingNumber,
              trackResults: [trackResult(s, s.masterTrackingNumber, now, { detailedScans: detailed })],
            }))
          : [
              {
                trackResults: [
                  {
                    error: { code: 'TRACKING.REFERENCENUMBER.NOTFOUND', message: MESSAGES.referenceNotFound },
                  },
                ],
              },
            ],
    },
  };
}
