import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_VARIABLES, ConfigValidationError, parseConfig } from './config-schema';

const valid = {
  DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db',
  REDIS_URL: 'redis://127.0.0.1:6379',
  JWT_SECRET: 'x'.repeat(32),
  VULNZERO_MASTER_KEY: Buffer.alloc(32, 1).toString('base64'),
};

function problemsOf(env: Record<string, string>, role: 'gateway' | 'worker' | 'migrate' = 'gateway'): string[] {
  try {
    parseConfig(env, role);
    return [];
  } catch (error) {
    return (error as ConfigValidationError).problems.map((p) => p.variable);
  }
}

describe('parseConfig', () => {
  it('accepts a complete gateway environment and applies defaults', () => {
    const config = parseConfig(valid, 'gateway');
    expect(config.port).toBe(3000);
    expect(config.masterKey).toHaveLength(32);
    expect(config.corsOrigins).toEqual([]);
  });

  it.each<[string, Record<string, string>, string[]]>([
    ['names every missing required variable', {}, ['DATABASE_URL', 'REDIS_URL', 'JWT_SECRET', 'VULNZERO_MASTER_KEY']],
    ['rejects a master key that is not 32 bytes', { ...valid, VULNZERO_MASTER_KEY: 'YWJj' }, ['VULNZERO_MASTER_KEY']],
    ['rejects a non-numeric port', { ...valid, PORT: 'eighty' }, ['PORT']],
    ['rejects an unknown log level', { ...valid, LOG_LEVEL: 'loud' }, ['LOG_LEVEL']],
    ['rejects an origin with a path', { ...valid, CORS_ORIGINS: 'https://a.example/path' }, ['CORS_ORIGINS']],
    ['requires the admin password with the admin username', { ...valid, ADMIN_USERNAME: 'root' }, ['ADMIN_PASSWORD']],
    ['rejects a set but invalid optional variable', { ...valid, WORKER_CONCURRENCY: '0' }, ['WORKER_CONCURRENCY']],
  ])('%s', (_name, env, variables) => {
    expect(problemsOf(env)).toEqual(variables);
  });

  it.each([
    { name: 'requires a separate approver by default', env: valid, expected: true },
    {
      name: 'lets one user create and approve when REQUIRE_SEPARATE_APPROVER=false',
      env: { ...valid, REQUIRE_SEPARATE_APPROVER: 'false' },
      expected: false,
    },
  ])('$name', ({ env, expected }) => {
    expect(parseConfig(env, 'gateway').requireSeparateApprover).toBe(expected);
  });

  it('rejects a REQUIRE_SEPARATE_APPROVER that is not true or false', () => {
    expect(problemsOf({ ...valid, REQUIRE_SEPARATE_APPROVER: 'yes' })).toEqual(['REQUIRE_SEPARATE_APPROVER']);
  });

  it('lets the migration runner start with only DATABASE_URL', () => {
    expect(problemsOf({ DATABASE_URL: valid.DATABASE_URL }, 'migrate')).toEqual([]);
  });
});

describe('documentation of the configuration', () => {
  const readme = readFileSync(join(__dirname, '..', '..', '..', '..', 'README.md'), 'utf8');
  const example = readFileSync(join(__dirname, '..', '..', '..', '..', '.env.example'), 'utf8');

  it.each(CONFIG_VARIABLES.map((v) => v.name))('README configuration table and .env.example list %s', (name) => {
    expect(readme).toMatch(new RegExp(`^\\| \`${name}\` \\|`, 'm'));
    expect(example).toMatch(new RegExp(`^#? ?${name}=`, 'm'));
  });
});
