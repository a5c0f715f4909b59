// The admin pages' actions: one confirmation at a time, and the outcome of the last action in words.
import { useState } from 'preact/hooks';
import { Confirm, ErrorBox } from './ui';

interface Pending {
  title: string;
  message: string;
  confirmLabel: string;
  danger: boolean;
  run: () => Promise<void>;
}

/** One confirmation at a time, and the outcome of the last action in words. */
export function useActions() {
  const [pending, setPending] = useState<Pending | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const perform = async (run: () => Promise<void>) => {
    setError(null);
    setNotice(null);
    try {
      await run();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const view = (
    <>
      {error && <ErrorBox message={error} />}
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      {pending && (
        <Confirm
          title={pending.title}
          message={pending.message}
          confirmLabel={pending.confirmLabel}
          danger={pending.danger}
          onConfirm={() => {
            const { run } = pending;
            setPending(null);
            void perform(run);
          }}
          onCancel={() => setPending(null)}
        />
      )}
    </>
  );
  return { view, ask: setPending, perform, setNotice, fail: setError };
}
