import type { NextFunction, Request, Response } from 'express';

export const ADVISORY_IMPORT_PATH = '/advisories/import';
/** Largest advisory import body: far above the global JSON limit, read as a stream. */
export const ADVISORY_IMPORT_MAX_BYTES = 512 * 1024 * 1024;

export interface StreamedBodyRequest extends Request {
  /** The Content-Type the client sent, moved aside from the JSON parser. */
  streamedContentType?: string;
}

/**
 * Registered before the global JSON body parser (1 MiB): the advisory import
 * reads its body itself, record by record, so the parser must leave it on the
 * stream. Moving Content-Type aside is what makes the parser skip it; the
 * controller checks the moved value.
 */
export function leaveAdvisoryImportBodyOnStream(req: StreamedBodyRequest, _res: Response, next: NextFunction): void {
  if (req.method === 'POST' && req.path.replace(/\/+$/, '') === ADVISORY_IMPORT_PATH) {
    req.streamedContentType = req.headers['content-type'] ?? '';
    delete req.headers['content-type'];
  }
  next();
}
