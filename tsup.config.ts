import { defineConfig } from 'tsup';

// TypeScript is pinned to 5.9 in package.json on purpose: tsup builds the .d.ts files
// through the TypeScript compiler API, and TypeScript 7 (the native Go port) ships no
// such API, so a declaration build with it fails. Move only when tsup supports it.
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    pg: 'src/adapters/pg/index.ts',
    redis: 'src/adapters/redis/index.ts',
    otel: 'src/observability/otel.ts',
    prometheus: 'src/observability/prometheus.ts',
    admin: 'src/observability/admin/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node22',
  splitting: false,
  treeshake: true,
});
