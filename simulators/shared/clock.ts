/**
 * Simulated time that runs `speed` simulated seconds per real second and can be pushed forward.
 * Changing the speed re-anchors, so simulated time never jumps backwards.
 */
export class AcceleratedClock {
  private anchorReal: number;
  private anchorSim: number;
  private speedValue: number;

  constructor(
    speed = 1,
    private readonly realNow: () => number = Date.now,
  ) {
    if (!(speed >= 0)) throw new RangeError('clock speed must be >= 0');
    this.anchorReal = realNow();
    this.anchorSim = this.anchorReal;
    this.speedValue = speed;
  }

  /** Simulated now, in epoch milliseconds. */
  now(): number {
    return this.anchorSim + (this.realNow() - this.anchorReal) * this.speedValue;
  }

  get speed(): number {
    return this.speedValue;
  }

  setSpeed(speed: number): void {
    if (!(speed >= 0)) throw new RangeError('clock speed must be >= 0');
    this.anchorSim = this.now();
    this.anchorReal = this.realNow();
    this.speedValue = speed;
  }

  advance(seconds: number): void {
    if (!(seconds >= 0)) throw new RangeError('advance must be >= 0 seconds');
    this.anchorSim += seconds * 1000;
  }

  /** Back to real time at the given speed. */
  reset(speed: number): void {
    this.anchorReal = this.realNow();
    this.anchorSim = this.anchorReal;
    this.speedValue = speed;
  }
}
