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

  it("divides the fastest peer's time by the floor's and gives lido's time as a share of the floor's", () => {
    const note = ceilingNote([
      row('lido', 900, false, true),
      row('generic-pool', null, true),
      row('tarn', 5_600, true),
      row('slow peer', 9_000, true),
      row('AbortSignal alone (floor)', 1_000),
    ]);
    expect(note).toBe(
      "The floor alone is ×5.60 of tarn in this run: about the most that a pool cancelled through AbortSignal can show on the machine that ran; lido took ×0.90 of the floor's time.",
    );
  });

  it('states figures only: no target and no verdict, whatever the ratio', () => {
    const note = ceilingNote([
      row('lido', 700, false, true),
      row('tarn', 9_000, true),
      row('AbortSignal alone (floor)', 600),
    ]);
    expect(note).toContain('×15.00 of tarn');
    expect(note).toContain('lido took ×1.17 of the floor');
    expect(note).not.toMatch(/target|reach|✓|✗/);
  });

  it('gives no note when the floor, lido or every peer has no figure', () => {
    expect(ceilingNote([row('lido', 700, false, true), row('tarn', 9_000, true)])).toBeNull();
    expect(ceilingNote([row('tarn', 9_000, true), row('AbortSignal alone (floor)', 600)])).toBeNull();
    expect(
      ceilingNote([row('lido', 700, false, true), row('tarn', null, true), row('AbortSignal alone (floor)', 600)]),
    ).toBeNull();
  });
});
