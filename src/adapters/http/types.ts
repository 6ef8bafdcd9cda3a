/**
 * The parts of undici that lido/http uses, typed structurally so that undici 7 and 8
 * (and a test double) all fit. The public option types borrow undici's own declarations
 * (type-only: nothing here loads undici at run time).
 */
import type { Socket } from 'node:net';

/** Where a connector connects: what undici's `Client` passes to its `connect` function. */
export interface ConnectTarget {
  /** Host name or IP address (an IPv6 address without brackets). */
  hostname: string;
  /** `host:port` as in the origin. */
  host?: string;
  /** `http:` or `https:`. */
  protocol: string;
  /** The port, or `''` for the protocol's default. */
  port: string;
  /** TLS server name (SNI), when not the host. */
  servername?: string | null;
  /** Local address to bind the socket to. */
  localAddress?: string | null;
  /** A socket to upgrade to TLS (undici's proxy support). */
  httpSocket?: Socket;
}

/** A connector as undici's `buildConnector()` returns it (also the `connect` function form). */
export type Connector = (
  target: ConnectTarget,
  callback: (error: Error | null, socket: Socket | null) => void,
) => unknown;

/** The part of an undici `Client` lido/http drives. */
export interface ClientLike {
  /** Sends a request; `false` means the client is busy (its pipeline is full). */
  dispatch(options: object, handler: object): boolean;
  /** Closes the connection at once, failing requests in flight with `error`. */
  destroy(error?: Error | null): Promise<void>;
  /** Listens to a client event (`connect`, `disconnect`, `connectionError`, …). */
  on(event: string, listener: (...args: any[]) => void): unknown;
}

/** The undici module, or the part of it lido/http needs: pass `await import('undici')`. */
export interface UndiciLike {
  /** undici's `Dispatcher` class: `HttpPool` inherits `request`, `stream`, `pipeline`, `compose`, … from it. */
  Dispatcher: abstract new (
    ...args: any[]
  ) => object;
  /** undici's `Client`: one per pooled connection, with `pipelining: 1`. */
  Client: {
    /** Makes a client for one connection to `origin`. */
    new (origin: string, options: Record<string, unknown>): ClientLike;
  };
  /** undici's `buildConnector`: opens the TCP / TLS sockets (also the warm ones). */
  buildConnector(options: Record<string, unknown>): Connector;
  /** undici's error classes (`ClientClosedError`, `ClientDestroyedError`, …), when present. */
  errors?: Record<string, unknown>;
}

/** What a dispatch controller offers (undici's `Dispatcher.DispatchController`). */
export interface ControllerLike {
  readonly aborted: boolean;
  readonly paused: boolean;
  readonly reason: Error | null;
  rawHeaders?: unknown;
  rawTrailers?: unknown;
  abort(reason: Error): void;
  pause(): void;
  resume(): void;
}

/** A handler of the new API (undici 7 and 8): `onRequestStart`, `onResponseStart`, … */
export interface HandlerLike {
  onRequestStart?(controller: ControllerLike, context: unknown): void;
  onRequestUpgrade?(
    controller: ControllerLike,
    statusCode: number,
    headers: Record<string, unknown>,
    socket: unknown,
  ): void;
  onResponseStart?(
    controller: ControllerLike,
    statusCode: number,
    headers: Record<string, unknown>,
    statusMessage?: string,
  ): void;
  onResponseData?(controller: ControllerLike, chunk: Buffer): void;
  onResponseEnd?(controller: ControllerLike, trailers: Record<string, unknown>): void;
  onResponseError?(controller: ControllerLike | null, error: Error): void;
  onResponseStarted?(): void;
  onBodySent?(chunk: Buffer): void;
  onRequestSent?(): void;
}

/** A handler of the legacy API (undici 6 and 7): `onConnect`, `onHeaders`, `onData`, … */
export interface LegacyHandlerLike {
  /** Before the request is sent: `abort` cancels it. */
  onConnect?(abort: (reason?: Error) => void, context?: unknown): void;
  /** The server switched protocols (an upgrade or CONNECT): the socket is the handler's. */
  onUpgrade?(statusCode: number, rawHeaders: Buffer[], socket: unknown): void;
  /** The response status and headers; returning `false` pauses the body until `resume()`. */
  onHeaders?(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean | void;
  /** A chunk of the response body; returning `false` pauses the body. */
  onData?(chunk: Buffer): boolean | void;
  /** The response finished, with its trailers. */
  onComplete?(rawTrailers: Buffer[] | null): void;
  /** The request failed. */
  onError?(error: Error): void;
  /** The response started arriving. */
  onResponseStarted?(): void;
  /** A chunk of the request body was sent. */
  onBodySent?(chunk: Buffer): void;
  /** The whole request was sent. */
  onRequestSent?(): void;
}

/** The dispatch options lido/http reads (undici's `Dispatcher.DispatchOptions`; the rest pass through). */
export interface DispatchOptionsLike {
  origin?: string | URL;
  path: string;
  method: string;
  body?: unknown;
  idempotent?: boolean;
  upgrade?: boolean | string | null;
  signal?: unknown;
}
