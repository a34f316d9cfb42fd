/**
 * How a journal reader names one of our orders: by its client order id; records that carry only
 * the exchange's order id (a fill or cancel reply without `client_order_id`, as Kalshi sends them)
 * map to it once an ack has paired the two. Shared by the figures and the scorecard, which both
 * replay a journal's orders.
 */
export class JournalOrderKeys {
  private readonly oidToCoid = new Map<string, string>();

  /** An ack (or any record) that carries both ids pairs them. */
  learn(oid: string | null | undefined, coid: string | null | undefined): void {
    if (oid && coid) this.oidToCoid.set(oid, coid);
  }

  /** The order's key: its client id, else the client id paired with its order id, else the order id. */
  keyOf(coid: string, oid: string): string {
    if (coid) return coid;
    return this.oidToCoid.get(oid) ?? oid;
  }
}
