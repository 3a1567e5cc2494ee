/** A plugin threw: names the plugin, the event and (once known) the interval. */
export class PluginError extends Error {
  constructor(readonly plugin: string, readonly event: string, readonly error: unknown, readonly interval?: number) {
    super(`plugin ${plugin} failed${interval !== undefined ? ` in interval ${interval}` : ''} (${event}): ${error instanceof Error ? error.message : String(error)}`);
    this.name = 'PluginError';
  }

  inInterval(index: number): PluginError {
    return new PluginError(this.plugin, this.event, this.error, index);
  }
}
