import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { redact, redactText } from './redact.js';

const SECRET = 'S3cr-et_pw';

// a password put in every place an operator might put one
const PLACES = [
  `postgres://admin:${SECRET}@db.example:5432/bigbrotr`,
  `postgresql://:${SECRET}@db.example/bigbrotr`,
  `admin:${SECRET}@db.example`,
  `host=db.example user=admin password=${SECRET} dbname=bigbrotr`,
  `host=db.example password='${SECRET}'`,
  `cannot reach PostgreSQL at postgres://u:${SECRET}@h:5432:5432/bigbrotr: ENOTFOUND`,
  `socks5h://user:${SECRET}@127.0.0.1:9050`,
  `https://example.org/?token=${SECRET}&x=1`,
];

describe('redaction', () => {
  it('masks a password in every field and form', () => {
    for (const text of PLACES) {
      const out = redactText(text);
      expect(out, text).not.toContain(SECRET);
      expect(out, text).toContain('***');
    }
    expect(redactText('postgres://admin:pw@db/x')).toBe('postgres://admin:***@db/x');
    expect(redactText('admin:pw@db.example:5432/x')).toBe('admin:***@db.example:5432/x');
  });

  it('leaves text without credentials as it is', () => {
    for (const text of [
      'wss://relay.example.com/path',
      'postgres://reader@db:5432/bigbrotr',
      'wss://[2001:db8::1]:443',
      'sync_completed events=1500 duration=45.2',
      'state_key=request:abc',
    ])
      expect(redactText(text)).toBe(text);
  });

  it('masks secret-looking keys and nested values, and the logger uses it for messages and fields', () => {
    expect(redact({ db: { password: 'x', host: `u:${SECRET}@h` } })).toEqual({
      db: { password: '***', host: 'u:***@h' },
    });
    let text = '';
    const stream = new Writable({
      write(chunk, _e, cb) {
        text += String(chunk);
        cb();
      },
    });
    const log = createLogger({ format: 'text', stream });
    for (const place of PLACES) log.warn(`failed ${place}`, { detail: place, error: new Error(place) });
    expect(text.split('\n').filter(Boolean)).toHaveLength(PLACES.length);
    expect(text).not.toContain(SECRET);
  });
});
