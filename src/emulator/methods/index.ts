/** Every REST method the emulator knows, by lower-case name. */
import type { MethodDef } from '../envelope.js';
import { appMethods } from './app.js';
import { automationMethods } from './automation.js';
import { bizprocMethods } from './bizproc.js';
import { crmMethods } from './crm.js';
import { departmentMethods } from './department.js';
import { docgenMethods } from './docgen.js';
import { eventMethods } from './event.js';
import { imMethods } from './im.js';
import { placementMethods } from './placement.js';
import { requisiteMethods } from './requisite.js';
import { timelineLookups, timelineMethods } from './timeline.js';
import { userMethods } from './user.js';

let table: Map<string, MethodDef> | undefined;

export function methodTable(): Map<string, MethodDef> {
  table ??= new Map(
    Object.entries({
      ...appMethods, ...userMethods, ...placementMethods, ...eventMethods, ...bizprocMethods, ...crmMethods, ...requisiteMethods,
      ...timelineMethods, ...timelineLookups, ...docgenMethods, ...automationMethods, ...imMethods, ...departmentMethods,
    }),
  );
  return table;
}
