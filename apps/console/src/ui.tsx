import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

export function StatusBadge({ status, testId }: { status: string; testId?: string }) {
  return (
    <span class={`badge s-${status}`} data-testid={testId} data-status={status}>
      {status.replace(/_/g, ' ')}
    </span>
  );
}

export function ErrorBox({ message }: { message: string }) {
  return (
    <p class="error" role="alert">
      {message}
    </p>
  );
}

export function fmtTime(iso: string | null): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(undefined, { hour12: false });
}

export function fmtDuration(from: string | null, to: string | null): string {
  if (!from || !to) return '—';
  const ms = new Date(to).getTime() - new Date(from).getTime();
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** A modal confirmation (native <dialog>: focus trapped, Escape cancels). */
export function Confirm(props: {
  title: string;
  message: string;
  confirmLabel: string;
  danger: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return (
    <dialog ref={ref} class="confirm" aria-label={props.title} onCancel={props.onCancel}>
      <h3>{props.title}</h3>
      <p>{props.message}</p>
      <div class="actions">
        <button type="button" onClick={props.onCancel}>
          Keep as is
        </button>
        <button type="button" class={props.danger ? 'danger' : 'primary'} data-confirm="yes" onClick={props.onConfirm}>
          {props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

/** Under every paged list: loading, empty, or "Load more" while the API has a next cursor. */
export function ListFooter(props: { loading: boolean; count: number; error: string | null; more: (() => void) | null; empty: string }) {
  return (
    <div class="list-footer">
      {!props.loading && props.count === 0 && !props.error && <p class="muted">{props.empty}</p>}
      {props.loading && <p aria-busy="true">Loading…</p>}
      {props.count > 0 && <span class="muted">{props.count} shown</span>}
      {props.more && !props.loading && (
        <button type="button" onClick={props.more}>
          Load more
        </button>
      )}
    </div>
  );
}

/** A filter's select: the empty value means "any". */
export function FilterSelect(props: {
  label: string;
  value: string;
  options: readonly string[];
  onChange: (value: string) => void;
  name: string;
}) {
  return (
    <label class="inline">
      {props.label}
      <select name={props.name} value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
        <option value="">any</option>
        {props.options.map((s) => (
          <option key={s} value={s}>
            {s.replace(/_/g, ' ')}
          </option>
        ))}
      </select>
    </label>
  );
}

/** A list page's table: labelled for screen readers and tests, one header cell per column, scrolling sideways on a phone. */
export function ListTable(props: { label: string; columns: readonly string[]; children: ComponentChildren }) {
  return (
    <div class="table-wrap">
      <table class="list" aria-label={props.label}>
        <thead>
          <tr>
            {props.columns.map((c) => (
              <th scope="col" key={c}>
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </div>
  );
}
