import type { Lease } from '../../core/lease.js';
import type { Connection } from './connection.js';
import type { Flight } from './flight.js';
import type { ControllerLike, DispatchOptionsLike, HandlerLike } from './types.js';

interface SignalLike {
  aborted?: boolean;
  reason?: Error;
  addEventListener?(type: 'abort', listener: () => void, options: { once: true }): void;
  removeEventListener?(type: 'abort', listener: () => void): void;
  once?(event: 'abort', listener: () => void): void;
  removeListener?(event: 'abort', listener: () => void): void;
}

/** One try of a request on one connection: the handler undici's `Client` calls. */
export class Attempt implements HandlerLike {
  ctrl: ControllerLike | null = null;
  constructor(
    readonly flight: Flight,
    readonly lease: Lease<Connection>,
  ) {}

  onRequestStart(ctrl: ControllerLike): void {
    this.ctrl = ctrl;
    this.flight.started(this);
  }
  onResponseStarted(): void {
    if (this.flight.current === this) this.flight.user.onResponseStarted?.();
  }
  onResponseStart(
    _ctrl: ControllerLike,
    statusCode: number,
    headers: Record<string, unknown>,
    statusMessage?: string,
  ): void {
    if (this.flight.current !== this) return;
    this.flight.headersIn = true;
    this.flight.user.onResponseStart?.(this.flight, statusCode, headers, statusMessage);
  }
  onResponseData(_ctrl: ControllerLike, chunk: Buffer): void {
    if (this.flight.current === this) this.flight.user.onResponseData?.(this.flight, chunk);
  }
  onResponseEnd(_ctrl: ControllerLike, trailers: Record<string, unknown>): void {
    this.flight.ended(this, trailers);
  }
  onResponseError(_ctrl: ControllerLike | null, error: Error): void {
    this.flight.failed(this, error);
  }
  onRequestUpgrade(_ctrl: ControllerLike, statusCode: number, headers: Record<string, unknown>, socket: unknown): void {
    this.flight.upgraded(this, statusCode, headers, socket);
  }
  onBodySent(chunk: Buffer): void {
    if (this.flight.current === this) this.flight.user.onBodySent?.(chunk);
  }
  onRequestSent(): void {
    if (this.flight.current === this) this.flight.user.onRequestSent?.();
  }
}

/**
 * Calls `abort` when `signal` (an AbortSignal, or an EventEmitter emitting `abort`, as
 * undici's APIs take) aborts; returns the function that stops listening.
 */
export function watchSignal(signal: object, abort: (reason: Error) => void): (() => void) | null {
  const s = signal as SignalLike;
  const onAbort = (): void => abort(s.reason ?? new DOMException('This operation was aborted', 'AbortError'));
  if (s.aborted === true) {
    onAbort();
    return null;
  }
  if (typeof s.addEventListener === 'function') {
    s.addEventListener('abort', onAbort, { once: true });
    return () => s.removeEventListener?.('abort', onAbort);
  }
  if (typeof s.once === 'function') {
    s.once('abort', onAbort);
    return () => s.removeListener?.('abort', onAbort);
  }
  return null;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
const STALE_SOCKET = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

/** An error code of a socket the server closed under the request. */
export function staleSocket(code: unknown): boolean {
  return typeof code === 'string' && STALE_SOCKET.has(code);
}

/**
 * A request that can be sent again: idempotent (by method, or `idempotent: true`), no
 * upgrade, and a body that can be sent as it is (none, a string or bytes; never a stream).
 */
export function safeToResend(o: DispatchOptionsLike): boolean {
  const body = o.body;
  const replayable = body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array;
  return (o.idempotent ?? IDEMPOTENT.has(o.method)) && !o.upgrade && replayable;
}
