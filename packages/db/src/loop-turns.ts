/**
 * For tests of the engine's hold on the node's thread: how many turns the event loop made while
 * an operation ran. An operation that never gives the loop back sees one or two.
 */
export async function turnsDuring<T>(op: () => Promise<T>): Promise<{ result: T; turns: number }> {
  let turns = 0;
  let done = false;
  const tick = () => {
    turns++;
    if (!done) setImmediate(tick);
  };
  setImmediate(tick);
  try {
    return { result: await op(), turns };
  } finally {
    done = true;
  }
}
