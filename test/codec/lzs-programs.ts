/** The real delta programs the codec 2 tests run on when this machine has them (read-only, outside the repository). */
import { existsSync, readdirSync } from 'node:fs';

export const PROGRAMS_DIR = '/work/programs';
export const programFiles: string[] = existsSync(PROGRAMS_DIR)
  ? readdirSync(PROGRAMS_DIR)
      .filter((f) => f.endsWith('.prog'))
      .sort()
  : [];
