import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppProcess, startGateway } from '../harness/app-process';
import { REPO_ROOT } from '../harness/test-env';

jest.setTimeout(90_000);

// docs/api.md is the product's contract in the repository; the OpenAPI
// document at /docs-json is what the gateway serves. Every route of one must be
// in the other. Routes in api.md are table rows whose first cell is
// `METHOD /path` (path parameters as `:name`).

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
const ROUTE_ROW = /^\|\s*`(GET|POST|PUT|PATCH|DELETE) (\/[^`\s]*)`\s*\|/gm;

/** `GET /hosts/{id}` → `GET /hosts/:id`. */
function fromOpenApi(method: string, path: string): string {
  return `${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`;
}

/** The routes docs/api.md lists, as `METHOD /path`. */
function documentedRoutes(markdown: string): string[] {
  return [...markdown.matchAll(ROUTE_ROW)].map((match) => `${match[1]} ${match[2]}`);
}

describe('docs/api.md and the OpenAPI document', () => {
  let gateway: AppProcess;
  let served: string[];
  let documented: string[];

  beforeAll(async () => {
    gateway = await startGateway();
    const document = (await (await fetch(`${gateway.url}/docs-json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    served = Object.entries(document.paths).flatMap(([path, operations]) =>
      METHODS.filter((method) => operations[method] !== undefined).map((method) => fromOpenApi(method, path)),
    );
    documented = documentedRoutes(readFileSync(join(REPO_ROOT, 'docs', 'api.md'), 'utf8'));
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it('reads routes from both (so that an empty list cannot pass)', () => {
    expect(served.length).toBeGreaterThan(40);
    expect(documented.length).toBeGreaterThan(40);
  });

  it('documents every route of the OpenAPI document in docs/api.md', () => {
    expect(served.filter((route) => !documented.includes(route))).toEqual([]);
  });

  it('lists in docs/api.md only routes the OpenAPI document has', () => {
    expect(documented.filter((route) => !served.includes(route))).toEqual([]);
  });

  it('lists each route once in docs/api.md', () => {
    expect(documented.filter((route, index) => documented.indexOf(route) !== index)).toEqual([]);
  });
});
