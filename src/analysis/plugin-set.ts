/**
 * The plugins of one interval as one Instrumentation: only the events some
 * plugin asked for are hooked, and each plugin's hook runs inside a guard
 * that turns an exception into a PluginError naming the plugin and the event
 * (kept in `failure` too, in case a device swallows it on the way out).
 */
import { INSTRUMENTATION_EVENTS, type Instrumentation } from '../machine/cpu/instrumentation.js';
import { PluginError } from './plugin-error.js';
import type { PluginContext, PluginFactory, PluginInstance, PluginOptions } from './plugin.js';

/** Eight fixed parameters: no rest-array allocation per event. */
type Hook = (a: unknown, b: unknown, c: unknown, d: unknown, e: unknown, f: unknown, g: unknown, h: unknown) => void;

export interface ActivePlugin {
  readonly factory: PluginFactory;
  readonly options: PluginOptions;
  readonly instance: PluginInstance<unknown>;
}

export class PluginSet {
  readonly plugins: ActivePlugin[] = [];
  failure: PluginError | null = null;

  constructor(specs: ReadonlyArray<{ factory: PluginFactory; options: PluginOptions }>, ctx: PluginContext) {
    for (const s of specs) {
      let instance: PluginInstance<unknown>;
      try {
        instance = s.factory.create(ctx, s.options);
      } catch (e) {
        throw new PluginError(s.factory.name, 'create', e);
      }
      this.plugins.push({ factory: s.factory, options: s.options, instance });
    }
  }

  /** The combined hooks (null when no plugin wants any event). */
  instrumentation(): Instrumentation | null {
    const out: Record<string, Hook> = {};
    let any = false;
    for (const event of INSTRUMENTATION_EVENTS) {
      const hooks: Array<{ name: string; fn: Hook; self: Instrumentation }> = [];
      for (const p of this.plugins) {
        const fn = p.instance.hooks[event] as Hook | undefined;
        if (fn) hooks.push({ name: p.factory.name, fn, self: p.instance.hooks });
      }
      if (hooks.length === 0) continue;
      any = true;
      const guard = (name: string, e: unknown): never => {
        const err = e instanceof PluginError ? e : new PluginError(name, event, e);
        this.failure ??= err;
        throw err;
      };
      if (hooks.length === 1) {
        const { name, fn, self } = hooks[0];
        out[event] = (a, b, c, d, e, f, g, h) => {
          try { fn.call(self, a, b, c, d, e, f, g, h); } catch (x) { guard(name, x); }
        };
      } else {
        out[event] = (a, b, c, d, e, f, g, h) => {
          for (let i = 0; i < hooks.length; i++) {
            const k = hooks[i];
            try { k.fn.call(k.self, a, b, c, d, e, f, g, h); } catch (x) { guard(k.name, x); }
          }
        };
      }
    }
    return any ? (out as Instrumentation) : null;
  }

  /** Each plugin's result, by name. */
  finish(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const p of this.plugins) {
      try {
        out[p.factory.name] = p.instance.finish();
      } catch (e) {
        throw new PluginError(p.factory.name, 'finish', e);
      }
    }
    return out;
  }
}
