/** @insights/cli: the `insights` command (see bin/insights.js). */
export { parseFlags } from './commands/call.ts';
export { formatTable } from './output.ts';
