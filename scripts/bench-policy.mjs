#!/usr/bin/env node
// Policy decision benchmark (packages/policy/src/compile/decide.bench.ts), for the root `pnpm bench`.
import { spawnSync } from 'node:child_process';

const result = spawnSync('pnpm', ['--filter', '@gatehouse/policy', 'bench'], { stdio: 'inherit' });
process.exit(result.status ?? 1);
