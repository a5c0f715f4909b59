import { Module } from '@nestjs/common';
import { AuditModule } from '@vulnzero/audit';
import { AuditController } from './audit.controller';

/** GET /audit and /audit/verify. Recording is wired in main.ts (recordMutatingRequests). */
@Module({
  imports: [AuditModule],
  controllers: [AuditController],
})
export class AuditApiModule {}
