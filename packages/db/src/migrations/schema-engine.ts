import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import type { SchemaEngine } from '@prisma/schema-engine-wasm/schema_engine_bg';
import pg from 'pg';

// Prisma's schema engine compiled to Wasm, driven through the pg driver adapter. It is the engine behind
// `prisma migrate` (same migration SQL, same `_prisma_migrations` bookkeeping and checksums) without the
// native binary, which cannot be downloaded here.

type Bindings = typeof import('@prisma/schema-engine-wasm/schema_engine_bg');

/** The engine's Rust panic hook writes its message here (wasm-bindgen glue reads this global). */
const panicRegistry = {
  message: '',
  set_message(message: string) {
    this.message = `RuntimeError: ${message}`;
  },
};

// The WebAssembly global exists in Node but is typed only by lib.dom, which this repository does not load.
type WasmApi = {
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: Record<string, unknown> } }>;
};
const { WebAssembly: wasmApi } = globalThis as unknown as { WebAssembly: WasmApi };

let bindings: Promise<Bindings> | undefined;

/** Instantiates the Wasm module once per process: the glue module holds it in module state. */
function loadBindings(): Promise<Bindings> {
  bindings ??= (async () => {
    (globalThis as { PRISMA_WASM_PANIC_REGISTRY?: typeof panicRegistry }).PRISMA_WASM_PANIC_REGISTRY = panicRegistry;
    const glueUrl = import.meta.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const glue = (await import(glueUrl)) as Bindings;
    const bytes = await readFile(fileURLToPath(new URL('./schema_engine_bg.wasm', glueUrl)));
    const { instance } = await wasmApi.instantiate(bytes, { './schema_engine_bg.js': glue });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as (() => void) | undefined)?.();
    return glue;
  })();
  return bindings;
}

export type EngineLog = (line: string) => void;

/**
 * pg_catalog columns of type "char" (OID 18: relkind, contype, ...) are not mapped by @prisma/adapter-pg
 * 7.10, so the engine fails to describe any Postgres schema ("Column type 'char' could not be
 * deserialized", prisma/prisma#27403). They hold one ASCII letter: report them as text (OID 25).
 */
const catalogTypeAsText = new Map([[18, 25]]);

type Fields = { fields?: { dataTypeID: number }[] };

function retypeCatalogColumns<R>(result: R): R {
  for (const part of (Array.isArray(result) ? result : [result]) as Fields[]) {
    for (const field of part?.fields ?? [])
      field.dataTypeID = catalogTypeAsText.get(field.dataTypeID) ?? field.dataTypeID;
  }
  return result;
}

/** A pg client whose results report catalog-only column types as text; pools create it for every query. */
class CatalogTypesClient extends pg.Client {
  // biome-ignore lint/suspicious/noExplicitAny: pg's query() has a dozen overloads; we only wrap the result.
  override query(...args: any[]): any {
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback === 'function') {
      args[last] = (error: unknown, result: unknown) => callback(error, error ? result : retypeCatalogColumns(result));
      // biome-ignore lint/suspicious/noExplicitAny: see above
      return (super.query as any)(...args);
    }
    // biome-ignore lint/suspicious/noExplicitAny: see above
    const pending = (super.query as any)(...args);
    return pending instanceof Promise ? pending.then(retypeCatalogColumns) : pending;
  }
}

/** Adds the Rust panic message (if any) to an engine error, which otherwise only says "unreachable". */
function withPanicMessage(error: unknown): unknown {
  if (panicRegistry.message === '' || !(error instanceof Error)) return error;
  const message = panicRegistry.message;
  panicRegistry.message = '';
  return new Error(`${error.message}\n${message}`, { cause: error });
}

function poolFor(databaseUrl: string): pg.Pool {
  return new pg.Pool({ connectionString: databaseUrl, max: 2, Client: CatalogTypesClient });
}

function withDatabase(databaseUrl: string, database: string): string {
  const url = new URL(databaseUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

/**
 * The pg adapter factory, with our own shadow database. PrismaPg's connectToShadowDb() spreads the pool
 * options into a new pool with another `database`, but pg lets `connectionString` win over `database`:
 * the "shadow" replay would run on the main database. Here the shadow gets its own URL, and is dropped
 * when the engine disposes of it.
 */
function adapterFactory(databaseUrl: string, pool: pg.Pool): SqlMigrationAwareDriverAdapterFactory {
  const main = new PrismaPg(pool);
  return {
    provider: main.provider,
    adapterName: main.adapterName,
    connect: () => main.connect(),
    async connectToShadowDb(): Promise<SqlDriverAdapter> {
      const name = `prisma_migrate_shadow_db_${randomUUID()}`;
      await pool.query(`CREATE DATABASE "${name}"`);
      const shadowPool = poolFor(withDatabase(databaseUrl, name));
      const adapter = await new PrismaPg(shadowPool).connect();
      const dispose = adapter.dispose.bind(adapter);
      adapter.dispose = async () => {
        await dispose();
        await shadowPool.end();
        // Not WITH (FORCE): a backend of shadowPool may still be closing, and terminating it would surface
        // as an unhandled client error. A plain DROP waits (up to 5 s) for such backends to exit.
        await pool.query(`DROP DATABASE IF EXISTS "${name}"`);
      };
      return adapter;
    },
  };
}

/**
 * Runs `work` with a schema engine connected to `databaseUrl`, then closes every connection it opened:
 * a lingering connection would block `CREATE DATABASE ... TEMPLATE` and `DROP DATABASE` later on.
 */
export async function withSchemaEngine<T>(
  databaseUrl: string,
  schema: { path: string; content: string } | undefined,
  work: (engine: SchemaEngine) => Promise<T>,
  log: EngineLog = () => {},
): Promise<T> {
  const glue = await loadBindings();
  const pool = poolFor(databaseUrl);
  const factory = bindMigrationAwareSqlAdapterFactory(adapterFactory(databaseUrl, pool));
  const datamodels: [string, string][] | undefined = schema ? [[schema.path, schema.content]] : undefined;
  try {
    const engine = await glue.SchemaEngine.new({ datamodels }, log, factory);
    try {
      return await work(engine);
    } finally {
      engine.free();
    }
  } catch (error) {
    throw withPanicMessage(error);
  } finally {
    await pool.end();
  }
}
