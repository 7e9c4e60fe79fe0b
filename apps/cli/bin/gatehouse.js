#!/usr/bin/env node
// A committed launcher, so pnpm can link the bin before anything is built (dist/ comes from pnpm build).
import '../dist/main.js';
