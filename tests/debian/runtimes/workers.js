// Node.js worker threads: three more V8 isolates on threads of their own, messages
// between them, and a SharedArrayBuffer updated with Atomics from every thread.
const { Worker, isMainThread, parentPort, workerData } = require("worker_threads");
if (isMainThread) {
  const shared = new Int32Array(new SharedArrayBuffer(4));
  let done = 0;
  const sums = [];
  for (let k = 0; k < 3; k++) {
    const w = new Worker(__filename, { workerData: { k, shared } });
    w.on("message", (v) => {
      sums[k] = v;
      if (++done === 3) console.log("sums", sums.join(" "), "atomic count", Atomics.load(shared, 0));
    });
  }
} else {
  const { k, shared } = workerData;
  let s = 0;
  for (let i = 0; i < 300000; i++) {
    s = (s + i * (k + 1)) % 1000003;
    if (i % 1000 === 0) Atomics.add(shared, 0, 1);
  }
  parentPort.postMessage(s);
}
