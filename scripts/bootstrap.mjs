#!/usr/bin/env node
// Provisions the project's toolchain without root: Node 24 and pnpm 12.4.2 from the npm registry,
// into .toolchain/, then runs the given command with them first on PATH. Runs on Node >= 20.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const NODE_VERSION = pkg.engines.node.replace(/^[^0-9]*/, '');
const PNPM_VERSION = pkg.packageManager.split('@')[1];
const toolchain = join(root, '.toolchain');
const platformPkg = `node-${process.platform}-${process.arch}`;
const nodeBin = join(toolchain, 'node_modules', platformPkg, 'bin');
const pnpmEntry = join(toolchain, 'node_modules', 'pnpm', 'bin', 'pnpm.mjs');

function installedVersion(name) {
  try {
    return JSON.parse(readFileSync(join(toolchain, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

/**
 * npm's environment: the machine's CA store trusted as git and curl trust it, unless NODE_EXTRA_CA_CERTS says
 * otherwise. Node trusts only its bundled CAs: behind a TLS-inspecting proxy whose CA only the system store holds,
 * every registry request failed three times (SELF_SIGNED_CERT_IN_CHAIN) and npm fell back to its stale cache,
 * about 70 s a request: 19 minutes for the toolchain in a fresh clone with an empty environment.
 */
function npmEnv() {
  const store = '/etc/ssl/certs/ca-certificates.crt';
  // biome-ignore lint/suspicious/noUndeclaredEnvVars: read before turbo exists, by no turbo task
  if (process.env.NODE_EXTRA_CA_CERTS || process.platform !== 'linux' || !existsSync(store)) return process.env;
  return { ...process.env, NODE_EXTRA_CA_CERTS: store };
}

function provision() {
  const wantNode = Number(process.versions.node.split('.')[0]) < Number(NODE_VERSION.split('.')[0]);
  const needNode = wantNode && installedVersion(platformPkg) !== NODE_VERSION;
  const needPnpm = installedVersion('pnpm') !== PNPM_VERSION;
  if (!needNode && !needPnpm) return wantNode;
  mkdirSync(toolchain, { recursive: true });
  const specs = [];
  if (needNode) specs.push(`${platformPkg}@${NODE_VERSION}`);
  if (needPnpm) specs.push(`pnpm@${PNPM_VERSION}`);
  console.error(`[bootstrap] provisioning ${specs.join(' ')} into .toolchain/`);
  // --ignore-scripts: pnpm's wrapper then runs through Node, which is what we want.
  const npm = spawnSync(
    'npm',
    [
      'install',
      '--no-save',
      '--no-package-lock',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      '--prefix',
      toolchain,
      ...specs,
    ],
    // npm's own output ("added 3 packages") goes to stderr: with no command this script's stdout is the PATH
    // that `export PATH=$(node scripts/bootstrap.mjs)` takes, and nothing else may reach it.
    { stdio: ['ignore', process.stderr.fd, process.stderr.fd], shell: process.platform === 'win32', env: npmEnv() },
  );
  if (npm.status !== 0) {
    console.error('[bootstrap] npm install of the toolchain failed');
    process.exit(npm.status ?? 1);
  }
  return wantNode;
}

const useLocalNode = provision();
const binDir = join(toolchain, 'bin');
mkdirSync(binDir, { recursive: true });
// A pnpm shim on PATH that always runs the pinned pnpm on the project's Node.
const shim = join(binDir, 'pnpm');
const nodeExe = useLocalNode ? join(nodeBin, 'node') : process.execPath;
const shimBody = `#!/bin/sh\nexec "${nodeExe}" "${pnpmEntry}" "$@"\n`;
if (!existsSync(shim) || readFileSync(shim, 'utf8') !== shimBody) {
  const { writeFileSync, chmodSync } = await import('node:fs');
  writeFileSync(shim, shimBody);
  chmodSync(shim, 0o755);
}
const PATH = [binDir, useLocalNode ? nodeBin : dirname(process.execPath), process.env.PATH].join(':');
const [cmd, ...args] = process.argv.slice(2);
if (!cmd) {
  console.log(PATH);
  process.exit(0);
}
const run = spawnSync(cmd, args, {
  stdio: 'inherit',
  cwd: root,
  env: { ...process.env, PATH, COREPACK_ENABLE_STRICT: '0', npm_config_manage_package_manager_versions: 'false' },
});
process.exit(run.status ?? 1);
