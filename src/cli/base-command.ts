import { Command } from '@oclif/core/command';
import { missingArgsError } from './missing-args.ts';
import { reportError, debugEnabled } from './report-error.ts';
import { ownOutputErrors } from './render/write.ts';

/**
 * Owns `catch` for every command: stop whatever draws on stderr, print the error in one line, set the exit
 * code from the table, and return normally so stdout drains (oclif's own error path exits without flushing).
 */
export abstract class BaseCommand extends Command {
  protected showStack = false;
  protected stopDrawing: (() => void) | undefined;

  protected override async init(): Promise<void> {
    await super.init();
    // oclif's stdout listener (added as its Command loads) throws on a full disk: ours reports it in one line.
    ownOutputErrors(process.stdout);
  }

  protected override async catch(error: Error & { exitCode?: number }): Promise<void> {
    this.stopDrawing?.();
    // oclif's --help and --version "errors" are exits, not failures.
    const exit = (error as { oclif?: { exit?: number } }).oclif?.exit;
    if (error.message === 'EEXIT: 0' || exit === 0) return;
    const missing = missingArgsError(error, { bin: this.config.bin, id: this.id ?? '', args: Object.keys(this.ctor.args ?? {}) });
    process.exitCode = reportError(missing ?? error, { debug: this.showStack || debugEnabled(process.argv.includes('--debug')), bin: this.config.bin });
  }
}
