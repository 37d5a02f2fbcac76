/** Every CLI verb, in the order --help lists them. Each module registers one command on the program. */
import type { Command } from 'commander';
import { register as registerKeygen } from './keygen.js';
import { register as registerGetpub } from './getpub.js';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [registerKeygen, registerGetpub];
