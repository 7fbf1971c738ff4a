/**
 * Node options for a child process in which the named packages cannot be found, as if they had been left out of
 * the install (`npm ci --omit=optional`, or the Dockerfile without WITH_EMBEDDED / WITH_GEOLITE): a fault that
 * cannot otherwise be provoked without uninstalling them from the shared node_modules. Both ways of finding a
 * package fail for them: `import` (a module resolve hook, registered with `--import`) and `require.resolve`
 * (Node's CommonJS resolver), each with the error Node raises for a missing package.
 */
export function hidePackagesArgs(names: readonly string[]): string[] {
  const hidden = JSON.stringify(names);
  const hooks = `
    const hidden = ${hidden};
    export async function resolve(specifier, context, next) {
      if (hidden.some((n) => specifier === n || specifier.startsWith(n + '/'))) {
        const err = new Error("Cannot find package '" + specifier + "' imported from " + context.parentURL);
        err.code = 'ERR_MODULE_NOT_FOUND';
        throw err;
      }
      return next(specifier, context);
    }`;
  const setup = `
    import Module, { register } from 'node:module';
    register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});
    const hidden = ${hidden};
    const original = Module._resolveFilename;
    Module._resolveFilename = function (request, ...rest) {
      if (hidden.some((n) => request === n || request.startsWith(n + '/'))) {
        const err = new Error("Cannot find module '" + request + "'");
        err.code = 'MODULE_NOT_FOUND';
        throw err;
      }
      return original.call(this, request, ...rest);
    };`;
  return ['--import', `data:text/javascript,${encodeURIComponent(setup)}`];
}
