// ONNX Runtime (onnxruntime-node, CPU) on the ONNX export of the same network,
// for bench/run_bench.py:
//   node bench/ort_unet.js MODEL.onnx THREADS REPEAT input=FILE [dump=FILE]
// prints `median_ms=X peak_rss_kb=Y min_ms=M` (the median and the fastest of
// REPEAT runs after a warm-up; peak RSS from process.resourceUsage().maxRSS,
// in KB). The session uses THREADS intra-op threads, 1 inter-op thread,
// sequential execution and every graph optimisation. input= is the bench's
// safetensors file (`images`, NHWC float32), fed as NCHW; dump= runs once
// and writes the output as raw float32 (NHWC) instead of timing.
// onnxruntime-node is looked up in build/bench/node_modules (`make bench-deps`).
'use strict';
const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

const ROOT = path.dirname(__dirname);
const requireBench = createRequire(path.join(ROOT, 'build', 'bench', 'package.json'));
const ort = requireBench('onnxruntime-node');

function readImages(file) {
  const buf = fs.readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  const info = header.images;
  if (!info || info.dtype !== 'F32' || info.shape.length !== 4) throw new Error(`${file}: no F32 images (N, H, W, C)`);
  const [b, h, w, c] = info.shape;
  const [begin, end] = info.data_offsets;
  const raw = buf.subarray(8 + n + begin, 8 + n + end);
  const nhwc = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const nchw = new Float32Array(nhwc.length);
  for (let i = 0; i < b; i++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let k = 0; k < c; k++)
          nchw[((i * c + k) * h + y) * w + x] = nhwc[((i * h + y) * w + x) * c + k];
  return new ort.Tensor('float32', nchw, [b, c, h, w]);
}

function toNhwc(t) {
  const [b, c, h, w] = t.dims;
  const out = new Float32Array(t.data.length);
  for (let i = 0; i < b; i++)
    for (let k = 0; k < c; k++)
      for (let p = 0; p < h * w; p++) out[(i * h * w + p) * c + k] = t.data[(i * c + k) * h * w + p];
  return out;
}

async function main() {
  const args = process.argv.slice(2).filter((a) => !a.includes('='));
  const keys = Object.fromEntries(process.argv.slice(2).filter((a) => a.includes('='))
    .map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]));
  if (args.length !== 3 || !keys.input) {
    console.error('usage: node ort_unet.js MODEL.onnx THREADS REPEAT input=FILE [dump=FILE]');
    process.exit(2);
  }
  const [model, threads, repeat] = [args[0], Number(args[1]), Number(args[2])];
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const feeds = { [session.inputNames[0]]: readImages(keys.input) };
  const outName = session.outputNames[0];
  if (keys.dump) {
    const out = (await session.run(feeds))[outName];
    fs.writeFileSync(keys.dump, Buffer.from(toNhwc(out).buffer));
    return;
  }
  const times = [];
  for (let r = 0; r <= repeat; r++) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r > 0) times.push(ms);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.log(`median_ms=${median.toFixed(2)} peak_rss_kb=${process.resourceUsage().maxRSS} ` +
              `min_ms=${times[0].toFixed(2)}`);
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
});
