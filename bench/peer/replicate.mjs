// Hypercore 11 replication over loopback TCP: the comparison for bench/bench_replicate.py.
//
//   node replicate.mjs --n 100000 --dir SCRATCH [--block-bytes 300]
//
// Creates a core with N blocks of random bytes in SCRATCH/source (timed apart: not
// part of the figure), serves it on 127.0.0.1 (port 0), and starts a second Node
// process that opens an empty clone in SCRATCH/clone, connects over TCP and
// downloads every block. The figure is the clone's time from connecting to holding
// all N blocks (handshake included, as on the chitnode side), in its own process,
// as chitnode's pulling node is. Prints one JSON object on stdout; progress on stderr.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import Hypercore from 'hypercore'

// Blocks per append call while building the source: batches keep the build fast
// and memory flat; the build is not timed.
const APPEND_BATCH = 1000
// A stuck replication fails the run instead of hanging the bench.
const PULL_TIMEOUT_MS = 30 * 60 * 1000

const HERE = path.dirname(fileURLToPath(import.meta.url))

function args (argv) {
  const out = { n: 100000, blockBytes: 300, dir: null, pull: false, key: null, port: 0 }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--n') out.n = Number(argv[++i])
    else if (a === '--block-bytes') out.blockBytes = Number(argv[++i])
    else if (a === '--dir') out.dir = argv[++i]
    else if (a === '--pull') out.pull = true
    else if (a === '--key') out.key = argv[++i]
    else if (a === '--port') out.port = Number(argv[++i])
    else throw new Error(`unknown argument ${a}`)
  }
  if (!out.dir) throw new Error('--dir is required')
  if (!(out.n > 0) || !(out.blockBytes > 0)) throw new Error('--n and --block-bytes must be > 0')
  return out
}

function log (msg) {
  process.stderr.write(`[hypercore] ${msg}\n`)
}

function peakRssMb () {
  return process.resourceUsage().maxRSS / 1024 // KiB on Linux
}

async function pull (opt) {
  const clone = new Hypercore(opt.dir, Buffer.from(opt.key, 'hex'))
  await clone.ready()
  const t0 = performance.now()
  const socket = net.connect(opt.port, '127.0.0.1')
  socket.setNoDelay(true)
  socket.pipe(clone.replicate(true)).pipe(socket)
  const timer = setTimeout(() => {
    log(`pull timed out at ${clone.contiguousLength} / ${opt.n}`)
    process.exit(2)
  }, PULL_TIMEOUT_MS)
  await clone.update({ wait: true })
  await clone.download({ start: 0, end: opt.n }).done()
  const seconds = (performance.now() - t0) / 1000
  clearTimeout(timer)
  const held = clone.contiguousLength
  socket.destroy()
  await clone.close()
  process.stdout.write(JSON.stringify({ seconds, held, peak_rss_mb: peakRssMb() }) + '\n')
}

function runPull (opt, key, port) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [
      fileURLToPath(import.meta.url), '--pull', '--n', String(opt.n),
      '--dir', path.join(opt.dir, 'clone'), '--key', key, '--port', String(port)
    ], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (d) => { out += d })
    child.on('error', reject)
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`pulling process exited ${code}`))
      else resolve(JSON.parse(out.trim().split('\n').pop()))
    })
  })
}

async function main () {
  const opt = args(process.argv.slice(2))
  if (opt.pull) return pull(opt)
  const source = new Hypercore(path.join(opt.dir, 'source'))
  await source.ready()
  const blocks = []
  for (let i = 0; i < opt.n; i++) blocks.push(randomBytes(opt.blockBytes))
  log(`appending ${opt.n} blocks of ${opt.blockBytes} bytes (not timed in the figure)`)
  const a0 = performance.now()
  for (let i = 0; i < opt.n; i += APPEND_BATCH) await source.append(blocks.slice(i, i + APPEND_BATCH))
  const appendSeconds = (performance.now() - a0) / 1000
  blocks.length = 0
  const sockets = new Set()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.setNoDelay(true)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {}) // the puller closes when done
    socket.pipe(source.replicate(false)).pipe(socket)
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = server.address().port
  log(`replicating to a fresh core in another process over 127.0.0.1:${port}`)
  const pulled = await runPull(opt, source.key.toString('hex'), port)
  for (const s of sockets) s.destroy()
  server.close()
  await source.close()
  if (pulled.held !== opt.n) throw new Error(`the clone holds ${pulled.held} of ${opt.n} blocks`)
  const version = JSON.parse(readFileSync(path.join(HERE, 'node_modules', 'hypercore', 'package.json'))).version
  process.stdout.write(JSON.stringify({
    n: opt.n,
    block_bytes: opt.blockBytes,
    seconds: pulled.seconds,
    entries_per_s: opt.n / pulled.seconds,
    pull_peak_rss_mb: pulled.peak_rss_mb,
    append_seconds: appendSeconds,
    hypercore: version,
    node: process.version
  }) + '\n')
}

main().catch((err) => {
  process.stderr.write(`[hypercore] failed: ${err && err.stack ? err.stack : err}\n`)
  process.exit(1)
})
