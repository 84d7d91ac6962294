import Call from '../commands/call.ts';
import Init from '../commands/init.ts';
import KeysCreate from '../commands/keys/create.ts';
import KeysInfo from '../commands/keys/info.ts';
import KeysList from '../commands/keys/list.ts';
import KeysRevoke from '../commands/keys/revoke.ts';
import KeysUpdate from '../commands/keys/update.ts';
import Logs from '../commands/logs/index.ts';
import LogsShow from '../commands/logs/show.ts';
import LogsStats from '../commands/logs/stats.ts';
import Models from '../commands/models.ts';
import Providers from '../commands/providers.ts';
import Proxy from '../commands/proxy.ts';
import Replay from '../commands/replay.ts';

// The build writes call's flag table from here (dist/cli/call-flags.json, read by call/fast-call.ts).
export { flagTable } from './call/call-argv.ts';

/** oclif's explicit command table: the bundle exports it, the manifest describes it, nothing is scanned. */
export const COMMANDS = {
  call: Call,
  init: Init,
  'keys:create': KeysCreate,
  'keys:info': KeysInfo,
  'keys:list': KeysList,
  'keys:revoke': KeysRevoke,
  'keys:update': KeysUpdate,
  logs: Logs,
  'logs:show': LogsShow,
  'logs:stats': LogsStats,
  models: Models,
  providers: Providers,
  proxy: Proxy,
  replay: Replay,
};
