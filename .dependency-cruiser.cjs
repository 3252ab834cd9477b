// Import boundaries of src/, checked by `npm run lint:deps` (part of `npm test`). The layering is DESIGN.md's:
// http → api → services → domain → store, and control → domain, runtime, dataplane; common sits under everything.
// LAYERS below is the whole policy: each layer, what it holds, the layers it may import, and why. The rules are
// generated from it, one per forbidden pair, so a violation names both layers (`services-not-to-control`) and
// `--output-type err-long` prints the reason. test/ and bench/ are not checked.

/**
 * `why` is the reason a layer stays out of the layers it may not import; `because` gives a sharper reason for a
 * particular one.
 * @type {Record<string, { holds: string, mayImport: string[], why: string, because?: Record<string, string> }>}
 */
const LAYERS = {
  common: {
    holds: 'shared vocabulary: Logger type, engine names, slot ranges',
    mayImport: [],
    why: 'it sits under every layer, so it depends on none',
  },
  protocol: {
    holds: 'the model-driven parser, XML serializer and AWS errors',
    mayImport: ['common'],
    why: 'the wire format knows nothing of resources, state or HTTP',
  },
  store: {
    holds: 'SQLite, migrations and repositories',
    mayImport: ['common'],
    why: 'storage keeps rows and jobs; the rules that give them meaning live above it',
  },
  domain: {
    holds: 'ElastiCache/EC2 records, rules, typed jobs, catalog',
    mayImport: ['common', 'protocol', 'store'],
    why: 'handlers and workers both build on it, so it uses neither, and drives no nodes',
  },
  services: {
    holds: 'the API handlers',
    mayImport: ['common', 'protocol', 'store', 'domain', 'api'],
    why: 'a handler checks a request against state and writes state and jobs, nothing more',
    because: {
      control: 'a handler hands work to control as a job in the store, never by a call',
      runtime: 'a handler never starts or stops nodes; control does, from a job',
      dataplane: 'a handler never talks to nodes or endpoints; control does, from a job',
      http: 'the contract between handlers and http (QueryApi) lives in api, below both',
    },
  },
  api: {
    holds: 'the call pipeline: QueryApi contract, request context, call runner',
    mayImport: ['common', 'protocol', 'store', 'domain'],
    why: 'the pipeline runs handlers and knows nothing of HTTP or nodes',
    because: {
      services: 'handlers plug into the pipeline through the QueryApi contract; it never imports them',
    },
  },
  http: {
    holds: 'the Fastify app: parameters, identity, routing, sending',
    mayImport: ['common', 'protocol', 'api'],
    why: 'HTTP reaches handlers and state only through the call pipeline (api)',
  },
  control: {
    holds: 'the reconciler and its workers',
    mayImport: ['common', 'store', 'domain', 'runtime', 'dataplane'],
    why: 'workers take jobs from the store and drive nodes; they never go through the API',
    because: {
      services: 'what workers share with handlers belongs in domain, not in a handler module',
      protocol: 'workers raise no API faults; the wire format is not theirs',
    },
  },
  runtime: {
    holds: 'where nodes run: docker, process, none',
    mayImport: ['common'],
    why: 'starting a node needs no state, API or HTTP',
  },
  dataplane: {
    holds: 'endpoints and node administration',
    mayImport: ['common', 'runtime'],
    why: 'the data path knows nodes and endpoints, not stored state, jobs or the API',
    because: {
      store: 'it is handed what it needs; an interface it implements belongs in common',
    },
  },
};

/** The composition root and the public API (index): may import anything in src; no layer imports them. */
const ROOT_FILES = ['server', 'cli', 'config', 'index'];
/** Besides http/, the files that may import Fastify (they build or start the app). */
const FASTIFY_USERS = ['^src/http/', '^src/server\\.ts$', '^src/cli\\.ts$'];

const names = Object.keys(LAYERS);
const folder = (layer) => `^src/${layer}/`;
const rootFiles = `^src/(${ROOT_FILES.join('|')})\\.ts$`;
const inALayer = [...names.map(folder), rootFiles];

const layerRules = names.flatMap((from) => {
  const { holds, mayImport, why, because = {} } = LAYERS[from];
  const allowed = [...mayImport, from].join(', ');
  const forbidden = names.filter((to) => to !== from && !mayImport.includes(to));
  return [
    ...forbidden.map((to) => ({
      name: `${from}-not-to-${to}`,
      severity: 'error',
      comment: `${from} (${holds}) may not import ${to}: ${because[to] ?? why}. It may import only ${allowed}.`,
      from: { path: folder(from) },
      to: { path: folder(to) },
    })),
    {
      name: `${from}-not-to-composition-root`,
      severity: 'error',
      comment:
        `${from} may not import ${ROOT_FILES.map((f) => `src/${f}.ts`).join(', ')}: the composition root wires the ` +
        'layers together, so it imports them, never the reverse. Pass what is needed in as a parameter.',
      from: { path: folder(from) },
      to: { path: rootFiles },
    },
  ];
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'not-in-a-layer',
      severity: 'error',
      comment:
        'Every src file belongs to a layer folder or to the composition root (src/server.ts, cli.ts, config.ts). ' +
        'Move the file into a layer, or add its folder to LAYERS in .dependency-cruiser.cjs with the layers ' +
        'it may import.',
      from: { path: '^src/', pathNot: inALayer },
      to: {},
    },
    {
      name: 'to-outside-the-layers',
      severity: 'error',
      comment:
        'src imports only src files that sit in a layer: never test/, bench/ or scripts/, nor a folder missing ' +
        'from LAYERS in .dependency-cruiser.cjs.',
      from: { path: '^src/' },
      to: { path: '^(src|test|bench|scripts)/', pathNot: inALayer },
    },
    {
      name: 'fastify-only-in-http',
      severity: 'error',
      comment:
        'Only src/http/, src/server.ts and src/cli.ts may import Fastify: nothing below http knows about HTTP. ' +
        'Take the Logger type from src/common instead.',
      from: { path: '^src/', pathNot: FASTIFY_USERS },
      to: { path: '(^|/)node_modules/(fastify|@fastify/[^/]+)/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'No import cycles in src: a cycle means neither module reads alone, and the pair hides a missing module. ' +
        'Move what both need into a third module below them.',
      from: { path: '^src/', pathNot: '^src/store/migrations/' },
      to: { circular: true },
    },
    {
      name: 'no-circular-in-migrations',
      severity: 'error',
      comment:
        'The numbered migrations may take the Migration type from their index (a type-only cycle, gone once ' +
        'compiled), but no cycle of value imports.',
      from: { path: '^src/store/migrations/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a layer may not even name the types of a layer it may not import.
    tsPreCompilationDeps: true,
    // Resolve imports with the project's own compiler options (NodeNext; `./x.js` in a source means `./x.ts`).
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
