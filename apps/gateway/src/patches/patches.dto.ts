import { ApiProperty, ApiPropertyOptional, SchemaObject } from '@nestjs/swagger';
import { IsArray, IsBoolean, IsIn, IsInt, IsObject, IsOptional, IsString } from 'class-validator';
import { AptPackage, PATCH_LIMITS, PATCH_STATUSES, PatchStatus } from '@vulnzero/patches';
import { PageQueryDto } from '../pagination/page-query.dto';

// The DTO guards only the top level (unknown fields → 400 from the pipe, and the
// basic type of each field). Everything nested (commands, capture names,
// placeholders, the health-check union) is checked by validatePatchDefinition in
// the service, which names every problem by its path in one answer.

const COMMAND: SchemaObject = { type: 'string', minLength: 1, description: `shell command, at most ${PATCH_LIMITS.commandBytes} bytes` };
const CHECK_TIMEOUT: SchemaObject = {
  type: 'integer',
  minimum: PATCH_LIMITS.checkTimeoutSeconds.min,
  maximum: PATCH_LIMITS.checkTimeoutSeconds.max,
  default: PATCH_LIMITS.checkTimeoutSeconds.default,
  description: 'the check is retried until it passes or this runs out',
};
const PORT: SchemaObject = { type: 'integer', minimum: 1, maximum: 65535 };
const FROM: SchemaObject = {
  type: 'string',
  enum: ['worker', 'host'],
  default: 'worker',
  description: "worker: from the worker to the host's address (as a load balancer would); host: from the host itself",
};

export const HEALTH_CHECK_SCHEMA: SchemaObject = {
  oneOf: [
    {
      type: 'object',
      title: 'command',
      description: 'runs on the host over SSH; passes on exit 0',
      required: ['type', 'command'],
      additionalProperties: false,
      properties: { type: { type: 'string', enum: ['command'] }, command: COMMAND, timeoutSeconds: CHECK_TIMEOUT },
    },
    {
      type: 'object',
      title: 'http',
      required: ['type', 'port', 'path'],
      additionalProperties: false,
      properties: {
        type: { type: 'string', enum: ['http'] },
        port: PORT,
        path: { type: 'string', pattern: '^/[\\x21-\\x7e]*$', maxLength: PATCH_LIMITS.httpPathLength },
        expectStatus: { type: 'integer', minimum: 100, maximum: 599, default: 200 },
        from: FROM,
        timeoutSeconds: CHECK_TIMEOUT,
      },
    },
    {
      type: 'object',
      title: 'tcp',
      required: ['type', 'port'],
      additionalProperties: false,
      properties: { type: { type: 'string', enum: ['tcp'] }, port: PORT, from: FROM, timeoutSeconds: CHECK_TIMEOUT },
    },
  ],
};

/** the docs/api.md#patches example. */
export const PATCH_EXAMPLE = {
  name: 'openssl 3.0.15',
  capture: { previousVersion: "dpkg-query -W -f='${Version}' openssl" },
  apply: ['apt-get install -y openssl=3.0.15-1~deb12u1'],
  rollback: ['apt-get install -y --allow-downgrades openssl={{previousVersion}}'],
  verify: "dpkg-query -W -f='${Version}' openssl | grep -qx '3.0.15-1~deb12u1'",
  healthChecks: [
    { type: 'command', command: 'systemctl is-active nginx', timeoutSeconds: 10 },
    { type: 'http', port: 8080, path: '/health', expectStatus: 200 },
    { type: 'tcp', port: 443 },
  ],
  timeoutSeconds: 300,
};

export const PACKAGE_PATCH_EXAMPLE = {
  name: 'openssl 3.0.15 (apt)',
  package: { manager: 'apt', source: 'openssl', version: '3.0.15-1~deb12u1', restart: ['nginx'] },
  healthChecks: [{ type: 'tcp', port: 443 }],
};

export class CreatePatchDto {
  @ApiProperty({ maxLength: PATCH_LIMITS.nameLength, example: PATCH_EXAMPLE.name })
  @IsOptional()
  @IsString()
  name?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: COMMAND,
    maxProperties: PATCH_LIMITS.captureKeys,
    description:
      'name → command, run on each host before apply; the trimmed stdout fills {{name}} in rollback, shell-quoted. Names match ^[A-Za-z_][A-Za-z0-9_]*$. Not with package.',
    example: PATCH_EXAMPLE.capture,
  })
  @IsOptional()
  @IsObject()
  capture?: Record<string, string>;

  @ApiPropertyOptional({
    type: 'array',
    items: COMMAND,
    minItems: 1,
    maxItems: PATCH_LIMITS.applyCommands,
    description: 'required unless package is given; no {{placeholders}} (they are for rollback only)',
    example: PATCH_EXAMPLE.apply,
  })
  @IsOptional()
  @IsArray()
  apply?: string[];

  @ApiPropertyOptional({
    type: 'array',
    items: COMMAND,
    maxItems: PATCH_LIMITS.rollbackCommands,
    description: 'every {{name}} must be a capture name, written outside quotes. Not with package.',
    example: PATCH_EXAMPLE.rollback,
  })
  @IsOptional()
  @IsArray()
  rollback?: string[];

  @ApiPropertyOptional({
    type: 'string',
    minLength: 1,
    nullable: true,
    description: 'exits 0 when the change is in place (and must fail after a rollback). Not with package.',
    example: PATCH_EXAMPLE.verify,
  })
  @IsOptional()
  @IsString()
  verify?: string | null;

  @ApiPropertyOptional({
    type: 'array',
    items: HEALTH_CHECK_SCHEMA,
    maxItems: PATCH_LIMITS.healthChecks,
    example: PATCH_EXAMPLE.healthChecks,
  })
  @IsOptional()
  @IsArray()
  healthChecks?: unknown[];

  @ApiPropertyOptional({
    type: 'integer',
    minimum: PATCH_LIMITS.timeoutSeconds.min,
    maximum: PATCH_LIMITS.timeoutSeconds.max,
    default: PATCH_LIMITS.timeoutSeconds.default,
    description: 'timeout of every command of the patch',
  })
  @IsOptional()
  @IsInt()
  timeoutSeconds?: number;

  @ApiPropertyOptional({
    type: 'object',
    nullable: true,
    required: ['manager', 'version'],
    additionalProperties: false,
    properties: {
      manager: { type: 'string', enum: ['apt'] },
      name: { type: 'string', description: 'a Debian binary package (give name or source, not both)' },
      source: {
        type: 'string',
        description:
          'a Debian source package: every installed binary built from it is upgraded to the binary built from this source version (what a Debian advisory names)',
      },
      version: {
        type: 'string',
        description: 'Debian version [epoch:]upstream[-revision] (with source: the source version; binary-only rebuilds +bN match)',
      },
      restart: {
        type: 'array',
        maxItems: 20,
        items: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9@._:-]{0,99}$' },
        description:
          'services restarted after apply and after rollback (systemd when it runs, else the init script); health checks run after them',
      },
    },
    description:
      'package shorthand: capture, apply, rollback, verify and report are generated (and must not be given). Runs as root (the credential needs become). Capture records every package apt plans to change and keeps its installed .deb on the host; rollback reinstalls those exact files and proves every package is back (docs/package-patches.md)',
    example: PACKAGE_PATCH_EXAMPLE.package,
  })
  @IsOptional()
  @IsObject()
  package?: AptPackage | null;

  @ApiPropertyOptional({
    type: 'boolean',
    default: false,
    description:
      'true when the change cannot be undone: rollback must then be empty or left out, the patch deploys only with strategy.autoRollback false, POST /deployments/:id/rollback answers 409, and its failed hosts end failed, never rolled_back. Without it, rollback needs at least one command.',
  })
  @IsOptional()
  @IsBoolean()
  irreversible?: boolean;
}

export class ListPatchesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: PATCH_STATUSES })
  @IsOptional()
  @IsIn(PATCH_STATUSES)
  status?: PatchStatus;
}
