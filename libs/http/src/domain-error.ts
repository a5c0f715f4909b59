/**
 * Errors the domain raises on purpose, each carrying its HTTP status, so that
 * services stay free of Nest's HTTP exceptions and the mapping lives here.
 */
export class DomainError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends DomainError {
  constructor(resource: string, id: string) {
    super(404, `${resource} ${id} not found`, { resource, id });
  }
}

export class ConflictError extends DomainError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(409, message, details);
  }
}

export class BadInputError extends DomainError {
  constructor(message: string | string[], details: Record<string, unknown> = {}) {
    super(400, Array.isArray(message) ? message.join('; ') : message, {
      ...details,
      ...(Array.isArray(message) ? { errors: message } : {}),
    });
  }
}

export class DependencyUnavailableError extends DomainError {
  constructor(dependency: string, detail: string) {
    super(503, `${dependency} is unavailable: ${detail}`, { dependency });
  }
}

/** 429: a limit on abuse (failed logins, invalid tokens, live streams) was reached; retry after the delay. */
export class TooManyRequestsError extends DomainError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    details: Record<string, unknown> = {},
  ) {
    super(429, message, details);
  }
}
