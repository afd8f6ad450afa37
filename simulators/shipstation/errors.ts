import { randomUUID } from 'node:crypto';

/** An answer other than 2xx, carried up to the request handler; `body` is already in the API's shape. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`ShipStation simulator ${status}`);
  }
}

/**
 * V1 errors. The 400 and 500 bodies are ASP.NET Web API shaped, as observed in public issues; the 401
 * body is the V1 OpenAPI example; the 429 body is from the V1 rate-limit text.
 */
export const v1Errors = {
  unauthorized: () => new ApiError(401, { message: 'Invalid API credentials' }),
  tooManyRequests: () => new ApiError(429, { message: 'Too Many Requests' }),
  notFound: (what = 'resource') => new ApiError(404, { Message: `The requested ${what} was not found.` }),
  invalid: (field: string, problems: string[]) =>
    new ApiError(400, { Message: 'The request is invalid.', ModelState: { [field]: problems } }),
  internal: () =>
    new ApiError(500, {
      Message: 'An error has occurred.',
      ExceptionMessage: 'The simulator was told to fail this request.',
      ExceptionType: 'System.Exception',
      StackTrace: null,
    }),
};

type ErrorType = 'account_status' | 'business_rules' | 'validation' | 'security' | 'system' | 'integrations';

/** V2's `{request_id, errors:[{error_source, error_type, error_code, message}]}` envelope. */
export function v2Error(status: number, errorType: ErrorType, errorCode: string, message: string): ApiError {
  return new ApiError(status, {
    request_id: randomUUID(),
    errors: [{ error_source: 'ShipStation', error_type: errorType, error_code: errorCode, message }],
  });
}

export const v2Errors = {
  unauthorized: () =>
    v2Error(401, 'security', 'unauthorized', 'The API key is invalid. Please check your API key.'),
  tooManyRequests: () =>
    v2Error(
      429,
      'system',
      'rate_limit_exceeded',
      'You have exceeded the rate limit. Please see the Retry-After header.',
    ),
  notFound: (what: string) => v2Error(404, 'validation', 'invalid_identifier', `${what} not found.`),
  invalidField: (message: string) => v2Error(400, 'validation', 'invalid_field_value', message),
  required: (field: string) => v2Error(400, 'validation', 'field_value_required', `${field} is required.`),
  internal: () => v2Error(500, 'system', 'unspecified', 'An unexpected error occurred.'),
};
