import { join } from 'node:path';
import { createDbOnPool, type Db } from '@single/db';
import { withServiceSession } from '@single/db/pool';
import pg from 'pg';
import { CmdrError, ExitCode } from '../exit-codes.ts';
import { loadOpsConfig, type OpsConfig } from '../ops/env.ts';
import { explainSchemaError, redactUrl } from '../ops/server-errors.ts';
import { findRoot, loadWorkspace, type Workspace } from '../projects.ts';
import { type Io, Output } from './output.ts';

export interface GlobalOptions {
  json?: boolean;
  root?: string;
}

/** What every command gets: output, the workspace (lazily: ops commands do not need projects.yaml). */
export class Context {
  readonly io: Io;
  readonly output: Output;
  private readonly rootOption: string | undefined;
  private workspaceCache: Workspace | undefined;
  constructor(io: Io, options: GlobalOptions) {
    this.io = io;
    this.output = new Output(io, options.json === true);
    this.rootOption = options.root ?? io.env.CMDR_ROOT;
  }

  workspace(): Workspace {
    this.workspaceCache ??= loadWorkspace(this.rootOption ?? findRoot(this.io.cwd));
    return this.workspaceCache;
  }

  stateFile(): string {
    return this.io.env.CMDR_STATE_FILE ?? join(this.workspace().root, '.cmdr', 'state.json');
  }

  ops(): OpsConfig {
    return loadOpsConfig(this.io.env);
  }

  /** Who asked, for audit fields (replay_requested_by). */
  actor(): string {
    return `cmdr:${this.io.env.CMDR_ACTOR ?? this.io.env.USER ?? 'unknown'}`;
  }

  /** A short-lived pool for one command, only for its Prisma client (`withDb`); connection failures become exit code 5. */
  private async withPool<T>(work: (pool: pg.Pool) => Promise<T>): Promise<T> {
    const url = this.ops().DATABASE_URL;
    const pool = new pg.Pool(withServiceSession({ connectionString: url, max: 2, connectionTimeoutMillis: 5_000 }));
    pool.on('error', () => undefined);
    try {
      try {
        (await pool.connect()).release();
      } catch (error) {
        throw new CmdrError(
          `PostgreSQL unavailable at ${redactUrl(url)}: ${(error as Error).message}`,
          ExitCode.unavailable,
        );
      }
      try {
        return await work(pool);
      } catch (error) {
        // A missing table or column: say to migrate, instead of PostgreSQL's "relation does not exist".
        const db = createDbOnPool(pool);
        try {
          throw await explainSchemaError(error, db, url);
        } finally {
          await db.$disconnect();
        }
      }
    } finally {
      await pool.end();
    }
  }

  /** Prisma Client on the command's short-lived pool (`withPool`: same connection check and error wording). */
  async withDb<T>(work: (db: Db) => Promise<T>): Promise<T> {
    return this.withPool(async (pool) => {
      const db = createDbOnPool(pool);
      try {
        return await work(db);
      } finally {
        await db.$disconnect();
      }
    });
  }
}
