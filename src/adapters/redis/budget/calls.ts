import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { type BudgetConnections, runScript } from './connection.js';
import { budgetKeys } from './script.js';
import type { FleetSettings, Reply } from './types.js';

/**
 * @internal How one process talks to a fleet budget in Redis: its id, its lease's fence,
 * the budget's keys and channels, and the one script behind every call.
 */
export class FleetCalls {
  /** This process's id in the fleet: `host/pid/random`. */
  readonly pid = `${hostname()}/${process.pid}/${randomBytes(4).toString('hex')}`;
  /** The fence of the current lease (0: none yet). */
  fence = 0;
  /** The fleet's channel (`w`, `e`) and this process's own (`g <ticket>`). */
  readonly channel: string;
  readonly own: string;
  readonly #keys: string[];

  constructor(
    readonly s: FleetSettings,
    readonly conn: BudgetConnections,
  ) {
    const k = budgetKeys(s.name);
    this.#keys = k.keys;
    this.channel = conn.keyPrefix + k.channel;
    this.own = `${this.channel}:${this.pid}`;
  }

  /** Runs `op` of the budget script with this process's lease; bounded by `timeoutMs`. */
  call(op: string, ...args: (string | number)[]): Promise<Reply> {
    const s = this.s;
    const argv = [op, this.pid, this.fence, s.leaseMs, s.max, this.channel, ...args];
    return runScript(this.conn.commands, this.#keys, argv, s.clock, s.timeoutMs) as Promise<Reply>;
  }
}
