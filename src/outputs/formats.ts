/**
 * @fileoverview The output formats `render --format` writes, one entry each: which backends'
 * distros read it, how it wraps the backend's document, whether it may be gzipped, and the file
 * extension and content type it is written and served with. A new format is one entry here.
 */
import type { BackendName } from '../profile/types.js';
import type { DocumentName } from '../backends/shared.js';

export type FormatName = 'cloud-config' | 'mime' | 'tftpl' | 'ignition' | 'butane';

export interface OutputFormat {
  readonly name: FormatName;
  /** What it is, for --help and errors. */
  readonly summary: string;
  /** The backends whose distros read it. */
  readonly backends: readonly BackendName[];
  /** How the backend's document is wrapped: as it is, in a MIME multipart with --part files, or as a Terraform templatefile() template. */
  readonly wrap: 'none' | 'multipart' | 'template';
  /** The document the backend writes for it; undefined: the backend's own. */
  readonly document?: DocumentName;
  /** Why --gzip, --base64 or --var cannot apply, when they cannot. */
  readonly refuses?: { readonly options: readonly ('gzip' | 'base64' | 'var')[]; readonly why: string; readonly hint: string };
  /** `render --inventory` writes it, one file per node with this extension. */
  readonly inventoryExtension?: string;
  /** The HTTP content type `serve` sends it with. */
  readonly contentType: string;
}

export const FORMATS: Readonly<Record<FormatName, OutputFormat>> = {
  'cloud-config': {
    name: 'cloud-config',
    summary: 'cloud-init user-data',
    backends: ['cloud-init'],
    wrap: 'none',
    inventoryExtension: 'user-data',
    contentType: 'text/cloud-config; charset=utf-8',
  },
  mime: {
    name: 'mime',
    summary: 'cloud-init user-data as a MIME multipart, with the --part files',
    backends: ['cloud-init'],
    wrap: 'multipart',
    contentType: 'multipart/mixed',
  },
  tftpl: {
    name: 'tftpl',
    summary: "a Terraform templatefile() template of the distro's own format",
    backends: ['cloud-init', 'ignition'],
    wrap: 'template',
    refuses: {
      options: ['gzip', 'base64', 'var'],
      why: '--format tftpl is a text template: it takes neither --gzip, --base64 nor --var',
      hint: 'let Terraform fill the variables (templatefile), then gzip with cloudinit_config or base64gzip()',
    },
    contentType: 'text/plain; charset=utf-8',
  },
  ignition: {
    name: 'ignition',
    summary: 'an Ignition config (JSON)',
    backends: ['ignition'],
    wrap: 'none',
    inventoryExtension: 'ign',
    contentType: 'application/vnd.coreos.ignition+json',
  },
  butane: {
    name: 'butane',
    summary: 'the equivalent Butane config (YAML)',
    backends: ['ignition'],
    wrap: 'none',
    document: 'butane',
    contentType: 'application/yaml',
  },
};

export const FORMAT_NAMES = Object.keys(FORMATS) as FormatName[];

/** The format a document is written as when the user names none (a node's own document). */
export function formatOfDocument(document: DocumentName): OutputFormat {
  return FORMATS[document];
}
