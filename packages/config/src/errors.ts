export enum ConfigErrorCode {
  FileUnreadable = 'CONFIG_FILE_UNREADABLE',
  InvalidYaml = 'CONFIG_INVALID_YAML',
  Invalid = 'CONFIG_INVALID',
}

/** A configuration problem found before the service starts; `issues` name each bad field. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly code: ConfigErrorCode,
    message: string,
    readonly issues: readonly string[] = [],
  ) {
    super(message);
  }
}
