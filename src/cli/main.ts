import { CommanderError } from 'commander';
import { CogoError, createLogger, errorMessage, loadConfig } from '../core/index.ts';
import { createProgram } from './program.ts';

// Entry point: the only place that reads process.env, process.argv and the standard streams.
try {
  const config = loadConfig(process.env);
  // The command prints its own report; JSON log lines on stderr only when LOG_LEVEL asks for them.
  const logger = createLogger({ level: process.env.LOG_LEVEL ? config.logLevel : 'error' });
  const program = createProgram({
    config,
    logger,
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    cwd: process.cwd(),
  });
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode;
  } else {
    const code = error instanceof CogoError ? `${error.code}: ` : '';
    process.stderr.write(`cogo: ${code}${errorMessage(error)}\n`);
    process.exitCode = 1;
  }
}
