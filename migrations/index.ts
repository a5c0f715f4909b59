// Every migration, in order. A landed migration is never edited: add a new one.
import { CreateTasks1764060000000 } from './1764060000000-create-tasks';
import { CreateUsersAndApiKeys1764070000000 } from './1764070000000-create-users-and-api-keys';
import { CreateAuditEvents1764070100000 } from './1764070100000-create-audit-events';
import { CreateCredentialsAndHosts1764070200000 } from './1764070200000-create-credentials-and-hosts';
import { CreatePatches1764070300000 } from './1764070300000-create-patches';
import { CreateDeployments1764070400000 } from './1764070400000-create-deployments';
import { CreateScansAndFindings1764070500000 } from './1764070500000-create-scans-and-findings';
import { AddDeploymentLeases1764070600000 } from './1764070600000-add-deployment-leases';
import { AddDeploymentRetryLinks1764070700000 } from './1764070700000-add-deployment-retry-links';
import { AddMaintenanceWindows1764070800000 } from './1764070800000-add-maintenance-windows';
import { AuditSystemActorAndPatchCreator1764080400000 } from './1764080400000-audit-system-actor-and-patch-creator';
import { PinDeploymentTargets1764080500000 } from './1764080500000-pin-deployment-targets';
import { AddStepClosureAndRollbackRetry1764080600000 } from './1764080600000-add-step-closure-and-rollback-retry';
import { CredentialBecome1764100000000 } from './1764100000000-credential-become';
import { DeploymentHostRestartReport1764100200000 } from './1764100200000-deployment-host-restart-report';

export const MIGRATIONS = [
  CreateTasks1764060000000,
  CreateUsersAndApiKeys1764070000000,
  CreateAuditEvents1764070100000,
  CreateCredentialsAndHosts1764070200000,
  CreatePatches1764070300000,
  CreateDeployments1764070400000,
  CreateScansAndFindings1764070500000,
  AddDeploymentLeases1764070600000,
  AddDeploymentRetryLinks1764070700000,
  AddMaintenanceWindows1764070800000,
  AuditSystemActorAndPatchCreator1764080400000,
  PinDeploymentTargets1764080500000,
  AddStepClosureAndRollbackRetry1764080600000,
  CredentialBecome1764100000000,
  DeploymentHostRestartReport1764100200000,
];
