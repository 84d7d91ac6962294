import Call from '../commands/call.ts';

/** oclif's explicit command table: the bundle exports it, the manifest describes it, nothing is scanned. */
export const COMMANDS = {
  call: Call,
};
