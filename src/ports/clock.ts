/** Milliseconds since the Unix epoch. Core and service never read the system clock themselves. */
export interface Clock {
  now(): number;
}
