/**
 * The legacy handler API (`onConnect`, `onHeaders`, `onData`, `onComplete`, `onError`)
 * seen through the new one, as lido/http hands every handler to undici 8 Clients; and a
 * legacy handler driven end to end through HttpPool on the fake undici.
 */
import { describe, expect, it, vi } from 'vitest';
import { HttpPool } from '../../../src/adapters/http/index.js';
import { LegacyHandler, isNewHandler } from '../../../src/adapters/http/handler.js';
import { flush } from '../../support/manual-clock.js';
import { FakeUndici } from './fake-undici.js';

function controller(extra: Record<string, unknown> = {}) {
  return { aborted: false, paused: false, reason: null, abort: vi.fn(), pause: vi.fn(), resume: vi.fn(), ...extra };
}

describe('LegacyHandler', () => {
  it('tells the two APIs apart', () => {
    expect(isNewHandler({ onRequestStart() {} })).toBe(true);
    expect(isNewHandler({ onConnect() {}, onHeaders() {} })).toBe(false);
  });

  it('onConnect gets an abort that aborts the controller', () => {
    const onConnect = vi.fn();
    const c = controller();
    new LegacyHandler({ onConnect }).onRequestStart(c, 'ctx');
    const abort = onConnect.mock.calls[0][0] as (e?: Error) => void;
    const e = new Error('stop');
    abort(e);
    expect(c.abort).toHaveBeenCalledWith(e);
    expect(onConnect.mock.calls[0][1]).toBe('ctx');
  });

  it('onHeaders gets raw headers (from the controller, or built from the parsed ones); false pauses; resume resumes', () => {
    const seen: unknown[][] = [];
    const h = new LegacyHandler({
      onHeaders: (status, raw, resume, text) => {
        seen.push([status, raw.map(String), text]);
        resume();
        return false;
      },
    });
    const c = controller({ rawHeaders: [Buffer.from('a'), Buffer.from('1'), Buffer.from('b'), Buffer.from('2')] });
    h.onResponseStart(c, 200, { a: '1', b: '2' }, 'OK');
    expect(seen[0]).toEqual([200, ['a', '1', 'b', '2'], 'OK']);
    expect(c.pause).toHaveBeenCalledTimes(1);
    expect(c.resume).toHaveBeenCalledTimes(1);
    const parsedOnly = controller();
    h.onResponseStart(parsedOnly, 204, { 'set-cookie': ['x=1', 'y=2'] });
    expect(seen[1]).toEqual([204, ['set-cookie', 'x=1', 'set-cookie', 'y=2'], '']);
  });

  it('onData false pauses; onComplete gets raw trailers; onError gets errors, and its absence throws', () => {
    const chunks: string[] = [];
    const onComplete = vi.fn();
    const onError = vi.fn();
    const h = new LegacyHandler({ onData: (c) => (chunks.push(String(c)), chunks.length < 2), onComplete, onError });
    const c = controller();
    h.onResponseData(c, Buffer.from('a'));
    h.onResponseData(c, Buffer.from('b'));
    expect(c.pause).toHaveBeenCalledTimes(1);
    h.onResponseEnd(c, { 'x-t': 'v' });
    expect(onComplete.mock.calls[0][0].map(String)).toEqual(['x-t', 'v']);
    const e = new Error('boom');
    h.onResponseError(c, e);
    expect(onError).toHaveBeenCalledWith(e);
    expect(() => new LegacyHandler({}).onResponseError(c, e)).toThrow('boom');
  });

  it('a legacy handler through HttpPool: connect, headers, data, complete', async () => {
    const world = new FakeUndici();
    const p = new HttpPool({ undici: world.module });
    const events: string[] = [];
    p.dispatch({ origin: 'http://a.test', path: '/', method: 'GET' }, {
      onConnect: () => events.push('connect'),
      onHeaders: (status: number, raw: Buffer[]) => (
        events.push(`headers ${status} ${raw.map(String).join(',')}`), true
      ),
      onData: (chunk: Buffer) => (events.push(`data ${chunk}`), true),
      onComplete: () => events.push('complete'),
      onError: (e: Error) => events.push(`error ${e.message}`),
    } as never);
    expect(events).toEqual(['connect']); // at once, before any connection
    await flush();
    world.last.respond(200, 'hi', { 'x-a': 'b' });
    expect(events).toEqual(['connect', 'headers 200 x-a,b', 'data hi', 'complete']);
    await p.close();
  });
});
