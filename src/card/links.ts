/** The REST_APP_URI deep link lives with the other Bitrix24 formats (the domain uses it for messenger invitations). */
export { appDeepLink, appDeepLinkPath } from '../bitrix24/app-link.js';
