import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { Request, Response } from 'express';
import { DomainError } from './domain-error';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
  requestId: string;
  [extra: string]: unknown;
}

/**
 * The one place every error becomes the SPEC's body. Only messages we wrote
 * reach the client: anything unexpected is logged with the request id and
 * answered with a generic 500, so no stack, SQL or path leaks.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const request = ctx.getRequest<Request & { id?: string }>();
    const response = ctx.getResponse<Response>();
    const requestId = String(request?.id ?? '');
    const body = this.toBody(exception, requestId);
    if (body.statusCode >= 500) {
      this.logger.error({ err: exception, requestId, method: request?.method, url: request?.originalUrl }, 'request failed');
    }
    if (response.headersSent) return;
    const retryAfter = (exception as { retryAfterSeconds?: number }).retryAfterSeconds;
    if (retryAfter !== undefined) response.setHeader('Retry-After', String(retryAfter));
    response.status(body.statusCode).json(body);
  }

  private toBody(exception: unknown, requestId: string): ErrorBody {
    // A 500 is what we did not foresee: whatever its message says (a path, a
    // driver's text), the caller gets the generic body and the log the rest.
    if (exception instanceof DomainError && exception.statusCode !== 500) {
      // A list of problems is the message itself, as the validation pipe answers.
      const { errors, ...details } = exception.details;
      return {
        statusCode: exception.statusCode,
        error: STATUS_CODES[exception.statusCode] ?? 'Error',
        message: Array.isArray(errors) ? (errors as string[]) : exception.message,
        requestId,
        ...details,
      };
    }
    if (exception instanceof HttpException) {
      const statusCode = exception.getStatus();
      const raw = exception.getResponse();
      let message: string | string[] = exception.message;
      let extra: Record<string, unknown> = {};
      if (typeof raw === 'string') {
        message = raw;
      } else if (raw && typeof raw === 'object') {
        const { message: m, statusCode: _s, error: _e, ...rest } = raw as Record<string, unknown>;
        if (typeof m === 'string' || Array.isArray(m)) message = m as string | string[];
        extra = rest;
      }
      if (statusCode >= 500 && statusCode !== HttpStatus.SERVICE_UNAVAILABLE) {
        message = 'internal error';
        extra = {};
      }
      return {
        statusCode,
        error: STATUS_CODES[statusCode] ?? 'Error',
        message,
        requestId,
        ...extra,
      };
    }
    return {
      statusCode: HttpStatus.INTERNAL_SERVER_ERROR,
      error: STATUS_CODES[500] as string,
      message: 'internal error',
      requestId,
    };
  }
}
