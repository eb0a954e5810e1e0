/** OCI content descriptor (image-spec `descriptor.md`) and platform (`image-index.md`). */
export interface Platform {
  readonly architecture: string;
  readonly os: string;
  readonly variant?: string;
  readonly 'os.version'?: string;
  readonly 'os.features'?: readonly string[];
}

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly urls?: readonly string[];
  readonly annotations?: Readonly<Record<string, string>>;
  readonly platform?: Platform;
  readonly artifactType?: string;
}

/** A manifest exactly as served: its bytes are never re-serialized. */
export interface RawManifest {
  readonly bytes: Uint8Array;
  readonly mediaType: string;
  readonly digest: string;
}
