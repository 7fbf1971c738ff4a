import { describe, expect, it } from 'vitest';
import { isPostgresClosedSocketWrite } from './guard.js';

describe('process guard', () => {
  it("recognises only postgres.js's write on a closed connection", () => {
    const bug = new TypeError("Cannot read properties of null (reading 'write')");
    bug.stack = `${bug.message}\n    at Immediate.nextWrite (/app/node_modules/postgres/src/connection.js:255:22)`;
    expect(isPostgresClosedSocketWrite(bug)).toBe(true);
    const elsewhere = new TypeError("Cannot read properties of null (reading 'write')");
    elsewhere.stack = `${elsewhere.message}\n    at write (/app/dist/services/x.js:1:1)`;
    expect(isPostgresClosedSocketWrite(elsewhere)).toBe(false);
    expect(isPostgresClosedSocketWrite(new Error('boom'))).toBe(false);
  });
});
