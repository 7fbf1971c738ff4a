import { describe, expect, it } from 'vitest';
import { brotrConfigSchema, parseConfigText } from '../core/config/index.js';
import { SERVICE_NAMES } from '../models/service-state.js';
import { apiConfigSchema } from '../services/api/config.js';
import { READ_ONLY_SERVICES, SERVICE_ROLES, serviceConnection } from './service-db.js';

const brotr = parseConfigText('', brotrConfigSchema, 'brotr.yaml', {});

describe('the connection of each service', () => {
  it('is its deployment role when its config names none, never brotr.yaml admin user', () => {
    for (const name of SERVICE_NAMES) {
      const conn = serviceConnection(brotr, undefined, name);
      expect(conn.user, name).toBe(SERVICE_ROLES[name]);
      expect(conn.user).not.toBe(brotr.database.user);
      expect(conn.applicationName).toBe(name);
    }
    expect(serviceConnection(brotr, undefined, 'dvm').passwordEnv).toBe('DB_DVM_PASSWORD');
    expect(serviceConnection(brotr, { user: 'ro', password_env: 'RO_PW' }, 'api')).toMatchObject({
      user: 'ro',
      passwordEnv: 'RO_PW',
    });
    expect([...READ_ONLY_SERVICES].sort()).toEqual(['api', 'dvm']);
  });

  it('gives an empty api.yaml the safe defaults: loopback, the reader role, no table served', () => {
    const api = parseConfigText('', apiConfigSchema, 'api.yaml', {});
    expect(api.host).toBe('127.0.0.1');
    expect(api.tables).toEqual({});
    expect(serviceConnection(brotr, undefined, 'api')).toMatchObject({
      user: 'reader',
      passwordEnv: 'DB_READER_PASSWORD',
    });
  });
});
