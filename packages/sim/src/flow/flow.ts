/**
 * The simulator's public order flow, behind one small interface the venue drives: step(nowMs)
 * processes every flow event due up to nowMs (placing and cancelling orders on the engine),
 * fairPrice(ticker) is the hidden fair value, burst() is a benchmark helper, setSpeed() the
 * time scale (every rate multiplied).
 *
 * Which flow runs is chosen by the profile: a calibrated MarketProfile (profiles/, e.g. the
 * built-in `active` and `quiet`) drives ProfileFlow; `synthetic` is the original uncalibrated
 * flow (SyntheticFlow), used by the deterministic simulation tests.
 */
import type { Rng } from '@kmm/shared';
import type { Engine } from '../engine/engine.js';
import type { ProfileSpec } from '../profiles/profile.js';
import type { CatalogMarket } from './catalog.js';
import { ProfileFlow } from './profile-flow.js';
import { SyntheticFlow } from './synthetic.js';

export { FLOW_RATES, FLOW_USERS } from './synthetic.js';

/** What a flow implementation offers the venue. */
export interface MarketFlow {
  step(nowMs: number): number;
  burst(ops: number, ticker?: string): void;
  /** every market's fair value moves `cents` at once (benchmark burst; calibrated profiles only) */
  moveAll?(cents: number): void;
  fairPrice(ticker: string): number;
  setSpeed(speed: number): void;
}

export class FlowDriver implements MarketFlow {
  private readonly impl: MarketFlow;
  /** the profile's name ('synthetic' for the original flow) */
  readonly profileName: string;

  constructor(engine: Engine, rng: Rng, catalog: CatalogMarket[], nowMs: number, speed = 1, profile: ProfileSpec = 'synthetic') {
    if (profile === 'synthetic') {
      this.impl = new SyntheticFlow(engine, rng, catalog, nowMs, speed);
      this.profileName = 'synthetic';
    } else {
      this.impl = new ProfileFlow(engine, rng, catalog, nowMs, speed, profile);
      this.profileName = profile.name;
    }
  }

  step(nowMs: number): number {
    return this.impl.step(nowMs);
  }
  burst(ops: number, ticker?: string): void {
    this.impl.burst(ops, ticker);
  }
  /** true when the flow offers moveAll (a calibrated profile) */
  get canMoveAll(): boolean {
    return typeof this.impl.moveAll === 'function';
  }
  moveAll(cents: number): void {
    if (!this.impl.moveAll) throw new Error(`flow '${this.profileName}' has no moveAll (use a calibrated profile such as 'active')`);
    this.impl.moveAll(cents);
  }
  fairPrice(ticker: string): number {
    return this.impl.fairPrice(ticker);
  }
  setSpeed(speed: number): void {
    this.impl.setSpeed(speed);
  }
}
