// The dependency rule (issue 19): domain code is runtime-neutral. It talks to the platform only through
// the ports on `Services` (src/services.ts), so the same domain runs under Node (src/entry/node.ts) and
// elsewhere. Run with `npm run lint:deps`; test/unit/dependency-rules.test.ts runs it inside `npm test`.
// There is deliberately no exception list: a file that needs the platform belongs outside the domain.

/** Domain folders: business rules and Bitrix24/PDF logic, no knowledge of HTTP frameworks or of Node. */
const DOMAIN = '^src/(blobs|signing|documents|robots|timeline|portals|notify|jobs|bitrix24|lib|i18n|card|roles|registry|settings)/';

/** The edge: HTTP doors and their helpers, the Hono app, the browser code; and the composition roots. */
const EDGE = '^(src/(doors|http|entry)/|src/(app|types)\\.tsx?$|placements/)';

module.exports = {
  forbidden: [
    {
      name: 'domain-not-to-edge',
      comment: 'Domain folders do not import HTTP doors, HTTP helpers, entries or browser placements: the edge calls the domain, never the reverse.',
      severity: 'error',
      from: { path: DOMAIN },
      to: { path: EDGE },
    },
    {
      name: 'domain-not-to-hono',
      comment: 'Domain folders do not import hono: errors are AppError (src/lib/app-error.ts), mapped to HTTP once at the edge.',
      severity: 'error',
      from: { path: DOMAIN },
      to: { path: '(^|/)node_modules/hono/' },
    },
    {
      name: 'domain-not-to-node-only-packages',
      comment: 'Domain folders do not import packages that only run on Node (SMTP, the Node HTTP server): their adapters live in src/entry.',
      severity: 'error',
      from: { path: DOMAIN },
      to: { path: '(^|/)node_modules/(nodemailer|@hono/node-server)/' },
    },
    {
      name: 'domain-not-to-node-builtins',
      comment: 'Domain folders do not import Node built-ins (node:fs, node:crypto, node:worker_threads, …): the platform is reached through the ports on Services.',
      severity: 'error',
      from: { path: DOMAIN },
      to: { dependencyTypes: ['core'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    parser: 'swc',
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.tsx', '.mts', '.mjs', '.js', '.d.mts', '.d.ts'] },
  },
};
