#!/usr/bin/env bash
# The packed-package test: what a user gets from `npm install lido`.
#
#   bash test/package/run.sh          (after `npm run build`; .ci/run runs it after the build step)
#
#   1. `npm pack` the repo, as it would be published (prints what goes in the tarball);
#   2. a fresh project outside the repo with ONLY the tarball: `npm ls --omit=dev` shows
#      lido and nothing else (no runtime dependencies, optional peers not pulled in), and
#      the core, lido/pg, lido/redis, lido/http and lido/admin load from ESM and CJS
#      without any driver installed (fixture/bare.mjs);
#   3. a second fresh project with the tarball and the peers (pg, ioredis, undici,
#      prom-client, @opentelemetry/api, @types/node at the versions this repo uses): every
#      entry imported from ESM (fixture/esm.mjs) and from CJS (fixture/cjs.cjs), pools used
#      with `await using`; fixture/types.ts type-checked by this repo's TypeScript under
#      moduleResolution node16 (as .mts and as .cts) and bundler, with skipLibCheck off.
#
# Needs the npm registry for step 3 (the peers). Temp dirs are removed on exit; set
# KEEP=1 to keep them for a look.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FIXTURE="$ROOT/test/package/fixture"
TSC="$ROOT/node_modules/typescript/bin/tsc"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/lido-package.XXXXXX")
cleanup() { if [[ ${KEEP:-} == 1 ]]; then echo "kept $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT

NPM_FLAGS=(--no-audit --no-fund --no-update-notifier --loglevel=error)
t0=$SECONDS
say() { printf '\n--- %s (%ss)\n' "$1" "$((SECONDS - t0))"; }
fail() { echo "!!! $*" >&2; exit 1; }

[[ -f $ROOT/dist/index.js && -f $ROOT/dist/index.cjs ]] || fail "no dist/: run npm run build first"

say "npm pack"
tgz_name=$(cd "$ROOT" && npm pack --pack-destination "$WORK" --json "${NPM_FLAGS[@]}" </dev/null |
  node -e 'const [p] = JSON.parse(require("fs").readFileSync(0, "utf8"));
    for (const f of p.files) console.error(`  ${String(f.size).padStart(8)}  ${f.path}`);
    console.error(`  ${p.entryCount} files, ${p.size} bytes packed, ${p.unpackedSize} unpacked`);
    const bad = p.files.map((f) => f.path).filter((f) => !/^(dist\/|README\.md$|LICENSE$|CHANGELOG\.md$|package\.json$)/.test(f));
    if (bad.length) { console.error("!!! files that users do not need: " + bad.join(", ")); process.exit(1); }
    for (const need of ["README.md", "LICENSE", "CHANGELOG.md", "package.json", "dist/index.js", "dist/index.cjs", "dist/index.d.ts", "dist/index.d.cts"])
      if (!p.files.some((f) => f.path === need)) { console.error("!!! missing from the package: " + need); process.exit(1); }
    console.log(p.filename);')
TGZ="$WORK/$tgz_name"
[[ -f $TGZ ]] || fail "npm pack made no tarball"

new_project() { # dir
  mkdir -p "$1"
  printf '{ "name": "lido-package-test", "version": "0.0.0", "private": true, "type": "module" }\n' >"$1/package.json"
}

say "bare project: the tarball alone"
BARE="$WORK/bare"
new_project "$BARE"
(cd "$BARE" && npm install "${NPM_FLAGS[@]}" "$TGZ" </dev/null)
tree=$(cd "$BARE" && npm ls --omit=dev --all --parseable </dev/null | sed "s|^$BARE||")
echo "npm ls --omit=dev --all:"
printf '  %s\n' $tree
[[ $(printf '%s\n' $tree | grep -v '^$' | sort) == "/node_modules/lido" ]] ||
  fail "the installed package pulled in more than itself (runtime dependencies?)"
deps=$(node -p 'const p = require(process.argv[1]); JSON.stringify({ ...p.dependencies, ...p.optionalDependencies, ...p.bundleDependencies })' "$BARE/node_modules/lido/package.json")
[[ $deps == "{}" ]] || fail "lido declares runtime dependencies: $deps"
node -e 'const p = require(process.argv[1]);
  if (p.sideEffects !== false) throw new Error("package.json: sideEffects should be false, is " + JSON.stringify(p.sideEffects));
  const peers = Object.keys(p.peerDependencies ?? {});
  const optional = Object.keys(p.peerDependenciesMeta ?? {}).filter((k) => p.peerDependenciesMeta[k].optional === true);
  const required = peers.filter((k) => !optional.includes(k));
  if (required.length) throw new Error("peer dependencies that are not optional: " + required.join(", "));
  console.log("sideEffects: false; optional peers: " + peers.join(", "));' "$BARE/node_modules/lido/package.json"
cp "$FIXTURE/bare.mjs" "$BARE/"
(cd "$BARE" && node bare.mjs)
# The Waiter, WaiterExtra, Lease and Pool that the classes hold (src/core/util/held.ts)
# must survive the build's tree-shaking: a module-level array holding them did not.
for ext in js cjs; do
  held=$(cat "$BARE"/node_modules/lido/dist/*."$ext" | grep -cE 'static #held = held\(') || true
  [ "$held" -eq 4 ] || fail "dist/*.$ext: $held held instances, expected 4 (Waiter, WaiterExtra, Lease, Pool)"
done
echo "held instances: 4 in the ESM build, 4 in the CJS build"
# Lease's own `then` (docs/performance.md, "Resolving with a lease") is set in a static
# block of the class, which the build must keep.
for ext in js cjs; do
  thens=$(cat "$BARE"/node_modules/lido/dist/*."$ext" | grep -cE 'defineProperty\(_?Lease\.prototype, "then"') || true
  [ "$thens" -eq 1 ] || fail "dist/*.$ext: Lease.prototype.then defined $thens times, expected 1"
done
echo "Lease.prototype.then: kept in the ESM and the CJS build"

say "app project: the tarball with its peers"
APP="$WORK/app"
new_project "$APP"
peers=()
for p in pg ioredis undici prom-client @opentelemetry/api @types/node; do
  v=$(node -p 'require(process.argv[1]).version' "$ROOT/node_modules/$p/package.json") || fail "$p is not installed in the repo"
  peers+=("$p@$v")
done
echo "peers: ${peers[*]}"
(cd "$APP" && npm install "${NPM_FLAGS[@]}" --prefer-offline "$TGZ" "${peers[@]}" </dev/null)
cp "$FIXTURE/esm.mjs" "$FIXTURE/cjs.cjs" "$FIXTURE/tsconfig.node16.json" "$FIXTURE/tsconfig.bundler.json" "$APP/"
cp "$FIXTURE/types.ts" "$APP/types.ts"
cp "$FIXTURE/types.ts" "$APP/types.mts"
cp "$FIXTURE/types.ts" "$APP/types.cts"

say "ESM: import every entry"
(cd "$APP" && node esm.mjs)
say "CJS: require every entry"
(cd "$APP" && node cjs.cjs)

say "tsc $(node "$TSC" --version): moduleResolution node16 (types.mts, types.cts)"
(cd "$APP" && node "$TSC" -p tsconfig.node16.json)
say "tsc: moduleResolution bundler (types.ts)"
(cd "$APP" && node "$TSC" -p tsconfig.bundler.json)

say "package ok"
