// OAuth: the token request's form. Pure.

import type { FedexGrantType, FedexTokenForm } from '../wire';

/**
 * The token request's form: client_credentials for a plain project, csp_credentials when child
 * credentials are configured (integrators), unless the grant type is given.
 */
export function toFedexTokenForm(creds: {
  clientId: string;
  clientSecret: string;
  childKey?: string;
  childSecret?: string;
  grantType?: FedexGrantType;
}): FedexTokenForm {
  const child =
    creds.childKey && creds.childSecret
      ? { child_Key: creds.childKey, child_secret: creds.childSecret }
      : undefined;
  return {
    grant_type: creds.grantType ?? (child ? 'csp_credentials' : 'client_credentials'),
    client_id: creds.clientId,
    client_secret: creds.clientSecret,
    ...child,
  };
}
