/**
 * Waits for `step` to settle, but not past `deadline` (epoch ms); never throws. The caller then
 * goes on and fails on its own terms (a call with its deadline, a wait naming what it waited for).
 */
export async function waitAtMost(step: Promise<unknown>, deadline: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([step.catch(() => {}), new Promise((r) => (timer = setTimeout(r, Math.max(0, deadline - Date.now()))))]);
  } finally {
    clearTimeout(timer);
  }
}
