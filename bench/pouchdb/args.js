'use strict';
// args parses --name value flags over defaults; an unknown flag is an error.
function args(argv, defaults) {
  const out = { ...defaults, _: [] };
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m) {
      out._.push(argv[i]);
      continue;
    }
    if (!(m[1] in defaults)) throw new Error(`unknown flag --${m[1]}`);
    out[m[1]] = m[2] !== undefined ? m[2] : argv[++i];
  }
  return out;
}
module.exports = { args };
