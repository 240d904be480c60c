/**
 * department.get: the list of departments (b24restdocs api-reference/departments/department-get.md).
 * Scope `department`, any user may call it; filter fields at the top level; a department is
 * { ID, NAME, SORT, PARENT } with ID and PARENT as strings in the docs' example and SORT a number.
 * department-fields.md lists UF_HEAD too. The docs' example shows only children of department 1; the
 * emulator's root record leaves PARENT out (our reading: the root has no parent), so it is optional here.
 */
import { z } from 'zod';
import { contract, documented, zInt } from './types.js';

export const zDepartment = z.looseObject({
  ID: z.string(),
  NAME: z.string(),
  SORT: zInt.optional(),
  PARENT: z.string().optional(),
  UF_HEAD: z.string().optional(),
});

export const departmentContracts = [
  contract({
    method: 'department.get',
    source: ['b24restdocs api-reference/departments/department-get.md', 'b24restdocs api-reference/departments/department-fields.md'],
    scope: ['department'],
    params: z.looseObject({
      sort: z.enum(['ID', 'NAME', 'SORT', 'PARENT', 'UF_HEAD']).optional(),
      order: z.enum(['ASC', 'DESC', 'asc', 'desc']).optional(),
      ID: zInt.optional(),
      NAME: z.string().optional(),
      // The SORT filter is documented too, but the checker matches names case-insensitively and `sort`
      // (the order field) would be read as it; the method filters by SORT all the same (methods/department.ts).
      PARENT: zInt.optional(),
      UF_HEAD: zInt.optional(),
      START: zInt.optional(),
    }),
    result: z.array(zDepartment),
    errors: documented('department.get'),
  }),
];
