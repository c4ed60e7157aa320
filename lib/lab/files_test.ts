// Proves Faultline writes only where it may: a directory holding someone else's files is refused
// naming the path, a marked or empty one is accepted, temporaries carry names only Faultline uses
// and those of dead processes are cleaned on the next write (a user's `backup.tmp` never is),
// and stored files are verified against their content hashes.
import assert from "node:assert/strict";
import {
  changedFiles,
  claimDirectory,
  contentHashes,
  ForeignDirectoryError,
  markerName,
  recordHash,
  removeStaleTemporaries,
  toCsv,
  writeAtomically,
  writeResultDir,
} from "./files.ts";

async function names(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) found.push(entry.name);
  return found.sort();
}

/** The pid of a process that has exited: its temporaries are stale. */
async function deadPid(): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), { args: ["--version"], stdout: "null" }).spawn();
  await child.status;
  return child.pid;
}

Deno.test("a result directory is not written over a directory holding files Faultline did not write", async () => {
  const parent = await Deno.makeTempDir();
  await Deno.mkdir(`${parent}/mine`);
  await Deno.writeTextFile(`${parent}/mine/thesis.docx`, "precious");
  await assert.rejects(
    writeResultDir(`${parent}/mine`, { "figures.json": "{}" }, { kind: "run" }),
    (error: Error) =>
      error instanceof ForeignDirectoryError && error.message.includes(`${parent}/mine`) &&
      error.message.includes("thesis.docx"),
  );
  assert.deepEqual(await names(`${parent}/mine`), ["thesis.docx"]);
  assert.deepEqual(await names(parent), ["mine"], "no staging directory is left behind");
  await Deno.remove(parent, { recursive: true });
});

Deno.test("a marked result directory is replaced whole, but not when someone added a file to it", async () => {
  const parent = await Deno.makeTempDir();
  await writeResultDir(`${parent}/run`, { "a.json": "1" }, { kind: "run" });
  assert.deepEqual(await names(`${parent}/run`), [markerName, "a.json"]);
  await writeResultDir(`${parent}/run`, { "a.json": "2" }, { kind: "run" });
  assert.equal(await Deno.readTextFile(`${parent}/run/a.json`), "2");
  await Deno.writeTextFile(`${parent}/run/notes.txt`, "mine");
  await assert.rejects(
    writeResultDir(`${parent}/run`, { "a.json": "3" }, { kind: "run" }),
    /refusing to write into .*\/run: it holds files Faultline did not write there \(notes.txt\)/,
  );
  assert.equal(await Deno.readTextFile(`${parent}/run/notes.txt`), "mine");
  assert.equal(await Deno.readTextFile(`${parent}/run/a.json`), "2");
  await Deno.remove(parent, { recursive: true });
});

Deno.test("claimDirectory creates and marks a new directory, adopts an empty one, and refuses a used one", async () => {
  const parent = await Deno.makeTempDir();
  await claimDirectory(`${parent}/new/deep`, "sweep");
  assert.deepEqual(await names(`${parent}/new/deep`), [markerName]);
  await Deno.mkdir(`${parent}/empty`);
  await claimDirectory(`${parent}/empty`, "cache");
  assert.deepEqual(await names(`${parent}/empty`), [markerName]);
  await Deno.mkdir(`${parent}/used`);
  await Deno.writeTextFile(`${parent}/used/backup.tmp`, "mine");
  await assert.rejects(claimDirectory(`${parent}/used`, "cache"), /refusing to write into .*used.*backup\.tmp/);
  assert.deepEqual(await names(`${parent}/used`), ["backup.tmp"], "nothing was marked or removed");
  await Deno.writeTextFile(`${parent}/file`, "");
  await assert.rejects(claimDirectory(`${parent}/file`, "run"), /it is a file, not a directory/);
  await Deno.remove(parent, { recursive: true });
});

Deno.test("temporaries of a dead process are cleaned on the next write; a user's *.tmp* files and a live writer's are not", async () => {
  const parent = await Deno.makeTempDir();
  await claimDirectory(`${parent}/cache`, "cache");
  const dead = await deadPid();
  const dir = `${parent}/cache`;
  for (const name of ["backup.tmp", "thesis.tmpl.docx", "x.json.tmp-1"]) {
    await Deno.writeTextFile(`${dir}/${name}`, "mine");
  }
  await Deno.writeTextFile(`${dir}/.faultline-tmp-${dead}-abc.json`, "half");
  await Deno.writeTextFile(`${dir}/.faultline-tmp-${Deno.pid}-def.json`, "in progress");
  await Deno.mkdir(`${parent}/.faultline-staging-${dead}-run`);
  await Deno.writeTextFile(`${parent}/.faultline-staging-${dead}-run/figures.json`, "half");
  assert.deepEqual(await removeStaleTemporaries(dir), [`.faultline-tmp-${dead}-abc.json`]);
  assert.deepEqual(await names(dir), [
    markerName,
    `.faultline-tmp-${Deno.pid}-def.json`,
    "backup.tmp",
    "thesis.tmpl.docx",
    "x.json.tmp-1",
  ]);
  // A run killed while writing left a staging directory beside its target: the next write there removes it.
  await writeResultDir(`${parent}/run`, { "a.json": "1" }, { kind: "run" });
  assert.deepEqual(await names(parent), ["cache", "run"]);
  await Deno.remove(parent, { recursive: true });
});

Deno.test("writeAtomically leaves only the file, under its own name", async () => {
  const dir = await Deno.makeTempDir();
  await writeAtomically(`${dir}/a.json`, "text");
  await writeAtomically(`${dir}/b.bin`, new Uint8Array([1, 2, 3]));
  assert.deepEqual(await names(dir), ["a.json", "b.bin"]);
  await Deno.mkdir(`${dir}/c`);
  await assert.rejects(writeAtomically(`${dir}/c`, "x"), /a directory is in the way/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("changedFiles names a file that was edited or removed after its hash was recorded", async () => {
  const dir = await Deno.makeTempDir();
  const files = { "figures.json": '{"p99":1}', "results.csv": "a\n1\n" };
  for (const [name, text] of Object.entries(files)) await Deno.writeTextFile(`${dir}/${name}`, text);
  const hashes = await contentHashes(files);
  assert.deepEqual(await changedFiles(dir, hashes), []);
  await Deno.writeTextFile(`${dir}/figures.json`, '{"p99":2}');
  await Deno.remove(`${dir}/results.csv`);
  assert.deepEqual(await changedFiles(dir, hashes), [
    "figures.json was changed after Faultline wrote it",
    "results.csv is missing",
  ]);
  const record = { verdict: true, traceHash: "ab" };
  const hash = await recordHash(record, "hash");
  assert.equal(await recordHash({ ...record, hash }, "hash"), hash, "a record carries the hash of the rest of itself");
  assert.notEqual(await recordHash({ ...record, verdict: false, hash }, "hash"), hash);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("toCsv has every row's columns, quotes commas, quotes and newlines, and leaves missing values empty", () => {
  assert.equal(toCsv([{ a: 1, b: 'say "hi", ok' }]), 'a,b\n1,"say ""hi"", ok"\n');
  assert.equal(toCsv([{ cell: 0, error: "boom" }, { cell: 1, p99: 5, error: "" }]), "cell,error,p99\n0,boom,\n1,,5\n");
  assert.equal(toCsv([{ a: null, b: undefined }]), "a,b\n,\n");
  assert.equal(toCsv([]), "");
});
