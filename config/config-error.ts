/** A config file that cannot be read or does not validate. The message names each bad key path. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  /** One entry per problem, each "key.path: what is wrong". */
  readonly problems: string[];
  readonly file?: string;

  constructor(problems: string[], file?: string) {
    super(problems.join('\n') + (file ? `\n(in ${file})` : ''));
    this.problems = problems;
    this.file = file;
  }
}
