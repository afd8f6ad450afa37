// A static API key as a token provider (Plex's X-Plex-Connect-Api-Key, ShipStation's key pair): no
// store, no refresh, nothing expires. A refused key stays refused, so `invalidate` does nothing and the
// client reports the refusal as an auth error. Temporal-free.

import { registerSecret } from '../../../lib/logger';
import { TokenCredentialError } from './errors';
import type { IssuedToken, TokenProvider } from './types';

export class StaticKeyProvider implements TokenProvider {
  private readonly token: IssuedToken;

  /** `what` names the key in the error when it is empty ("the Plex API key of connection plex-main"). */
  constructor(key: string, what = 'the API key') {
    if (key.trim() === '') {
      throw new TokenCredentialError(`${what} is empty; set it (e.g. with: ml-connector secrets set <ref>)`);
    }
    registerSecret(key);
    this.token = { value: key };
  }

  async getToken(signal?: AbortSignal): Promise<IssuedToken> {
    signal?.throwIfAborted();
    return this.token;
  }

  invalidate(): void {
    // A static key has no successor: the caller's refusal is the answer.
  }
}
