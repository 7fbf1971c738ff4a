import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateEvents } from '../testing/events.js';
import { checkEventStorable, hasValidId, hasValidSignature, type NostrEvent, unstorableText } from './event.js';
import { BAD_SIGNATURE, createVerifiedPairs, ID_MISMATCH, proveCopies } from './event-proof.js';

/** Any code point, lone surrogates and NUL included (fast-check's 'binary' unit never yields a lone surrogate). */
const unit = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
  fc.constant('\0'),
);
const anyText = fc.string({ unit, maxLength: 12 });

/** What PostgreSQL's text stores: the string's UTF-8 bytes, with U+0000 refused. */
const storedAsIs = (s: string): boolean => !s.includes('\0') && Buffer.from(s, 'utf8').toString('utf8') === s;

describe('the storable rule', () => {
  it('accepts exactly the strings whose UTF-8 bytes read back unchanged and hold no NUL', () => {
    fc.assert(
      fc.property(anyText, (s) => {
        expect(unstorableText(s) === undefined).toBe(storedAsIs(s));
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses an event when any string in content or tags could not be stored as is', () => {
    const [base] = generateEvents(1, { seed: 3 });
    fc.assert(
      fc.property(anyText, fc.array(fc.array(anyText, { maxLength: 3 }), { maxLength: 3 }), (content, tags) => {
        const e = { ...(base as NostrEvent), content, tags };
        expect(checkEventStorable(e).ok).toBe([content, ...tags.flat()].every(storedAsIs));
      }),
    );
  });
});

describe('proveCopies', () => {
  const events = generateEvents(12, { seed: 4 });
  const verify = async (list: readonly NostrEvent[]): Promise<Uint8Array> =>
    Uint8Array.from(list.map((e) => (hasValidId(e) && hasValidSignature(e) ? 1 : 0)));
  type Kind = 'honest' | 'content' | 'sig';
  const copy = (e: NostrEvent, kind: Kind): NostrEvent =>
    kind === 'honest'
      ? { ...e }
      : kind === 'content'
        ? { ...e, content: `${e.content}!` }
        : { ...e, sig: `${e.sig.slice(0, 127)}${e.sig[127] === 'a' ? 'b' : 'a'}` };

  it('whatever the order and the memory, honest copies are proven and forged ones refused', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(events.length - 1), fc.constantFrom<Kind>('honest', 'content', 'sig')), {
          maxLength: 40,
        }),
        fc.nat(events.length),
        async (picks, remembered) => {
          const verified = createVerifiedPairs(100);
          // some pairs proven earlier (a previous batch), some stored in the database
          for (const e of events.slice(0, remembered)) verified.add(e.id, e.sig);
          const stored = new Map<string, string>(events.slice(remembered).map((e) => [e.id, e.sig]));
          const copies = picks.map(([i, kind]) => copy(events[i] as NostrEvent, kind));
          const verdicts = await proveCopies(copies, { verified, storedSig: (id) => stored.get(id), verify });
          picks.forEach(([, kind], j) => {
            expect(verdicts[j]).toBe(kind === 'honest' ? undefined : kind === 'content' ? ID_MISMATCH : BAD_SIGNATURE);
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('checks each distinct unproven pair once and skips Schnorr for a remembered pair', async () => {
    const verified = createVerifiedPairs(100);
    const asked: NostrEvent[] = [];
    const counting = async (list: readonly NostrEvent[]) => {
      asked.push(...list);
      return verify(list);
    };
    const [a, b] = events as [NostrEvent, NostrEvent];
    expect(await proveCopies([a, { ...a }, b, { ...a }], { verified, verify: counting })).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(asked.map((e) => e.id)).toEqual([a.id, b.id]);
    expect(await proveCopies([{ ...a }, copy(a, 'content')], { verified, verify: counting })).toEqual([
      undefined,
      ID_MISMATCH,
    ]);
    expect(asked).toHaveLength(2);
  });
});
