/**
 * ElastiCache's naming rules. Identifiers are stored lowercase and matched case-insensitively, as on AWS.
 */
import { invalidValue, requireValue } from './faults.js';

/** Cluster-style ids: a letter first, then letters, digits and single hyphens, no trailing hyphen. */
export function clusterStyleId(value: string | undefined, parameter: string, maxLength: number): string {
  const id = requireValue(value, parameter).toLowerCase();
  if (id.length > maxLength || !/^[a-z][a-z0-9-]*$/.test(id) || id.includes('--') || id.endsWith('-')) {
    throw invalidValue(
      `The parameter ${parameter} is not a valid identifier. Identifiers must begin with a letter; must contain ` +
        `only ASCII letters, digits, and hyphens; must be 1 to ${maxLength} characters long; and must not end ` +
        'with a hyphen or contain two consecutive hyphens.',
    );
  }
  return id;
}

/** Subnet / security group names: letters, digits, hyphens (and dots for parameter groups' defaults). */
export function groupName(value: string | undefined, parameter: string, allowed: RegExp, maxLength = 255): string {
  const name = requireValue(value, parameter).toLowerCase();
  if (name.length > maxLength || !allowed.test(name)) {
    throw invalidValue(`The parameter ${parameter} is not a valid name: ${value}`);
  }
  return name;
}

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** `ddd:hh24:mi-ddd:hh24:mi`, at least 60 minutes (PreferredMaintenanceWindow). Returns it lowercase. */
export function maintenanceWindow(value: string): string {
  const window = value.toLowerCase();
  const match = /^([a-z]{3}):(\d{2}):(\d{2})-([a-z]{3}):(\d{2}):(\d{2})$/.exec(window);
  const minutes = (day: string, hour: string, minute: string) => {
    const d = DAYS.indexOf(day);
    const h = Number(hour);
    const m = Number(minute);
    return d < 0 || h > 23 || m > 59 ? NaN : d * 1440 + h * 60 + m;
  };
  const start = match ? minutes(match[1], match[2], match[3]) : NaN;
  const end = match ? minutes(match[4], match[5], match[6]) : NaN;
  if (Number.isNaN(start) || Number.isNaN(end)) {
    throw invalidValue(`Invalid maintenance window format: ${value}. The format must be ddd:hh24:mi-ddd:hh24:mi.`);
  }
  const length = (end - start + 7 * 1440) % (7 * 1440);
  if (length < 60) throw invalidValue('The maintenance window must be at least 60 minutes long.');
  return window;
}

/** When a weekly `ddd:hh24:mi-...` window next opens after `from` (UTC), in epoch ms. */
export function nextWindowStart(window: string, from = Date.now()): number {
  const [day, hour, minute] = window.split('-')[0].split(':');
  const now = new Date(from);
  const target = new Date(
    Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), Number(hour), Number(minute)),
  );
  let days = (DAYS.indexOf(day) - now.getUTCDay() + 7) % 7;
  if (days === 0 && target.getTime() <= from) days = 7;
  return target.getTime() + days * 86_400_000;
}

/** `hh24:mi-hh24:mi`, at least 60 minutes (SnapshotWindow). */
export function snapshotWindow(value: string): string {
  const match = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(value);
  const ok =
    match && [match[1], match[3]].every((h) => Number(h) < 24) && [match[2], match[4]].every((m) => Number(m) < 60);
  if (!ok) throw invalidValue(`Invalid snapshot window format: ${value}. The format must be hh24:mi-hh24:mi.`);
  const start = Number(match[1]) * 60 + Number(match[2]);
  const end = Number(match[3]) * 60 + Number(match[4]);
  if ((end - start + 1440) % 1440 < 60) throw invalidValue('The snapshot window must be at least 60 minutes long.');
  return value;
}

/**
 * The windows AWS picks when none is given: a 60-minute maintenance window and a snapshot window that does not
 * overlap it, chosen from the id so a cluster keeps the same ones.
 */
export function systemWindows(id: string): { maintenance: string; snapshot: string } {
  let hash = 0;
  for (const c of id) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  const day = DAYS[hash % 7];
  const hour = (hash >>> 3) % 24;
  const snapshotHour = (hour + 12) % 24;
  const hh = (h: number) => String(h).padStart(2, '0');
  const next = (h: number) => hh((h + 1) % 24);
  const endDay = hour === 23 ? DAYS[(DAYS.indexOf(day) + 1) % 7] : day;
  return {
    maintenance: `${day}:${hh(hour)}:00-${endDay}:${next(hour)}:00`,
    snapshot: `${hh(snapshotHour)}:00-${next(snapshotHour)}:00`,
  };
}
