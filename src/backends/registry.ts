/**
 * @fileoverview The backends by name (distro.backend). A new family of first-boot systems is one
 * folder under src/backends/ and one line here.
 */
import type { BackendName } from '../profile/types.js';
import { cloudInit } from './cloud-init/index.js';
import { ignition } from './ignition/index.js';
import type { Backend } from './shared.js';

export const BACKENDS: Readonly<Record<BackendName, Backend>> = {
  'cloud-init': cloudInit,
  ignition,
};

export type { Backend };
