// The member's signing page (issue 15, part 1). See docs/member-keys.md.
//
// The member's Ed25519 key is made here, with crypto.getRandomValues, and kept in this
// browser's localStorage under one name per branch and member; it never leaves the phone:
// only the public key and signatures do. A LAN http:// page is not a secure context, so
// WebCrypto (crypto.subtle) is missing: the vendored @noble/hashes gives SHA-512.
//
// Modes, from the URL:
//   ?pair=1&branch=B&member=M[&ticket=T&statement=S][&return=R]
//       make the key if missing, show it (hex and QR); with a ticket, sign the node's
//       enrolment challenge S and POST the key to /signer/enrol-request.
//   ?branch=B&member=M&statement=S[&ticket=T][&return=R]
//       show what S (base64url of canonical JSON) says, ask the member to confirm, sign;
//       with a ticket POST {ticket, statement, sig, pub} to /signer/submit; then go to R
//       (same origin only) with sig=<base64url>&pub=<hex> appended. A witness statement
//       (ns chitnode.witness.v1, the log's heads at a meeting's close) is shown in words:
//       "the log of <branch> as of <time>, N entries; you are a witness".
//   ?branch=B&member=M&statement=S&ticket=T&fill=F[&return=R]
//       a statement with field F (in FILLS: `contribution`, a share of the draw) blank:
//       the page fills it with its own crypto.getRandomValues bytes, then shows, signs
//       and POSTs the completed statement as above (the node must not choose the bytes).
//   ?branch=B&member=M   show whether this phone holds M's key.
// And, in a frame or a window opened by the app, messages (same origin only):
//   in  {type: "chitnode-signer/public-key", id, branch, member}
//   out {type: "chitnode-signer/public-key", id, pub}            (pub: hex or null)
//   in  {type: "chitnode-signer/sign", id, branch, member, statement[, ticket]}
//   out {type: "chitnode-signer/signed", id, sig, pub, submitted} after the member's tap,
//       or {type: "chitnode-signer/refused", id, code}
//   the page says {type: "chitnode-signer/ready"} to its parent or opener when loaded.

import * as ed from "./vendor/noble-ed25519/index.js";
import { sha512 } from "./vendor/noble-hashes/sha2.js";

ed.etc.sha512Sync = (...m) => sha512(ed.etc.concatBytes(...m));

// Bounds, the same as the node's (ui/limits.py): the node refuses past them anyway.
const STATEMENT_BYTES_MAX = 20480; // SIGNER_STATEMENT_BYTES_MAX
const NAME_CHARS_MAX = 64; // SIGNER_NAME_CHARS_MAX
const NAME = /^[A-Za-z0-9._-]+$/;
const STORE_PREFIX = "chitnode-signer/v1/"; // + branch + "/" + member
const ENROL_NAMESPACE = "chitnode.signer.enrol.v1"; // ui/signer.py ENROL_NAMESPACE
// A witness statement (wal-format.md 11.2): the log's heads at a meeting's close, no
// `member` field (every member present signs the same bytes). Shown in words first.
const WITNESS_NAMESPACE = "chitnode.witness.v1"; // chitnode/domain/witness_kinds.py
const HEX64 = /^[0-9a-f]{64}$/;
const MSG = "chitnode-signer/";
const PAISE_SUFFIX = "_paise"; // a field in paise is shown in rupees
// Fields this page fills with its own random bytes, and how many (ui/signer.py FILLS):
// a member's share of a draw by lot is 32 bytes no one but the phone chose.
const FILLS = { contribution: 32 };

// --- words (English, Kannada, Hindi: the member's languages) ------------------------------

const WORDS = {
  en: {
    title: "Your signature",
    who: "Member {member} · branch {branch}",
    key_heading: "Your key on this phone",
    key_words:
      "Only this phone can sign for you with this key. Staff compare these letters with " +
      "the ones on their screen when they enrol it.",
    key_made: "A new key was made on this phone.",
    key_kept: "This phone holds your key.",
    no_key: "This phone has no key for you. Ask the foreman to pair it first.",
    key_damaged:
      "The key kept on this phone is damaged. Ask the foreman to revoke it and pair again.",
    no_storage: "This browser cannot keep a key (private mode?). Use the phone's normal browser.",
    bad_link: "This signing link is not complete or not valid. Open it again from the app.",
    statement_heading: "You are asked to sign this",
    statement_raw: "Exactly what is signed",
    sign: "Sign",
    decline: "Don't sign",
    signed: "Signed.",
    sent: "Signed and sent to the office.",
    key_sent: "Your key was sent to the office. Staff will enrol it.",
    declined: "Not signed.",
    sending: "Sending…",
    back: "Back to the app",
    not_member: "This asks for another member's signature. Nothing was signed.",
    offline: "The office laptop did not answer. Stay near it and try again.",
    witness:
      "The log of branch {branch} as of {time}, {entries} entries; you are a witness.",
    heads: "{entries} entries, from {devices} devices",
  },
  kn: {
    title: "ನಿಮ್ಮ ಸಹಿ",
    who: "ಸದಸ್ಯ {member} · ಶಾಖೆ {branch}",
    key_heading: "ಈ ಫೋನಿನಲ್ಲಿರುವ ನಿಮ್ಮ ಕೀ",
    key_words:
      "ಈ ಕೀಯಿಂದ ಈ ಫೋನ್ ಮಾತ್ರ ನಿಮ್ಮ ಪರವಾಗಿ ಸಹಿ ಮಾಡಬಹುದು. ನೋಂದಾಯಿಸುವಾಗ ಸಿಬ್ಬಂದಿ ಈ ಅಕ್ಷರಗಳನ್ನು " +
      "ತಮ್ಮ ಪರದೆಯ ಮೇಲಿನವುಗಳೊಂದಿಗೆ ಹೋಲಿಸುತ್ತಾರೆ.",
    key_made: "ಈ ಫೋನಿನಲ್ಲಿ ಹೊಸ ಕೀ ಮಾಡಲಾಗಿದೆ.",
    key_kept: "ಈ ಫೋನಿನಲ್ಲಿ ನಿಮ್ಮ ಕೀ ಇದೆ.",
    no_key: "ಈ ಫೋನಿನಲ್ಲಿ ನಿಮ್ಮ ಕೀ ಇಲ್ಲ. ಮೊದಲು ಜೋಡಿಸಲು ಫೋರ್‌ಮ್ಯಾನ್‌ರನ್ನು ಕೇಳಿ.",
    key_damaged: "ಈ ಫೋನಿನಲ್ಲಿರುವ ಕೀ ಹಾಳಾಗಿದೆ. ಅದನ್ನು ರದ್ದುಪಡಿಸಿ ಮತ್ತೆ ಜೋಡಿಸಲು ಫೋರ್‌ಮ್ಯಾನ್‌ರನ್ನು ಕೇಳಿ.",
    no_storage: "ಈ ಬ್ರೌಸರ್ ಕೀಯನ್ನು ಇಟ್ಟುಕೊಳ್ಳಲಾರದು. ಫೋನಿನ ಸಾಮಾನ್ಯ ಬ್ರೌಸರ್ ಬಳಸಿ.",
    bad_link: "ಈ ಸಹಿ ಲಿಂಕ್ ಪೂರ್ಣವಾಗಿಲ್ಲ ಅಥವಾ ಸರಿಯಿಲ್ಲ. ಆ್ಯಪ್‌ನಿಂದ ಮತ್ತೆ ತೆರೆಯಿರಿ.",
    statement_heading: "ಇದಕ್ಕೆ ಸಹಿ ಮಾಡಲು ಕೇಳಲಾಗಿದೆ",
    statement_raw: "ಸಹಿ ಮಾಡುವುದು ನಿಖರವಾಗಿ ಇದು",
    sign: "ಸಹಿ ಮಾಡಿ",
    decline: "ಸಹಿ ಮಾಡಬೇಡಿ",
    signed: "ಸಹಿ ಆಯಿತು.",
    sent: "ಸಹಿ ಆಗಿ ಕಚೇರಿಗೆ ಕಳುಹಿಸಲಾಗಿದೆ.",
    key_sent: "ನಿಮ್ಮ ಕೀ ಕಚೇರಿಗೆ ಕಳುಹಿಸಲಾಗಿದೆ. ಸಿಬ್ಬಂದಿ ಅದನ್ನು ನೋಂದಾಯಿಸುತ್ತಾರೆ.",
    declined: "ಸಹಿ ಮಾಡಿಲ್ಲ.",
    sending: "ಕಳುಹಿಸಲಾಗುತ್ತಿದೆ…",
    back: "ಆ್ಯಪ್‌ಗೆ ಹಿಂತಿರುಗಿ",
    not_member: "ಇದು ಬೇರೆ ಸದಸ್ಯರ ಸಹಿಯನ್ನು ಕೇಳುತ್ತದೆ. ಏನೂ ಸಹಿ ಮಾಡಿಲ್ಲ.",
    offline: "ಕಚೇರಿಯ ಲ್ಯಾಪ್‌ಟಾಪ್ ಉತ್ತರಿಸಲಿಲ್ಲ. ಹತ್ತಿರ ಇದ್ದು ಮತ್ತೆ ಪ್ರಯತ್ನಿಸಿ.",
    witness: "{time} ರಂತೆ ಶಾಖೆ {branch} ನ ದಾಖಲೆ, {entries} ನಮೂದುಗಳು; ನೀವು ಸಾಕ್ಷಿ.",
    heads: "{entries} ನಮೂದುಗಳು, {devices} ಸಾಧನಗಳಿಂದ",
  },
  hi: {
    title: "आपका हस्ताक्षर",
    who: "सदस्य {member} · शाखा {branch}",
    key_heading: "इस फ़ोन पर आपकी कुंजी",
    key_words:
      "इस कुंजी से सिर्फ़ यही फ़ोन आपकी ओर से हस्ताक्षर कर सकता है। दर्ज करते समय कर्मचारी इन " +
      "अक्षरों को अपनी स्क्रीन वालों से मिलाते हैं।",
    key_made: "इस फ़ोन पर नई कुंजी बनाई गई।",
    key_kept: "इस फ़ोन पर आपकी कुंजी है।",
    no_key: "इस फ़ोन पर आपकी कुंजी नहीं है। पहले फ़ोरमैन से इसे जोड़ने को कहें।",
    key_damaged: "इस फ़ोन पर रखी कुंजी खराब है। फ़ोरमैन से उसे रद्द करके फिर जोड़ने को कहें।",
    no_storage: "यह ब्राउज़र कुंजी नहीं रख सकता। फ़ोन का सामान्य ब्राउज़र इस्तेमाल करें।",
    bad_link: "यह हस्ताक्षर लिंक अधूरा या गलत है। ऐप से फिर खोलें।",
    statement_heading: "आपसे इस पर हस्ताक्षर माँगा गया है",
    statement_raw: "ठीक-ठीक किस पर हस्ताक्षर होगा",
    sign: "हस्ताक्षर करें",
    decline: "हस्ताक्षर न करें",
    signed: "हस्ताक्षर हो गया।",
    sent: "हस्ताक्षर होकर दफ़्तर भेजा गया।",
    key_sent: "आपकी कुंजी दफ़्तर भेजी गई। कर्मचारी उसे दर्ज करेंगे।",
    declined: "हस्ताक्षर नहीं किया।",
    sending: "भेजा जा रहा है…",
    back: "ऐप पर वापस",
    not_member: "यह किसी दूसरे सदस्य का हस्ताक्षर माँगता है। कुछ हस्ताक्षर नहीं हुआ।",
    offline: "दफ़्तर के लैपटॉप ने जवाब नहीं दिया। पास रहकर फिर कोशिश करें।",
    witness: "{time} तक शाखा {branch} का रिकॉर्ड, {entries} प्रविष्टियाँ; आप गवाह हैं।",
    heads: "{entries} प्रविष्टियाँ, {devices} उपकरणों से",
  },
};

// What the consent statements' fields and kinds are called (wal-format.md 10.2-10.3);
// a field not named here shows its own name (and `*_paise` in rupees).
const FIELDS = {
  en: {
    kind: "You agree to", group_id: "Group", month: "Month", ticket: "Ticket",
    discount_paise: "Discount", member: "Member", member_id: "By", actor: "By",
    attester: "By", branch: "Branch", terms_hash: "The agreement (its fingerprint)",
    minutes_hash: "The minutes (their fingerprint)", contribution: "Your part of the draw",
    cmd_id: "Bid number", ns: "Version", witness: "You witness",
    heads: "The log's records",
  },
  kn: {
    kind: "ನೀವು ಒಪ್ಪುವುದು", group_id: "ಗುಂಪು", month: "ತಿಂಗಳು", ticket: "ಟಿಕೆಟ್",
    discount_paise: "ರಿಯಾಯಿತಿ", member: "ಸದಸ್ಯ", member_id: "ಮಾಡುವವರು", actor: "ಮಾಡುವವರು",
    attester: "ಮಾಡುವವರು", branch: "ಶಾಖೆ", terms_hash: "ಒಪ್ಪಂದ (ಅದರ ಗುರುತು)",
    minutes_hash: "ಸಭೆಯ ನಡಾವಳಿ (ಅದರ ಗುರುತು)", contribution: "ಡ್ರಾದಲ್ಲಿ ನಿಮ್ಮ ಪಾಲು",
    cmd_id: "ಬಿಡ್ ಸಂಖ್ಯೆ", ns: "ಆವೃತ್ತಿ", witness: "ನೀವು ಸಾಕ್ಷಿ",
    heads: "ದಾಖಲೆಯ ನಮೂದುಗಳು",
  },
  hi: {
    kind: "आप सहमत हैं", group_id: "समूह", month: "महीना", ticket: "टिकट",
    discount_paise: "छूट", member: "सदस्य", member_id: "द्वारा", actor: "द्वारा",
    attester: "द्वारा", branch: "शाखा", terms_hash: "समझौता (उसकी पहचान)",
    minutes_hash: "बैठक का ब्योरा (उसकी पहचान)", contribution: "ड्रॉ में आपका हिस्सा",
    cmd_id: "बोली संख्या", ns: "संस्करण", witness: "आप गवाह हैं",
    heads: "रिकॉर्ड की प्रविष्टियाँ",
  },
};
const KINDS = {
  en: {
    "agreement.signed": "sign the group's agreement",
    "auction.bid": "this bid in the auction",
    "minutes.attested": "confirm the meeting's minutes",
    "lot.contributed": "add your part to the draw",
  },
  kn: {
    "agreement.signed": "ಗುಂಪಿನ ಒಪ್ಪಂದಕ್ಕೆ ಸಹಿ",
    "auction.bid": "ಹರಾಜಿನಲ್ಲಿ ಈ ಬಿಡ್",
    "minutes.attested": "ಸಭೆಯ ನಡಾವಳಿಯನ್ನು ದೃಢೀಕರಿಸುವುದು",
    "lot.contributed": "ಡ್ರಾಗೆ ನಿಮ್ಮ ಪಾಲು ಸೇರಿಸುವುದು",
  },
  hi: {
    "agreement.signed": "समूह के समझौते पर हस्ताक्षर",
    "auction.bid": "नीलामी में यह बोली",
    "minutes.attested": "बैठक के ब्योरे की पुष्टि",
    "lot.contributed": "ड्रॉ में अपना हिस्सा जोड़ना",
  },
};
const FIRST = ["kind", "group_id", "month", "ticket", "discount_paise"]; // shown first

const params = new URLSearchParams(location.search);
const lang = Object.hasOwn(WORDS, params.get("lang")) ? params.get("lang") : "en";
document.documentElement.lang = lang;

function t(key, vars = {}) {
  const text = WORDS[lang][key] ?? WORDS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ""));
}

function $(id) {
  return document.getElementById(id);
}

function say(id, text, tone = "") {
  const node = $(id);
  node.textContent = text;
  node.className = node.className.replace(/\b(good|bad)\b/g, "").trim();
  if (tone) node.classList.add(tone);
}

// --- bytes ----------------------------------------------------------------------------------

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

function fromHex(text) {
  if (typeof text !== "string" || !/^([0-9a-f]{2})*$/.test(text)) throw new Error("not hex");
  return Uint8Array.from(text.match(/../g) ?? [], (h) => parseInt(h, 16));
}

function b64url(bytes) {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromB64url(text) {
  if (typeof text !== "string" || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) {
    throw new Error("not base64url");
  }
  const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  if (b64url(bytes) !== text) throw new Error("not base64url (stray bits)");
  return bytes;
}

// --- the key --------------------------------------------------------------------------------

class KeyError extends Error {
  constructor(word) {
    super(word);
    this.word = word; // a key of WORDS
  }
}

const storeName = (branch, member) => `${STORE_PREFIX}${branch}/${member}`;

function checkName(value) {
  return typeof value === "string" && value.length <= NAME_CHARS_MAX && NAME.test(value);
}

// The key kept for (branch, member), or null; a record that does not hold together (its
// public key is not its seed's) is damaged: never silently replaced, the member is told.
function loadKey(branch, member) {
  let raw;
  try {
    raw = localStorage.getItem(storeName(branch, member));
  } catch {
    throw new KeyError("no_storage");
  }
  if (raw === null) return null;
  try {
    const record = JSON.parse(raw);
    const seed = fromHex(record.seed);
    const pub = fromHex(record.pub);
    if (seed.length !== 32 || hex(ed.getPublicKey(seed)) !== hex(pub)) throw new Error();
    return { seed, pub };
  } catch {
    throw new KeyError("key_damaged");
  }
}

// The key for (branch, member), made now if this phone has none; `made` says which.
function ensureKey(branch, member) {
  const kept = loadKey(branch, member);
  if (kept) return { ...kept, made: false };
  const seed = ed.utils.randomPrivateKey(); // crypto.getRandomValues: 32 random bytes
  const pub = ed.getPublicKey(seed);
  const record = { v: 1, seed: hex(seed), pub: hex(pub), made: new Date().toISOString() };
  try {
    localStorage.setItem(storeName(branch, member), JSON.stringify(record));
  } catch {
    throw new KeyError("no_storage");
  }
  const back = loadKey(branch, member); // kept for real, or a key the member cannot use again
  if (!back || hex(back.pub) !== hex(pub)) throw new KeyError("no_storage");
  return { seed, pub, made: true };
}

// --- the statement --------------------------------------------------------------------------

// The statement's object, or null: UTF-8 JSON of an object, within the bound.
function readStatement(bytes) {
  if (bytes.length === 0 || bytes.length > STATEMENT_BYTES_MAX) return null;
  try {
    const value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    return value !== null && typeof value === "object" && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

const rupees = new Intl.NumberFormat("en-IN", { style: "currency", currency: "INR" });

const own = (table, key) => (Object.hasOwn(table, key) ? table[key] : undefined);

function label(key) {
  const named = own(FIELDS[lang], key) ?? own(FIELDS.en, key);
  if (named) return named;
  return key.endsWith(PAISE_SUFFIX) ? key.slice(0, -PAISE_SUFFIX.length) : key;
}

// A witness statement's heads, [[author hex64, seq >= 1, hash hex64], ...], or null.
function witnessHeads(doc) {
  const heads = doc.ns === WITNESS_NAMESPACE ? doc.heads : null;
  if (!Array.isArray(heads) || heads.length === 0) return null;
  const ok = heads.every(
    (h) => Array.isArray(h) && h.length === 3 && HEX64.test(String(h[0])) &&
      Number.isInteger(h[1]) && h[1] >= 1 && HEX64.test(String(h[2])),
  );
  return ok ? heads : null;
}

// The heads in words: every feed's head seq is its number of entries.
function headsWords(heads) {
  const entries = heads.reduce((sum, h) => sum + h[1], 0);
  return { entries, devices: heads.length };
}

function shown(key, value) {
  if (key === "heads" && Array.isArray(value)) {
    const heads = witnessHeads({ ns: WITNESS_NAMESPACE, heads: value });
    if (heads) return t("heads", headsWords(heads));
  }
  if (key.endsWith(PAISE_SUFFIX) && Number.isInteger(value)) return rupees.format(value / 100);
  if (key === "kind" && typeof value === "string") {
    const named = own(KINDS[lang], value) ?? own(KINDS.en, value);
    return named ? `${named} (${value})` : value;
  }
  return typeof value === "string" ? value : JSON.stringify(value);
}

function showStatement(doc, bytes) {
  const list = $("statement-fields");
  list.replaceChildren();
  const heads = witnessHeads(doc);
  if (heads) {
    // "the log of <branch> as of <time>, N entries": the time is this phone's clock when
    // it shows the statement (the statement itself carries none: wal-format.md 11.2).
    const time = new Intl.DateTimeFormat(`${lang}-IN`, {
      dateStyle: "medium", timeStyle: "short",
    }).format(new Date());
    const dt = document.createElement("dt");
    dt.textContent = label("witness");
    const dd = document.createElement("dd");
    dd.textContent = t("witness", {
      branch: `${String(doc.branch).slice(0, 8)}…`, time, entries: headsWords(heads).entries,
    });
    dd.dataset.field = "witness";
    list.append(dt, dd);
  }
  const keys = Object.keys(doc);
  const ordered = [...FIRST.filter((k) => keys.includes(k)), ...keys.filter((k) => !FIRST.includes(k))];
  for (const key of ordered) {
    const dt = document.createElement("dt");
    dt.textContent = label(key);
    const dd = document.createElement("dd");
    dd.textContent = shown(key, doc[key]);
    dd.dataset.field = key;
    list.append(dt, dd);
  }
  $("statement-raw").textContent = JSON.stringify(doc, null, 2);
  $("statement-raw").dataset.bytes = String(bytes.length);
  say("statement-heading", t("statement_heading"));
  say("statement-raw-label", t("statement_raw"));
  $("statement-box").hidden = false;
}

// A statement that names a member or branch names this one (the node checks the rest).
function forThisMember(doc, branch, member) {
  const named = (k) => typeof doc[k] === "string";
  if (named("member") && doc.member !== member) return false;
  if (named("branch") && doc.branch !== branch) return false;
  return true;
}

// The member taps Sign (true) or Don't sign (false).
function askToSign() {
  say("sign", t("sign"));
  say("decline", t("decline"));
  $("sign").disabled = false;
  $("decline").disabled = false;
  document.body.dataset.asking = "1"; // the browser test waits for this
  return new Promise((resolve) => {
    const done = (yes) => {
      $("sign").disabled = true;
      $("decline").disabled = true;
      delete document.body.dataset.asking;
      resolve(yes);
    };
    $("sign").onclick = () => done(true);
    $("decline").onclick = () => done(false);
  });
}

// --- the node -------------------------------------------------------------------------------

// POST `body` to `path` on this node: {ok: true} or {ok: false, code, words}.
async function post(path, body) {
  let answer;
  try {
    answer = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      cache: "no-store",
    });
  } catch {
    return { ok: false, code: "offline" };
  }
  let doc = {};
  try {
    doc = await answer.json();
  } catch {
    doc = {};
  }
  if (answer.ok && doc.ok === true) return { ok: true };
  const code = typeof doc.code === "string" ? doc.code : "signer_bad_input";
  // The node words its refusals in the member's language (ui/i18n: one catalogue).
  return { ok: false, code, words: typeof doc.words === "string" ? doc.words : t("bad_link") };
}

function refusedWords(answer) {
  return answer.code === "offline" ? t("offline") : answer.words;
}

// Where `ret` leads, if it is on this node; null for anything else (no open redirect).
function sameOrigin(ret) {
  if (!ret) return null;
  try {
    const url = new URL(ret, location.href);
    return url.origin === location.origin ? url : null;
  } catch {
    return null;
  }
}

function showBack(url) {
  if (!url) return;
  const link = $("back");
  link.href = url.href;
  link.textContent = t("back");
  link.hidden = false;
}

function showKey(key) {
  say("key-heading", t("key_heading"));
  say("key-words", t("key_words"));
  const pubHex = hex(key.pub);
  $("pub").textContent = pubHex.match(/.{1,8}/g).join(" ");
  $("pub").dataset.pub = pubHex;
  $("key-box").hidden = false;
}

function showQr(pubHex) {
  const img = $("qr");
  img.src = `qr.png?pub=${pubHex}`;
  img.alt = pubHex;
  img.hidden = false;
}

// --- the modes ------------------------------------------------------------------------------

async function pairMode(branch, member) {
  const key = ensureKey(branch, member);
  showKey(key);
  showQr(hex(key.pub));
  say("status", t(key.made ? "key_made" : "key_kept"), "good");
  const ticket = params.get("ticket");
  const ret = sameOrigin(params.get("return"));
  if (ticket) {
    const bytes = fromB64url(params.get("statement") ?? "");
    const doc = readStatement(bytes);
    const fits =
      doc && doc.ns === ENROL_NAMESPACE && doc.branch === branch &&
      doc.member === member && doc.ticket === ticket;
    if (!fits) return say("result", t("bad_link"), "bad");
    say("result", t("sending"));
    const sig = ed.sign(bytes, key.seed);
    const answer = await post(`enrol-request?lang=${lang}`, {
      ticket, statement: b64url(bytes), sig: b64url(sig), pub: hex(key.pub),
    });
    if (!answer.ok) return say("result", refusedWords(answer), "bad");
    say("result", t("key_sent"), "good");
  }
  if (ret) {
    ret.searchParams.set("pub", hex(key.pub));
    showBack(ret);
  }
}

// The statement `issued` with its blank `field` (FILLS) set to fresh random bytes as hex:
// the one place `"field":""` stands in the canonical text is replaced, so every other
// byte is the node's; the node accepts nothing else (ui/signer.py completed_fits).
function completed(issued, field) {
  const asked = readStatement(issued);
  if (!asked || !Object.hasOwn(FILLS, field) || asked[field] !== "") throw new KeyError("bad_link");
  const text = new TextDecoder("utf-8", { fatal: true }).decode(issued);
  const blank = `${JSON.stringify(field)}:""`;
  const at = text.indexOf(blank);
  if (at < 0 || text.indexOf(blank, at + 1) >= 0) throw new KeyError("bad_link");
  const value = hex(crypto.getRandomValues(new Uint8Array(FILLS[field])));
  const filled = `${JSON.stringify(field)}:"${value}"`;
  return new TextEncoder().encode(text.slice(0, at) + filled + text.slice(at + blank.length));
}

// Show the statement, ask, sign, send: {sig, pub, submitted} or {refused: code}.
async function signFlow(branch, member, issued, ticket, fill = "") {
  const key = loadKey(branch, member);
  if (!key) throw new KeyError("no_key");
  showKey(key);
  say("status", t("key_kept"));
  // A statement the phone completes (a share of the draw) is filled before the member
  // reads it: what is shown is exactly what is signed and sent.
  const bytes = fill ? completed(issued, fill) : issued;
  const doc = readStatement(bytes);
  if (!doc) throw new KeyError("bad_link");
  if (!forThisMember(doc, branch, member)) throw new KeyError("not_member");
  if (doc.ns === WITNESS_NAMESPACE && !witnessHeads(doc)) throw new KeyError("bad_link");
  showStatement(doc, bytes);
  if (!(await askToSign())) {
    say("result", t("declined"));
    return { refused: "declined" };
  }
  const sig = ed.sign(bytes, key.seed);
  const out = { sig: b64url(sig), pub: hex(key.pub), submitted: false };
  if (!ticket) {
    say("result", t("signed"), "good");
    return out;
  }
  say("result", t("sending"));
  const answer = await post(`submit?lang=${lang}`, {
    ticket, statement: b64url(bytes), sig: out.sig, pub: out.pub,
  });
  if (!answer.ok) {
    say("result", refusedWords(answer), "bad");
    return { refused: answer.code };
  }
  say("result", t("sent"), "good");
  return { ...out, submitted: true };
}

async function signMode(branch, member) {
  let bytes;
  try {
    bytes = fromB64url(params.get("statement"));
  } catch {
    throw new KeyError("bad_link");
  }
  const ticket = params.get("ticket") || "";
  const outcome = await signFlow(branch, member, bytes, ticket, params.get("fill") || "");
  const ret = sameOrigin(params.get("return"));
  if (!ret) return;
  if (outcome.refused) {
    ret.searchParams.set("refused", outcome.refused);
  } else {
    ret.searchParams.set("sig", outcome.sig);
    ret.searchParams.set("pub", outcome.pub);
  }
  showBack(ret);
  // Signed or declined: back to the app. Refused by the node: the member reads why first.
  if (!outcome.refused || outcome.refused === "declined") location.assign(ret.href);
}

function keyMode(branch, member) {
  const key = loadKey(branch, member);
  if (!key) throw new KeyError("no_key");
  showKey(key);
  showQr(hex(key.pub));
  say("status", t("key_kept"), "good");
}

// --- messages from the app (a frame or a window it opened), same origin only --------------

function messages() {
  const peer = window.parent !== window ? window.parent : window.opener;
  if (!peer) return;
  let busy = false; // one statement on screen at a time
  window.addEventListener("message", async (event) => {
    const msg = event.data;
    if (event.origin !== location.origin || !msg || typeof msg.type !== "string") return;
    const reply = (body) => event.source?.postMessage({ id: msg.id, ...body }, location.origin);
    if (!checkName(msg.branch) || !checkName(msg.member)) {
      return reply({ type: `${MSG}refused`, code: "bad_link" });
    }
    if (msg.type === `${MSG}public-key`) {
      let key = null;
      try {
        key = loadKey(msg.branch, msg.member);
      } catch {
        key = null;
      }
      return reply({ type: `${MSG}public-key`, pub: key ? hex(key.pub) : null });
    }
    if (msg.type !== `${MSG}sign`) return;
    if (busy) return reply({ type: `${MSG}refused`, code: "busy" });
    busy = true;
    try {
      say("who", t("who", { member: msg.member, branch: msg.branch }));
      const bytes = fromB64url(String(msg.statement ?? ""));
      const out = await signFlow(
        msg.branch, msg.member, bytes, String(msg.ticket ?? ""), String(msg.fill ?? ""),
      );
      reply(out.refused ? { type: `${MSG}refused`, code: out.refused }
        : { type: `${MSG}signed`, ...out });
    } catch (err) {
      const word = err instanceof KeyError ? err.word : "bad_link";
      say("result", t(word), "bad");
      reply({ type: `${MSG}refused`, code: word });
    } finally {
      busy = false;
    }
  });
  peer.postMessage({ type: `${MSG}ready` }, location.origin);
}

async function main() {
  say("title", t("title"));
  document.title = t("title");
  const branch = params.get("branch");
  const member = params.get("member");
  messages();
  if (!branch && !member && (window.parent !== window || window.opener)) return; // messages only
  if (!checkName(branch) || !checkName(member)) throw new KeyError("bad_link");
  say("who", t("who", { member, branch }));
  if (params.get("pair") === "1") return pairMode(branch, member);
  if (params.has("statement")) return signMode(branch, member);
  return keyMode(branch, member);
}

main()
  .catch((err) => {
    const word = err instanceof KeyError ? err.word : "bad_link";
    say("result", t(word), "bad");
  })
  .finally(() => {
    document.body.dataset.ready = "1"; // the browser test waits for this
  });
