// Import rules checked by `npm test` (npm run lint:imports). DESIGN.md, "Layout": what the fleet
// and the device share lives in device/src/shared, and everything outside device/ reaches the
// device through its two doors only: device/src/shared/index.ts (runtime) and device/test/index.ts
// (the test kit). web/device is the device's own UI and may import the device's types directly.
const ENTRIES = '^device/(src/shared/index|test/index)[.]ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'device-through-its-doors',
      comment: 'Outside device/, import device code only through device/src/shared/index.ts or device/test/index.ts.',
      severity: 'error',
      from: { path: '^(fleet|scripts|ansible|web/fleet|web/common)/' },
      to: { path: '^device/', pathNot: ENTRIES },
    },
    {
      name: 'shared-stands-alone',
      comment: 'device/src/shared is what the monitor runs too: it must not pull in the rest of the appliance.',
      severity: 'error',
      from: { path: '^device/src/shared/', pathNot: '[.]test[.]ts$' },
      to: { path: '^(device/src/(?!shared/)|fleet/|web/)' },
    },
    {
      name: 'device-runtime-without-fleet',
      comment: 'The appliance does not depend on the monitor (tests that run both are the exception).',
      severity: 'error',
      from: { path: '^device/src/', pathNot: '[.]test[.]ts$' },
      to: { path: '^fleet/' },
    },
    {
      name: 'ui-apps-share-through-common',
      comment: 'The dashboard takes shared UI (session model and fields, payload model, live view) from web/common, not from the device UI; web/common depends on neither app.',
      severity: 'error',
      from: { path: '^web/(fleet|common)/' },
      to: { path: '^web/device/' },
    },
    {
      name: 'common-without-apps',
      severity: 'error',
      from: { path: '^web/common/' },
      to: { path: '^web/fleet/' },
    },
    {
      name: 'no-unresolvable-local-import',
      comment: 'A relative import that resolves to nothing would slip past the rules above.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true, path: '^[.]' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
