import { describe, expect, it } from '@jest/globals';
import { cellAfterKey, GridMetrics, gridColumns, gridWindow, scrollTopFor } from './grid-window';

// 1,000 hosts in 150 px cells, 28 px high with a 4 px gap (a 32 px row pitch), in a 640 x 320 px box.
const base: GridMetrics = {
  count: 1000,
  viewportWidth: 640,
  viewportHeight: 320,
  scrollTop: 0,
  minCellWidth: 150,
  cellHeight: 28,
  gap: 4,
  overscanRows: 2,
};
const at = (over: Partial<GridMetrics>) => gridWindow({ ...base, ...over });

describe('gridColumns', () => {
  it.each([
    ['four 150 px cells and three gaps fit 640 px', 640, 4],
    ['exactly four cells and three gaps (612 px)', 612, 4],
    ['one pixel short of four cells', 611, 3],
    ['a phone-width box', 358, 2],
    ['a box narrower than one cell still shows one column', 100, 1],
    ['a box not laid out yet (0 px)', 0, 1],
  ])('%s', (_name, width, columns) => {
    expect(gridColumns(width, 150, 4)).toBe(columns);
  });
});

describe('gridWindow', () => {
  it('renders only the visible rows plus the overscan, not 1,000 cells', () => {
    // 320 px shows rows 0-9; two rows of overscan below make 12 rows of 4.
    expect(at({})).toEqual({ columns: 4, rows: 250, start: 0, end: 48, offsetTop: 0, totalHeight: 250 * 32 - 4 });
  });

  it('moves the window with the scroll position and places it at its row', () => {
    // scrollTop 3200 = row 100 at the top: rows 98-111 rendered.
    expect(at({ scrollTop: 3200 })).toEqual(expect.objectContaining({ start: 98 * 4, end: 112 * 4, offsetTop: 98 * 32 }));
  });

  it('counts a row cut at the bottom edge as visible', () => {
    // scrollTop 16: rows 0 (half) to 10 (half) are visible.
    expect(at({ scrollTop: 16, overscanRows: 0 })).toEqual(expect.objectContaining({ start: 0, end: 11 * 4 }));
  });

  it('reaches the last host at the bottom, with a short last row', () => {
    const w = at({ count: 1001, scrollTop: 1e9 });
    expect(w.rows).toBe(251);
    expect(w.end).toBe(1001);
    // The bottom 320 px show row 240 (cut) to 250; two rows of overscan above.
    expect(w.start).toBe(238 * 4);
  });

  it('clamps a scroll position left over from a bigger deployment', () => {
    expect(at({ count: 8, scrollTop: 5000 })).toEqual({ columns: 4, rows: 2, start: 0, end: 8, offsetTop: 0, totalHeight: 60 });
  });

  it('renders every cell of a small deployment', () => {
    expect(at({ count: 5 })).toEqual(expect.objectContaining({ start: 0, end: 5, rows: 2 }));
  });

  it('renders nothing for no hosts', () => {
    expect(at({ count: 0 })).toEqual({ columns: 4, rows: 0, start: 0, end: 0, offsetTop: 0, totalHeight: 0 });
  });
});

describe('scrollTopFor', () => {
  const m = { scrollTop: 320, viewportHeight: 320, cellHeight: 28, gap: 4 };
  it.each([
    ['keeps the position when the cell is already in view', 50, 320],
    ['scrolls up to a cell above the view', 8, 64],
    ['scrolls down just enough for a cell below the view', 80, 20 * 32 + 28 - 320],
  ])('%s', (_name, index, expected) => {
    expect(scrollTopFor(index, m, 4)).toBe(expected);
  });
});

describe('cellAfterKey', () => {
  it.each([
    ['ArrowRight moves one cell', 'ArrowRight', 5, 6],
    ['ArrowRight stops at the last cell', 'ArrowRight', 9, 9],
    ['ArrowLeft stops at the first cell', 'ArrowLeft', 0, 0],
    ['ArrowDown moves one row', 'ArrowDown', 1, 5],
    ['ArrowDown stays put when the row below has no cell there', 'ArrowDown', 7, 7],
    ['ArrowUp moves one row', 'ArrowUp', 6, 2],
    ['ArrowUp stays in the first row', 'ArrowUp', 2, 2],
    ['PageDown moves a page of rows, clamped', 'PageDown', 1, 9],
    ['PageUp moves a page of rows up in the same column', 'PageUp', 9, 1],
    ['PageUp stops at the first cell', 'PageUp', 3, 0],
    ['Home goes to the first cell', 'Home', 7, 0],
    ['End goes to the last cell', 'End', 0, 9],
    ['other keys are not the grid’s', 'Enter', 3, null],
  ])('%s', (_name, key, from, to) => {
    expect(cellAfterKey(key, from, 10, 4, 2)).toBe(to);
  });
});
