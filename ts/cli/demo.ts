/**
 * `npm start`: a local demonstration network on loopback — N polyp2p nodes in
 * a ring with chords, plus a js2p 0.7.870 node when the devDependency is
 * installed — with a live status table, for a bounded time, then a summary.
 * The mesh, sync and chord parts: demo-mesh.ts, demo-sync.ts, demo-chord.ts.
 */
import { backend } from '../native';
import { MeshDemo } from './demo-mesh';
import { SyncDemo } from './demo-sync';
import { ChordDemo } from './demo-chord';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface DemoRun {
  count: number;
  seconds: number;
  /** Broadcasts a second, network-wide. */
  rate: number;
  mesh: MeshDemo;
  sync: SyncDemo;
  chord: ChordDemo;
  started: number;
}

export async function demoCommand(options: Record<string, string | true>): Promise<void> {
  const count = Math.max(2, Math.min(32, Number(options.nodes ?? 6)));
  const seconds = Math.max(2, Math.min(600, Number(options.seconds ?? 20)));
  const rate = Math.max(1, Math.min(20000, Number(options.rate ?? 200))); // broadcasts/s network-wide
  const mesh = await MeshDemo.start(count);
  if (!options['no-js2p']) await mesh.startJs2p();
  const sync = await SyncDemo.start(count);
  sync.startWriting();
  const chord = await startChord(count, seconds);
  mesh.startSending(rate);
  const run: DemoRun = { count, seconds, rate, mesh, sync, chord, started: Date.now() };
  const tty = process.stdout.isTTY;
  const drawer = setInterval(() => draw(run, tty), tty ? 500 : 2000);
  await sleep(seconds * 1000);
  clearInterval(drawer);
  mesh.stopSending();
  sync.stopWriting();
  const chordReadable = await chord.finish();
  await sleep(500); // let the last broadcasts and writes land
  draw(run, false);
  console.log(mesh.summary());
  console.log(sync.summary());
  console.log(chord.summary(chordReadable));
  await Promise.all([mesh.close(), sync.close()]);
  await chord.close();
  setTimeout(() => process.exit(0), 200).unref();
}

/** The chord ring, converged, its keys set, reading them back, and its last node leaving at two thirds of the run. */
async function startChord(count: number, seconds: number): Promise<ChordDemo> {
  const chord = await ChordDemo.start(count);
  await chord.converged(10_000);
  await chord.setKeys();
  chord.startReading();
  chord.leaveAfter(Math.round((seconds * 1000 * 2) / 3));
  return chord;
}

/** The status tables: redrawn in place on a terminal, else printed one after another. */
function draw(run: DemoRun, inPlace: boolean): void {
  const elapsed = ((Date.now() - run.started) / 1000).toFixed(0);
  const out = [
    `polyp2p demo — ${run.count} nodes${run.mesh.js2p ? ' + js2p' : ''}, backend ${backend}, ${run.rate} broadcasts/s, ${elapsed}/${run.seconds} s`,
    '',
    'mesh',
    ...run.mesh.table(),
    '',
    ...run.sync.table(),
    '',
    ...run.chord.table(Math.round((run.seconds * 2) / 3)),
  ].join('\n');
  if (inPlace) process.stdout.write('\x1b[H\x1b[2J' + out + '\n');
  else console.log(out + '\n');
}
