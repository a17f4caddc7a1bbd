'use strict';
// The PouchDB side's server: express-pouchdb on 127.0.0.1 in its own process (as CouchDB or
// the Talbar server would be), its databases in LevelDB files under --dir.
//
//   node server.js --dir DIR [--port 0]
//
// Prints one JSON line {"url":"http://127.0.0.1:PORT"} once it listens; stops on SIGTERM.
const path = require('path');
const fs = require('fs');
const express = require('express');
const PouchDB = require('pouchdb');
const { args } = require('./args');

const a = args(process.argv.slice(2), { dir: '', port: '0' });
if (!a.dir) {
  console.error('server.js: --dir is required');
  process.exit(2);
}
fs.mkdirSync(a.dir, { recursive: true });
const DB = PouchDB.defaults({ prefix: path.resolve(a.dir) + path.sep });
const app = express();
// minimumForPouchDB: the routes replication needs, with gzip; no config or log files, no
// Fauxton, no validation or security layers a quick server would not run either.
app.use('/', require('express-pouchdb')(DB, { mode: 'minimumForPouchDB' }));
const srv = app.listen(Number(a.port), '127.0.0.1', () => {
  console.log(JSON.stringify({ url: `http://127.0.0.1:${srv.address().port}` }));
});
process.on('SIGTERM', () => srv.close(() => process.exit(0)));
