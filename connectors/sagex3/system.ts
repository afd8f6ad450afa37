// Sage X3 as a system of the app. Only its configuration exists so far: a connection can be
// configured and checked, and the app says that it has no connector yet (connectors/kit/system.ts).

import { z } from 'zod';
import { nonEmpty, positiveInt } from '../../lib/config';
import type { SystemModule } from '../kit/system';

export const sagex3System: SystemModule = {
  id: 'sagex3',
  title: 'Sage X3',
  role: 'erp',
  settings: z
    .strictObject({
      /** X3 endpoint (folder), sent as x-xtrem-endpoint. */
      folder: nonEmpty('"SEED"').optional(),
      site: nonEmpty('"FR011"').optional(),
    })
    .prefault({}),
  // Sage X3 publishes no limits (they depend on the customer's installation).
  limits: z.strictObject({ callsPerMinute: positiveInt('e.g. 300').optional() }).prefault({}),
  credentialFields: ['clientId', 'clientSecret', 'username', 'password'],
  requiredCredentials: () => ['clientId', 'clientSecret'],
  // Each customer has its own server.
  defaultBaseUrl: () => undefined,
  urlExample: 'https://x3.example.com:8124',
};
