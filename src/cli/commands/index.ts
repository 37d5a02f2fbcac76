/** Every CLI verb, in the order --help lists them. Each module registers one command on the program. */
import type { Command } from 'commander';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [];
