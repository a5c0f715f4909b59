import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { DeploymentHost } from './api';
import { cellAfterKey, gridWindow, scrollTopFor } from './grid-window';

// Fixed cell size: the windowing math needs it, and styles.css reads the
// same numbers from the custom properties set below.
const MIN_CELL_WIDTH = 150;
const CELL_HEIGHT = 28;
const GAP = 4;
const OVERSCAN_ROWS = 3;

interface Box {
  width: number;
  height: number;
  scrollTop: number;
}

/**
 * Every target host as a button coloured by status, windowed: only the rows
 * in view (and a few around them) are in the DOM, so a 1,000-host rollout
 * stays responsive while it updates live. One tab stop; arrow keys, Page
 * Up/Down, Home and End move between hosts, scrolling as needed.
 */
export function HostGrid({
  hosts,
  selected,
  onSelect,
}: {
  hosts: DeploymentHost[];
  selected: string | null;
  onSelect: (hostId: string) => void;
}) {
  const viewport = useRef<HTMLDivElement>(null);
  const [box, setBox] = useState<Box>({ width: 0, height: 0, scrollTop: 0 });
  const [active, setActive] = useState(0);
  const focusNext = useRef<number | null>(null);
  const frame = useRef<number | null>(null);

  const measure = () => {
    const el = viewport.current;
    if (!el) return;
    setBox((b) =>
      b.width === el.clientWidth && b.height === el.clientHeight && b.scrollTop === el.scrollTop
        ? b
        : { width: el.clientWidth, height: el.clientHeight, scrollTop: el.scrollTop },
    );
  };

  useLayoutEffect(() => {
    const el = viewport.current;
    if (!el) return;
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => {
      observer.disconnect();
      if (frame.current !== null) cancelAnimationFrame(frame.current);
    };
  }, []);

  const count = hosts.length;
  const w = gridWindow({
    count,
    viewportWidth: box.width,
    viewportHeight: box.height,
    scrollTop: box.scrollTop,
    minCellWidth: MIN_CELL_WIDTH,
    cellHeight: CELL_HEIGHT,
    gap: GAP,
    overscanRows: OVERSCAN_ROWS,
  });

  // Sizes go in through the CSSOM (allowed by the CSP), never a style attribute.
  useLayoutEffect(() => {
    const el = viewport.current;
    if (!el) return;
    el.style.setProperty('--grid-total', `${w.totalHeight}px`);
    el.style.setProperty('--grid-offset', `${w.offsetTop}px`);
    el.style.setProperty('--grid-cols', String(w.columns));
    el.style.setProperty('--cell-h', `${CELL_HEIGHT}px`);
    el.style.setProperty('--cell-gap', `${GAP}px`);
    // The height follows the content (up to a cap in CSS): measure again.
    measure();
  }, [w.totalHeight, w.offsetTop, w.columns]);

  useEffect(() => {
    if (focusNext.current === null) return;
    const target = viewport.current?.querySelector<HTMLButtonElement>(`button[data-index="${focusNext.current}"]`);
    if (target) {
      focusNext.current = null;
      target.focus({ preventScroll: true });
    }
  });

  const onScroll = () => {
    if (frame.current !== null) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = null;
      measure();
    });
  };

  const onKeyDown = (event: KeyboardEvent) => {
    const el = viewport.current;
    const index = Number((event.target as HTMLElement).dataset?.index);
    if (!el || !Number.isInteger(index)) return;
    const pageRows = Math.max(1, Math.floor(box.height / (CELL_HEIGHT + GAP)));
    const next = cellAfterKey(event.key, index, count, w.columns, pageRows);
    if (next === null) return;
    event.preventDefault();
    const top = scrollTopFor(
      next,
      { scrollTop: el.scrollTop, viewportHeight: el.clientHeight, cellHeight: CELL_HEIGHT, gap: GAP },
      w.columns,
    );
    el.scrollTop = top;
    focusNext.current = next;
    setActive(next);
    setBox({ width: el.clientWidth, height: el.clientHeight, scrollTop: el.scrollTop });
  };

  const tabStop = active >= w.start && active < w.end ? active : w.start;
  return (
    <div
      ref={viewport}
      class="grid"
      role="group"
      aria-label={`Hosts: ${count}. Arrow keys move between hosts, Enter opens one.`}
      data-count={count}
      onScroll={onScroll}
      onKeyDown={onKeyDown}
    >
      <div class="grid-canvas">
        <div class="grid-rows">
          {hosts.slice(w.start, w.end).map((h, i) => {
            const index = w.start + i;
            return (
              <button
                type="button"
                key={h.hostId}
                data-index={index}
                tabIndex={index === tabStop ? 0 : -1}
                class={`host s-${h.status}${h.hostId === selected ? ' selected' : ''}`}
                data-status={h.status}
                data-host={h.hostName}
                title={`${h.hostName} (${h.address}): ${h.status}`}
                aria-label={`${h.hostName}: ${h.status.replace(/_/g, ' ')}`}
                aria-pressed={h.hostId === selected}
                onFocus={() => setActive(index)}
                onClick={() => onSelect(h.hostId)}
              >
                {h.hostName}
              </button>
            );
          })}
        </div>
      </div>
    </div>
  );
}
