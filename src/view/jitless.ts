import { config } from 'zod/v4/core';

// Zod compiles object parsers with `new Function` unless told not to, and decides so when each
// schema is built. ext-apps and the MCP SDK build theirs while their modules load, before App's
// constructor turns this off, so the probe would hit the host's CSP (no 'unsafe-eval') and be
// reported as a violation. This module is imported first, so nothing ever tries eval.
config({ jitless: true });
