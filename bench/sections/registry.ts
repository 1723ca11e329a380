import { acceptSection } from './accept.ts';
import { filesSection } from './files.ts';
import { historySection } from './history.ts';
import { loginSection } from './login.ts';
import { openModelSection } from './open-model.ts';
import { rateLimitsSection } from './rate-limits.ts';
import { rowsSection } from './rows.ts';
import type { Section } from './section.ts';
import { websocketSection } from './websocket.ts';

/**
 * Every section of `npm run bench`, in run order. A new section (files upload, WebSockets) is one file
 * exporting a Section and one line here.
 */
export const sections: Section[] = [acceptSection, rateLimitsSection, rowsSection, openModelSection, historySection, loginSection, websocketSection, filesSection];
