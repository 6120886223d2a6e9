/**
 * A request's deadline: an AbortSignal that fires when the caller aborts, or when `ms` pass without
 * progress (`touch()` on every chunk of a stream restarts the wait). Adapters tell the two apart:
 * the caller's abort is passed through, the deadline becomes `LLM_TIMEOUT`.
 */
import { LlmError } from './errors.ts';

export interface Deadline {
  readonly signal: AbortSignal;
  /** Progress: the wait starts again. */
  touch(): void;
  /** True when the deadline (not the caller) aborted. */
  expired(): boolean;
  /** After a stream ends: throws the caller's abort, or `LLM_TIMEOUT` if the deadline ended it. */
  throwIfEnded(who: { readonly provider: string; readonly model: string }): void;
  dispose(): void;
}

export function createDeadline(ms: number, outer: AbortSignal | undefined): Deadline {
  const controller = new AbortController();
  let expired = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      expired = true;
      controller.abort(new Error(`no progress within ${ms} ms`));
    }, ms);
  };
  const onOuter = () => controller.abort(outer?.reason);
  if (outer?.aborted) controller.abort(outer.reason);
  else outer?.addEventListener('abort', onOuter, { once: true });
  arm();
  return {
    signal: controller.signal,
    touch: () => {
      if (!controller.signal.aborted) arm();
    },
    expired: () => expired,
    throwIfEnded: (who) => {
      if (outer?.aborted) throw outer.reason;
      if (expired)
        throw new LlmError('LLM_TIMEOUT', `${who.provider}/${who.model} stalled for ${ms} ms`, who);
    },
    dispose: () => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuter);
    },
  };
}
