import { defineConfig } from 'tsup';

// TypeScript is pinned to 5.9 in package.json on purpose: tsup builds the .d.ts files
// through the TypeScript compiler API, and TypeScript 7 (the native Go port) ships no
// such API, so a declaration build with it fails. Move only when tsup supports it.
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    pg: 'src/adapters/pg/index.ts',
    redis: 'src/adapters/redis/index.ts',
    http: 'src/adapters/http/index.ts',
    otel: 'src/observability/otel.ts',
    prometheus: 'src/observability/prometheus.ts',
    admin: 'src/observability/admin/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node22',
  // Shared chunks: every entry must use the same core classes, or `instanceof` (errors,
  // Pool) fails across `lido` and `lido/pg` and an adapter would carry its own copy.
  splitting: true,
  treeshake: true,
});
