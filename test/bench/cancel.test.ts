import { describe, expect, it } from 'vitest';
import type { Row } from '../../bench/lib.js';
import { ceilingNote } from '../../bench/scenarios/cancel.js';

/** The cancellation table's note on what the floor row leaves reachable on the machine that ran. */
describe('bench cancellation ceilingNote()', () => {
  const row = (subject: string, ms: number | null, peer = false, headline = false): Row => ({
    subject,
    peer,
    headline,
    values: [ms],
  });

  it('divides the fastest peer by the floor, and says the target is out of reach when that is below it', () => {
    const note = ceilingNote(
      [
        row('lido', 900, false, true),
        row('generic-pool', null, true),
        row('tarn', 5_600, true),
        row('slow peer', 9_000, true),
        row('AbortSignal alone (floor)', 1_000),
      ],
      8,
    );
    expect(note).toBe(
      "The floor alone is ×5.60 of tarn in this run: about the most that a pool paying it can show here (target ×8: out of reach for any pool cancelled through AbortSignal on this machine); lido took ×0.90 of the floor's time.",
    );
  });

  it('says within reach when the floor leaves room for the target', () => {
    const note = ceilingNote(
      [row('lido', 700, false, true), row('tarn', 9_000, true), row('AbortSignal alone (floor)', 600)],
      8,
    );
    expect(note).toContain('×15.00 of tarn');
    expect(note).toContain('(target ×8: within reach)');
    expect(note).toContain('lido took ×1.17 of the floor');
  });

  it('gives no note when the floor, lido or every peer has no figure', () => {
    expect(ceilingNote([row('lido', 700, false, true), row('tarn', 9_000, true)], 8)).toBeNull();
    expect(ceilingNote([row('tarn', 9_000, true), row('AbortSignal alone (floor)', 600)], 8)).toBeNull();
    expect(
      ceilingNote([row('lido', 700, false, true), row('tarn', null, true), row('AbortSignal alone (floor)', 600)], 8),
    ).toBeNull();
  });
});
