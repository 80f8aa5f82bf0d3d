import { createServer, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

// A PostgreSQL wire-protocol front for one PGlite instance, so pg.Pool, Prisma and psql connect unchanged.
// PGlite is one backend session; this server multiplexes client connections onto it. Unlike the
// multiplexer of @electric-sql/pglite-socket (which interleaves at message level outside explicit
// transactions), a connection keeps the session from its first message until the session is back to
// idle: after a Sync or a simple Query, outside a transaction block. So the unnamed statement and portal
// of the extended protocol never mix between clients. NOTIFY reaches every connection (one session:
// only the committing one would see it otherwise), which keeps LISTEN-based wake-ups working. Named
// prepared statements and portals live in the session too: each connection's names get its own prefix,
// so two clients preparing the same name (pg's `name:` queries) do not collide.

const SSL_REQUEST = 80877103;
const GSS_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;

interface Connection {
  id: number;
  socket: Socket;
  buffer: Buffer;
  started: boolean;
  queue: Buffer[];
  closed: boolean;
  /** Session-level names this connection prepared (deallocated when it leaves). */
  statements: Set<string>;
}

export interface WireServerOptions {
  db: PGlite;
  host?: string;
  /** 0 = a free port. */
  port?: number;
}

export class PgliteWireServer {
  private readonly db: PGlite;
  private readonly host: string;
  private readonly requestedPort: number;
  private server: Server | undefined;
  private readonly connections = new Set<Connection>();
  /** FIFO of connections with queued messages, each listed once. */
  private readonly ready: Connection[] = [];
  private owner: Connection | undefined;
  private running = false;
  /** Prepared statements of connections that left, dropped when the session is next idle. */
  private leftovers: string[] = [];
  private nextId = 1;
  port = 0;

  constructor(options: WireServerOptions) {
    this.db = options.db;
    this.host = options.host ?? '127.0.0.1';
    this.requestedPort = options.port ?? 0;
  }

  get stats() {
    return { connections: this.connections.size };
  }

  async start(): Promise<number> {
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.requestedPort, this.host, () => resolve());
    });
    const address = server.address();
    this.port = typeof address === 'object' && address ? address.port : this.requestedPort;
    return this.port;
  }

  async stop(): Promise<void> {
    for (const connection of this.connections) connection.socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(socket: Socket) {
    socket.setNoDelay(true);
    const connection: Connection = {
      id: this.nextId++,
      socket,
      buffer: Buffer.alloc(0),
      started: false,
      queue: [],
      closed: false,
      statements: new Set(),
    };
    this.connections.add(connection);
    socket.on('data', (chunk) => this.receive(connection, chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => void this.close(connection));
  }

  /** Splits the byte stream into protocol messages (the first ones untyped: startup, SSL and cancel requests). */
  private receive(connection: Connection, chunk: Buffer) {
    connection.buffer = connection.buffer.length === 0 ? chunk : Buffer.concat([connection.buffer, chunk]);
    for (;;) {
      const buffer = connection.buffer;
      if (!connection.started) {
        if (buffer.length < 8) break;
        const length = buffer.readInt32BE(0);
        if (buffer.length < length) break;
        const code = buffer.readInt32BE(4);
        connection.buffer = buffer.subarray(length);
        if (code === SSL_REQUEST || code === GSS_REQUEST) {
          connection.socket.write('N');
          continue;
        }
        if (code === CANCEL_REQUEST) {
          connection.socket.end(); // not supported: the query runs to completion
          return;
        }
        if (code !== PROTOCOL_3) {
          connection.socket.destroy();
          return;
        }
        connection.started = true;
        this.enqueue(connection, buffer.subarray(0, length));
        continue;
      }
      if (buffer.length < 5) break;
      const length = 1 + buffer.readInt32BE(1);
      if (buffer.length < length) break;
      connection.buffer = buffer.subarray(length);
      this.enqueue(connection, buffer.subarray(0, length));
    }
  }

  private enqueue(connection: Connection, message: Buffer) {
    if (connection.queue.length === 0 && connection !== this.owner) this.ready.push(connection);
    connection.queue.push(connection.started ? scopeNames(connection, message) : Buffer.from(message));
    void this.pump();
  }

  private nextConnection(): Connection | undefined {
    if (this.owner) return this.owner.queue.length > 0 ? this.owner : undefined;
    for (;;) {
      const candidate = this.ready.shift();
      if (!candidate) return undefined;
      if (!candidate.closed && candidate.queue.length > 0) return candidate;
    }
  }

  private async pump() {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        if (!this.owner && this.leftovers.length > 0) await this.deallocateLeftovers();
        const connection = this.nextConnection();
        if (!connection) break;
        this.owner = connection;
        const message = connection.queue.shift() as Buffer;
        const type = connection.started && message[0] !== undefined ? message[0] : 0;
        await this.execute(connection, message);
        if (message.length >= 8 && message.readInt32BE(4) === PROTOCOL_3) {
          this.release(connection);
        } else if ((type === 0x53 /* Sync */ || type === 0x51) /* Query */ && !this.db.isInTransaction()) {
          this.release(connection);
        } else if (type === 0x58 /* Terminate */) {
          this.release(connection);
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async deallocateLeftovers() {
    const names = this.leftovers;
    this.leftovers = [];
    // Not inside db.runExclusive: exec takes that same lock itself, so wrapping it deadlocked the session
    // for good (idle pool clients closing after a storm froze every app). Nothing else runs here: the pump
    // is ours and no connection owns the session.
    for (const name of names) await this.db.exec(`DEALLOCATE "${name}"`).catch(() => undefined);
  }

  /** The session is free again: the connection queues behind the others if it has more to say. */
  private release(connection: Connection) {
    this.owner = undefined;
    if (connection.queue.length > 0 && !connection.closed) this.ready.push(connection);
  }

  private async execute(connection: Connection, message: Buffer) {
    const frames = new FrameReader();
    try {
      await this.db.runExclusive(() =>
        this.db.execProtocolRawStream(new Uint8Array(message), {
          onRawData: (data) => {
            if (!connection.closed) connection.socket.write(Buffer.from(data));
            for (const notification of frames.notifications(data)) this.broadcast(connection, notification);
          },
        }),
      );
    } catch {
      connection.socket.destroy();
    }
  }

  private broadcast(from: Connection, notification: Buffer) {
    for (const connection of this.connections) {
      if (connection !== from && connection.started && !connection.closed) connection.socket.write(notification);
    }
  }

  private async close(connection: Connection) {
    connection.closed = true;
    connection.queue = [];
    this.connections.delete(connection);
    const owned = this.owner === connection;
    for (const name of connection.statements) this.leftovers.push(name);
    if (!owned) {
      void this.pump(); // the leftovers are deallocated as soon as the session is idle
      return;
    }
    // The client left mid-transaction or mid-extended-query: give the session back clean.
    // The session stays owned by the departed connection until then, so nobody else runs in between; exec
    // queues behind a message of its still in flight (PGlite's own lock, which runExclusive would deadlock on).
    try {
      if (this.db.isInTransaction()) await this.db.exec('ROLLBACK').catch(() => undefined);
    } finally {
      this.owner = undefined;
      void this.pump();
    }
  }
}

const PARSE = 0x50;
const BIND = 0x42;
const DESCRIBE = 0x44;
const CLOSE = 0x43;
const EXECUTE = 0x45;

const scoped = (connection: Connection, name: string) => (name === '' ? '' : `c${connection.id}_${name}`);

/** Reads the NUL-terminated string at `offset`: [text, offset after the NUL]. */
function cstring(buffer: Buffer, offset: number): [string, number] {
  const end = buffer.indexOf(0, offset);
  return [buffer.toString('utf8', offset, end), end + 1];
}

/** Rebuilds a message of `type` from its new leading strings and the unchanged rest of the body. */
function rebuild(type: number, leading: string[], rest: Buffer): Buffer {
  const strings = Buffer.concat(leading.map((text) => Buffer.from(`${text}\0`, 'utf8')));
  const header = Buffer.alloc(5);
  header[0] = type;
  header.writeInt32BE(4 + strings.length + rest.length, 1);
  return Buffer.concat([header, strings, rest]);
}

/**
 * Prefixes the statement and portal names of an extended-protocol message with the connection's id
 * (the unnamed ones stay unnamed: they are per-message-cycle and the session is owned for the cycle).
 */
function scopeNames(connection: Connection, message: Buffer): Buffer {
  const type = message[0];
  if (type === PARSE) {
    const [statement, next] = cstring(message, 5);
    if (statement === '') return Buffer.from(message);
    connection.statements.add(scoped(connection, statement));
    return rebuild(type, [scoped(connection, statement)], message.subarray(next));
  }
  if (type === BIND) {
    const [portal, afterPortal] = cstring(message, 5);
    const [statement, next] = cstring(message, afterPortal);
    if (portal === '' && statement === '') return Buffer.from(message);
    return rebuild(type, [scoped(connection, portal), scoped(connection, statement)], message.subarray(next));
  }
  if (type === EXECUTE) {
    const [portal, next] = cstring(message, 5);
    if (portal === '') return Buffer.from(message);
    return rebuild(type, [scoped(connection, portal)], message.subarray(next));
  }
  if (type === DESCRIBE || type === CLOSE) {
    const kind = message[5] as number;
    const [name, next] = cstring(message, 6);
    if (name === '') return Buffer.from(message);
    if (type === CLOSE && kind === 0x53) connection.statements.delete(scoped(connection, name));
    const header = Buffer.from([type, 0, 0, 0, 0, kind]);
    const body = Buffer.concat([header, Buffer.from(`${scoped(connection, name)}\0`, 'utf8'), message.subarray(next)]);
    body.writeInt32BE(body.length - 1, 1);
    return body;
  }
  return Buffer.from(message);
}

/** Finds NotificationResponse ('A') messages in a backend byte stream that arrives in arbitrary chunks. */
class FrameReader {
  private pending = Buffer.alloc(0);
  /** Bytes still to skip of a message that is not a notification. */
  private skip = 0;

  notifications(data: Uint8Array): Buffer[] {
    let buffer = Buffer.from(data);
    const found: Buffer[] = [];
    if (this.skip >= buffer.length) {
      this.skip -= buffer.length;
      return found;
    }
    buffer = buffer.subarray(this.skip);
    this.skip = 0;
    buffer = this.pending.length > 0 ? Buffer.concat([this.pending, buffer]) : buffer;
    this.pending = Buffer.alloc(0);
    while (buffer.length >= 5) {
      const length = 1 + buffer.readInt32BE(1);
      if (buffer[0] !== 0x41) {
        if (buffer.length < length) {
          this.skip = length - buffer.length;
          return found;
        }
        buffer = buffer.subarray(length);
        continue;
      }
      if (buffer.length < length) break;
      found.push(Buffer.from(buffer.subarray(0, length)));
      buffer = buffer.subarray(length);
    }
    this.pending = Buffer.from(buffer);
    return found;
  }
}
