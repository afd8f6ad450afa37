// The connector kit's token providers and their one store. A client holds a TokenProvider: it asks
// `getToken()` before a call and reports a refused token (401) with `invalidate(token)`. Pick one:
//   StaticKeyProvider             API keys (Plex, ShipStation): no store, nothing expires
//   ClientCredentialsProvider     OAuth2 client credentials (FedEx 1 h, IFS 180 s) with a safety margin
//   RotatingRefreshTokenProvider  a single-use refresh-token chain (Exact Online), with a minimum age
//                                 before a refresh and needs_reauthorization when the chain breaks
//   Hs256JwtProvider              a self-signed HS256 JWT (Sage X3 connected apps), cached in memory
// The store (DbTokenStore) keeps tokens sealed with the vault in oauth_tokens, shared by all workers,
// refreshed single-flight under a database lock. The token call itself is always the connector's.

export { ClientCredentialsProvider, type ClientCredentialsOptions } from './client-credentials';
export {
  NeedsReauthorizationError,
  TokenAnswerError,
  TokenCredentialError,
  TokenEndpointLockedError,
  TokenRefreshTooEarlyError,
  reauthorizeCommand,
} from './errors';
export { Hs256JwtProvider, signHs256Jwt, type Hs256JwtOptions } from './jwt';
export { RotatingRefreshTokenProvider, type ChainStatus, type RotatingRefreshOptions } from './rotating';
export { StaticKeyProvider } from './static-key';
export {
  DbTokenStore,
  isFresh,
  type DbTokenStoreOptions,
  type FailurePlan,
  type FetchedTokens,
  type RenewPlan,
  type RenewSpec,
} from './store';
export type {
  AccessToken,
  AccessTokenStore,
  IssuedToken,
  RefreshToken,
  StoredTokens,
  TokenGrant,
  TokenProvider,
  TokenState,
  TokenStatus,
} from './types';
