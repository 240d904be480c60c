/**
 * What Bitrix24 POSTs to the app, as its documentation shows it: the install/frame POST, the three app
 * events, placement POSTs and robot calls. Written from the pages, not from the app's own parser
 * (src/http/b24-payloads.ts), so a test can hold the app's parser and the emulator's payloads
 * (src/emulator/payloads.ts, robots.ts) to the same outside description. Values are strings on the wire
 * (form encoding); the docs' JSON renderings sometimes print numbers, so both are accepted.
 */
import { z } from 'zod';

const scalar = z.union([z.string(), z.number()]);
const text = z.union([z.string().min(1), z.number()]);
const url = z.string().regex(/^https?:\/\/[^/]+\/.*$/);

/** `auth[...]` of events and robot calls (b24restdocs api-reference/events/index.md, "auth" table). */
const zAuth = z.looseObject({
  access_token: z.string().optional(),
  refresh_token: z.string().optional(),
  expires: scalar.optional(),
  expires_in: scalar.optional(),
  scope: z.string().optional(),
  domain: z.string().min(1),
  server_endpoint: url.optional(),
  status: z.string().optional(),
  client_endpoint: url,
  member_id: z.string().min(1),
  user_id: scalar.optional(),
  application_token: z.string().min(1),
});

export interface InboundContract {
  name: string;
  source: string[];
  /** Where it arrives: the app's handler URL for events/robots, the frame URL for placements and install. */
  schema: z.ZodType;
}

export const inboundContracts: InboundContract[] = [
  {
    name: 'ONAPPINSTALL',
    source: ['b24restdocs api-reference/common/events/on-app-install.md'],
    schema: z.looseObject({
      event: z.string().regex(/^onappinstall$/i),
      data: z.looseObject({ VERSION: scalar, ACTIVE: z.string(), INSTALLED: z.string(), LANGUAGE_ID: z.string() }),
      ts: scalar,
      auth: zAuth.extend({ access_token: z.string().min(1), refresh_token: z.string().min(1) }),
    }),
  },
  {
    name: 'ONAPPUPDATE',
    source: ['b24restdocs api-reference/common/events/on-app-update.md'],
    schema: z.looseObject({
      event: z.string().regex(/^onappupdate$/i),
      data: z.looseObject({ VERSION: scalar, PREVIOUS_VERSION: scalar.optional(), LANGUAGE_ID: z.string().optional() }),
      ts: scalar,
      auth: zAuth,
    }),
  },
  {
    name: 'ONAPPUNINSTALL',
    source: ['b24restdocs api-reference/common/events/on-app-uninstall.md'],
    // No tokens: API access is already revoked when it arrives.
    schema: z.looseObject({
      event: z.string().regex(/^onappuninstall$/i),
      data: z.looseObject({ CLEAN: scalar, LANGUAGE_ID: z.string().optional() }),
      ts: scalar,
      auth: zAuth.omit({ access_token: true, refresh_token: true }),
    }),
  },
  {
    name: 'frame',
    // The install wizard (PLACEMENT=DEFAULT) and every placement open the app's page with this POST;
    // DOMAIN, PROTOCOL, LANG, APP_SID travel in the query (merged here as PHP's $_REQUEST shows them).
    source: [
      'b24restdocs settings/app-installation/index.md',
      'b24restdocs api-reference/widgets/crm/detail-tab.md',
      'b24restdocs api-reference/widgets/crm/detail-toolbar.md',
      'b24restdocs api-reference/widgets/crm/document-generator-button.md',
      'b24restdocs api-reference/widgets/crm/activity-timeline-menu.md',
    ],
    schema: z.looseObject({
      DOMAIN: z.string().min(1),
      PROTOCOL: z.enum(['0', '1']),
      LANG: z.string().min(2),
      APP_SID: z.string().min(1),
      AUTH_ID: z.string().min(1),
      AUTH_EXPIRES: scalar,
      REFRESH_ID: z.string().min(1),
      member_id: z.string().min(1),
      status: z.string().min(1),
      PLACEMENT: z.string().min(1),
      // A JSON object as a string (PHP json_encode, `/` escaped).
      PLACEMENT_OPTIONS: z.string().refine((s) => { try { return typeof JSON.parse(s) === 'object'; } catch { return false; } }, 'PLACEMENT_OPTIONS is JSON'),
      SERVER_ENDPOINT: url.optional(),
      APPLICATION_TOKEN: z.string().optional(),
      APPLICATION_SCOPE: z.string().optional(),
    }),
  },
  {
    name: 'robot',
    // No b24restdocs page shows the POST a robot's HANDLER receives; the PHP SDK's parser reads these keys
    // (b24phpsdk src/Services/Workflows/Robot/Request/IncomingRobotRequest.php, initFromRequest).
    source: ['b24phpsdk src/Services/Workflows/Robot/Request/IncomingRobotRequest.php', 'b24restdocs api-reference/bizproc/bizproc-robot/bizproc-robot-add.md'],
    schema: z.looseObject({
      workflow_id: z.string().min(1),
      code: z.string().min(1),
      document_id: z.array(z.string()).length(3),
      document_type: z.array(z.string()).length(3),
      event_token: z.string().min(1),
      // Read as required by the SDK; optional here because form encoding drops an empty array altogether.
      properties: z.union([z.record(z.string(), z.unknown()), z.array(z.never())]).optional(),
      use_subscription: z.enum(['Y', 'N']),
      timeout_duration: scalar,
      ts: text,
      auth: zAuth,
    }),
  },
];

export function inboundContract(name: string): InboundContract {
  const c = inboundContracts.find((x) => x.name === name);
  if (!c) throw new Error(`no inbound contract ${name}`);
  return c;
}
