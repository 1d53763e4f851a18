// Preloaded into every test process by scripts/test.mjs (`--import`), before anything loads node:test.
//
// node:test's harness (Node 20 and 24) enables an async hook with a `destroy` callback so that an
// uncaught error can be pinned on the test whose asynchronous work threw it. That hook makes every
// promise the process creates call into JavaScript and register a destroy tracker: in our tests,
// which await a database, a server and a browser all the time, it was ~14% of a test process's CPU
// (V8 profile of test/model/reset-model.test.ts: registerDestroyHook, the harness's init and
// destroy), and 2 million awaits took 4.6 s of CPU with it and 0.4 s without.
//
// So the harness gets a hook that keeps the one thing its tree needs: a test, suite or hook (an
// async resource of type 'Test') is still registered when it is created, so `it()` and `before()`
// called in a `describe()` body find their suite. Nothing else is tracked, and there is no destroy
// callback (which is what makes V8 track every promise). What changes: an uncaught exception or
// unhandled rejection from a test's asynchronous work (a timer, a promise) is no longer pinned on
// that test. It is still caught by the runner, printed as a diagnostic ("… generated asynchronous
// activity … created the error …"), and sets the process's exit code, so its test file fails and
// the run fails (test/config/no-promise-tracking.test.ts shows it, and that suites keep their tests).
// With no hook at all, `it()` in a `describe()` ran at the top level and tests after it were lost.
// Any createHook call other than the harness's is untouched.
import asyncHooks from 'node:async_hooks';

const createHook = asyncHooks.createHook;

asyncHooks.createHook = function createHookUnlessTestHarness(
  callbacks: asyncHooks.HookCallbacks,
): asyncHooks.AsyncHook {
  if (!new Error().stack?.includes('internal/test_runner/harness')) return createHook(callbacks);
  const init = callbacks.init;
  return createHook({
    init(asyncId, type, triggerAsyncId, resource) {
      if (type === 'Test') init?.(asyncId, type, triggerAsyncId, resource);
    },
  });
};
