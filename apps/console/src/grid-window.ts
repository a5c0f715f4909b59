/**
 * Windowing of the rollout view's host grid: which cells a scroll position
 * shows, so that a 1,000-host deployment renders a few dozen buttons, not all.
 * Pure: the component measures, this decides.
 */

export interface GridMetrics {
  /** Cells in the grid. */
  count: number;
  /** Inner width of the scrolling box, px. */
  viewportWidth: number;
  /** Visible height of the scrolling box, px. */
  viewportHeight: number;
  scrollTop: number;
  /** Smallest width of a cell, px: the grid fits as many columns as this allows. */
  minCellWidth: number;
  /** Fixed height of a cell, px. */
  cellHeight: number;
  /** Space between cells, px, both ways. */
  gap: number;
  /** Rows rendered beyond each edge of the visible area, so fast scrolls and Tab never meet a blank. */
  overscanRows: number;
}

export interface GridWindow {
  columns: number;
  rows: number;
  /** First rendered cell index. */
  start: number;
  /** One past the last rendered cell index. */
  end: number;
  /** Offset of the first rendered row from the top of the grid, px. */
  offsetTop: number;
  /** Height of the whole grid, every row, px. */
  totalHeight: number;
}

export function gridColumns(viewportWidth: number, minCellWidth: number, gap: number): number {
  return Math.max(1, Math.floor((Math.max(0, viewportWidth) + gap) / (minCellWidth + gap)));
}

export function gridWindow(m: GridMetrics): GridWindow {
  const columns = gridColumns(m.viewportWidth, m.minCellWidth, m.gap);
  const rows = Math.ceil(m.count / columns);
  const pitch = m.cellHeight + m.gap;
  const totalHeight = rows === 0 ? 0 : rows * pitch - m.gap;
  if (rows === 0) return { columns, rows, start: 0, end: 0, offsetTop: 0, totalHeight };
  const maxTop = Math.max(0, totalHeight - m.viewportHeight);
  const top = Math.min(Math.max(0, m.scrollTop), maxTop);
  const firstVisible = Math.min(rows - 1, Math.floor(top / pitch));
  const lastVisible = Math.min(rows - 1, Math.max(firstVisible, Math.ceil((top + Math.max(0, m.viewportHeight)) / pitch) - 1));
  const firstRow = Math.max(0, firstVisible - m.overscanRows);
  const lastRow = Math.min(rows - 1, lastVisible + m.overscanRows);
  return {
    columns,
    rows,
    start: firstRow * columns,
    end: Math.min(m.count, (lastRow + 1) * columns),
    offsetTop: firstRow * pitch,
    totalHeight,
  };
}

/**
 * The scrollTop that brings cell `index` fully into view, moving as little as
 * possible (unchanged when it already is).
 */
export function scrollTopFor(
  index: number,
  m: Pick<GridMetrics, 'scrollTop' | 'viewportHeight' | 'cellHeight' | 'gap'>,
  columns: number,
): number {
  const pitch = m.cellHeight + m.gap;
  const top = Math.floor(index / columns) * pitch;
  const bottom = top + m.cellHeight;
  if (top < m.scrollTop) return top;
  if (bottom > m.scrollTop + m.viewportHeight) return Math.max(0, bottom - m.viewportHeight);
  return m.scrollTop;
}

/** The cell an arrow, Home/End or PageUp/PageDown key moves to from `index`, or null for other keys. */
export function cellAfterKey(key: string, index: number, count: number, columns: number, pageRows: number): number | null {
  if (count === 0) return null;
  const clamp = (i: number) => Math.min(count - 1, Math.max(0, i));
  switch (key) {
    case 'ArrowRight':
      return clamp(index + 1);
    case 'ArrowLeft':
      return clamp(index - 1);
    case 'ArrowDown':
      return index + columns < count ? index + columns : index;
    case 'ArrowUp':
      return index - columns >= 0 ? index - columns : index;
    case 'PageDown':
      return clamp(index + columns * Math.max(1, pageRows));
    case 'PageUp':
      return clamp(index - columns * Math.max(1, pageRows));
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    default:
      return null;
  }
}
