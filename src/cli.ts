#!/usr/bin/env node
/**
 * The elasticache-local command: reads flags and environment, starts the emulator, stops it on a signal. The `pull`
 * subcommand fetches node images instead (pull-command.ts).
 */
import { ConfigError, StartError, USAGE, readConfig } from './config.js';
import { startEmulator } from './server.js';

const COMMANDS =
  '\nCommands:\n  pull                fetch the node images of the default engine versions (pull --help)\n';

async function pull(args: string[]): Promise<void> {
  const { PullUsageError, PULL_USAGE, pullCommand } = await import('./pull-command.js');
  try {
    process.exitCode = await pullCommand(args, process.env);
  } catch (error) {
    if (!(error instanceof PullUsageError)) throw error;
    process.stderr.write(`elasticache-local pull: ${error.message}\n\n${PULL_USAGE}`);
    process.exitCode = 2;
  }
}

async function main(): Promise<void> {
  if (process.argv[2] === 'pull') return pull(process.argv.slice(3));
  let config;
  try {
    config = readConfig(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`elasticache-local: ${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (config === 'help') {
    process.stdout.write(USAGE + COMMANDS);
    return;
  }
  const emulator = await startEmulator(config);
  emulator.app.log.info(
    { url: emulator.url, dataDir: config.dataDir, runtime: emulator.runtime.name },
    `elasticache-local listening on ${emulator.url}`,
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    emulator.app.log.info({ signal }, 'shutting down');
    await emulator.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error) => {
  // What the user can fix gets one line; only a fault of the emulator itself gets its stack.
  if (error instanceof ConfigError || error instanceof StartError)
    process.stderr.write(`elasticache-local: ${error.message}\n`);
  else process.stderr.write(`elasticache-local failed to start: ${error?.stack ?? error}\n`);
  process.exit(1);
});
