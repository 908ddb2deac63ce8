// Preloaded into a node child by measure-process.ts when GNU time is missing: writes the process's own peak RSS
// (KiB) to $KBOT_BENCH_RSS_FILE when it exits.
const { writeFileSync } = require('node:fs');
const file = process.env.KBOT_BENCH_RSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS)));
