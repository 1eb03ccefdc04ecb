// Cargo runner for wasm32-wasip1 binaries under Node's WASI (node:wasi,
// preview1). Usage, as cargo calls it:
//   CARGO_TARGET_WASM32_WASIP1_RUNNER="node $PWD/.ci/wasi-runner.mjs" cargo test --target wasm32-wasip1
// (Node 18 also needs --experimental-wasi-unstable-preview1 before the script.)
// Argument 1 is the .wasm file, the rest go to the program (libtest's
// filters, --skip, --nocapture, ...). The whole host environment is passed
// through (SOFTMAX_SIMD_EXP_STRIDE, RUST_BACKTRACE, ...), the working
// directory is preopened as "." and the process exits with the program's
// exit code; a trap (a panic under panic=abort, unreachable, out of memory)
// is reported and exits with 134, as an aborted native test binary would.
import { readFile } from "node:fs/promises";
import process from "node:process";

// node:wasi prints an ExperimentalWarning on every load; drop that one only.
const emitWarning = process.emitWarning;
process.emitWarning = (warning, ...rest) => {
  const type = typeof rest[0] === "string" ? rest[0] : rest[0]?.type;
  if (type === "ExperimentalWarning" && String(warning).includes("WASI")) return;
  emitWarning.call(process, warning, ...rest);
};
const { WASI } = await import("node:wasi");

const [wasmPath, ...args] = process.argv.slice(2);
if (!wasmPath) {
  process.stderr.write("usage: node wasi-runner.mjs FILE.wasm [ARGS...]\n");
  process.exit(2);
}

const wasi = new WASI({
  version: "preview1",
  args: [wasmPath, ...args],
  env: { ...process.env },
  preopens: { ".": process.cwd() },
  returnOnExit: true,
});

let code;
try {
  const module = await WebAssembly.compile(await readFile(wasmPath));
  // Every import goes through a plain JS function, so V8 never takes its
  // fast-call path into Node's WASI. Called directly, Node 20.20's fd_write
  // died of SIGSEGV here after blocked::tests::long_sum_keeps_its_bound had
  // grown memory to tens of MiB (all its tests had passed); wrapping
  // fd_write alone cured it. Same signature: nodejs/node#53087.
  const imports = {};
  for (const [name, f] of Object.entries(wasi.wasiImport)) {
    imports[name] = (...a) => f(...a);
  }
  const instance = await WebAssembly.instantiate(module, { wasi_snapshot_preview1: imports });
  code = wasi.start(instance);
} catch (e) {
  // A Rust panic aborts (panic=abort): its message is in libtest's capture
  // buffer unless the test ran with --nocapture.
  process.stderr.write(`wasi-runner: ${wasmPath}: ${e?.stack ?? e}\n`);
  code = 134;
}
process.exitCode = code;
