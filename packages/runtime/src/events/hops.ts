/** Derived events deeper than this are dropped, which cuts emit loops between handlers. */
export const MAX_EVENT_HOPS = 8;
