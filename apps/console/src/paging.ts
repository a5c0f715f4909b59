import { useEffect, useRef, useState } from 'preact/hooks';
import { api, Page } from './api';

/**
 * Cursor paging: the first page on a filter change, `more()` appends the next.
 * An answer that arrives after a newer request was made is dropped, so a fast
 * filter change never shows the older filter's rows.
 */
export function usePaged<T>(path: (cursor: string | null) => string, deps: unknown[]) {
  const [items, setItems] = useState<T[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const seq = useRef(0);

  async function load(cursor: string | null, replace: boolean) {
    const mine = ++seq.current;
    setLoading(true);
    try {
      const page = await api<Page<T>>('GET', path(cursor));
      if (mine !== seq.current) return;
      setItems((current) => (replace ? page.items : [...current, ...page.items]));
      setNext(page.nextCursor);
      setError(null);
    } catch (e) {
      if (mine === seq.current) setError((e as Error).message);
    } finally {
      if (mine === seq.current) setLoading(false);
    }
  }
  useEffect(() => {
    void load(null, true);
  }, deps);
  return {
    items,
    error,
    loading,
    more: next ? () => void load(next, false) : null,
    refresh: () => void load(null, true),
    setItems,
  };
}

/** `?a=1&b=2` from the values that are set. */
export function query(params: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') search.set(k, String(v));
  const text = search.toString();
  return text ? `?${text}` : '';
}
