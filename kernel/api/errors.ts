/**
 * API errors as Kubernetes reports them: a `Status` object with the right HTTP
 * code, `reason`, message wording and details, so that kubectl and client-go
 * recognise them (`IsNotFound`, `IsConflict`, `IsInvalid`, ...).
 */

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'Invalid'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'UnsupportedMediaType'
  | 'RequestEntityTooLarge'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout'
  | 'ServerTimeout';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never> | { resourceVersion?: string; continue?: string };
  status: 'Success' | 'Failure';
  message?: string;
  reason?: StatusReason | '';
  details?: StatusDetails;
  code: number;
}

/** The resource a request names, as errors describe it (`deployments.apps "web"`). */
export interface Qualified {
  group: string;
  resource: string;
}

function qualified(q: Qualified): string {
  return q.group ? `${q.resource}.${q.group}` : q.resource;
}

/** The media types of request bodies, in the order Kubernetes lists them. */
const BODY_MEDIA_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];

/** An error that the API answers with a Status. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
    options?: { cause?: unknown },
    /** ListMeta of the Status (an expired continue token's replacement). */
    readonly listMeta?: { continue?: string },
  ) {
    super(message, options);
  }

  toStatus(): Status {
    const status: Status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: this.listMeta ? { ...this.listMeta } : {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details && Object.keys(this.details).length > 0) status.details = this.details;
    return status;
  }

  static notFound(q: Qualified, name: string): ApiError {
    return new ApiError(404, 'NotFound', `${qualified(q)} "${name}" not found`, { name, group: q.group || undefined, kind: q.resource });
  }

  static alreadyExists(q: Qualified, name: string): ApiError {
    return new ApiError(409, 'AlreadyExists', `${qualified(q)} "${name}" already exists`, { name, group: q.group || undefined, kind: q.resource });
  }

  static conflict(q: Qualified, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again'): ApiError {
    return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(q)} "${name}": ${why}`, {
      name,
      group: q.group || undefined,
      kind: q.resource,
    });
  }

  /** 422 with field causes: `ConfigMap "Foo" is invalid: metadata.name: Invalid value: ...`. */
  static invalid(kind: string, group: string, name: string, allErrors: FieldError[]): ApiError {
    // Kubernetes reports each distinct error once (validation and update validation may both find it).
    const seen = new Set<string>();
    const errors = allErrors.filter((e) => {
      const key = `${e.type}\u0000${e.field}\u0000${e.body()}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    const text = errors.map(String);
    const joined = text.length === 1 ? text[0] : `[${text.join(', ')}]`;
    return new ApiError(422, 'Invalid', `${kind}${group ? `.${group}` : ''} "${name}" is invalid: ${joined}`, {
      name,
      group: group || undefined,
      kind,
      causes: errors.map((e) => e.toCause()),
    });
  }

  static badRequest(message: string, causes?: StatusCause[]): ApiError {
    return new ApiError(400, 'BadRequest', message, causes ? { causes } : undefined);
  }

  static unauthorized(message = 'Unauthorized'): ApiError {
    return new ApiError(401, 'Unauthorized', message);
  }

  static forbidden(q: Qualified, name: string, why: string): ApiError {
    const target = name ? `${qualified(q)} "${name}"` : qualified(q);
    return new ApiError(403, 'Forbidden', `${target} is forbidden: ${why}`, { name: name || undefined, group: q.group || undefined, kind: q.resource });
  }

  static methodNotAllowed(): ApiError {
    return new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  }

  /** 406, worded as Kubernetes' negotiation error (which does not echo the Accept header). */
  static notAcceptable(accepted: readonly string[] = ['application/json', 'application/yaml']): ApiError {
    return new ApiError(406, 'NotAcceptable', `only the following media types are accepted: ${accepted.join(', ')}`);
  }

  /**
   * 415, listing what the endpoint accepts (object bodies by default; the patch
   * types for PATCH). A string (the rejected type, as older callers pass) is not
   * echoed: Kubernetes' message lists only what is accepted.
   */
  static unsupportedMediaType(accepted: readonly string[] | string = BODY_MEDIA_TYPES): ApiError {
    const list = typeof accepted === 'string' ? BODY_MEDIA_TYPES : accepted;
    return new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${list.join(', ')}`);
  }

  /** 410 Expired; `listMeta.continue` lets a paged list go on from where it was (inconsistently). */
  static expired(message: string, listMeta?: { continue?: string }): ApiError {
    return new ApiError(410, 'Expired', message, undefined, undefined, listMeta);
  }

  static gone(message: string): ApiError {
    return new ApiError(410, 'Gone', message);
  }

  static tooLarge(limit: number): ApiError {
    return new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);
  }

  static tooManyRequests(message: string, retryAfterSeconds = 1): ApiError {
    return new ApiError(429, 'TooManyRequests', message, { retryAfterSeconds });
  }

  static internal(message: string, cause?: unknown): ApiError {
    return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] }, { cause });
  }

  static serviceUnavailable(message: string): ApiError {
    return new ApiError(503, 'ServiceUnavailable', message);
  }

  static timeout(message: string): ApiError {
    return new ApiError(504, 'Timeout', message);
  }
}

export function isApiError(err: unknown, reason?: StatusReason): err is ApiError {
  return err instanceof ApiError && (reason === undefined || err.reason === reason);
}

/** Kubernetes' field.ErrorType, with its wording. */
export type FieldErrorType = 'NotFound' | 'Required' | 'Duplicate' | 'Invalid' | 'NotSupported' | 'Forbidden' | 'TooLong' | 'TooMany' | 'Internal' | 'TypeInvalid';

const FIELD_ERROR_TEXT: Record<FieldErrorType, string> = {
  NotFound: 'Not found',
  Required: 'Required value',
  Duplicate: 'Duplicate value',
  Invalid: 'Invalid value',
  NotSupported: 'Unsupported value',
  Forbidden: 'Forbidden',
  TooLong: 'Too long',
  TooMany: 'Too many',
  Internal: 'Internal error',
  TypeInvalid: 'Invalid value',
};

const FIELD_ERROR_REASON: Record<FieldErrorType, string> = {
  NotFound: 'FieldValueNotFound',
  Required: 'FieldValueRequired',
  Duplicate: 'FieldValueDuplicate',
  Invalid: 'FieldValueInvalid',
  NotSupported: 'FieldValueNotSupported',
  Forbidden: 'FieldValueForbidden',
  TooLong: 'FieldValueTooLong',
  TooMany: 'FieldValueTooMany',
  Internal: 'InternalError',
  TypeInvalid: 'FieldValueTypeInvalid',
};

/** Types whose message omits the offending value, as Kubernetes does. */
const OMITS_VALUE = new Set<FieldErrorType>(['Required', 'Forbidden', 'TooLong', 'Internal']);

function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** One validation failure at a field path (`spec.containers[0].image`). */
export class FieldError {
  constructor(
    readonly type: FieldErrorType,
    readonly field: string,
    readonly value: unknown,
    readonly detail = '',
  ) {}

  static required(field: string, detail = ''): FieldError {
    return new FieldError('Required', field, undefined, detail);
  }
  static invalid(field: string, value: unknown, detail: string): FieldError {
    return new FieldError('Invalid', field, value, detail);
  }
  static duplicate(field: string, value: unknown): FieldError {
    return new FieldError('Duplicate', field, value);
  }
  static notSupported(field: string, value: unknown, supported: readonly string[]): FieldError {
    return new FieldError('NotSupported', field, value, supported.length ? `supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}` : '');
  }
  static forbidden(field: string, detail: string): FieldError {
    return new FieldError('Forbidden', field, undefined, detail);
  }
  static tooLong(field: string, max: number): FieldError {
    return new FieldError('TooLong', field, undefined, `may not be more than ${max} bytes`);
  }
  static tooMany(field: string, actual: number, max: number): FieldError {
    return new FieldError('TooMany', field, actual, `must have at most ${max} items`);
  }

  /** The message body without the field path. */
  body(): string {
    let s = FIELD_ERROR_TEXT[this.type];
    if (!OMITS_VALUE.has(this.type)) s += `: ${formatValue(this.value)}`;
    if (this.detail) s += `: ${this.detail}`;
    return s;
  }

  toString(): string {
    return `${this.field}: ${this.body()}`;
  }

  toCause(): StatusCause {
    return { reason: FIELD_ERROR_REASON[this.type], message: this.body(), field: this.field };
  }
}
