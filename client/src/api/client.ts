/**
 * The one place that talks HTTP to the server.
 *
 * Errors
 * ------
 * Every failure reaches callers as an `ApiError`:
 *   - status 0          the server could not be reached (network error, aborted proxy);
 *   - status 4xx / 5xx  the server answered; `message` is its `{"detail": ...}` made readable
 *                       (a string as is, a list of pydantic errors as "field: msg; ..."), or a
 *                       generic text when the body is not JSON (e.g. a proxy's 502 page).
 * An answer with an unexpected shape raises `DecodeError` (see decode.ts) from the area modules.
 */

import { upstreamMessage } from './messages';

export const API_BASE = '/api';

type UnauthorizedListener = () => void;
const unauthorizedListeners = new Set<UnauthorizedListener>();

/**
 * Calls `listener` whenever the API answers 401 (the session ended, or a login is needed);
 * the auth gate uses it to show the login page. Returns the unsubscribe function.
 */
export function onUnauthorized(listener: UnauthorizedListener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export class ApiError extends Error {
  readonly status: number;
  /** The parsed `detail` (string, list, ...) when the server sent one. */
  readonly detail: unknown;

  constructor(status: number, message: string, detail?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.detail = detail;
  }

  get isNetworkError(): boolean {
    return this.status === 0;
  }
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad request',
  401: 'Not authorised',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  410: 'Gone',
  413: 'Too large',
  422: 'Invalid request',
  429: 'Too many requests',
  500: 'Server error',
  502: 'Bad gateway: the manga source failed',
  503: 'Service unavailable',
  504: 'Gateway timeout: the manga source did not answer',
};

function statusText(status: number): string {
  return STATUS_TEXT[status] ?? (status >= 500 ? 'Server error' : 'Request failed');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Where a pydantic error points, without the `body`/`query`/`path` prefix FastAPI adds. */
function describeLoc(loc: unknown): string {
  if (!Array.isArray(loc)) return '';
  const parts = loc.filter((p): p is string | number => typeof p === 'string' || typeof p === 'number');
  const where = ['body', 'query', 'path', 'header', 'cookie'];
  const trimmed = typeof parts[0] === 'string' && where.includes(parts[0]) && parts.length > 1 ? parts.slice(1) : parts;
  return trimmed.join('.');
}

/** Makes a human message out of a FastAPI `detail` (string, list of pydantic errors, object). */
export function detailMessage(detail: unknown): string | null {
  if (typeof detail === 'string') return detail.trim() || null;
  if (Array.isArray(detail)) {
    const messages = detail
      .map((item): string | null => {
        if (typeof item === 'string') return item;
        if (!isRecord(item)) return null;
        const msg = typeof item.msg === 'string' ? item.msg : typeof item.message === 'string' ? item.message : null;
        if (msg === null) return null;
        const loc = describeLoc(item.loc);
        return loc ? `${loc}: ${msg}` : msg;
      })
      .filter((m): m is string => m !== null && m !== '');
    return messages.length > 0 ? messages.join('; ') : null;
  }
  if (isRecord(detail)) {
    if (typeof detail.msg === 'string') return detail.msg;
    if (typeof detail.message === 'string') return detail.message;
  }
  return null;
}

/** Builds the `ApiError` for a non-2xx answer from its status and raw body text. */
export function errorFromResponse(status: number, bodyText: string): ApiError {
  let body: unknown;
  try {
    body = JSON.parse(bodyText) as unknown;
  } catch {
    return new ApiError(status, `${statusText(status)} (HTTP ${status})`);
  }
  const detail = isRecord(body) ? body.detail : undefined;
  const message = detailMessage(detail);
  return new ApiError(status, message ?? `${statusText(status)} (HTTP ${status})`, detail);
}

/** Text for any error a query or mutation may throw, in the reader's words (see messages.ts). */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) return upstreamMessage(error.message);
  if (error instanceof Error) return error.message;
  return 'Something went wrong';
}

/**
 * Whether asking again can help: the server was unreachable, busy or an upstream failed
 * (0, 408, 429, 5xx). A 4xx answer will be the same next time, so no "Try again" for it.
 */
export function isRetryable(error: unknown): boolean {
  if (!(error instanceof ApiError)) return true;
  return error.status === 0 || error.status === 408 || error.status === 429 || error.status >= 500;
}

export type Query = Record<string, string | number | boolean | null | undefined>;

/** `/api` + path + query string; `path` must already have its dynamic segments encoded. */
export function apiUrl(path: string, query?: Query): string {
  const params = new URLSearchParams();
  if (query) {
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined || value === null || value === '') continue;
      params.set(key, String(value));
    }
  }
  const qs = params.toString();
  return `${API_BASE}${path}${qs ? `?${qs}` : ''}`;
}

/** Encodes one dynamic path segment. */
export const seg = encodeURIComponent;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'DELETE';
  query?: Query;
  json?: unknown;
  signal?: AbortSignal;
  /** Statuses besides 2xx whose JSON body is returned rather than thrown (health's 503). */
  acceptStatus?: readonly number[];
}

/** Fetches `path` under `/api` and returns the parsed JSON body as `unknown`, or throws `ApiError`. */
export async function request(path: string, options: RequestOptions = {}): Promise<unknown> {
  const { method = 'GET', query, json, signal, acceptStatus = [] } = options;
  const headers: Record<string, string> = { Accept: 'application/json' };
  // Same-origin credentials: the session cookie (AUTH_MODE=password) goes along, never elsewhere.
  const init: RequestInit = { method, headers, credentials: 'same-origin' };
  if (signal) init.signal = signal;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(json);
  }

  let response: Response;
  try {
    response = await fetch(apiUrl(path, query), init);
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, 'Cannot reach the server');
  }

  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, 'The connection to the server was interrupted');
  }

  if (!response.ok && !acceptStatus.includes(response.status)) {
    if (response.status === 401 && !path.startsWith('/auth/')) {
      unauthorizedListeners.forEach((listener) => listener());
    }
    throw errorFromResponse(response.status, text);
  }
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError(response.status, `The server sent an unreadable answer (HTTP ${response.status})`);
  }
}
