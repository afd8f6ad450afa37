// The parts of FedEx's JSON the connector writes and reads (shapes from FedEx's OpenAPI files in
// shared/specs/fedex). Requests are plain types. Answers are zod schemas, handed to the kit's
// HttpCaller, which reads every 2xx body through them: a field of the wrong type ends in a typed
// Unavailable error naming the field, before any mapping sees it. Every field may be missing or null
// except the few an operation cannot do without; unknown fields are dropped. The types of the
// answers are inferred from the schemas.

import { z } from 'zod';

export interface FedexAddress {
  streetLines: string[];
  city: string;
  stateOrProvinceCode?: string;
  postalCode?: string;
  countryCode: string;
  residential?: boolean;
}

export interface FedexContact {
  personName?: string;
  companyName?: string;
  phoneNumber: string;
  emailAddress?: string;
}

export interface FedexParty {
  address: FedexAddress;
  contact: FedexContact;
}

export interface FedexWeight {
  units: 'KG' | 'LB';
  value: number;
}

export interface FedexCustomerReference {
  customerReferenceType: 'CUSTOMER_REFERENCE' | 'P_O_NUMBER' | 'INVOICE_NUMBER' | 'DEPARTMENT_NUMBER';
  value: string;
}

export interface FedexPackageLineItem {
  sequenceNumber?: number;
  weight: FedexWeight;
  dimensions?: { length: number; width: number; height: number; units: 'CM' | 'IN' };
  declaredValue?: { amount: number; currency: string };
  customerReferences?: FedexCustomerReference[];
  itemDescription?: string;
}

export interface FedexMoney {
  amount: number;
  currency: string;
}

/** One commodity of a commercial invoice (the spec's Commodity; `description` is its one required field). */
export interface FedexCommodity {
  description: string;
  harmonizedCode?: string;
  countryOfManufacture: string;
  quantity: number;
  quantityUnits: string;
  unitPrice: FedexMoney;
  customsValue: FedexMoney;
  weight?: FedexWeight;
  partNumber?: string;
  usmcaDetail?: { originCriterion: 'A' | 'B' | 'C' | 'D' };
}

export interface FedexPayor {
  responsibleParty: { accountNumber: { value: string } };
}

/** The spec's CustomsClearanceDetail, as far as the connector fills it. */
export interface FedexCustomsClearanceDetail {
  commercialInvoice: {
    shipmentPurpose: string;
    termsOfSale: string;
    customerReferences?: Array<{ customerReferenceType: 'INVOICE_NUMBER'; value: string }>;
  };
  commodities: FedexCommodity[];
  totalCustomsValue: FedexMoney;
  dutiesPayment: { paymentType: 'SENDER' | 'RECIPIENT' | 'THIRD_PARTY'; payor?: FedexPayor };
  importerOfRecord?: FedexParty & {
    accountNumber?: { value: string };
    tins?: Array<{ number: string; tinType: 'BUSINESS_NATIONAL' }>;
  };
}

/** Asks FedEx to print shipping documents with the label: here only the commercial invoice. */
export interface FedexShippingDocumentSpecification {
  shippingDocumentTypes: Array<'COMMERCIAL_INVOICE'>;
  commercialInvoiceDetail: { documentFormat: { docType: 'PDF'; stockType: 'PAPER_LETTER' } };
}

export interface FedexShipRequest {
  labelResponseOptions: 'LABEL' | 'URL_ONLY';
  mergeLabelDocOption?: 'NONE' | 'LABELS_AND_DOCS' | 'LABELS_ONLY';
  accountNumber: { value: string };
  requestedShipment: {
    shipDatestamp: string;
    pickupType: string;
    serviceType: string;
    packagingType: string;
    totalWeight: number;
    totalPackageCount: number;
    shipper: FedexParty;
    recipients: FedexParty[];
    shippingChargesPayment: {
      paymentType: 'SENDER' | 'RECIPIENT' | 'THIRD_PARTY';
      payor?: FedexPayor;
    };
    /** Only for shipments that cross a border. */
    customsClearanceDetail?: FedexCustomsClearanceDetail;
    labelSpecification: { imageType: 'PDF' | 'ZPLII'; labelStockType: string };
    shippingDocumentSpecification?: FedexShippingDocumentSpecification;
    requestedPackageLineItems: FedexPackageLineItem[];
  };
}

export interface FedexCancelRequest {
  accountNumber: { value: string };
  trackingNumber: string;
  senderCountryCode?: string;
  deletionControl: 'DELETE_ALL_PACKAGES';
}

export interface FedexTrackRequest {
  includeDetailedScans: boolean;
  trackingInfo: Array<{ trackingNumberInfo: { trackingNumber: string } }>;
}

export interface FedexTrackByReferenceRequest {
  includeDetailedScans: boolean;
  referencesInformation: {
    type: 'CUSTOMER_REFERENCE';
    value: string;
    accountNumber: string;
    shipDateBegin: string;
    shipDateEnd: string;
    /** FedEx's schema requires this spelling while its own examples use shipDateEnd: send both. */
    shipDateEndDate: string;
  };
}

export interface FedexRateRequest {
  accountNumber: { value: string };
  rateRequestControlParameters: { returnTransitTimes: boolean };
  requestedShipment: {
    shipper: { address: Omit<FedexAddress, 'streetLines'> };
    recipient: { address: Omit<FedexAddress, 'streetLines'> };
    pickupType: string;
    serviceType?: string;
    packagingType?: string;
    shipDateStamp?: string;
    rateRequestType: string[];
    totalPackageCount: number;
    requestedPackageLineItems: Array<Pick<FedexPackageLineItem, 'weight' | 'dimensions' | 'declaredValue'>>;
  };
}

export interface FedexAddressValidationRequest {
  addressesToValidate: Array<{ address: Omit<FedexAddress, 'residential'>; clientReferenceId: string }>;
}

export type FedexGrantType = 'client_credentials' | 'csp_credentials' | 'client_pc_credentials';

/** OAuth form fields; FedEx really spells the child key field `child_Key`. */
export interface FedexTokenForm {
  grant_type: FedexGrantType;
  client_id: string;
  client_secret: string;
  child_Key?: string;
  child_secret?: string;
}

// ---- answers ----

/** Text that may be missing or null. */
const text = z.string().nullish();

/** Every answer is a JSON object; anything else (null, a bare string, a list) says so. */
const NOT_AN_OBJECT = { error: 'is not a JSON object' };

/** A tracking number FedEx gives is text; a number would lose digits on the way. */
const trackingNumber = z.string({ error: 'is not a tracking number (text)' }).nullish();

/**
 * A figure the connector can do without (a charge, a rate): kept when it is a number, dropped when
 * it is anything else, so a created shipment is never read as a failure for its cost's sake.
 */
const figure = z.number().nullish().catch(undefined);

/** Alerts come as a list of objects, a list with nulls or a single text: read by alertText. */
const alerts = z.unknown().optional();

/**
 * A field the connector does not read: never a reason to refuse an answer (FedEx's track answer
 * gives packageIdentifiers[].value as a list where its own schema says text). Fields nobody reads
 * and nobody builds are simply left out of the schemas, and dropped when an answer is read.
 */
const unread = z.unknown().optional();

/** One alert, as alertText reads it out of whatever `alerts` holds. */
export interface FedexAlert {
  code?: string | null;
  alertType?: string | null;
  message?: string | null;
}

const fedexDocument = z.object({
  contentType: text,
  docType: unread,
  url: text,
  encodedLabel: text,
  trackingNumber,
});
export type FedexDocument = z.output<typeof fedexDocument>;

const rateDetail = z.object({
  rateType: text.catch(undefined),
  currency: text.catch(undefined),
  totalNetCharge: figure,
});
export type FedexRateDetail = z.output<typeof rateDetail>;

const transactionShipment = z.object({
  masterTrackingNumber: trackingNumber,
  serviceType: text.catch(undefined),
  pieceResponses: z
    .array(
      z.object({
        trackingNumber,
        netChargeAmount: figure,
        packageDocuments: z.array(fedexDocument).nullish(),
      }),
    )
    .nullish(),
  shipmentDocuments: z.array(fedexDocument).nullish(),
  completedShipmentDetail: z
    .object({
      masterTrackingId: z.object({ trackingNumber }).nullish(),
      completedPackageDetails: z
        .array(z.object({ trackingIds: z.array(z.object({ trackingNumber })).nullish() }))
        .nullish(),
      shipmentRating: z
        .object({ actualRateType: text.catch(undefined), shipmentRateDetails: z.array(rateDetail).nullish() })
        .nullish()
        .catch(undefined),
    })
    .nullish(),
  alerts,
});
export type FedexTransactionShipment = z.output<typeof transactionShipment>;

/** Ship: the shipment FedEx created; without an `output` object nothing can be read of it. */
export const fedexShipAnswer = z.object(
  {
    transactionId: text,
    output: z.object(
      // An empty or missing list is the mapping's to refuse ("has no transactionShipments").
      { transactionShipments: z.array(transactionShipment).nullish(), alerts },
      { error: 'is not an object with a transactionShipments list' },
    ),
  },
  NOT_AN_OBJECT,
);
export type FedexShipResponse = z.output<typeof fedexShipAnswer>;

const scanLocation = z.object({ city: text, stateOrProvinceCode: text, postalCode: text, countryCode: text });
export type FedexScanLocation = z.output<typeof scanLocation>;

const trackResult = z.object({
  trackingNumberInfo: z
    .object({ trackingNumber, carrierCode: unread, trackingNumberUniqueId: unread })
    .nullish(),
  latestStatusDetail: z
    .object({
      code: text,
      derivedCode: text,
      statusByLocale: text,
      description: text,
      scanLocation: scanLocation.nullish(),
    })
    .nullish(),
  scanEvents: z
    .array(
      z.object({
        date: text,
        eventType: text,
        eventDescription: text,
        derivedStatusCode: text,
        scanLocation: scanLocation.nullish(),
      }),
    )
    .nullish(),
  dateAndTimes: z.array(z.object({ type: text, dateTime: text })).nullish(),
  estimatedDeliveryTimeWindow: z
    .object({ window: z.object({ begins: text, ends: text }).nullish() })
    .nullish(),
  error: z.object({ code: text, message: text }).nullish(),
});
export type FedexTrackResult = z.output<typeof trackResult>;

const completeTrackResults = z.array(
  z.object({ trackingNumber, trackResults: z.array(trackResult).nullish() }),
);

/** Track by number: `output` is required; a missing result list reads as "no results". */
export const fedexTrackAnswer = z.object(
  { output: z.object({ completeTrackResults: completeTrackResults.nullish(), alerts }) },
  NOT_AN_OBJECT,
);
export type FedexTrackResponse = z.output<typeof fedexTrackAnswer>;

/**
 * Track by reference: the result list is required too. A missing or unreadable list must never read
 * as "no shipment with this reference, safe to create".
 */
export const fedexTrackByReferenceAnswer = z.object(
  { output: z.object({ completeTrackResults, alerts }) },
  NOT_AN_OBJECT,
);

/** Cancel: FedEx says true or false in `output.cancelledShipment`; nothing else answers the question. */
export const fedexCancelAnswer = z.object(
  {
    output: z.object(
      { cancelledShipment: z.boolean(), message: text },
      { error: 'is not an object with a cancelledShipment flag (true or false)' },
    ),
  },
  NOT_AN_OBJECT,
);
export type FedexCancelResponse = z.output<typeof fedexCancelAnswer>;

const rateReply = z.object({
  serviceType: text,
  serviceName: text,
  commit: z.object({ dateDetail: z.object({ dayCxsFormat: text }).nullish() }).nullish(),
  ratedShipmentDetails: z
    .array(
      z.object({
        rateType: text,
        totalNetCharge: figure,
        currency: text,
        shipmentRateDetail: z.object({ currency: text }).nullish(),
      }),
    )
    .nullish(),
});

export const fedexRateAnswer = z.object(
  { output: z.object({ rateReplyDetails: z.array(rateReply).nullish() }).nullish() },
  NOT_AN_OBJECT,
);
export type FedexRateResponse = z.output<typeof fedexRateAnswer>;

const resolvedAddress = z.object({
  clientReferenceId: text,
  streetLinesToken: z.array(z.string()).nullish(),
  city: text,
  stateOrProvinceCode: text,
  countryCode: text,
  postalCodeToken: z.object({ value: text }).nullish(),
  parsedPostalCode: z.object({ base: text, addOn: text }).nullish(),
  classification: text,
  customerMessage: z.array(z.unknown()).nullish(),
  attributes: z.record(z.string(), z.unknown()).nullish(),
});

export const fedexAddressValidationAnswer = z.object(
  { output: z.object({ resolvedAddresses: z.array(resolvedAddress).nullish(), alerts }).nullish() },
  NOT_AN_OBJECT,
);
export type FedexAddressValidationResponse = z.output<typeof fedexAddressValidationAnswer>;

/** FedEx tokens live an hour; a lifetime beyond a day is not one FedEx gives. */
export const MAX_TOKEN_LIFETIME_S = 24 * 60 * 60;

export const fedexTokenAnswer = z.object(
  {
    access_token: z.string({ error: 'is missing or not text' }).min(1, 'is empty'),
    expires_in: z
      .number({ error: 'is not a number of seconds' })
      .positive(`is not a number of seconds from 1 to ${MAX_TOKEN_LIFETIME_S}`)
      .max(MAX_TOKEN_LIFETIME_S, `is not a number of seconds from 1 to ${MAX_TOKEN_LIFETIME_S}`),
  },
  NOT_AN_OBJECT,
);
export type FedexTokenResponse = z.output<typeof fedexTokenAnswer>;
