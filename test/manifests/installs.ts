/**
 * Every way to install image-cloner from manifests/, rendered once per test
 * process: the checks that hold for all of them run over this table.
 */
import { render, renderComposition } from './render.js';
import type { KubeObject } from './render.js';

export interface Install {
  readonly name: string;
  /** The webhook creates its own certificate (needs its Secret and MWC permissions). */
  readonly selfManagedCerts: boolean;
  readonly certManager: boolean;
  /** The opt-in component that reads pull secrets cluster-wide. */
  readonly privateSources: boolean;
  readonly objects: () => KubeObject[];
}

function memo(make: () => KubeObject[]): () => KubeObject[] {
  let cached: KubeObject[] | undefined;
  return () => (cached ??= make());
}

export const DEFAULT_INSTALL: Install = {
  name: 'manifests/ (default)',
  selfManagedCerts: true,
  certManager: false,
  privateSources: false,
  objects: memo(() => render('.')),
};

export const KIND_INSTALL: Install = {
  name: 'overlays/kind',
  selfManagedCerts: true,
  certManager: false,
  privateSources: false,
  objects: memo(() => render('overlays/kind')),
};

export const CERT_MANAGER_INSTALL: Install = {
  name: 'overlays/cert-manager',
  selfManagedCerts: false,
  certManager: true,
  privateSources: false,
  objects: memo(() => render('overlays/cert-manager')),
};

export const EXAMPLE_INSTALL: Install = {
  name: 'examples/overlay (registry credentials)',
  selfManagedCerts: true,
  certManager: false,
  privateSources: false,
  objects: memo(() => render('examples/overlay')),
};

export const PRIVATE_SOURCES_INSTALL: Install = {
  name: 'default + components/private-sources',
  selfManagedCerts: true,
  certManager: false,
  privateSources: true,
  objects: memo(() =>
    renderComposition({
      resources: ['base'],
      components: ['components/self-managed-certs', 'components/private-sources'],
    }),
  ),
};

export const CERT_MANAGER_PRIVATE_SOURCES_INSTALL: Install = {
  name: 'overlays/cert-manager + components/private-sources',
  selfManagedCerts: false,
  certManager: true,
  privateSources: true,
  objects: memo(() => renderComposition({ resources: ['overlays/cert-manager'], components: ['components/private-sources'] })),
};

export const INSTALLS: readonly Install[] = [
  DEFAULT_INSTALL,
  KIND_INSTALL,
  CERT_MANAGER_INSTALL,
  EXAMPLE_INSTALL,
  PRIVATE_SOURCES_INSTALL,
  CERT_MANAGER_PRIVATE_SOURCES_INSTALL,
];
