// Pure mapping between the canonical model and FedEx's REST JSON, one file per operation (karrio
// style: each a request <- model and model <- response pair): oauth, ship (with its customs part in
// customs.ts), cancel, track, track by reference, rate and address validation; what they share is
// in shared.ts. No I/O and no clock: callers pass `now`. The answers reach these functions already
// read through the zod schemas in ../wire.ts, so they only deal with what FedEx left out, never
// with a field of the wrong type.

export {
  toFedexAddressValidationRequest,
  parseAddressValidationResponse,
  ADDRESS_BATCH_SIZE,
} from './address';
export { toFedexCancelRequest, parseCancelResponse } from './cancel';
export {
  COMMERCIAL_INVOICE_DOCUMENT,
  fedexHarmonizedCode,
  fedexQuantity,
  toFedexCustomsClearanceDetail,
} from './customs';
export { toFedexTokenForm } from './oauth';
export { toFedexRateRequest, parseRateResponse } from './rate';
export {
  toFedexTrackByReferenceRequest,
  parseTrackByReferenceResponse,
  type FoundShipment,
} from './reference';
export {
  fedexCustomerReferences,
  fedexOrderReference,
  fedexServiceType,
  fedexStateCode,
  fedexTimeToUtc,
  isGroundService,
  referenceMaxLength,
  totalWeight,
} from './shared';
export {
  fedexRequestProblems,
  freightCost,
  parseShipResponse,
  toFedexShipRequest,
  LABEL_URL_TTL_MS,
  type FedexShipOptions,
} from './ship';
export {
  FEDEX_STATUS_TABLE,
  normaliseFedexStatus,
  parseTrackResponse,
  plainText,
  toFedexTrackRequests,
  TRACK_BATCH_SIZE,
} from './track';
