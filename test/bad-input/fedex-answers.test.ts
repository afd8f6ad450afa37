// Malformed FedEx answers (token, ship, track, cancel, track by reference) against the real
// FedexClient over HTTP: see corpus.ts for the cases and answer-suite.ts for what each must show.

import { FedexClient, type FedexAuditEntry } from '../../connectors/fedex/client';
import { FedexError } from '../../connectors/fedex/errors';
import { unlimited } from '../../lib/ratelimit';
import { MemoryTokenStore, shipmentRequest } from '../unit/fedex-fixtures';
import { answerSuite, type Operation } from './answer-suite';
import { FEDEX_SHAPES, jsonReply } from './corpus';
import type { Reply, SeenRequest } from './scripted-http';

const CLIENT_SECRET = 'corpus-fedex-client-secret-7f3a9c';
let issued = 0;
const tokens: string[] = [];

const trackResult = (trackingNumber: string, code: string) => ({
  trackingNumber,
  trackResults: [
    {
      trackingNumberInfo: { trackingNumber },
      latestStatusDetail: { code, description: 'In transit' },
      scanEvents: [{ date: '2026-11-21T10:00:00-05:00', eventType: code, derivedStatusCode: code }],
    },
  ],
});

function good(req: SeenRequest): Reply {
  switch (req.path) {
    case '/oauth/token': {
      const token = `corpus-access-token-${++issued}-d41d8c`;
      tokens.push(token);
      return jsonReply({ access_token: token, token_type: 'bearer', expires_in: 3600, scope: 'CXS' });
    }
    case '/ship/v1/shipments':
      return jsonReply({
        transactionId: 'tx-ship',
        output: {
          transactionShipments: [
            {
              masterTrackingNumber: '794600000001',
              serviceType: 'FEDEX_GROUND',
              pieceResponses: [
                {
                  trackingNumber: '794600000001',
                  packageDocuments: [{ contentType: 'LABEL', encodedLabel: 'JVBERi0=' }],
                },
              ],
            },
          ],
        },
      });
    case '/track/v1/trackingnumbers':
    case '/track/v1/referencenumbers':
      return jsonReply({ output: { completeTrackResults: [trackResult('794600000001', 'IT')] } });
    case '/ship/v1/shipments/cancel':
      return jsonReply({
        output: { cancelledShipment: true, message: 'Shipment is successfully cancelled' },
      });
    default:
      return jsonReply({ errors: [{ code: 'NOT.FOUND.ERROR', message: 'no such route' }] }, 404);
  }
}

const ops: Record<string, Operation<FedexClient>> = {
  token: {
    label: /^FedEx oauth\b/,
    route: /^\/oauth\/token$/,
    run: (c) => c.track(['794600000001']),
    slowProbe: true,
  },
  createShipment: {
    label: /^FedEx createShipment\b/,
    route: /^\/ship\/v1\/shipments$/,
    run: (c) => c.createShipment(shipmentRequest()),
  },
  track: {
    label: /^FedEx track\b/,
    route: /^\/track\/v1\/trackingnumbers$/,
    run: (c) => c.track(['794600000001']),
    slowProbe: true,
  },
  cancel: {
    label: /^FedEx cancelShipment\b/,
    route: /^\/ship\/v1\/shipments\/cancel$/,
    run: (c) => c.cancelShipment('794600000001'),
  },
  findByReference: {
    label: /^FedEx findShipmentByReference\b/,
    route: /^\/track\/v1\/referencenumbers$/,
    run: (c) => c.findShipmentByReference('SO-1001', '2026-11-23'),
  },
};

answerSuite<FedexClient>({
  title: 'bad input: malformed FedEx answers',
  ops,
  shapes: FEDEX_SHAPES,
  good,
  client: (baseUrl, log, timeoutMs) => {
    const audit: FedexAuditEntry[] = [];
    const client = new FedexClient({
      connection: 'fedex-corpus',
      baseUrl,
      clientId: 'corpus-client-id',
      clientSecret: CLIENT_SECRET,
      accountNumber: '740561073',
      tokenStore: new MemoryTokenStore(),
      limiter: unlimited,
      timeoutMs,
      log,
      audit: async (e) => {
        audit.push(e);
      },
      random: () => 0,
    });
    return { client, secrets: () => [CLIENT_SECRET, ...tokens], audit: () => audit };
  },
  isTyped: (e) => e instanceof FedexError,
  typeFor: (outcome) => (outcome === 'auth' ? 'FedexAuthError' : 'FedexUnavailableError'),
});
