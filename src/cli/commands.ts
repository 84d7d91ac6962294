import Call from '../commands/call.ts';
import Init from '../commands/init.ts';
import Logs from '../commands/logs/index.ts';
import LogsShow from '../commands/logs/show.ts';
import LogsStats from '../commands/logs/stats.ts';
import Models from '../commands/models.ts';
import Providers from '../commands/providers.ts';
import Proxy from '../commands/proxy.ts';
import Replay from '../commands/replay.ts';

/** oclif's explicit command table: the bundle exports it, the manifest describes it, nothing is scanned. */
export const COMMANDS = {
  call: Call,
  init: Init,
  logs: Logs,
  'logs:show': LogsShow,
  'logs:stats': LogsStats,
  models: Models,
  providers: Providers,
  proxy: Proxy,
  replay: Replay,
};
