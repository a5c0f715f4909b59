import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** OpenAPI 3 at /docs-json and Swagger UI at /docs. */
export function setupOpenApi(app: INestApplication, version: string): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('VulnZero')
      .setDescription('Patch deployment orchestrator: canary rollouts over SSH with write-ahead rollback.')
      .setVersion(version)
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'JWT from /auth/login or an API key (vz_…)' })
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
