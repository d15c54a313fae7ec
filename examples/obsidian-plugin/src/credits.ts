// The credit account: one Meter over data.json and the ledger, opened when credits are
// first needed and closed when the user switches to their own key. The package comes from
// its `credit-meter/inline` entry: the .wasm is embedded in main.js and instantiated when
// the plugin loads (synchronously; main.js has no top-level await, no loader, no asset).
import { Meter, type MeterEvent } from "credit-meter/inline";
import type { LedgerClient } from "./ledger";
import type { PluginStore } from "./storage";

/** Thrown when credits are needed but no account is set. */
export class NoAccountError extends Error {
  constructor() {
    super("no account is set: enter your account ID in the plugin settings, or your own OpenRouter key");
  }
}

/** Opens, holds and closes the meter. */
export class CreditAccount {
  private meter: Meter | null = null;
  private opening: Promise<Meter> | null = null;
  /** Bumped by every close: a meter that finishes opening after one is closed at once. */
  private epoch = 0;

  constructor(
    private readonly store: PluginStore,
    private readonly ledger: LedgerClient,
    private readonly notify: (message: string) => void,
  ) {}

  /** The open meter. The first call opens it from data.json and syncs once (a failed
   * sync is retried by the meter; within its offline limit it works without one). */
  open(): Promise<Meter> {
    if (this.meter) return Promise.resolve(this.meter);
    if (!this.opening) {
      const epoch = this.epoch;
      this.opening = this.start().then(
        (meter) => {
          this.opening = null;
          if (epoch !== this.epoch) {
            meter.close();
            throw new Error("the credit account was closed while it opened");
          }
          this.meter = meter;
          return meter;
        },
        (err: unknown) => {
          this.opening = null;
          throw err;
        },
      );
    }
    return this.opening;
  }

  /** Pushes what is pending, pulls a fresh balance. */
  async sync(): Promise<string> {
    const meter = await this.open();
    return (await meter.sync()).available;
  }

  /** Flushes queued changes if there are any (one last try) and closes the meter. */
  async retire(): Promise<void> {
    const meter = this.meter ?? (await this.opening?.catch(() => null)) ?? null;
    this.meter = null;
    this.epoch++;
    if (!meter) return;
    if (meter.status().outbox > 0) await meter.sync().catch(() => undefined);
    meter.close();
  }

  /** Stops the meter's timer now (plugin unload). Its state is already in data.json. */
  closeNow(): void {
    this.meter?.close();
    this.meter = null;
    this.epoch++;
  }

  private async start(): Promise<Meter> {
    const { accountId, deviceId } = this.store.settings;
    if (!accountId) throw new NoAccountError();
    const meter = await Meter.open({
      accountId,
      deviceId,
      publicKeys: await this.ledger.keys(),
      host: {
        load: () => this.store.loadMeter(),
        save: (state) => this.store.saveMeter(state),
        push: (body) => this.ledger.push(body),
        pull: (body) => this.ledger.pull(body),
        onEvent: (event) => this.onEvent(event),
      },
    });
    await meter.sync().catch(() => undefined);
    return meter;
  }

  private onEvent(event: MeterEvent): void {
    if (event.type === "cacheDiscarded") {
      this.notify("The saved credit balance failed its signature check and was discarded; reloading it from the ledger.");
    } else if (event.type === "acknowledged" && event.status === "refused") {
      console.warn(`credit ledger refused ${event.kind} ${event.holdId}: ${event.code}`);
    }
  }
}
