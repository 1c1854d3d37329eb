// Drives typage (npm package age-encryption) for tests/age_typage.rs.
//
//   node driver.mjs keygen            prints {"x25519": {identity, recipient}, "hybrid": {...}} as JSON
//   node driver.mjs run JOBS.json     runs each job: {op: "encrypt", input, output, recipient | passphrase, armor}
//                                     or {op: "decrypt", input, output, identity | passphrase}
//
// The module is loaded from $TYPAGE_DIR/node_modules (installed by .ci/run with `npm ci` beside this file's
// package.json, into target/). Exit status 0 only if every job succeeded; a failed job prints its error.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const dir = process.env.TYPAGE_DIR;
if (!dir) {
  console.error("TYPAGE_DIR is not set");
  process.exit(2);
}
const age = await import(pathToFileURL(join(dir, "node_modules/age-encryption/dist/index.js")).href);

async function keygen() {
  const out = {};
  for (const [name, generate] of [["x25519", age.generateX25519Identity], ["hybrid", age.generateHybridIdentity]]) {
    const identity = await generate();
    out[name] = { identity, recipient: await age.identityToRecipient(identity) };
  }
  console.log(JSON.stringify(out));
}

async function runJob(job) {
  const input = readFileSync(job.input);
  if (job.op === "encrypt") {
    const e = new age.Encrypter();
    if (job.passphrase !== undefined) {
      e.setPassphrase(job.passphrase);
      e.setScryptWorkFactor(job.work_factor ?? 10);
    } else {
      e.addRecipient(job.recipient);
    }
    const sealed = await e.encrypt(new Uint8Array(input));
    writeFileSync(job.output, job.armor ? age.armor.encode(sealed) : sealed);
  } else if (job.op === "decrypt") {
    const d = new age.Decrypter();
    if (job.passphrase !== undefined) d.addPassphrase(job.passphrase);
    else d.addIdentity(job.identity);
    const text = input.toString("latin1");
    const sealed = text.trimStart().startsWith("-----BEGIN AGE ENCRYPTED FILE-----")
      ? age.armor.decode(input.toString("utf8"))
      : new Uint8Array(input);
    writeFileSync(job.output, await d.decrypt(sealed));
  } else {
    throw new Error(`unknown op ${job.op}`);
  }
}

const [command, arg] = process.argv.slice(2);
if (command === "keygen") {
  await keygen();
} else if (command === "run") {
  let failed = 0;
  const jobs = JSON.parse(readFileSync(arg, "utf8"));
  for (const job of jobs) {
    try {
      await runJob(job);
    } catch (e) {
      failed += 1;
      console.error(`job ${job.op} ${job.input}: ${e}`);
    }
  }
  console.log(JSON.stringify({ jobs: jobs.length, failed }));
  process.exit(failed === 0 ? 0 : 1);
} else {
  console.error("usage: node driver.mjs keygen | run JOBS.json");
  process.exit(2);
}
