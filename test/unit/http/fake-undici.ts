/**
 * A test double of undici for lido/http unit tests: the real `Dispatcher` class (so the
 * pool inherits `request` & co. as in production) with a fake `Client` and connector
 * that the test drives by hand: every dispatched request is a {@link Call} the test
 * answers (`respond`, `fail`), every socket a {@link FakeSocket} it can close.
 */
import { EventEmitter } from 'node:events';
import { Dispatcher, errors } from 'undici';
import type { UndiciLike } from '../../../src/adapters/http/index.js';

export class FakeSocket extends EventEmitter {
  destroyed = false;
  destroy(): this {
    if (!this.destroyed) {
      this.destroyed = true;
      queueMicrotask(() => this.emit('close'));
    }
    return this;
  }
}

export class FakeController {
  aborted = false;
  paused = false;
  reason: Error | null = null;
  rawHeaders: unknown = null;
  rawTrailers: unknown = null;
  constructor(private readonly call: Call) {}
  abort(reason: Error): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.call.client.socket?.destroy();
    this.call.end(() => this.call.handler.onResponseError(this, reason));
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
}

/** One request dispatched on a fake Client. */
export class Call {
  readonly ctrl = new FakeController(this);
  started = false;
  done = false;
  constructor(
    readonly client: FakeClient,
    readonly opts: Record<string, any>,
    readonly handler: any,
  ) {}

  end(fn: () => void): void {
    if (this.done) return;
    this.done = true;
    fn();
  }

  /** Answers: headers, one body chunk (unless null), end. */
  respond(status = 200, body: string | null = 'ok', headers: Record<string, string> = {}): void {
    this.headers(status, headers);
    if (body !== null) this.handler.onResponseData(this.ctrl, Buffer.from(body));
    this.end(() => this.handler.onResponseEnd(this.ctrl, {}));
  }

  headers(status = 200, headers: Record<string, string> = {}): void {
    this.ctrl.rawHeaders = Object.entries(headers)
      .flat()
      .map((v) => Buffer.from(v));
    this.handler.onResponseStart(this.ctrl, status, headers, 'OK');
  }

  data(chunk: string): void {
    this.handler.onResponseData(this.ctrl, Buffer.from(chunk));
  }

  /** Fails the request with `error` (its socket is destroyed, as undici does). */
  fail(error: Error): void {
    this.client.socket?.destroy();
    this.end(() => this.handler.onResponseError(this.ctrl, error));
  }
}

/** `SocketError: other side closed`, as undici raises it when the server closed the socket. */
export function otherSideClosed(): Error {
  return new errors.SocketError('other side closed');
}

export class FakeClient extends EventEmitter {
  socket: FakeSocket | null = null;
  destroyed = false;
  readonly calls: Call[] = [];
  constructor(
    readonly origin: string,
    readonly options: Record<string, any>,
    private readonly world: FakeUndici,
  ) {
    super();
    world.clients.push(this);
  }

  dispatch(opts: Record<string, any>, handler: any): boolean {
    if (this.destroyed) {
      handler.onResponseError(null, new errors.ClientDestroyedError());
      return false;
    }
    if (opts.method === 'BAD') {
      handler.onResponseError(null, new errors.InvalidArgumentError('invalid method'));
      return false;
    }
    const call = new Call(this, opts, handler);
    this.calls.push(call);
    this.world.calls.push(call);
    const start = (): void => {
      if (call.done) return;
      call.started = true;
      handler.onRequestStart(call.ctrl, null);
    };
    if (this.socket !== null && !this.socket.destroyed) queueMicrotask(start);
    else {
      this.options.connect(
        { hostname: '127.0.0.1', protocol: 'http:', port: '80' },
        (error: Error | null, s: FakeSocket | null) => {
          if (error !== null) return call.end(() => handler.onResponseError(null, error));
          this.socket = s;
          this.emit('connect', new URL(this.origin), [this]);
          start();
        },
      );
    }
    return true;
  }

  destroy(): Promise<void> {
    this.destroyed = true;
    this.socket?.destroy();
    for (const c of this.calls) c.end(() => c.handler.onResponseError(c.ctrl, new errors.ClientDestroyedError()));
    return Promise.resolve();
  }
}

export class FakeUndici {
  readonly clients: FakeClient[] = [];
  readonly calls: Call[] = [];
  readonly sockets: FakeSocket[] = [];
  /** Set to make the next connects fail; `null` to connect. */
  connectError: Error | null = null;
  /** Set to hold connects until `release()`d. */
  hold = false;
  readonly #held: (() => void)[] = [];

  get module(): UndiciLike {
    const world = this;
    return {
      Dispatcher,
      Client: class extends FakeClient {
        constructor(origin: string, options: Record<string, any>) {
          super(origin, options, world);
        }
      },
      buildConnector: () => (_target, cb) => {
        const s = new FakeSocket();
        world.sockets.push(s);
        const go = (): void => (world.connectError ? cb(world.connectError, null) : cb(null, s as never));
        if (world.hold) world.#held.push(go);
        else queueMicrotask(go);
        return s;
      },
      errors: errors as unknown as Record<string, unknown>,
    } as UndiciLike;
  }

  /** Lets held connects complete. */
  release(): void {
    for (const go of this.#held.splice(0)) go();
  }

  /** The last request dispatched. */
  get last(): Call {
    return this.calls[this.calls.length - 1];
  }
}

/** A handler of the new API that records what it receives. */
export function recorder() {
  const r = {
    controller: null as any,
    status: 0,
    body: '',
    error: null as Error | null,
    ended: false,
    handler: {
      onRequestStart: (c: any) => void (r.controller = c),
      onResponseStart: (_c: any, status: number) => void (r.status = status),
      onResponseData: (_c: any, chunk: Buffer) => void (r.body += chunk),
      onResponseEnd: () => void (r.ended = true),
      onResponseError: (_c: any, e: Error) => void (r.error = e),
    },
  };
  return r;
}
