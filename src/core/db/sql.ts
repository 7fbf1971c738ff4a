/** The database handle every query function takes: the pool or a transaction opened on it (postgres.js). */
import type postgres from 'postgres';

/** A pool or a transaction: query functions accept either, so a caller can group them in one transaction. */
export type Sql = postgres.Sql | postgres.TransactionSql;
