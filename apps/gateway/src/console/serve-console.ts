import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import express from 'express';

/** Where `npm run build` puts the console (apps/console/build.mjs): dist/console. */
export const CONSOLE_DIR = resolve(__dirname, '../../../../console');

/**
 * The web console at `/ui`: hashed assets cached for good, every other GET
 * under `/ui` answers index.html so client routes (`/ui/deployments/:id`)
 * survive a reload. Plain Express, not a Nest route: the page holds no data
 * (its API calls carry the token), so it needs no auth and is not in the
 * OpenAPI document. The strict CSP of applyHttpSecurity applies unchanged.
 */
export function serveConsole(app: INestApplication, dir = CONSOLE_DIR): void {
  const index = join(dir, 'index.html');
  app.use(
    '/ui/assets',
    express.static(join(dir, 'assets'), { index: false, immutable: true, maxAge: '365d', redirect: false }),
    (_req: Request, res: Response) => {
      res.status(404).type('text/plain').send('No such console asset.\n');
    },
  );
  app.use('/ui', (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (!existsSync(index)) {
      res.status(404).type('text/plain').send('The web console is not built: run `npm run build`.\n');
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
}
