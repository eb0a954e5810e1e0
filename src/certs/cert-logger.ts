/** The logging the certificate code needs; src/server's Logger fits it. Fields never carry keys or PEM text. */
export interface CertLogger {
  info(msg: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(msg: string, fields?: Readonly<Record<string, unknown>>): void;
}

export const SILENT_LOGGER: CertLogger = { info: () => {}, warn: () => {} };
