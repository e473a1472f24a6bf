/** A usage mistake on a command line: printed with the usage, exit code 2. */
export class UsageError extends Error {}

/**
 * A command's options from its arguments: `{ options }`, or the exit code when there is nothing to run (0 after
 * printing the usage for --help, 2 after printing a usage mistake with the usage).
 */
export function commandOptions<T>(parse: (argv: string[]) => T | undefined, usage: string, argv: string[]): { options: T } | { exitCode: number } {
  try {
    const options = parse(argv);
    if (options !== undefined) return { options };
    console.log(usage);
    return { exitCode: 0 };
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${usage}`);
    return { exitCode: 2 };
  }
}
