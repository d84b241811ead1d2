/**
 * @fileoverview The formats profiles/profile.schema.json names, by name: what the validator
 * compiled at build time (scripts/build-validator.mjs) calls for each `format`.
 */
import { isAbsPath, isCidr, isHttpUrl, isImageReference, isMirrorPrefix, isNoProxyEntry, isProxyUrl, isRegistryHost, isSafeText, isSysctlName } from './formats.js';

export const SCHEMA_FORMATS: Readonly<Record<string, (value: string) => boolean>> = {
  'image-reference': isImageReference,
  'registry-host': isRegistryHost,
  'sysctl-name': isSysctlName,
  'abs-path': isAbsPath,
  'http-url': isHttpUrl,
  'safe-text': isSafeText,
  'proxy-url': isProxyUrl,
  'no-proxy-entry': isNoProxyEntry,
  cidr: isCidr,
  'mirror-prefix': isMirrorPrefix,
};
