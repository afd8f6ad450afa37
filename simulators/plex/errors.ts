import type { PlexErrorBody } from './wire';

/** An answer other than 200, carried up to the request handler. */
export class PlexError extends Error {
  constructor(
    readonly status: number,
    readonly body: PlexErrorBody,
  ) {
    super(body.message);
  }
}

/** The Get Started page's exact body for a missing/invalid key and for a tenant the key may not use. */
export const NOT_AUTHENTICATED: PlexErrorBody = {
  code: 'REQUEST_NOT_AUTHENTICATED',
  message: 'The request could not be authenticated.',
};

export const errors = {
  notAuthenticated: () => new PlexError(401, { ...NOT_AUTHENTICATED }),
  // The 403 body is not documented (UNCONFIRMED); the {code, message} shape matches the others.
  forbidden: () =>
    new PlexError(403, {
      code: 'REQUEST_NOT_AUTHORIZED',
      message: 'You are not allowed to access this resource.',
    }),
  notFound: () =>
    new PlexError(404, { code: 'RESOURCE_NOT_FOUND', message: 'The requested resource was not found.' }),
  tooManyRequests: () =>
    new PlexError(429, {
      code: 'TOO_MANY_REQUESTS',
      message: 'Too many requests by an account within a given amount of time.',
    }),
  internal: () =>
    new PlexError(500, { code: 'INTERNAL_SERVER_ERROR', message: 'The request could not be processed.' }),
  /** 400 in the spec's `{code, message, errors:[{code, message}]}` shape. */
  validation: (problems: { code: string; message: string }[]) =>
    new PlexError(400, {
      code: 'REQUEST_VALIDATION_FAILED',
      message: 'A validation error has occurred.',
      errors: problems,
    }),
};
