#!/usr/bin/env node
import { runCli } from '../lib/cli/main.ts';

process.exitCode = await runCli(process.argv.slice(2), {
  out: (text) => console.log(text),
  err: (text) => console.error(text),
  env: process.env,
});
