import type { ControllerLike, HandlerLike, LegacyHandlerLike } from './types.js';

/** True for a handler of the new API (undici 7's and 8's `onRequestStart` / `onResponse*`). */
export function isNewHandler(handler: object): handler is HandlerLike {
  return typeof (handler as HandlerLike).onRequestStart === 'function';
}

/** Raw headers (`[name, value, …]` as Buffers) out of what the controller holds, or a parsed object. */
function raw(fromController: unknown, parsed: Record<string, unknown> | null | undefined): Buffer[] {
  if (Array.isArray(fromController))
    return fromController.map((v) => (Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'latin1')));
  const out: Buffer[] = [];
  const source = (fromController !== null && typeof fromController === 'object' ? fromController : parsed) as
    | Record<string, unknown>
    | null
    | undefined;
  for (const [name, value] of Object.entries(source ?? {})) {
    for (const v of Array.isArray(value) ? value : [value])
      out.push(Buffer.from(name, 'latin1'), Buffer.from(String(v), 'latin1'));
  }
  return out;
}

/**
 * A legacy handler (`onConnect`, `onHeaders`, `onData`, `onComplete`, `onError`, as
 * undici 6 and 7 call them, and Node's built-in fetch sends) seen through the new API,
 * the one lido/http speaks internally and hands to undici's `Client` (undici 8 accepts
 * only that one; undici 7 accepts both). `onHeaders` / `onData` returning `false`
 * pauses, the `resume` callback resumes, as in undici's own wrapper.
 */
export class LegacyHandler implements HandlerLike {
  readonly #h: LegacyHandlerLike;

  constructor(handler: LegacyHandlerLike) {
    this.#h = handler;
  }

  onRequestStart(controller: ControllerLike, context: unknown): void {
    this.#h.onConnect?.((reason) => controller.abort(reason ?? new Error('aborted')), context);
  }

  onRequestUpgrade(
    controller: ControllerLike,
    statusCode: number,
    headers: Record<string, unknown>,
    socket: unknown,
  ): void {
    this.#h.onUpgrade?.(statusCode, raw(controller.rawHeaders, headers), socket);
  }

  onResponseStart(
    controller: ControllerLike,
    statusCode: number,
    headers: Record<string, unknown>,
    statusMessage?: string,
  ): void {
    if (
      this.#h.onHeaders?.(
        statusCode,
        raw(controller.rawHeaders, headers),
        () => controller.resume(),
        statusMessage ?? '',
      ) === false
    )
      controller.pause();
  }

  onResponseData(controller: ControllerLike, chunk: Buffer): void {
    if (this.#h.onData?.(chunk) === false) controller.pause();
  }

  onResponseEnd(controller: ControllerLike, trailers: Record<string, unknown>): void {
    this.#h.onComplete?.(raw(controller.rawTrailers, trailers));
  }

  onResponseError(_controller: ControllerLike | null, error: Error): void {
    if (typeof this.#h.onError !== 'function') throw error;
    this.#h.onError(error);
  }

  onResponseStarted(): void {
    this.#h.onResponseStarted?.();
  }

  onBodySent(chunk: Buffer): void {
    this.#h.onBodySent?.(chunk);
  }

  onRequestSent(): void {
    this.#h.onRequestSent?.();
  }
}
