import { randomUUID } from 'node:crypto';

export interface FedexErrorDetail {
  code: string;
  message: string;
  parameterList?: { key: string; value: string }[];
}

/** An answer in FedEx's error envelope: `{transactionId, customerTransactionId?, errors:[{code,message}]}`. */
export class FedexError extends Error {
  readonly errors: FedexErrorDetail[];

  constructor(
    readonly status: number,
    errors: FedexErrorDetail | FedexErrorDetail[],
  ) {
    const list = Array.isArray(errors) ? errors : [errors];
    super(list.map((e) => e.code).join(', '));
    this.errors = list;
  }
}

/** Error texts as FedEx's specs and the rate-limit guide give them. */
export const MESSAGES = {
  badCredentials: 'The given client credentials were not valid. Please modify your request and try again.',
  tokenExpired: 'Access token expired. Please modify your request and try again.',
  forbidden: 'We could not authorize your credentials. Please check your permissions and try again.',
  notFound: 'The resource you requested is no longer available. Please modify your request and try again.',
  internal:
    'We encountered an unexpected error and are working to resolve the issue. We apologize for any inconvenience. Please check back at a later time.',
  unavailable:
    'The service is currently unavailable and we are working to resolve the issue. We apologize for any inconvenience. Please check back at a later time.',
  tooManyRequests: 'We have received too many requests in a short duration. Please wait a while to try again',
  dailyQuota: 'Daily transaction quota exceeded. Retry after 12:00AM GMT',
  invalidInput: 'Invalid field value in the input',
  accountRegistration:
    'Please enter a valid 9-digit FedEx account number or register for a new FedEx account number.',
  accountMismatch:
    'When payment Type is SENDER, ShippingChargesPayment Payor AccountNumber should match the shipper account number.',
  userUnauthorized: 'Requested user is not authorized to perform the operation.',
  trackingNumberInvalid: 'Error with entered Tracking Number. Please verify the entered Tracking Number.',
  trackingEmpty: 'Please provide tracking number.',
  trackingLimit: 'Please limit your inquiry to 30 tracking numbers or references.',
  trackingNotFound: 'Tracking number cannot be found. Please correct the tracking number and try again.',
  referenceNotFound: 'Reference number cannot be found. Please correct the reference number and try again.',
  referenceValueEmpty: 'Missing or invalid shipment. Please enter a valid shipment number.',
  referenceDataIncomplete: 'Please enter an account number or destination country/territory and postal code.',
  addressNotFound: 'Standardized address is not found.',
} as const;

export const errors = {
  notAuthorized: (message: string = MESSAGES.tokenExpired) =>
    new FedexError(401, { code: 'NOT.AUTHORIZED.ERROR', message }),
  forbidden: () => new FedexError(403, { code: 'FORBIDDEN.ERROR', message: MESSAGES.forbidden }),
  notFound: () => new FedexError(404, { code: 'NOT.FOUND.ERROR', message: MESSAGES.notFound }),
  internal: () => new FedexError(500, { code: 'INTERNAL.SERVER.ERROR', message: MESSAGES.internal }),
  unavailable: () =>
    new FedexError(503, { code: 'SERVICE.UNAVAILABLE.ERROR', message: MESSAGES.unavailable }),
  // FedEx documents only the 429 message texts, not a code; these two codes are the simulator's own.
  tooManyRequests: () =>
    new FedexError(429, { code: 'TOO.MANY.REQUESTS', message: MESSAGES.tooManyRequests }),
  dailyQuota: () => new FedexError(429, { code: 'DAILY.QUOTA.EXCEEDED', message: MESSAGES.dailyQuota }),
  badRequest: (code: string, message: string) => new FedexError(400, { code, message }),
};

export function errorBody(err: FedexError, customerTransactionId?: string): Record<string, unknown> {
  return {
    transactionId: randomUUID(),
    ...(customerTransactionId !== undefined ? { customerTransactionId } : {}),
    errors: err.errors,
  };
}
