import { Capture } from '../../helpers/capture.js';
import { formatSummary, ImportProgress, Tally } from '../../../core/import/report.js';


describe('import progress and summary', () => {
  it('prints a line every 10 batches when the output is not a terminal', () => {
    const tally = new Tally(0);
    const out = new Capture(false);
    const progress = new ImportProgress(out, tally);
    for (let batch = 1; batch <= 25; batch++) {
      for (let h = 0; h < 100; h++) tally.accept(4);
      progress.batchDone(batch * 1000);
    }
    expect(out.text).toBe(
      'import: 4,000 rows read, 100 households/s, 0 rows rejected\n' + 'import: 8,000 rows read, 100 households/s, 0 rows rejected\n',
    );
  });

  it('redraws at most every 200 ms on a terminal', () => {
    const tally = new Tally(0);
    const out = new Capture(true);
    const progress = new ImportProgress(out, tally);
    tally.accept(3);
    progress.batchDone(1000);
    progress.batchDone(1100);
    tally.reject(2, [{ line: 7, column: 'sex', message: 'must be one of male, female, other, unknown' }]);
    progress.batchDone(1300);
    expect(out.text).toBe(
      '\rimport: 3 rows read, 1 households/s, 0 rows rejected\x1b[K' + '\rimport: 5 rows read, 1 households/s, 2 rows rejected\x1b[K',
    );
  });

  it('sums up with the first 20 reasons in line order', () => {
    const tally = new Tally(0);
    tally.accept(4);
    for (let line = 40; line >= 2; line--) tally.reject(1, [{ line, column: line % 2 ? '' : 'birth_date', message: 'is not a date written YYYY-MM-DD' }]);
    const text = formatSummary(tally.summary(12_340));
    expect(text.split('\n')).toEqual([
      'Imported 1 household (4 rows) in 12.3 s.',
      'Rejected 39 rows (a household with a bad row is rejected whole).',
      'The first 20 reasons of 39:',
      '  line 2, birth_date: is not a date written YYYY-MM-DD',
      '  line 3: is not a date written YYYY-MM-DD',
      ...Array.from({ length: 18 }, (_, i) => `  line ${i + 4}${(i + 4) % 2 ? '' : ', birth_date'}: is not a date written YYYY-MM-DD`),
      '',
    ]);
  });
});
