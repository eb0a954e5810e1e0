/** The start line is printed whatever LOG_LEVEL says: with PORT=0 it is the only way to learn the port. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CLI_PATH, ensureBuiltCli } from '../helpers/built-cli.js';
import { spawnManaged } from '../helpers/processes.js';
import { sharedTestPki } from '../helpers/tls.js';

const level = suite('serve: LOG_LEVEL');

for (const logLevel of ['warn', 'error']) {
  level(`LOG_LEVEL=${logLevel}: the listening line (with the port) is still printed`, async () => {
    await ensureBuiltCli();
    const pki = await sharedTestPki({ extraDnsNames: ['image-cloner.image-cloner.svc'] });
    const serve = spawnManaged(process.execPath, [CLI_PATH, 'serve'], {
      name: 'serve',
      env: {
        PATH: process.env['PATH'] ?? '',
        BACKUP_REGISTRY: 'backup.example:5000',
        TLS_CERT_FILE: pki.server.certFile,
        TLS_KEY_FILE: pki.server.keyFile,
        PORT: '0',
        LOG_LEVEL: logLevel,
      },
    });
    try {
      const match = await serve.waitForLine(/"msg":"listening".*"port":(\d+)/, 15_000);
      assert.ok(Number(match[1]) > 0);
    } finally {
      await serve.stop(10_000);
    }
  });
}

level.run();
