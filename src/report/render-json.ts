/** The JSON report: the model itself, with a schema tag. Units are in the field names (…Ms, sizes in bytes). */
import type { Report } from './types.js';

export const REPORT_SCHEMA = 'smartdelta-report/1';

export function reportJson(report: Report): { schema: string } & Report {
  return { schema: REPORT_SCHEMA, ...report };
}
