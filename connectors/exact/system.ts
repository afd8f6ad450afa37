// Exact Online as a system of the app. Only its configuration exists so far: a connection can be
// configured and checked, and the app says that it has no connector yet (connectors/kit/system.ts).

import { z } from 'zod';
import { positiveInt } from '../../lib/config';
import type { SystemModule } from '../kit/system';

export const exactSystem: SystemModule = {
  id: 'exact',
  title: 'Exact Online',
  role: 'erp',
  settings: z
    .strictObject({
      /** Division (company) number; defaults to the user's current division. */
      division: positiveInt('the division number, e.g. 123456').optional(),
    })
    .prefault({}),
  limits: z
    .strictObject({
      callsPerMinute: positiveInt('e.g. 60').default(60),
      callsPerDay: positiveInt('e.g. 5000').default(5000),
    })
    .prefault({}),
  credentialFields: ['clientId', 'clientSecret', 'refreshToken', 'webhookSecret'],
  requiredCredentials: () => ['clientId', 'clientSecret'],
  defaultBaseUrl: () => 'https://start.exactonline.nl',
  urlExample: 'https://start.exactonline.nl',
};
