// Proves the Raft core is pure: none of its files imports the kernel (lib/sim) or anything outside
// the core but lib/assert.ts and the sibling Raft helpers, and none reads a clock or draws
// randomness of its own; and that each planted bug is consulted at one place only.
import assert from "node:assert/strict";

const allowedOutside = new Set([
  "../../../assert.ts",
  "../bugs.ts",
  "../log.ts",
  "../membership.ts",
  "../quorum.ts",
  "../types.ts",
]);

Deno.test("the Raft core imports no kernel module and reads no clock or random source of its own", () => {
  const dir = new URL(".", import.meta.url);
  let files = 0;
  for (const entry of Deno.readDirSync(dir)) {
    if (!entry.isFile || !entry.name.endsWith(".ts") || entry.name.endsWith("_test.ts")) continue;
    files++;
    const text = Deno.readTextFileSync(new URL(entry.name, dir));
    for (const match of text.matchAll(/^(?:import|export)[^;]*?from "([^"]+)";/gms)) {
      const specifier = match[1];
      const inside = specifier.startsWith("./") && !specifier.includes("/", 2);
      assert.ok(inside || allowedOutside.has(specifier), `${entry.name} imports ${specifier}`);
    }
    for (const forbidden of ["Date.now", "performance.now", "Math.random", "/sim/"]) {
      assert.ok(!text.includes(forbidden), `${entry.name} uses ${forbidden}`);
    }
  }
  assert.ok(files >= 8, `only ${files} core files found`);
});

Deno.test("each planted bug is consulted at exactly one place in the server", async () => {
  const { raftBugNames } = await import("../bugs.ts");
  const sources: string[] = [Deno.readTextFileSync(new URL("../node.ts", import.meta.url))];
  const dir = new URL(".", import.meta.url);
  for (const entry of Deno.readDirSync(dir)) {
    if (entry.isFile && entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) {
      sources.push(Deno.readTextFileSync(new URL(entry.name, dir)));
    }
  }
  for (const name of raftBugNames) {
    const uses = sources.reduce((count, text) => count + text.split(`bugs.${name}`).length - 1, 0);
    assert.equal(uses, 1, `bug ${name} is consulted at ${uses} places`);
  }
});
