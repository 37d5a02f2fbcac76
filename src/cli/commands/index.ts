/** Every CLI verb, in the order --help lists them. Each module registers one command on the program. */
import type { Command } from 'commander';
import { register as registerDiff } from './diff.js';
import { register as registerApply } from './apply.js';
import { register as registerInfo } from './info.js';
import { register as registerKeygen } from './keygen.js';
import { register as registerGetpub } from './getpub.js';
import { register as registerSign } from './sign.js';
import { register as registerVerify } from './verify.js';
import { register as registerFragment } from './fragment.js';
import { register as registerReassemble } from './reassemble.js';
import { register as registerSimulate } from './simulate.js';
import { register as registerReport } from './report.js';
import { register as registerPackage } from './package.js';
import { register as registerServe } from './serve.js';
import { register as registerManifest } from './manifest.js';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [registerDiff, registerApply, registerInfo, registerKeygen, registerGetpub, registerSign, registerVerify, registerFragment, registerReassemble, registerSimulate, registerReport, registerPackage, registerServe, registerManifest];
