/**
 * A real TLS handshake on loopback, checked as the API server checks a
 * webhook (CLUSTER-NOTES 1.6): a server presenting `cert`/`key`, a client
 * trusting only `ca` and asking for `servername`. Resolves with the outcome
 * (never rejects on a verification failure: that is a result).
 */
import { connect, createServer } from 'node:tls';
import type { AddressInfo } from 'node:net';

export type HandshakeResult = { readonly ok: true; readonly serial: string } | { readonly ok: false; readonly error: string };

export async function tlsHandshake(server: { cert: string; key: string }, client: { ca: string; servername: string }): Promise<HandshakeResult> {
  const tlsServer = createServer({ cert: server.cert, key: server.key, ALPNProtocols: ['http/1.1'] }, (socket) => {
    socket.on('error', () => {});
    socket.end();
  });
  tlsServer.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
  const { port } = tlsServer.address() as AddressInfo;
  try {
    return await new Promise<HandshakeResult>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, ca: client.ca, servername: client.servername, ALPNProtocols: ['http/1.1'] }, () => {
        const serial = socket.getPeerCertificate().serialNumber;
        socket.end();
        resolve({ ok: true, serial });
      });
      socket.setTimeout(10_000, () => socket.destroy(new Error('handshake timed out')));
      socket.on('error', (error: NodeJS.ErrnoException) => resolve({ ok: false, error: error.code ?? error.message }));
    });
  } finally {
    await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
  }
}
