/**
 * The exchange's weekly maintenance (kalshi-api.md section 9, GET /exchange/schedule): Thursday
 * 03:00-05:00 America/New_York is a trading pause: no place or amend, cancels allowed, resting
 * orders stay unless they were placed with cancel_order_on_pause. Pure: the time is passed in;
 * the New York offset (EST/EDT) comes from the ICU time-zone data, not from the host's zone.
 */

const NY = new Intl.DateTimeFormat('en-US', {
  timeZone: 'America/New_York',
  weekday: 'short',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
  hourCycle: 'h23',
});

export const MAINTENANCE = { weekday: 'Thu', startHourEt: 3, endHourEt: 5 } as const;

/** Whether `wallMs` falls in the weekly maintenance window, and when (wall ms) that window ends. */
export function weeklyMaintenanceAt(wallMs: number): { paused: boolean; endsAtMs: number } {
  const parts = NY.formatToParts(new Date(wallMs));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  const hour = Number(get('hour'));
  if (get('weekday') !== MAINTENANCE.weekday || hour < MAINTENANCE.startHourEt || hour >= MAINTENANCE.endHourEt) return { paused: false, endsAtMs: 0 };
  const intoWindowS = (hour - MAINTENANCE.startHourEt) * 3600 + Number(get('minute')) * 60 + Number(get('second'));
  const windowS = (MAINTENANCE.endHourEt - MAINTENANCE.startHourEt) * 3600;
  return { paused: true, endsAtMs: (Math.floor(wallMs / 1000) + windowS - intoWindowS) * 1000 };
}
