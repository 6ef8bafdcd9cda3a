// TypeDoc plugin (typedoc.json): names each entry point's module by the specifier users
// import (`lido/pg`), not by its path under src/ (`adapters/pg`). A module that is not
// in the table fails the build, so a new package entry cannot go out unnamed: add it to
// package.json `exports`, tsup.config.ts, typedoc.json `entryPoints` and here.
import { Converter, ReflectionKind } from 'typedoc';

const NAMES = {
  index: 'lido',
  'adapters/pg': 'lido/pg',
  'adapters/redis': 'lido/redis',
  'adapters/http': 'lido/http',
  'observability/otel': 'lido/otel',
  'observability/prometheus': 'lido/prometheus',
  'observability/admin': 'lido/admin',
};

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const mod of context.project.getReflectionsByKind(ReflectionKind.Module)) {
      const name = NAMES[mod.name];
      if (name === undefined) {
        throw new Error(
          `typedoc-module-names: no import specifier for module "${mod.name}"; add it to scripts/typedoc-module-names.mjs`,
        );
      }
      mod.name = name;
    }
  });
}
