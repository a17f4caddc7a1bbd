'use strict';
// Typical Talbar changes as PouchDB documents: herder meetings with up to three surveys each,
// the same fields and value ranges as fieldapp/sim (Event for KindHerderMeeting, Survey) and
// the same mix as fieldapp/firstsync's fill, so both sides move documents of one shape and size.

// mulberry32: a small seeded generator, so every run makes the same documents.
function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { float: next, int: (n) => Math.floor(next() * n) };
}

function pick(r, codes, weights) {
  let n = r.int(weights.reduce((a, b) => a + b, 0));
  for (let i = 0; i < codes.length; i++) {
    if (n < weights[i]) return codes[i];
    n -= weights[i];
  }
  return codes[codes.length - 1];
}

const places = ['Багийн төв', 'Өвөлжөө', 'Хаваржаа', 'Намаржаа', 'Ноос хүлээн авах цэг'];

// A record id like the field app's (a random UUID, 36 characters).
function uuid(r) {
  const h = () => r.int(16).toString(16);
  let s = '';
  for (let i = 0; i < 32; i++) s += h();
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-4${s.slice(13, 16)}-a${s.slice(17, 20)}-${s.slice(20)}`;
}

function event(r, unit, date, month) {
  const f = { kind: 'herder_meeting', date, unit, place: places[r.int(places.length)] };
  f.occasion = month === 12 || month === 1 ? 'livestock_census' : month === 5 || month === 6 ? 'wool_cashmere' : 'other';
  const reached = { herders: 10 + r.int(50) };
  if (r.int(2) === 0) reached.self_employed = r.int(8);
  if (r.int(3) === 0) reached.near_pension = r.int(6);
  f.reached = reached;
  const partners = ['governor'];
  if (r.int(3) === 0) partners.push('bank');
  if (r.int(4) === 0) partners.push('labour_welfare');
  f.partners = partners;
  f.materials = { handbook: r.int(30), brochure: r.int(50), poster: r.int(4) };
  f.consultations = r.int(25);
  const contracts = r.int(6);
  f.contracts_signed = contracts;
  f.contributions_mnt = contracts * (50000 + r.int(20) * 10000);
  if (r.int(2) === 0) {
    f.lat = 46.0 + r.float() * 3;
    f.lon = 100.0 + r.float() * 5;
  }
  if (r.int(5) === 0) f.notes = 'Малчид сайн дурын даатгалын талаар асуусан';
  return f;
}

function survey(r, unit, date, eventID) {
  const f = {
    date, unit, target_group: 'herders',
    age_band: pick(r, ['18-24', '25-34', '35-44', '45-54', '55+'], [2, 4, 4, 3, 2]),
    sex: pick(r, ['female', 'male'], [1, 1]),
    insurance_status: pick(r, ['mandatory', 'voluntary', 'pensioner', 'none'], [3, 3, 1, 3]),
    info_access: pick(r, ['yes', 'partly', 'no'], [4, 4, 2]),
    satisfaction: 1 + r.int(5),
  };
  if (f.satisfaction < 4 && r.int(2) === 0) f.satisfaction += 1 + r.int(5 - f.satisfaction);
  f.event_id = eventID;
  f.info_sources = ['officer', 'word_of_mouth', 'tv', 'social_media', 'notice_board'].filter(() => r.int(3) === 0);
  return f;
}

// make returns n documents of unit (a soum code) written by device, dated in year: an event,
// then 0–3 surveys of it, and so on. Each carries what a Talbar change carries besides its
// fields: the entity, the writing device and a timestamp of the write.
function make(n, { seed = 1, unit = 'MN6504', device = 'pouch-device', year = 2026 } = {}) {
  const r = rng(seed);
  const docs = [];
  const t0 = Date.UTC(year, 0, 1);
  const stamp = () => new Date(t0 + docs.length * 1000).toISOString();
  while (docs.length < n) {
    const day = new Date(t0 + r.int(330) * 86400000);
    const date = day.toISOString().slice(0, 10);
    const id = uuid(r);
    docs.push({ _id: id, entity: 'event', device_id: device, written_at: stamp(), ...event(r, unit, date, day.getUTCMonth() + 1) });
    for (let j = r.int(4); j > 0 && docs.length < n; j--) {
      docs.push({ _id: uuid(r), entity: 'survey', device_id: device, written_at: stamp(), ...survey(r, unit, date, id) });
    }
  }
  return docs;
}

module.exports = { make };
