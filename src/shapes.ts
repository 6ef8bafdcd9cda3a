/**
 * One instance of each class the hot path makes and drops (waiters, leases), held for as
 * long as lido is loaded.
 *
 * V8 keeps an object's hidden class (its map) alive only through the objects that have it,
 * and optimized code holds the maps it checks weakly. A full GC at a moment when no waiter
 * (or no lease) exists, which is most moments of an idle pool or a quiet service, collects
 * the map and throws away every optimized function that checks it: acquire, release and
 * the hand-over to a waiter then run unoptimized until V8 compiles them again. Measured in
 * docs/performance.md ("Surviving a full GC").
 */
const held: object[] = [];

/** Holds `instance` for as long as lido is loaded (see the file's header) and returns it. */
export function holdShape<T extends object>(instance: T): T {
  held.push(instance);
  return instance;
}
