import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

function capture(): { stream: Writable; lines: () => string[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return { stream, lines: () => chunks.join('').trim().split('\n') };
}

describe('logger', () => {
  it('writes text lines with a message name and key=value fields', () => {
    const out = capture();
    const log = createLogger({ format: 'text', stream: out.stream }).child({ service: 'synchronizer' });
    log.info('sync_completed', { events: 1500, duration: 45.2, relay: 'wss://r.example.com', note: 'two words' });
    log.debug('hidden');
    const [line] = out.lines();
    expect(line).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d INFO synchronizer: sync_completed events=1500 duration=45.2 relay=wss:\/\/r.example.com note="two words"$/,
    );
    expect(out.lines()).toHaveLength(1);
  });

  it('writes JSON records with timestamp, level, service and message', () => {
    const out = capture();
    const log = createLogger({ format: 'json', stream: out.stream, service: 'finder', level: 'debug' });
    log.debug('relays_seen', { count: 3 });
    const record = JSON.parse(out.lines()[0] ?? '{}');
    expect(record).toMatchObject({ level: 'debug', service: 'finder', message: 'relays_seen', count: 3 });
    expect(typeof record.timestamp).toBe('string');
  });

  it('never writes secrets', () => {
    const out = capture();
    const log = createLogger({ format: 'json', stream: out.stream });
    log.error('db_failed', {
      url: 'postgres://writer:hunter2@db:5432/bigbrotr',
      password: 'hunter2',
      nested: { private_key: 'aa'.repeat(32), ok: 'fine' },
      key: 'nsec1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnzgl8gzqg4u5d8vmsvhfqsl8t9k',
    });
    const text = out.lines().join('\n');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('aa'.repeat(32));
    expect(text).not.toContain('nsec1qqq');
    expect(text).toContain('postgres://writer:***@db:5432/bigbrotr');
    expect(text).toContain('"ok":"fine"');
  });

  it('writes each key once in JSON, also for a child that names its own service', () => {
    const out = capture();
    const log = createLogger({ format: 'json', stream: out.stream, service: 'up' }).child({ service: 'dvm' });
    log.child({ relay: 'wss://r.example' }).info('cycle_completed', { duration: 1 });
    const line = out.lines()[0] ?? '';
    expect(line.match(/"service"/g)).toHaveLength(1);
    expect(JSON.parse(line)).toMatchObject({ service: 'dvm', relay: 'wss://r.example', message: 'cycle_completed' });
  });
});
