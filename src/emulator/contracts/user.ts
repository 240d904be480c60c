/**
 * user.current / user.get / user.search. Which fields a reply shows depends on the granted scope
 * (b24restdocs api-reference/user/user-scope.md; b24jssdk types UserBrief / UserBasic): the tables below
 * are that page's columns, and the emulator builds user rows from them (methods/user.ts).
 */
import { z } from 'zod';
import { contract, documented, zFilter, zInt } from './types.js';

const USER_SCOPES = ['user', 'user_brief', 'user_basic'] as const;

/** The `user_brief` column: no EMAIL, no phones. */
export const USER_BRIEF_FIELDS: ReadonlySet<string> = new Set([
  'ID', 'XML_ID', 'ACTIVE', 'NAME', 'LAST_NAME', 'SECOND_NAME', 'TITLE', 'IS_ONLINE', 'TIME_ZONE', 'PERSONAL_PHOTO', 'TIMESTAMP_X',
  'DATE_REGISTER', 'PERSONAL_PROFESSION', 'PERSONAL_GENDER', 'PERSONAL_BIRTHDAY', 'PERSONAL_CITY', 'PERSONAL_STATE', 'PERSONAL_COUNTRY',
  'WORK_POSITION', 'WORK_CITY', 'WORK_STATE', 'WORK_COUNTRY', 'LAST_ACTIVITY_DATE', 'UF_EMPLOYMENT_DATE', 'UF_TIMEMAN', 'UF_SKILLS',
  'UF_INTERESTS', 'UF_DEPARTMENT', 'UF_PHONE_INNER',
]);

/** The `user_basic` column: brief plus EMAIL, phones and work/personal contact fields. */
export const USER_BASIC_FIELDS: ReadonlySet<string> = new Set([
  'ID', 'XML_ID', 'ACTIVE', 'NAME', 'LAST_NAME', 'SECOND_NAME', 'TITLE', 'EMAIL', 'PERSONAL_PHONE', 'WORK_PHONE', 'WORK_POSITION',
  'WORK_COMPANY', 'IS_ONLINE', 'TIME_ZONE', 'TIMESTAMP_X', 'DATE_REGISTER', 'LAST_ACTIVITY_DATE', 'PERSONAL_PROFESSION', 'PERSONAL_GENDER',
  'PERSONAL_BIRTHDAY', 'PERSONAL_PHOTO', 'PERSONAL_FAX', 'PERSONAL_MOBILE', 'PERSONAL_PAGER', 'PERSONAL_STREET', 'PERSONAL_MAILBOX',
  'PERSONAL_CITY', 'PERSONAL_STATE', 'PERSONAL_ZIP', 'PERSONAL_COUNTRY', 'PERSONAL_NOTES', 'WORK_DEPARTMENT', 'WORK_WWW', 'WORK_FAX',
  'WORK_PAGER', 'WORK_STREET', 'WORK_MAILBOX', 'WORK_CITY', 'WORK_STATE', 'WORK_ZIP', 'WORK_COUNTRY', 'WORK_PROFILE', 'WORK_LOGO',
  'WORK_NOTES', 'UF_DEPARTMENT', 'UF_DISTRICT', 'UF_SKYPE', 'UF_SKYPE_LINK', 'UF_ZOOM', 'UF_TWITTER', 'UF_FACEBOOK', 'UF_LINKEDIN',
  'UF_XING', 'UF_WEB_SITES', 'UF_PHONE_INNER', 'UF_EMPLOYMENT_DATE', 'UF_TIMEMAN', 'UF_SKILLS', 'UF_INTERESTS',
]);

/** The fields a token with these scopes may see; undefined = every field (`user`). */
export function userFieldsFor(scope: readonly string[]): ReadonlySet<string> | undefined {
  if (scope.includes('user')) return undefined;
  return scope.includes('user_basic') ? USER_BASIC_FIELDS : USER_BRIEF_FIELDS;
}

/** A user row: ID as a string (the docs' examples), everything else as the portal stores it. */
export const zUser = z.looseObject({ ID: z.string() });

const listParams = z.looseObject({
  FILTER: zFilter.optional(),
  SORT: z.string().optional(),
  ORDER: z.enum(['ASC', 'DESC', 'asc', 'desc']).optional(),
  ADMIN_MODE: z.unknown().optional(),
  start: zInt.optional(),
});

export const userContracts = [
  contract({
    method: 'user.current',
    source: ['b24restdocs api-reference/user/user-current.md', 'b24restdocs api-reference/user/user-scope.md'],
    scope: USER_SCOPES,
    params: z.looseObject({}),
    result: zUser,
    errors: documented('user.current'),
  }),
  contract({
    method: 'user.get',
    source: ['b24restdocs api-reference/user/user-get.md', 'b24restdocs api-reference/user/user-scope.md'],
    scope: USER_SCOPES,
    params: listParams,
    result: z.array(zUser),
    errors: documented('user.get'),
  }),
  contract({
    method: 'user.search',
    source: ['b24restdocs api-reference/user/user-search.md', 'b24restdocs api-reference/user/user-scope.md'],
    scope: USER_SCOPES,
    params: listParams,
    result: z.array(zUser),
    errors: documented('user.search'),
    unlisted: [
      {
        code: 'INVALID_ARG_VALUE', status: 400, message: 'FIND cannot be combined with other filter fields',
        why: 'user-search.md says FIND cannot be combined with other fields but names no error; the emulator refuses loudly so a client that mixes them is caught in tests',
      },
    ],
  }),
];
