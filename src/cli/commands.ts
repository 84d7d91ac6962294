import Call from '../commands/call.ts';
import Init from '../commands/init.ts';
import Models from '../commands/models.ts';
import Providers from '../commands/providers.ts';
import Proxy from '../commands/proxy.ts';

/** oclif's explicit command table: the bundle exports it, the manifest describes it, nothing is scanned. */
export const COMMANDS = {
  call: Call,
  init: Init,
  models: Models,
  providers: Providers,
  proxy: Proxy,
};
