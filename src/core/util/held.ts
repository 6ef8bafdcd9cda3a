/**
 * Hidden classes held for as long as lido is loaded.
 *
 * V8 gives every object a hidden class (a map), and optimized code checks objects against
 * the maps it has seen while holding those maps weakly; a map stays alive only through the
 * objects that have it. A full GC at a moment when no object of a class is alive (no waiter
 * of an idle pool, no lease between bursts, no pool at all after the last one closed)
 * collects its map and throws away every optimized function that checks it; the objects
 * made next get new maps, and the shared hot path, having seen old and new ones, turns
 * polymorphic and then megamorphic for good.
 *
 * So each class whose objects the hot path touches holds one example of itself in a static
 * field, built with the values real ones carry (a fractional clock reading where real ones
 * have one: a field that turns from a small integer into a fractional number gives the
 * object a new map, which only the objects that got such a value hold). `Waiter`,
 * `WaiterExtra` and `Lease` hold one instance each; `Pool` holds a closed pool, and through
 * it the maps of all its parts. A static field of the class, not an array of this module
 * filled at load time: a build's tree-shaking dropped such an array, with its pushes, as
 * nothing read it. `test/package/run.sh` checks that the ESM and CJS builds keep the four
 * `static #held = held(…)` fields; `test/unit/core/held-classes.test.ts` checks that a full
 * GC leaves the hot path optimized. docs/performance.md ("Surviving a full GC") has the
 * measurements.
 */
export function held<O extends object>(example: O): O {
  return example;
}
