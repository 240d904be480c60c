/**
 * department.get (b24restdocs api-reference/departments/department-get.md): the portal's departments,
 * filtered by the listed fields given at the top level (ID, NAME, SORT, PARENT, UF_HEAD), sorted by
 * `sort`/`order`, 50 a page (`START`). Any user may call it with the `department` scope.
 */
import type { MethodTable } from '../envelope.js';
import { matches, page, sortRows } from '../list.js';
import type { Row } from '../types.js';

const FILTER_FIELDS = ['ID', 'NAME', 'SORT', 'PARENT', 'UF_HEAD'];

export const departmentMethods: MethodTable = {
  'department.get': {
    scope: ['department'],
    handler: (ctx) => {
      const { params } = ctx;
      const filter: Row = {};
      for (const f of FILTER_FIELDS) if (params[f] !== undefined && params[f] !== '') filter[f] = params[f];
      const rows = (ctx.portal.departments ?? []).filter((d) => matches(d, filter));
      const sorted = sortRows(rows, { [String(params.sort ?? params.SORT_BY ?? 'ID')]: String(params.order ?? 'ASC') });
      const p = page(sorted, params.START ?? params.start);
      return { result: p.items, total: p.total, next: p.next };
    },
  },
};
