/** `bigbrotr db audit [--sample N]`: re-verify stored events from the database (docs/operations.md). */
import { auditEvents } from '../../core/db/audit.js';
import { createVerifierPool } from '../../utils/verifier/pool.js';
import { COMMON_OPTIONS, intOption, parseCommand } from '../args.js';
import { resolveDeployment } from '../deployment.js';
import { EXIT, UsageError } from '../errors.js';
import { type CliIo, println } from '../io.js';
import { commandLogger } from '../logging.js';
import { openDatabase } from '../runtime.js';

const OPTIONS = { ...COMMON_OPTIONS, sample: { type: 'string' } } as const;

/** Most bad ids listed on stdout (all are counted). */
const MAX_LISTED = 1000;

/** Run `bigbrotr db audit`. */
export async function auditCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand('db', argv, OPTIONS, true);
  if (positionals.length > 0) throw new UsageError('usage: bigbrotr db audit [--sample N] [--deployment DIR]');
  const sample = intOption('sample', values.sample);
  if (sample === 0) throw new UsageError('--sample must be at least 1');
  const deployment = resolveDeployment(io.cwd, values.deployment, values['brotr-config']);
  const logger = commandLogger(io, values, 'db');
  await using open = await openDatabase(deployment, io, logger, { schema: 'verify' });
  await using pool = createVerifierPool();
  const started = Date.now();
  let lastReport = 0;
  const report = await open.db.run(() =>
    auditEvents(open.db.sql, {
      verify: (events) => pool.verify(events, { signal: io.stop }),
      signal: io.stop,
      ...(sample === undefined ? {} : { sample }),
      onProgress(checked, bad, total) {
        const now = Date.now();
        if (now - lastReport < (io.isTty ? 200 : 5000)) return;
        lastReport = now;
        const line = `audit_progress checked=${checked} of=${sample === undefined ? '~' : ''}${total} bad=${bad}`;
        io.stderr.write(io.isTty ? `\r${line}\x1b[K` : `${line}\n`);
      },
    }),
  );
  if (io.isTty && lastReport > 0) io.stderr.write('\n');
  if (!report.verifiable) {
    println(
      io.stdout,
      `${open.db.target}: ${report.why}.\n` +
        `not checked: ids and signatures of the ${report.events} stored events (to re-verify them, fetch them again ` +
        'from the relays their event_relay rows name).\n' +
        'checked by the schema itself, not by this command: 32-byte ids and pubkeys, every sighting referencing a stored event.',
    );
    return EXIT.usage;
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const scope = sample === undefined ? 'every stored event' : `a random sample of ${sample} probes`;
  for (const b of report.bad.slice(0, MAX_LISTED)) println(io.stdout, `${b.id} ${b.reason}`);
  if (report.bad.length > MAX_LISTED) println(io.stdout, `… and ${report.bad.length - MAX_LISTED} more`);
  println(io.stdout, `audited ${report.checked} events (${scope}) in ${seconds}s: ${report.bad.length} do not verify`);
  logger.info('audit_completed', { checked: report.checked, bad: report.bad.length, sample: sample ?? null });
  if (report.checked === 0) println(io.stdout, 'the database holds no events: nothing was verified');
  return report.bad.length > 0 ? EXIT.failure : EXIT.ok;
}
