'use strict';
// PouchDB's side of issue 13's side-by-side sync benchmark, against server.js:
//
//   node bench.js push --server URL --docs 10000    a fresh device database (LevelDB on disk)
//                                                   holding N typical documents replicates
//                                                   them to a new server database
//   node bench.js seed --server URL --db NAME --docs 100000   fills a server database (not timed)
//   node bench.js pull --server URL --db NAME       a fresh device database pulls all of it
//
// Each prints one JSON line, like Talbar's firstsync: {"measure":"push","docs":N,"seconds":S,...};
// seconds is the replication alone. --batch-size is PouchDB's (default: PouchDB's own, 100).
const fs = require('fs');
const os = require('os');
const path = require('path');
const crypto = require('crypto');
const PouchDB = require('pouchdb');
const { args } = require('./args');
const { make } = require('./docs');

async function fill(db, docs) {
  for (let i = 0; i < docs.length; i += 2000) {
    const res = await db.bulkDocs(docs.slice(i, i + 2000));
    const bad = res.find((r) => r.error);
    if (bad) throw new Error(`bulkDocs: ${JSON.stringify(bad)}`);
  }
}

function replicationOptions(a) {
  const o = {};
  if (a['batch-size']) o.batch_size = Number(a['batch-size']);
  if (a['batches-limit']) o.batches_limit = Number(a['batches-limit']);
  return o;
}

async function main() {
  const a = args(process.argv.slice(2), { server: '', db: '', docs: '10000', seed: '1', dir: '', 'batch-size': '', 'batches-limit': '' });
  const cmd = a._[0];
  if (!a.server || !['push', 'seed', 'pull'].includes(cmd)) {
    throw new Error('usage: bench.js push|seed|pull --server URL [--db NAME] [--docs N]');
  }
  const n = Number(a.docs);
  const tmp = fs.mkdtempSync(path.join(a.dir || os.tmpdir(), 'pouch-device-'));
  const local = () => new PouchDB(path.join(tmp, 'device'));
  try {
    if (cmd === 'seed') {
      if (!a.db) throw new Error('seed: --db is required');
      const remote = new PouchDB(`${a.server}/${a.db}`);
      const t0 = process.hrtime.bigint();
      await fill(remote, make(n, { seed: Number(a.seed), device: 'seed-device' }));
      const info = await remote.info();
      out({ measure: 'seed', docs: info.doc_count, seconds: secs(t0) });
      return;
    }
    if (cmd === 'push') {
      const db = local();
      await fill(db, make(n, { seed: Number(a.seed) }));
      const name = a.db || `push-${crypto.randomBytes(6).toString('hex')}`;
      const remote = new PouchDB(`${a.server}/${name}`);
      await remote.info(); // creates the database, as a server-side setup would beforehand
      const t0 = process.hrtime.bigint();
      const r = await db.replicate.to(remote, replicationOptions(a));
      const s = secs(t0);
      if (r.docs_written !== n) throw new Error(`push: ${r.docs_written} of ${n} documents written`);
      out({ measure: 'push', docs: r.docs_written, seconds: s, batch_size: a['batch-size'] ? Number(a['batch-size']) : 100 });
      await db.close();
      return;
    }
    // pull
    if (!a.db) throw new Error('pull: --db is required');
    const remote = new PouchDB(`${a.server}/${a.db}`);
    const want = (await remote.info()).doc_count;
    const db = local();
    const t0 = process.hrtime.bigint();
    const r = await db.replicate.from(remote, replicationOptions(a));
    const s = secs(t0);
    const got = (await db.info()).doc_count;
    if (got !== want) throw new Error(`pull: ${got} of ${want} documents on the device`);
    out({ measure: 'pull', docs: r.docs_written, seconds: s, batch_size: a['batch-size'] ? Number(a['batch-size']) : 100 });
    await db.close();
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function secs(t0) {
  return Math.round(Number(process.hrtime.bigint() - t0) / 1e6) / 1000;
}

function out(o) {
  console.log(JSON.stringify(o));
}

main().catch((e) => {
  console.error('bench.js:', e && e.stack ? e.stack : e);
  process.exit(1);
});
