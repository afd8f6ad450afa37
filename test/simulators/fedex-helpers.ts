import { DEMO_CLIENT, type FedexSimulator } from '../../simulators/fedex';

/** A tiny FedEx caller for the simulator tests (deliberately not the connector under test elsewhere). */
export interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export async function requestToken(
  sim: FedexSimulator,
  form: Record<string, string> = {
    grant_type: 'client_credentials',
    client_id: DEMO_CLIENT.clientId,
    client_secret: DEMO_CLIENT.clientSecret,
  },
): Promise<Answer> {
  const res = await fetch(`${sim.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
  return { status: res.status, body: await res.json() };
}

export async function token(sim: FedexSimulator): Promise<string> {
  const answer = await requestToken(sim);
  if (answer.status !== 200) throw new Error(`token request failed with ${answer.status}`);
  return answer.body.access_token as string;
}

export async function call(
  sim: FedexSimulator,
  accessToken: string,
  path: string,
  body: unknown,
  opts: { method?: string; headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<Answer> {
  const res = await fetch(`${sim.url}${path}`, {
    method: opts.method ?? 'POST',
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json', ...opts.headers },
    body: JSON.stringify(body),
    signal: opts.signal,
  });
  return { status: res.status, body: await res.json() };
}

export const ACCOUNT = DEMO_CLIENT.accounts[0]!;

export function party(city: string, state: string, postalCode: string) {
  return {
    address: { streetLines: ['10 Main St'], city, stateOrProvinceCode: state, postalCode, countryCode: 'US' },
    contact: { personName: 'Jo Shipper', companyName: 'Acme', phoneNumber: '9015551234' },
  };
}

export function shipRequest(
  opts: {
    reference?: string;
    packages?: number;
    labelResponseOptions?: 'LABEL' | 'URL_ONLY';
    imageType?: string;
    serviceType?: string;
    rateRequestType?: string[];
  } = {},
) {
  const count = opts.packages ?? 1;
  return {
    accountNumber: { value: ACCOUNT },
    labelResponseOptions: opts.labelResponseOptions ?? 'LABEL',
    requestedShipment: {
      shipper: party('Memphis', 'TN', '38117'),
      recipients: [party('Austin', 'TX', '78701')],
      pickupType: 'USE_SCHEDULED_PICKUP',
      serviceType: opts.serviceType ?? 'PRIORITY_OVERNIGHT',
      packagingType: 'YOUR_PACKAGING',
      shippingChargesPayment: { paymentType: 'SENDER' },
      labelSpecification: { imageType: opts.imageType ?? 'PDF', labelStockType: 'PAPER_4X6' },
      ...(opts.rateRequestType ? { rateRequestType: opts.rateRequestType } : {}),
      requestedPackageLineItems: Array.from({ length: count }, (_, i) => ({
        sequenceNumber: i + 1,
        weight: { units: 'LB', value: 5 + i },
        dimensions: { length: 10, width: 8, height: 4, units: 'IN' },
        customerReferences: opts.reference
          ? [
              { customerReferenceType: 'CUSTOMER_REFERENCE', value: opts.reference },
              { customerReferenceType: 'P_O_NUMBER', value: `PO-${opts.reference}` },
            ]
          : [],
      })),
    },
  };
}

export function trackRequest(numbers: string[], includeDetailedScans = true) {
  return {
    includeDetailedScans,
    trackingInfo: numbers.map((trackingNumber) => ({ trackingNumberInfo: { trackingNumber } })),
  };
}

export const HOUR = 3600;
