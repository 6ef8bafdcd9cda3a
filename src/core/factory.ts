/**
 * The adapter contract: how to create, check, reset and destroy one resource.
 * The pool owns every policy; a factory only knows its resource.
 */
export interface Factory<T> {
  /** Creates one resource. `signal` aborts on `createTimeoutMs` and on close. */
  create(signal: AbortSignal): Promise<T>;
  /** Destroys a resource. Errors are reported through the pool's `error` event, never thrown. */
  destroy(resource: T): Promise<void> | void;
  /** Pre-ping: resolves `true` when the resource is usable. Bounded by `validateTimeoutMs`. */
  validate?(resource: T, signal: AbortSignal): Promise<boolean> | boolean;
  /** Cleans a resource on release; throwing (or exceeding `resetTimeoutMs`) destroys it instead. */
  reset?(resource: T): Promise<void> | void;
  /**
   * Watches an idle resource; the adapter calls `evict(reason)` the moment it learns the
   * resource died (socket closed, server error). Returns a function that stops watching.
   */
  watch?(resource: T, evict: (reason: unknown) => void): () => void;
  /** After `use()`'s callback throws: `true` destroys the resource, `false` keeps it. */
  isBroken?(error: unknown, resource: T): boolean;
}
