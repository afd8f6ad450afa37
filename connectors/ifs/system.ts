// IFS Cloud as a system of the app. Only its configuration exists so far: a connection can be
// configured and checked, and the app says that it has no connector yet (connectors/kit/system.ts).

import { z } from 'zod';
import { nonEmpty, positiveInt } from '../../lib/config';
import type { SystemModule } from '../kit/system';

export const ifsSystem: SystemModule = {
  id: 'ifs',
  title: 'IFS Cloud',
  role: 'erp',
  settings: z.strictObject({ site: nonEmpty('"MAIN"').optional() }).prefault({}),
  // IFS publishes no limits (they depend on the customer's installation).
  limits: z.strictObject({ callsPerMinute: positiveInt('e.g. 300').optional() }).prefault({}),
  credentialFields: ['clientId', 'clientSecret'],
  requiredCredentials: () => ['clientId', 'clientSecret'],
  // Each customer has its own host.
  defaultBaseUrl: () => undefined,
  urlExample: 'https://mycompany.ifs.cloud',
};
