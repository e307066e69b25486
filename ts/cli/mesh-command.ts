/** `polyp2p mesh --port 4444 [--host h] [--connect host:port] [--subnet name]`: each stdin line is broadcast. */
import { createMesh } from '../mesh';
import type { MeshMessage } from '../mesh';
import { backend } from '../native';
import { attachConsole, commandLoop, short, show } from './node-console';

export async function meshCommand(options: Record<string, string | true>): Promise<void> {
  const mesh = await createMesh({
    host: typeof options.host === 'string' ? options.host : '127.0.0.1',
    port: Number(options.port ?? 0),
    subnet: typeof options.subnet === 'string' ? options.subnet : 'mesh',
  });
  console.log(`polyp2p mesh node ${mesh.id}`);
  console.log(`listening on ${mesh.host}:${mesh.port} (subnet ${mesh.options.subnet}, backend ${backend}); type a line to broadcast it, Ctrl-D to quit`);
  mesh.on('message', (m: MeshMessage) => console.log(`< ${short(m.sender)}: ${m.data.map(show).join(' ')}`));
  attachConsole(mesh, options);
  commandLoop(mesh, (_cmd, _key, _rest, line) => {
    mesh.broadcast(line);
  });
}
