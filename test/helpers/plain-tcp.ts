/**
 * Raw bytes to a loopback port over plain TCP, as a client that does not
 * speak TLS would send them; resolves with everything received until the
 * server closes (or 5 s pass). For checking that a TLS port answers no
 * plain-HTTP request.
 */
import { connect } from 'node:net';

export function sendPlainTcp(port: number, request: string): Promise<string> {
  return new Promise<string>((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => (data += text));
    socket.on('close', () => resolve(data));
    socket.on('error', () => {});
    socket.setTimeout(5_000, () => socket.destroy());
  });
}
