export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

/** A clock tests move by hand (OTP expiry, reminders, token lifetimes). */
export class ManualClock implements Clock {
  constructor(private t = new Date('2026-01-15T10:00:00Z')) {}
  now() {
    return new Date(this.t);
  }
  advance(ms: number) {
    this.t = new Date(this.t.getTime() + ms);
  }
  set(d: Date) {
    this.t = new Date(d);
  }
}
