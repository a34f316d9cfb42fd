/** Whether the Debian Chromium that browser tests drive is installed (`apt-get install -y chromium`). */
import { existsSync } from 'node:fs';
import { CHROMIUM_PATH } from '../src/dashboard/e2e.js';

export const hasChromium = existsSync(CHROMIUM_PATH);
export const NO_CHROMIUM_MESSAGE = `${CHROMIUM_PATH} is absent: browser tests skipped (install with: apt-get install -y chromium)`;
if (!hasChromium) console.warn(NO_CHROMIUM_MESSAGE);
