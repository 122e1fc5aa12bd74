import { describe, expect, it } from 'vitest';
import { neutraliseFormula, toCsv } from './csv.ts';

describe('csv - one writer, formula cells neutralised (OWASP CSV injection)', () => {
  it('prefixes text cells that start like a formula with a quote', () => {
    for (const start of ['=', '+', '-', '@', '\t', '\r']) expect(neutraliseFormula(`${start}1+2`)).toBe(`'${start}1+2`);
    expect(neutraliseFormula('plain')).toBe('plain');
    expect(neutraliseFormula('a=b')).toBe('a=b');
  });

  it('writes RFC 4180 with neutralised cells; numbers and booleans stay numbers', () => {
    const csv = toCsv({
      columns: ['learner', 'note', 'grade'],
      rows: [
        ['=HYPERLINK("http://evil","click")', '@SUM(A1:A9)', -0.5],
        ['ada', '+1', true],
        ['bob, jr', 'line\nbreak', null],
        ['\tTAB', '-2', 3],
      ],
    });
    expect(csv).toBe(
      [
        'learner,note,grade',
        `"'=HYPERLINK(""http://evil"",""click"")",'@SUM(A1:A9),-0.5`,
        "ada,'+1,true",
        '"bob, jr","line\nbreak",',
        "'\tTAB,'-2,3",
        '',
      ].join('\r\n'),
    );
  });

  it('a header that starts like a formula is neutralised too', () => {
    expect(toCsv({ columns: ['=cmd'], rows: [] })).toBe("'=cmd\r\n");
  });
});
