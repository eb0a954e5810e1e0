/** Reads the files named on the command line, with errors that name the flag and file. */
import { readFile } from 'node:fs/promises';
import { parseDockerConfig, type DockerConfig } from '../core/docker-config.js';
import { ClonerError } from '../core/errors.js';

async function readText(file: string, flag: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    throw new ClonerError('IC_ERR_USAGE', `${flag} ${file}: cannot read (${reason})`, { cause: error });
  }
}

export async function readAuthFile(file: string, flag = '--authfile'): Promise<DockerConfig> {
  const text = await readText(file, flag);
  try {
    return parseDockerConfig(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ClonerError('IC_ERR_BAD_AUTH_CONFIG', `${flag} ${file}: ${message}`, { cause: error });
  }
}

export async function readCaFile(file: string, flag = '--ca-file'): Promise<string> {
  const pem = await readText(file, flag);
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ClonerError('IC_ERR_USAGE', `${flag} ${file}: no PEM certificate in it`);
  }
  return pem;
}
