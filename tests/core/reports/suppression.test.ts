// Small-cell suppression as a rule over any line of counts: no small count is ever shown, a withheld cell never stands
// alone, and the withheld cells of a line together hold at least the threshold (so the published total minus the
// shown cells cannot be split back into them).
import fc from 'fast-check';
import { suppressCount, suppressLine } from '../../../core/reports/suppression.js';

describe('small-cell suppression', () => {
  it('withholds counts from 1 to k-1, shows 0 and k and more', () => {
    expect([0, 1, 4, 5, 100].map((n) => suppressCount(n, 5))).toEqual([0, null, null, 5, 100]);
  });

  it('takes the smallest other non-zero cell along with a lone small cell', () => {
    expect(suppressLine([3, 0, 40, 7, 9], 5)).toEqual({ withheld: [true, false, false, true, false], totalWithheld: false });
    // two small cells that together hold fewer than k: a third goes too
    expect(suppressLine([1, 1, 20, 30], 5).withheld).toEqual([true, true, true, false]);
    // nothing small: nothing withheld
    expect(suppressLine([5, 6, 0], 5)).toEqual({ withheld: [false, false, false], totalWithheld: false });
    // the whole line is small: the total goes too
    expect(suppressLine([2, 0, 1], 5)).toEqual({ withheld: [true, false, true], totalWithheld: true });
  });

  it('counts cells withheld for another reason (a small row) as withheld, and protects them the same way', () => {
    expect(suppressLine([12, 30, 40], 5, [true, false, false]).withheld).toEqual([true, true, false]);
  });

  it('holds for any line: no small cell shown, never one withheld cell alone, withheld cells hold at least k', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 30 }), { minLength: 1, maxLength: 12 }), fc.integer({ min: 2, max: 10 }), (values, k) => {
        const { withheld, totalWithheld } = suppressLine(values, k);
        const total = values.reduce((a, b) => a + b, 0);
        values.forEach((v, i) => {
          if (v > 0 && v < k) expect(withheld[i]).toBe(true);
          if (v === 0) expect(withheld[i]).toBe(false);
        });
        const hidden = values.filter((_, i) => withheld[i]);
        if (hidden.length > 0 && !totalWithheld) {
          expect(hidden.length).toBeGreaterThanOrEqual(2);
          expect(hidden.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(k);
        }
        expect(totalWithheld).toBe(total > 0 && total < k);
      }),
      { numRuns: 500 },
    );
  });
});
