#!/usr/bin/env node
// The compiled CLI; `npm ci` builds it (the `prepare` script) and `npm start` rebuilds it.
import '../dist/cli/main.js';
