// The parts of FedEx's JSON the connector writes and reads (shapes from FedEx's OpenAPI files in
// shared/specs/fedex). Responses are typed loosely: every field may be missing.

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
      payor?: { responsibleParty: { accountNumber: { value: string } } };
    };
    labelSpecification: { imageType: 'PDF' | 'ZPLII'; labelStockType: string };
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

// ---- responses (loose) ----

export interface FedexAlert {
  code?: string;
  alertType?: string;
  message?: string;
}

export interface FedexDocument {
  contentType?: string;
  docType?: string;
  url?: string;
  encodedLabel?: string;
  trackingNumber?: string;
}

export interface FedexRateDetail {
  rateType?: string;
  currency?: string;
  totalNetCharge?: number;
}

export interface FedexTransactionShipment {
  masterTrackingNumber?: string;
  serviceType?: string;
  shipDatestamp?: string;
  pieceResponses?: Array<{
    trackingNumber?: string;
    masterTrackingNumber?: string;
    netChargeAmount?: number;
    packageDocuments?: FedexDocument[];
  }>;
  shipmentDocuments?: FedexDocument[];
  completedShipmentDetail?: {
    masterTrackingId?: { trackingNumber?: string };
    completedPackageDetails?: Array<{ trackingIds?: Array<{ trackingNumber?: string }> }>;
    shipmentRating?: { actualRateType?: string; shipmentRateDetails?: FedexRateDetail[] };
  };
  alerts?: Array<FedexAlert | null>;
}

export interface FedexShipResponse {
  transactionId?: string;
  output?: { transactionShipments?: FedexTransactionShipment[]; alerts?: Array<FedexAlert | null> | string };
}

export interface FedexScanLocation {
  city?: string;
  stateOrProvinceCode?: string;
  postalCode?: string;
  countryCode?: string;
}

export interface FedexTrackResult {
  trackingNumberInfo?: { trackingNumber?: string; carrierCode?: string; trackingNumberUniqueId?: string };
  additionalTrackingInfo?: { packageIdentifiers?: Array<{ type?: string; value?: string }> };
  latestStatusDetail?: {
    code?: string;
    derivedCode?: string;
    statusByLocale?: string;
    description?: string;
    scanLocation?: FedexScanLocation;
  };
  scanEvents?: Array<{
    date?: string;
    eventType?: string;
    eventDescription?: string;
    derivedStatusCode?: string;
    scanLocation?: FedexScanLocation;
  }>;
  dateAndTimes?: Array<{ type?: string; dateTime?: string }>;
  estimatedDeliveryTimeWindow?: { window?: { begins?: string; ends?: string } };
  shipDateBegin?: string;
  error?: { code?: string; message?: string };
}

export interface FedexTrackResponse {
  output?: {
    completeTrackResults?: Array<{ trackingNumber?: string; trackResults?: FedexTrackResult[] }>;
    alerts?: unknown;
  };
}

export interface FedexCancelResponse {
  output?: { cancelledShipment?: boolean; cancelledHistory?: boolean; message?: string };
}

export interface FedexRateResponse {
  output?: {
    rateReplyDetails?: Array<{
      serviceType?: string;
      serviceName?: string;
      commit?: { dateDetail?: { dayCxsFormat?: string } };
      ratedShipmentDetails?: Array<{
        rateType?: string;
        totalNetCharge?: number;
        currency?: string;
        shipmentRateDetail?: { currency?: string };
      }>;
    }>;
  };
}

export interface FedexAddressValidationResponse {
  output?: {
    resolvedAddresses?: Array<{
      clientReferenceId?: string;
      streetLinesToken?: string[];
      city?: string;
      stateOrProvinceCode?: string;
      countryCode?: string;
      postalCodeToken?: { value?: string };
      parsedPostalCode?: { base?: string; addOn?: string };
      classification?: string;
      customerMessage?: unknown[];
      attributes?: Record<string, unknown>;
    }>;
    alerts?: Array<FedexAlert | null>;
  };
}

export interface FedexTokenResponse {
  access_token?: string;
  token_type?: string;
  expires_in?: number;
  scope?: string;
}
