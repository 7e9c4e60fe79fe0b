#!/usr/bin/env node
import { once } from 'node:events';
import { runCli } from './main.js';

const readStdin = async () => {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

const stopSignal = () =>
  Promise.race([
    once(process, 'SIGTERM').then(() => 'SIGTERM'),
    once(process, 'SIGINT').then(() => 'SIGINT'),
  ]);

process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readStdin,
  stopSignal,
});
// Open handles (Redis reconnects, keep-alive sockets) must not keep a stopped gateway alive.
process.exit();
