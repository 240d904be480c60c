/** Records the emulator keeps in memory. Field names follow Bitrix24 where the record mirrors a REST shape. */
import type { ReadRule } from './rights.js';
import type { Clock } from '../lib/clock.js';

/** A REST row as Bitrix24 returns it (UPPER_CASE keys, string values). */
export type Row = Record<string, unknown>;

export type AppStatus = 'L' | 'F' | 'D' | 'T' | 'P';

export interface InstalledApp {
  clientId: string;
  clientSecret: string;
  code: string;
  version: string;
  scope: string[];
  status: AppStatus;
  /** app.info INSTALLED: false between a wizard install and installFinish. */
  installed: boolean;
  applicationToken: string;
  installUrl?: string;
  /** The app's main page (PLACEMENT=DEFAULT); defaults to installUrl. */
  appUrl?: string;
  /** Base URL of the app's handlers (robot, placement), used to validate HANDLER domains. */
  handlerBase?: string;
  installerUserId: string;
  languageId: string;
}

export interface TokenRecord {
  token: string;
  kind: 'access' | 'refresh';
  memberId: string;
  clientId: string;
  userId: string;
  scope: string[];
  issuedAt: number;
  expiresAt: number;
  /** Refresh tokens are single-use; access tokens die when their refresh token is used (reference §2.3). */
  revoked: boolean;
  /** The access token issued together with this refresh token. */
  pairedAccess?: string;
}

export interface PlacementBinding {
  id: number;
  clientId: string;
  placement: string;
  handler: string;
  title: string;
  description: string;
  groupName: string;
  langAll: Record<string, { TITLE?: string; DESCRIPTION?: string; GROUP_NAME?: string }>;
  options: Record<string, unknown>;
  userId: number;
}

export interface EventBinding {
  id: number;
  clientId: string;
  event: string;
  handler: string;
  authType: string;
  offline: boolean;
}

export interface RobotRecord {
  clientId: string;
  code: string;
  handler: string;
  authUserId: string;
  useSubscription: string;
  name: unknown;
  description: unknown;
  properties: Record<string, Row>;
  returnProperties: Record<string, Row>;
  documentType?: string[];
  filter?: unknown;
  usePlacement: string;
  placementHandler?: string;
  isRobot: boolean;
}

/** A robot put on a deal stage by a portal user (CRM › Deals › Automation rules). */
export interface RobotAttachment {
  id: number;
  clientId: string;
  code: string;
  categoryId: string;
  stageId: string;
  /** Property values as the user set them (already evaluated in the emulator). */
  properties: Record<string, unknown>;
  timeoutDuration: number;
  authUserId?: string;
}

export interface WorkflowRun {
  workflowId: string;
  eventToken: string;
  clientId: string;
  code: string;
  documentId: [string, string, string];
  startedAt: number;
  timeoutDuration: number;
  status: 'running' | 'completed' | 'terminated';
  returnValues?: Record<string, unknown>;
  logs: { at: number; message: string }[];
}

export interface TriggerRecord {
  clientId: string;
  code: string;
  name: string;
}

export interface TriggerAttachment {
  id: number;
  code: string;
  categoryId: string;
  /** The stage a deal moves to when the trigger fires. */
  stageId: string;
}

export interface TimelineEntry {
  id: number;
  kind: 'comment' | 'logmessage' | 'activity';
  clientId: string;
  entityTypeId: number;
  entityId: number;
  authorId: string;
  created: number;
  updated: number;
  fields: Row;
  layout?: Row;
  files?: { name: string; bytes: number }[];
}

export interface EventSendRecord {
  at: number;
  eventToken: string;
  returnValues: Record<string, unknown>;
  logMessage?: string;
  /** false when the run was already closed (only the first send counts). */
  accepted: boolean;
}

export interface NotificationRecord {
  id: number;
  at: number;
  clientId: string;
  fromUserId: string;
  toUserId: string;
  message: string;
  params: Row;
}

export interface DocumentRecord {
  id: number;
  title: string;
  number: string;
  templateId: number;
  entityTypeId: number;
  entityId: number;
  createdAt: number;
  createdBy: string;
  stampsEnabled: boolean;
  values: Row;
  /** Per-document secret in the machine download URLs. */
  downloadToken: string;
}

export interface TemplateRecord {
  id: number;
  name: string;
  region: string;
  code: string;
  active: 'Y' | 'N';
  withStamps: 'Y' | 'N';
  entityTypeId: string[];
  numeratorId: string;
  sort: number;
  createdAt: number;
}

export interface Portal {
  memberId: string;
  name: string;
  domain: string;
  /** Set after a rename: the old domain answers 302 to this one. */
  previousDomains: string[];
  plan: 'basic' | 'enterprise';
  license: string;
  adminUserId: string;
  languageId: string;
  apps: Map<string, InstalledApp>;
  uninstalledApps: Map<string, InstalledApp>;
  users: Row[];
  /** department.get rows ({ ID, NAME, SORT, PARENT }); users name theirs in UF_DEPARTMENT. */
  departments: Row[];
  admins: Set<string>;
  deals: Map<string, Row>;
  leads: Map<string, Row>;
  contacts: Map<string, Row>;
  companies: Map<string, Row>;
  statuses: Row[];
  categories: Row[];
  requisites: Map<string, Row>;
  bankDetails: Map<string, Row>;
  dealContacts: Map<string, { CONTACT_ID: number; SORT: number; ROLE_ID: number; IS_PRIMARY: 'Y' | 'N' }[]>;
  /** Per user id: what their own token may read in the CRM (src/emulator/rights.ts); absent = everything. */
  readRights?: Map<string, ReadRule>;
  requisiteLinks: Map<string, Row>;
  myCompanyId: string;
  templates: Map<number, TemplateRecord>;
  documents: Map<number, DocumentRecord>;
  placements: PlacementBinding[];
  events: EventBinding[];
  robots: RobotRecord[];
  robotAttachments: RobotAttachment[];
  workflows: Map<string, WorkflowRun>;
  triggers: TriggerRecord[];
  triggerAttachments: TriggerAttachment[];
  triggerExecutions: { at: number; code: string; ownerTypeId: number; ownerId: number; movedTo?: string }[];
  timeline: TimelineEntry[];
  eventSends: EventSendRecord[];
  notifications: NotificationRecord[];
  bucket: { level: number; at: number };
  /** Per method: recent execution seconds and a block window (OPERATION_TIME_LIMIT). */
  operating: Map<string, { samples: { at: number; seconds: number }[]; blockedUntil: number }>;
  seq: number;
}

export interface CallRecord {
  seq: number;
  at: number;
  memberId: string;
  clientId?: string;
  userId?: string;
  method: string;
  params: Row;
  /** Key of the sub-command when the call ran inside `batch`. */
  batchKey?: string;
  httpStatus: number;
  error?: string;
  /** Parameters the method's contract could not read and so ignored, as Bitrix24 does (contracts/index.ts). */
  ignoredParams?: string[];
}

export interface DeliveryRecord {
  at: number;
  memberId: string;
  kind: 'install' | 'frame' | 'placement' | 'robot' | 'event' | 'uninstall';
  url: string;
  form: Record<string, string>;
  status: number;
  /** Network error text when appFetch threw. */
  error?: string;
}

export interface OAuthRecord {
  at: number;
  httpMethod: string;
  grantType: string;
  clientId: string;
  outcome: string;
}

export interface FaultSpec {
  /** Limit to one method (lower-case); all methods when absent. `batch` matches the outer call. */
  method?: string;
  memberId?: string;
  /** Fail the next `count` matching calls … */
  count?: number;
  /** … or all matching calls for this long (ms, measured on the emulator clock). */
  forMs?: number;
  status?: number;
  error?: string;
  errorDescription?: string;
  /** Delay before answering, ms of real time (for client timeouts). */
  delayMs?: number;
  /** Scope: portal REST (default) or the OAuth token endpoint. */
  target?: 'rest' | 'oauth';
  /**
   * Carry the call out (its writes are stored), then fail the HTTP reply with this fault's status:
   * "the write went through but the answer was lost" (a proxy timeout, a dropped connection).
   */
  afterCall?: boolean;
}

export interface EmulatorOptions {
  clock?: Clock;
  /** Access-token lifetime; default 3600 s. */
  accessTokenTtlMs?: number;
  /** Refresh-token lifetime; default 180 days (current docs). */
  refreshTokenTtlMs?: number;
  /** Leaky bucket per portal; `false` disables it. Default 2/s, burst 50 (Enterprise portals: 5/250). */
  rateLimit?: { perSecond: number; burst: number } | false;
  /** Operating (resource) limit per method: default 480 s of execution per 10 min. */
  operating?: { limitSeconds?: number; windowMs?: number; blockMs?: number; costSeconds?: (method: string) => number };
  /** Using a refresh token also kills the access token issued with it (old official course). Default true. */
  revokeAccessOnRefresh?: boolean;
  /** How the emulator reaches the app (install, placement, robot, event POSTs). Default: global fetch. */
  appFetch?: (req: Request) => Promise<Response> | Response;
  /**
   * Standalone mode: every virtual host is served under this base URL as `<base>/<host>/…`
   * (e.g. `http://127.0.0.1:8790/acme.bitrix24.test/rest/`). Absent: hosts are real (`https://<host>/…`).
   */
  baseUrl?: string;
  /** How long a new docgen document has no `pdfUrl` (reference §8: 30–40 s). Default 35 s. */
  pdfDelayMs?: number;
  /** Machine download URLs demand browser-like headers, as the real nginx does (reference §3.1). Default true. */
  strictDownloadHeaders?: boolean;
  /** Characters of `cmd` strings one batch may carry before ERROR_BATCH_LENGTH_EXCEEDED (batch.ts; undocumented, default 1 MB). */
  batchMaxLength?: number;
  /** Default OAuth app status letter for new installs. */
  defaultAppStatus?: AppStatus;
}
