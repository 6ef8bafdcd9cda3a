/** Why `autoSize` moved a pool's limit (event `resize`). */
export type ResizeReason =
  /** Callers waited and hold times stayed near their baseline: more leases were needed. */
  | 'grow'
  /** Hold times rose well above their baseline, or with the last growth: the database is the bottleneck. */
  | 'backoff'
  /** The load stayed below the limit for `shrinkAfterMs`. */
  | 'shrink'
  /** `resize({ min, max })` moved the bounds past the limit. */
  | 'bounds';

/** What the `resize` event says: the effective limit (`stats().limit`) went from `from` to `to`. */
export interface ResizeInfo {
  /** The limit before. */
  from: number;
  /** The limit now (`stats().limit`). */
  to: number;
  /** Why it moved. */
  reason: ResizeReason;
}
