/**
 * The tests' nats-server: tools/nats-server (Debian's package, installed with
 * apt when missing) started on a free loopback port. Imported by URL so that
 * the compiler does not take the tool's .mjs file into this project.
 */
export interface NatsServer {
  host: string;
  port: number;
  /** `nats://127.0.0.1:<port>` */
  url: string;
  readonly pid: number | undefined;
  log(): string;
  restart(): Promise<void>;
  stop(options?: { kill?: boolean }): Promise<void>;
}

interface NatsServerTool {
  startNatsServer(options?: { port?: number; jetstream?: boolean; args?: string[] }): Promise<NatsServer>;
  freePort(): Promise<number>;
}

const TOOL = new URL('../../../tools/nats-server/index.mjs', import.meta.url).href;

/** The repository's nats-server helper. */
export async function natsServerTool(): Promise<NatsServerTool> {
  return (await import(TOOL)) as NatsServerTool;
}

/** Starts a nats-server for a test file (stop it in afterAll). */
export async function startNatsServer(options?: { port?: number; jetstream?: boolean; args?: string[] }): Promise<NatsServer> {
  return (await natsServerTool()).startNatsServer(options);
}
