// Node.js (V8's JIT generates and patches AArch64 code as it runs): sorting, BigInt,
// JSON, Map, strings, the crypto and zlib bindings, timers and promises.
const a = [];
for (let i = 0; i < 100000; i++) a.push((i * 7919) % 100003);
a.sort((x, y) => x - y);
let s = 0n;
for (let i = 0; i < a.length; i++) s += BigInt(a[i]) * BigInt(i);
console.log(s.toString(), Math.sin(1.234).toFixed(12), (2 ** 0.5).toPrecision(17));
console.log(JSON.stringify({ x: [1, 2.5, { y: "z" }], n: null }), JSON.parse('{"k":[3,4]}').k[1]);
const m = new Map();
for (let i = 0; i < 5000; i++) m.set("k" + i, i * i);
console.log(m.get("k4999"), [..."héllo wörld"].reverse().join(""), "abc".padStart(6, "-"));
console.log((123.456).toFixed(1), (0.1 + 0.2).toString(), Number.MAX_SAFE_INTEGER + 2, 1e21, -0 === 0);
console.log(/(\d+)-(\d+)/.exec("range 10-20")[2], "a,b,,c".split(",").length);
const crypto = require("crypto");
console.log(crypto.createHash("sha256").update("abc").digest("hex"));
console.log(crypto.createHmac("sha1", "key").update("data").digest("base64"));
const zlib = require("zlib");
const packed = zlib.deflateSync(Buffer.alloc(20000, "kvrm "));
console.log(packed.length, zlib.inflateSync(packed).toString().slice(0, 10));
class Point { constructor(x, y) { this.x = x; this.y = y; } norm() { return Math.hypot(this.x, this.y); } }
let total = 0;
for (let i = 0; i < 200000; i++) total += new Point(i % 7, i % 11).norm();
console.log(total.toFixed(6));
setTimeout(() => console.log("timer"), 5);
Promise.resolve(5).then((v) => console.log("promise", v));
(async () => { await null; console.log("async"); })();
