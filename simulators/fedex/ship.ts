import { randomUUID } from 'node:crypto';
import type { SeededRandom } from '../shared/random';
import {
  commercialInvoicePdf,
  checkCustomsFields,
  enforceCustomsRule,
  wantsCommercialInvoice,
} from './customs';
import { MESSAGES, errors } from './errors';
import { LABEL_MIME, renderLabel, type ImageType } from './labels';
import { SERVICES, SERVICE_TYPES, packageCharges, pounds, round2, sumCharges } from './pricing';
import {
  isCancellable,
  type Address,
  type CustomerReference,
  type Party,
  type ShipmentStore,
  type StoredPackage,
  type StoredShipment,
} from './shipments';
import { localDate, localIso, zoneFor } from './time';
import { Checker, isObject, type Json } from './validate';
import type { TokenInfo } from './auth';

export const PICKUP_TYPES = [
  'CONTACT_FEDEX_TO_SCHEDULE',
  'DROPOFF_AT_FEDEX_LOCATION',
  'USE_SCHEDULED_PICKUP',
] as const;
const PACKAGING_TYPES = [
  'YOUR_PACKAGING',
  'FEDEX_ENVELOPE',
  'FEDEX_PAK',
  'FEDEX_BOX',
  'FEDEX_SMALL_BOX',
  'FEDEX_MEDIUM_BOX',
  'FEDEX_LARGE_BOX',
  'FEDEX_EXTRA_LARGE_BOX',
  'FEDEX_10KG_BOX',
  'FEDEX_25KG_BOX',
  'FEDEX_TUBE',
] as const;
const PAYMENT_TYPES = ['SENDER', 'RECIPIENT', 'THIRD_PARTY', 'COLLECT'] as const;
const IMAGE_TYPES = ['ZPLII', 'EPL2', 'PDF', 'PNG'] as const;
const LABEL_STOCK_TYPES = [
  'PAPER_4X6',
  'STOCK_4X675',
  'PAPER_4X675',
  'PAPER_4X8',
  'PAPER_4X9',
  'PAPER_7X475',
  'PAPER_85X11_BOTTOM_HALF_LABEL',
  'PAPER_85X11_TOP_HALF_LABEL',
  'PAPER_LETTER',
  'STOCK_4X675_LEADING_DOC_TAB',
  'STOCK_4X8',
  'STOCK_4X9_LEADING_DOC_TAB',
  'STOCK_4X6',
  'STOCK_4X675_TRAILING_DOC_TAB',
  'STOCK_4X9_TRAILING_DOC_TAB',
  'STOCK_4X9',
  'STOCK_4X85_TRAILING_DOC_TAB',
  'STOCK_4X105_TRAILING_DOC_TAB',
] as const;
const REFERENCE_TYPES = [
  'CUSTOMER_REFERENCE',
  'DEPARTMENT_NUMBER',
  'INVOICE_NUMBER',
  'P_O_NUMBER',
  'INTRACOUNTRY_REGULATORY_REFERENCE',
  'RMA_ASSOCIATION',
] as const;
export const WEIGHT_UNITS = ['KG', 'LB'] as const;
const DIMENSION_UNITS = ['IN', 'CM'] as const;
/** The simulator answers synchronously; it refuses bigger multi-piece shipments rather than invent async jobs. */
const MAX_PACKAGES = 99;

/** FedEx's customer reference length limits (reference §4). */
function referenceMaxLength(type: string, ground: boolean): number {
  if (type === 'CUSTOMER_REFERENCE') return ground ? 30 : 40;
  if (type === 'RMA_ASSOCIATION') return 20;
  return 30;
}

export interface DocumentStore {
  /** Keep a document for URL_ONLY answers; returns its public URL. */
  put(bytes: Buffer, mime: string): string;
}

export interface ShipContext {
  store: ShipmentStore;
  documents: DocumentStore;
  random: SeededRandom;
  /** Simulated now (epoch ms). */
  now(): number;
  exceptionShare(): number;
  onCreated(shipment: StoredShipment): void;
}

export function checkAddress(c: Checker, parent: Json, key: string, path: string, required = true) {
  const address = c.object(parent, key, path, required);
  if (!address) return undefined;
  const streetLines = c.array(address, 'streetLines', `${path}.streetLines`, { min: 1, max: 3 });
  streetLines?.forEach((line, i) => {
    if (typeof line !== 'string' || line.length > 35)
      c.fail(`${path}.streetLines[${i}]`, 'must be a string of at most 35 characters');
  });
  const result: Address = {
    streetLines: (streetLines ?? []).filter((l): l is string => typeof l === 'string'),
    city: c.string(address, 'city', `${path}.city`, { max: 35 }) ?? '',
    stateOrProvinceCode: c.string(address, 'stateOrProvinceCode', `${path}.stateOrProvinceCode`, {
      required: false,
      max: 2,
    }),
    postalCode: c.string(address, 'postalCode', `${path}.postalCode`, { required: false, max: 10 }),
    countryCode: c.string(address, 'countryCode', `${path}.countryCode`, { pattern: /^[A-Z]{2}$/ }) ?? '',
    residential: c.boolean(address, 'residential', `${path}.residential`, false),
  };
  if (result.countryCode === 'US' && !result.postalCode)
    c.fail(`${path}.postalCode`, 'is required for US addresses');
  return result;
}

function checkParty(c: Checker, value: unknown, path: string): Party | undefined {
  if (!isObject(value)) {
    c.fail(path, 'is required');
    return undefined;
  }
  const address = checkAddress(c, value, 'address', `${path}.address`);
  const contact = c.object(value, 'contact', `${path}.contact`);
  let phoneNumber: string | undefined;
  if (contact) {
    phoneNumber = c.string(contact, 'phoneNumber', `${path}.contact.phoneNumber`);
    const digits = phoneNumber?.replace(/\D/g, '') ?? '';
    if (phoneNumber !== undefined && (digits.length < 10 || digits.length > 15)) {
      c.fail(`${path}.contact.phoneNumber`, 'must have 10 to 15 digits');
    }
    const personName = c.string(contact, 'personName', `${path}.contact.personName`, {
      required: false,
      max: 70,
    });
    const companyName = c.string(contact, 'companyName', `${path}.contact.companyName`, {
      required: false,
      max: 35,
    });
    if (!personName && !companyName) c.fail(`${path}.contact`, 'needs a personName or a companyName');
  }
  if (!address || !contact) return undefined;
  return {
    address,
    contact: {
      personName: typeof contact.personName === 'string' ? contact.personName : undefined,
      companyName: typeof contact.companyName === 'string' ? contact.companyName : undefined,
      phoneNumber,
    },
  };
}

interface ParsedPackage {
  weight: { units: 'KG' | 'LB'; value: number };
  customerReferences: CustomerReference[];
}

function checkPackages(c: Checker, shipment: Json, ground: boolean): ParsedPackage[] {
  const items = c.array(
    shipment,
    'requestedPackageLineItems',
    'requestedShipment.requestedPackageLineItems',
    {
      min: 1,
      max: MAX_PACKAGES,
    },
  );
  const out: ParsedPackage[] = [];
  (items ?? []).forEach((item, i) => {
    const path = `requestedShipment.requestedPackageLineItems[${i}]`;
    if (!isObject(item)) {
      c.fail(path, 'must be an object');
      return;
    }
    const weight = c.object(item, 'weight', `${path}.weight`);
    const units = weight
      ? c.string(weight, 'units', `${path}.weight.units`, { enum: WEIGHT_UNITS })
      : undefined;
    const value = weight
      ? c.number(weight, 'value', `${path}.weight.value`, { min: 0.1, max: 2200 })
      : undefined;
    const dims = c.object(item, 'dimensions', `${path}.dimensions`, false);
    if (dims) {
      for (const side of ['length', 'width', 'height']) {
        const n = c.number(dims, side, `${path}.dimensions.${side}`, { min: 1, max: 999 });
        if (n !== undefined && !Number.isInteger(n))
          c.fail(`${path}.dimensions.${side}`, 'must be a whole number');
      }
      c.string(dims, 'units', `${path}.dimensions.units`, { enum: DIMENSION_UNITS });
    }
    const refs = c.array(item, 'customerReferences', `${path}.customerReferences`, {
      required: false,
      max: 4,
    });
    const customerReferences: CustomerReference[] = [];
    (refs ?? []).forEach((ref, j) => {
      const refPath = `${path}.customerReferences[${j}]`;
      if (!isObject(ref)) {
        c.fail(refPath, 'must be an object');
        return;
      }
      const type = c.string(ref, 'customerReferenceType', `${refPath}.customerReferenceType`, {
        enum: REFERENCE_TYPES,
      });
      const max = type ? referenceMaxLength(type, ground) : 40;
      const refValue = c.string(ref, 'value', `${refPath}.value`, { max });
      if (type && refValue !== undefined)
        customerReferences.push({ customerReferenceType: type, value: refValue });
    });
    if (units && value !== undefined)
      out.push({ weight: { units: units as 'KG' | 'LB', value }, customerReferences });
  });
  return out;
}

/** Everything the simulator needs from a valid create request. */
interface ShipRequest {
  accountNumber: string;
  labelResponse: 'URL_ONLY' | 'LABEL';
  imageType: ImageType;
  serviceType: string;
  packagingType: string;
  shipper: Party;
  recipient: Party;
  shipDatestamp?: string;
  rateTypes: string[];
  packages: ParsedPackage[];
  /** The request's requestedShipment, for the documents printed from it. */
  shipment: Json;
}

function parseShipRequest(body: Json, token: TokenInfo): ShipRequest {
  const c = new Checker();
  const account = c.object(body, 'accountNumber', 'accountNumber');
  const accountNumber = account ? c.string(account, 'value', 'accountNumber.value', { max: 9 }) : undefined;
  const labelResponse = c.string(body, 'labelResponseOptions', 'labelResponseOptions', {
    enum: ['URL_ONLY', 'LABEL'],
  });
  c.string(body, 'mergeLabelDocOption', 'mergeLabelDocOption', {
    required: false,
    enum: ['NONE', 'LABELS_AND_DOCS', 'LABELS_ONLY'],
  });
  c.string(body, 'shipAction', 'shipAction', { required: false, enum: ['CONFIRM', 'TRANSFER'] });
  c.string(body, 'processingOptionType', 'processingOptionType', {
    required: false,
    enum: ['SYNCHRONOUS_ONLY', 'ALLOW_ASYNCHRONOUS'],
  });
  c.boolean(body, 'oneLabelAtATime', 'oneLabelAtATime', false);

  const rs = c.object(body, 'requestedShipment', 'requestedShipment');
  if (!rs) c.throwIfAny();
  const shipment = rs as Json;
  const shipper = checkParty(c, shipment.shipper, 'requestedShipment.shipper');
  const recipients = c.array(shipment, 'recipients', 'requestedShipment.recipients', { min: 1 });
  const parsedRecipients = (recipients ?? []).map((r, i) =>
    checkParty(c, r, `requestedShipment.recipients[${i}]`),
  );
  c.string(shipment, 'pickupType', 'requestedShipment.pickupType', { enum: PICKUP_TYPES });
  const serviceType = c.string(shipment, 'serviceType', 'requestedShipment.serviceType', {
    enum: SERVICE_TYPES,
  });
  const packagingType = c.string(shipment, 'packagingType', 'requestedShipment.packagingType', {
    enum: PACKAGING_TYPES,
  });
  const shipDatestamp = c.string(shipment, 'shipDatestamp', 'requestedShipment.shipDatestamp', {
    required: false,
    pattern: /^\d{4}-\d{2}-\d{2}$/,
  });
  const rateTypes = c.array(shipment, 'rateRequestType', 'requestedShipment.rateRequestType', {
    required: false,
  });
  rateTypes?.forEach((t, i) => {
    if (!['LIST', 'NONE', 'PREFERRED', 'ACCOUNT', 'INCENTIVE', 'RETAIL'].includes(String(t))) {
      c.fail(`requestedShipment.rateRequestType[${i}]`, 'is not a valid rate request type');
    }
  });

  const payment = c.object(shipment, 'shippingChargesPayment', 'requestedShipment.shippingChargesPayment');
  const paymentType = payment
    ? c.string(payment, 'paymentType', 'requestedShipment.shippingChargesPayment.paymentType', {
        enum: PAYMENT_TYPES,
      })
    : undefined;
  const payorAccount = payorAccountOf(payment);
  if (paymentType && paymentType !== 'SENDER' && !payorAccount) {
    c.fail(
      'requestedShipment.shippingChargesPayment.payor.responsibleParty.accountNumber.value',
      'is required unless paymentType is SENDER',
    );
  }

  const labelSpec = c.object(shipment, 'labelSpecification', 'requestedShipment.labelSpecification');
  const imageType = labelSpec
    ? c.string(labelSpec, 'imageType', 'requestedShipment.labelSpecification.imageType', {
        enum: IMAGE_TYPES,
      })
    : undefined;
  if (labelSpec) {
    c.string(labelSpec, 'labelStockType', 'requestedShipment.labelSpecification.labelStockType', {
      enum: LABEL_STOCK_TYPES,
    });
  }
  const ground = serviceType !== undefined && SERVICES[serviceType]?.category === 'GROUND';
  const packages = checkPackages(c, shipment, ground);
  checkCustomsFields(c, shipment);
  c.throwIfAny();

  // Business checks come after the field checks, like FedEx's own order of errors.
  if (!accountNumber || !token.accounts.includes(accountNumber)) {
    throw errors.badRequest('ACCOUNTNUMBER.REGISTRATION.REQUIRED', MESSAGES.accountRegistration);
  }
  if (paymentType === 'SENDER' && payorAccount && payorAccount !== accountNumber) {
    throw errors.badRequest('ACCOUNT.NUMBER.MISMATCH', MESSAGES.accountMismatch);
  }
  enforceCustomsRule(shipper!, parsedRecipients[0]!, shipment);
  return {
    accountNumber,
    labelResponse: labelResponse as 'URL_ONLY' | 'LABEL',
    imageType: imageType as ImageType,
    serviceType: serviceType!,
    packagingType: packagingType!,
    shipper: shipper!,
    recipient: parsedRecipients[0]!,
    shipDatestamp,
    rateTypes: (rateTypes ?? []).map(String),
    packages,
    shipment,
  };
}

function payorAccountOf(payment: Json | undefined): string | undefined {
  const payor = isObject(payment?.payor) ? payment.payor : undefined;
  const party = isObject(payor?.responsibleParty) ? payor.responsibleParty : undefined;
  const account = isObject(party?.accountNumber) ? party.accountNumber : undefined;
  return typeof account?.value === 'string' && account.value !== '' ? account.value : undefined;
}

function rateDetail(
  rateType: string,
  charges: { base: number; surcharges: number; net: number },
  weightLb: number,
) {
  return {
    rateType,
    rateScale: '1552',
    rateZone: '05',
    pricingCode: 'PACKAGE',
    ratedWeightMethod: 'ACTUAL',
    currency: 'USD',
    dimDivisor: 139,
    fuelSurchargePercent: 12,
    totalBillingWeight: { units: 'LB', value: weightLb },
    totalBaseCharge: charges.base,
    totalFreightDiscounts: 0,
    totalNetFreight: charges.base,
    totalSurcharges: charges.surcharges,
    totalNetFedExCharge: charges.net,
    totalTaxes: 0,
    totalNetCharge: charges.net,
    totalRebates: 0,
    totalDutiesAndTaxes: 0,
    totalAncillaryFeesAndTaxes: 0,
    totalDutiesTaxesAndFees: 0,
    totalNetChargeWithDutiesAndTaxes: charges.net,
    surcharges: [{ surchargeType: 'FUEL', description: 'Fuel Surcharge', amount: charges.surcharges }],
  };
}

function trackingIdType(serviceType: string): string {
  return SERVICES[serviceType]?.category === 'GROUND' ? 'GROUND' : 'FEDEX';
}

/** `POST /ship/v1/shipments`: validate, store, and answer with labels and rates in FedEx's shape. */
export function createShipment(ctx: ShipContext, token: TokenInfo, body: Json): Json {
  const req = parseShipRequest(body, token);
  const now = ctx.now();
  const shipperZone = zoneFor(req.shipper.address.countryCode, req.shipper.address.stateOrProvinceCode);
  const recipientZone = zoneFor(req.recipient.address.countryCode, req.recipient.address.stateOrProvinceCode);
  const packages: StoredPackage[] = req.packages.map((p, i) => ({
    trackingNumber: ctx.store.newTrackingNumber(),
    sequenceNumber: i + 1,
    weight: p.weight,
    customerReferences: p.customerReferences,
    charges: packageCharges(req.serviceType, p.weight),
  }));
  const stored = ctx.store.add(
    {
      accountNumber: req.accountNumber,
      clientId: token.clientId,
      serviceType: req.serviceType,
      packagingType: req.packagingType,
      shipper: req.shipper,
      recipient: req.recipient,
      shipDate: req.shipDatestamp ?? localDate(now, shipperZone),
      createdAt: now,
      packages,
    },
    ctx.random.chance(ctx.exceptionShare()),
  );
  ctx.onCreated(stored);

  const service = SERVICES[req.serviceType]!;
  const master = stored.masterTrackingNumber;
  const idType = trackingIdType(req.serviceType);
  const deliveryTimestamp = localIso(stored.estimatedDeliveryAt, recipientZone);
  const pieceResponses = packages.map((pkg) => {
    const labelBytes = renderLabel(req.imageType, {
      trackingNumber: pkg.trackingNumber,
      serviceType: req.serviceType,
      recipientName: req.recipient.contact.personName ?? req.recipient.contact.companyName ?? '',
      recipientCity: req.recipient.address.city,
      recipientPostalCode: req.recipient.address.postalCode ?? '',
    });
    const document =
      req.labelResponse === 'LABEL'
        ? { encodedLabel: labelBytes.toString('base64') }
        : { url: ctx.documents.put(labelBytes, LABEL_MIME[req.imageType]) };
    return {
      trackingNumber: pkg.trackingNumber,
      masterTrackingNumber: master,
      packageSequenceNumber: pkg.sequenceNumber,
      trackingIdType: idType,
      serviceCategory: service.category,
      deliveryTimestamp,
      netChargeAmount: pkg.charges.net,
      baseRateAmount: pkg.charges.base,
      listRateAmount: pkg.charges.list,
      netDiscountAmount: round2(pkg.charges.list - pkg.charges.net),
      customerReferences: pkg.customerReferences,
      packageDocuments: [
        {
          contentType: 'LABEL',
          docType: req.imageType,
          copiesToPrint: 1,
          trackingNumber: pkg.trackingNumber,
          ...document,
        },
      ],
    };
  });

  // Shipping documents asked for in shippingDocumentSpecification: the commercial invoice, as
  // FedEx gives it, in shipmentDocuments (base64 in encodedLabel, or a URL like the labels).
  const shipmentDocuments = [];
  if (wantsCommercialInvoice(req.shipment)) {
    const invoice = commercialInvoicePdf(req.shipment, req, master);
    shipmentDocuments.push({
      contentType: 'COMMERCIAL_INVOICE',
      docType: 'PDF',
      copiesToPrint: 1,
      ...(req.labelResponse === 'LABEL'
        ? { encodedLabel: invoice.toString('base64') }
        : { url: ctx.documents.put(invoice, 'application/pdf') }),
    });
  }

  const total = sumCharges(packages.map((p) => p.charges));
  const weightLb = packages.reduce((acc, p) => acc + Math.max(1, Math.ceil(pounds(p.weight))), 0);
  // The actual (billed) rate is the account rate; a LIST entry, when asked for, comes first so a
  // client that takes element 0 instead of following actualRateType gets the wrong number.
  const rateDetails = [];
  if (req.rateTypes.includes('LIST')) {
    rateDetails.push(
      rateDetail('PAYOR_LIST_SHIPMENT', { base: total.list, surcharges: 0, net: total.list }, weightLb),
    );
  }
  rateDetails.push(rateDetail('PAYOR_ACCOUNT_SHIPMENT', total, weightLb));

  return {
    transactionId: randomUUID(),
    output: {
      transactionShipments: [
        {
          masterTrackingNumber: master,
          serviceType: req.serviceType,
          serviceName: service.name,
          serviceCategory: service.category,
          shipDatestamp: stored.shipDate,
          pieceResponses,
          shipmentDocuments,
          completedShipmentDetail: {
            usDomestic:
              req.shipper.address.countryCode === 'US' && req.recipient.address.countryCode === 'US',
            carrierCode: service.category === 'GROUND' ? 'FDXG' : 'FDXE',
            masterTrackingId: { trackingIdType: idType, formId: '0201', trackingNumber: master },
            serviceDescription: {
              serviceType: req.serviceType,
              code: req.serviceType,
              names: [{ type: 'long', encoding: 'utf-8', value: service.name }],
              serviceCategory: service.category,
              description: service.name,
            },
            packagingDescription: req.packagingType,
            operationalDetail: {
              deliveryDate: localDate(stored.estimatedDeliveryAt, recipientZone),
              transitTime: service.category === 'GROUND' ? 'THREE_DAYS' : 'ONE_DAY',
              countryCode: req.recipient.address.countryCode,
              postalCode: req.recipient.address.postalCode ?? '',
            },
            shipmentRating: { actualRateType: 'PAYOR_ACCOUNT_SHIPMENT', shipmentRateDetails: rateDetails },
            completedPackageDetails: packages.map((pkg) => ({
              sequenceNumber: pkg.sequenceNumber,
              trackingIds: [{ trackingIdType: idType, formId: '0201', trackingNumber: pkg.trackingNumber }],
              groupNumber: 0,
              signatureOption: 'SERVICE_DEFAULT',
            })),
          },
          alerts: [],
        },
      ],
      alerts: [],
    },
  };
}

/** `PUT /ship/v1/shipments/cancel`. Cancelling twice succeeds twice; after pickup it is refused. */
export function cancelShipment(ctx: ShipContext, token: TokenInfo, body: Json): Json {
  const c = new Checker();
  const account = c.object(body, 'accountNumber', 'accountNumber');
  const accountNumber = account ? c.string(account, 'value', 'accountNumber.value', { max: 9 }) : undefined;
  const trackingNumber = c.string(body, 'trackingNumber', 'trackingNumber');
  c.string(body, 'senderCountryCode', 'senderCountryCode', { required: false, pattern: /^[A-Z]{2}$/ });
  c.string(body, 'deletionControl', 'deletionControl', { required: false, enum: ['DELETE_ALL_PACKAGES'] });
  c.boolean(body, 'emailShipment', 'emailShipment', false);
  c.throwIfAny();
  if (!accountNumber || !token.accounts.includes(accountNumber)) {
    throw errors.badRequest('ACCOUNTNUMBER.REGISTRATION.REQUIRED', MESSAGES.accountRegistration);
  }
  const shipment = ctx.store.find(trackingNumber!);
  if (!shipment) throw errors.badRequest('TRACKINGNUMBER.ENTERED.INVALID', MESSAGES.trackingNumberInvalid);
  if (shipment.accountNumber !== accountNumber) {
    throw errors.badRequest('SHIPMENT.USER.UNAUTHORIZED', MESSAGES.userUnauthorized);
  }
  const now = ctx.now();
  const cancellable = shipment.cancelledAt !== undefined || isCancellable(shipment, now);
  if (cancellable) ctx.store.cancel(shipment, now);
  return {
    transactionId: randomUUID(),
    output: {
      cancelledShipment: cancellable,
      cancelledHistory: cancellable,
      message: cancellable
        ? 'Shipment is successfully cancelled'
        : 'Shipment cannot be cancelled because it has already been picked up',
    },
  };
}
