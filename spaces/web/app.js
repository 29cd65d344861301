// pix2pix hub in the browser: the task picker, the Space's drawing tools, and the output computed on this device by
// onnxruntime-web (WebGPU where the browser has it, else WASM, with threads where the page is cross-origin isolated).
// Every task, palette, legend, hint, input kind and model URL comes from manifest.json (pix2pix_hub/web/manifest.py);
// the pre- and post-processing steps below are the twins of the Python pipeline's (named in the manifest).

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);

// ----- images: {width, height, rgb: Uint8Array(width * height * 3)} -------------------------------------------------

function readCanvas(canvas) {
  const { width, height } = canvas;
  const rgba = canvas.getContext("2d", { willReadFrequently: true }).getImageData(0, 0, width, height).data;
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    rgb[j] = rgba[i];
    rgb[j + 1] = rgba[i + 1];
    rgb[j + 2] = rgba[i + 2];
  }
  return { width, height, rgb };
}

function drawImage(canvas, image) {
  canvas.width = image.width;
  canvas.height = image.height;
  const data = new ImageData(image.width, image.height);
  for (let i = 0, j = 0; j < image.rgb.length; i += 4, j += 3) {
    data.data[i] = image.rgb[j];
    data.data[i + 1] = image.rgb[j + 1];
    data.data[i + 2] = image.rgb[j + 2];
    data.data[i + 3] = 255;
  }
  canvas.getContext("2d").putImageData(data, 0, 0);
}

// ----- the twins of the Python steps (pix2pix_hub/input_kinds.py prepare, pix2pix_hub/postprocess.py keep_known) ----

// PIL's "L" conversion, in its fixed point: (R * 19595 + G * 38470 + B * 7471 + 0x8000) >> 16
const luma = (r, g, b) => (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;

// each takes the image(s) and {task, manifest}: prepare(image, context), keep_known(modelInput, output, context)
const STEPS = {
  // palettes.decode_labels + encode_labels: the nearest palette colour (void colours become the first void colour)
  snap_to_palette(image, { task }) {
    const classes = task.palette.classes.map((c) => c.colour);
    const table = classes.concat(task.palette.void_colours);
    const voidColour = task.palette.void_colours[0] || [0, 0, 0];
    const cache = new Map();
    const out = new Uint8Array(image.rgb.length);
    for (let j = 0; j < image.rgb.length; j += 3) {
      const r = image.rgb[j], g = image.rgb[j + 1], b = image.rgb[j + 2];
      const key = (r << 16) | (g << 8) | b;
      let colour = cache.get(key);
      if (colour === undefined) {
        let best = 0, bestDistance = Infinity;
        table.forEach((c, k) => {
          const d = (r - c[0]) ** 2 + (g - c[1]) ** 2 + (b - c[2]) ** 2;
          if (d < bestDistance) [best, bestDistance] = [k, d];
        });
        colour = best < classes.length ? table[best] : voidColour;
        cache.set(key, colour);
      }
      out.set(colour, j);
    }
    return { ...image, rgb: out };
  },
  // images.to_grayscale: the luminance in all three channels
  grayscale(image) {
    const out = new Uint8Array(image.rgb.length);
    for (let j = 0; j < out.length; j += 3) out.fill(luma(image.rgb[j], image.rgb[j + 1], image.rgb[j + 2]), j, j + 3);
    return { ...image, rgb: out };
  },
  // postprocess.keep_outside_hole: the output in the hole (pixels exactly the hole colour, grown by the margin)
  keep_outside_hole(modelInput, output, { manifest }) {
    const { width, height, rgb } = modelInput;
    const [hr, hg, hb] = manifest.hole_colour;
    const m = manifest.hole_margin;
    const hole = new Uint8Array(width * height);
    for (let p = 0; p < hole.length; p++) hole[p] = rgb[3 * p] === hr && rgb[3 * p + 1] === hg && rgb[3 * p + 2] === hb;
    const grown = dilate(hole, width, height, m);
    const out = new Uint8Array(rgb);
    for (let p = 0; p < grown.length; p++) if (grown[p]) out.set(output.rgb.subarray(3 * p, 3 * p + 3), 3 * p);
    return { width, height, rgb: out };
  },
  // postprocess.keep_luminance: the input's luminance with the output's chroma (JPEG's YCbCr, as PIL converts)
  keep_luminance(modelInput, output) {
    const out = new Uint8ClampedArray(output.rgb.length); // clamps to [0, 255] as PIL does
    for (let j = 0; j < out.length; j += 3) {
      const [r, g, b] = output.rgb.subarray(j, j + 3);
      const cb = -0.168736 * r - 0.331264 * g + 0.5 * b;
      const cr = 0.5 * r - 0.418688 * g - 0.081312 * b;
      const y = luma(modelInput.rgb[j], modelInput.rgb[j + 1], modelInput.rgb[j + 2]);
      out[j] = Math.round(y + 1.402 * cr);
      out[j + 1] = Math.round(y - 0.344136 * cb - 0.714136 * cr);
      out[j + 2] = Math.round(y + 1.772 * cb);
    }
    return { ...output, rgb: out };
  },
};

// PIL's MaxFilter(2 m + 1) on a 0/1 mask: a square window, clamped at the borders (a row pass, then a column pass)
function maxPass(mask, width, height, m, alongRows) {
  const out = new Uint8Array(mask.length);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const [position, length] = alongRows ? [x, width] : [y, height];
      const index = (i) => (alongRows ? y * width + i : i * width + x);
      let v = 0;
      for (let i = Math.max(0, position - m); i <= Math.min(length - 1, position + m) && !v; i++) v = mask[index(i)];
      out[y * width + x] = v;
    }
  return out;
}

const dilate = (mask, width, height, m) => maxPass(maxPass(mask, width, height, m, true), width, height, m, false);

// Pix2PixPipeline: [0, 255] -> [-1, 1], NCHW, padded on the bottom and right to multiples of the U-Net's minimum size
// (reflection where the image allows it, else edge replication: pipeline.pad_to_multiple), and cropped back after.
function toTensor(image, multiple) {
  const { width, height, rgb } = image;
  const padH = (multiple - (height % multiple)) % multiple;
  const padW = (multiple - (width % multiple)) % multiple;
  const reflect = padH < height && padW < width;
  const H = height + padH, W = width + padW;
  const source = (i, n) => (i < n ? i : reflect ? 2 * (n - 1) - i : n - 1);
  const data = new Float32Array(3 * H * W);
  for (let y = 0; y < H; y++) {
    const sy = source(y, height);
    for (let x = 0; x < W; x++) {
      const s = 3 * (sy * width + source(x, width));
      for (let c = 0; c < 3; c++) data[c * H * W + y * W + x] = rgb[s + c] / 127.5 - 1;
    }
  }
  return { data, dims: [1, 3, H, W] };
}

function fromTensor(tensor, width, height) {
  const [, , H, W] = tensor.dims;
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < 3; c++) {
        const v = Math.min(1, Math.max(-1, tensor.data[c * H * W + y * W + x]));
        rgb[3 * (y * width + x) + c] = Math.round((v + 1) * 127.5);
      }
  return { width, height, rgb };
}

// ----- onnxruntime-web ---------------------------------------------------------------------------------------------

async function loadRuntime() {
  const adapter = navigator.gpu ? await navigator.gpu.requestAdapter().catch(() => null) : null;
  const backend = params.get("backend") || (adapter ? "webgpu" : "wasm");
  const ort = await import(backend === "webgpu" ? "./ort/ort.webgpu.min.mjs" : "./ort/ort.wasm.min.mjs");
  ort.env.wasm.wasmPaths = new URL("ort/", document.baseURI).href;
  // threads need cross-origin isolation; half the cores (at most 4) leaves the others to the page and the browser:
  // on a 2-core machine one WASM thread translated faster than two (benchmarks/web_latency.py, docs/web.md)
  ort.env.wasm.numThreads = Number(params.get("threads")) ||
    (crossOriginIsolated ? Math.min(4, Math.ceil((navigator.hardwareConcurrency || 1) / 2)) : 1);
  const threads = ort.env.wasm.numThreads;
  const how = backend === "webgpu" ? "WebGPU" :
    `WASM, ${threads} thread${threads > 1 ? "s" : ""}${crossOriginIsolated ? "" : " (page not cross-origin isolated)"}`;
  return { ort, backend, how };
}

// ----- the page ----------------------------------------------------------------------------------------------------

const state = {
  manifest: null, runtime: null, task: null, precision: null, session: null, sessions: new Map(),
  busy: false, dirty: false, tool: "pen", colour: "#000000",
  // what the tests and the benchmark read (tests/test_web_browser.py)
  translations: 0, lastLatencyMs: null, lastRunMs: null, latencies: [], modelLoaded: false, error: null,
};
const input = $("input"), mask = $("mask"), output = $("output"), modelInputCanvas = $("model-input");

function setStatus(text) { $("status").textContent = text; }

function blankColour(task) {
  return task.widget === "label_painter" ? rgbHex(task.palette.classes[0].colour) : "#ffffff";
}

function rgbHex(c) { return "#" + c.map((v) => v.toString(16).padStart(2, "0")).join(""); }

// what the widget gives, as the Space's widgets read it (space/app.py editor_composite, masked_photo)
function entry() {
  const image = readCanvas(input);
  if (state.task.widget !== "mask_painter") return image;
  const alpha = mask.getContext("2d", { willReadFrequently: true }).getImageData(0, 0, mask.width, mask.height).data;
  for (let p = 0; p < image.width * image.height; p++)
    if (alpha[4 * p + 3] > 0) image.rgb.set(state.manifest.hole_colour, 3 * p);
  return image;
}

async function translate() {
  if (!state.session) return;
  if (state.busy) { state.dirty = true; return; }
  state.busy = true;
  try {
    do {
      state.dirty = false;
      await translateOnce();
    } while (state.dirty);
  } catch (error) {
    state.error = String(error);
    setStatus(`Translation failed: ${error}`);
  } finally {
    state.busy = false;
  }
}

async function translateOnce() {
  const task = state.task, manifest = state.manifest, session = state.session;
  const start = performance.now();
  const given = entry();
  const context = { task, manifest };
  const modelInput = task.prepare ? STEPS[task.prepare](given, context) : given;
  const { data, dims } = toTensor(modelInput, task.min_input_size);
  const feeds = { input: new state.runtime.ort.Tensor("float32", data, dims) };
  const runStart = performance.now();
  const result = await session.run(feeds);
  const runMs = performance.now() - runStart;
  let image = fromTensor(result.output, modelInput.width, modelInput.height);
  if (task.keep_known) image = STEPS[task.keep_known](modelInput, image, context);
  if (session !== state.session) return; // the task or model changed meanwhile
  drawImage(output, image);
  if (task.shows_model_input) drawImage(modelInputCanvas, modelInput);
  state.lastLatencyMs = performance.now() - start;
  state.lastRunMs = runMs;
  state.translations += 1;
  state.latencies.push({ total: state.lastLatencyMs, model: runMs });
  $("latency").textContent = `${state.lastLatencyMs.toFixed(0)} ms (model ${runMs.toFixed(0)} ms)`;
}

async function loadModel() {
  const url = state.task.models[state.precision];
  state.session = null;
  state.modelLoaded = false;
  setStatus(`Loading ${state.task.name} (${state.precision})…`);
  try {
    if (!state.sessions.has(url)) {
      const options = { executionProviders: [state.runtime.backend], graphOptimizationLevel: "all" };
      state.sessions.set(url, await state.runtime.ort.InferenceSession.create(url, options));
    }
  } catch (error) {
    state.error = String(error);
    setStatus(`Could not load ${url}: ${error}`);
    return;
  }
  state.session = state.sessions.get(url);
  state.modelLoaded = true;
  setStatus(`${state.task.name}, ${state.precision} model, on ${state.runtime.how}`);
  translate();
}

function loadImageInto(source) {
  return createImageBitmap(source).then((bitmap) => {
    const [side] = state.manifest.canvas;
    const scale = side / Math.max(bitmap.width, bitmap.height);
    input.width = mask.width = Math.max(1, Math.round(bitmap.width * scale));
    input.height = mask.height = Math.max(1, Math.round(bitmap.height * scale));
    const context = input.getContext("2d", { willReadFrequently: true });
    context.fillStyle = "#ffffff";
    context.fillRect(0, 0, input.width, input.height);
    context.drawImage(bitmap, 0, 0, input.width, input.height);
    mask.getContext("2d").clearRect(0, 0, mask.width, mask.height);
    translate();
  });
}

async function loadExample(url) {
  const response = await fetch(url);
  await loadImageInto(await response.blob());
}

function selectTool(tool) {
  state.tool = tool;
  $("pen").classList.toggle("selected", tool === "pen");
  $("eraser").classList.toggle("selected", tool === "eraser");
}

function buildTools(task) {
  const legend = $("legend");
  legend.replaceChildren();
  if (task.widget === "label_painter") {
    for (const { name, colour } of task.palette.classes) {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.name = name;
      const chip = document.createElement("span");
      chip.style.background = rgbHex(colour);
      button.append(chip, name);
      button.onclick = () => {
        state.colour = rgbHex(colour);
        legend.querySelectorAll("button").forEach((b) => b.classList.toggle("selected", b === button));
        selectTool("pen");
      };
      legend.append(button);
    }
    legend.querySelector("button").click();
  } else {
    state.colour = task.widget === "mask_painter" ? state.manifest.mask_brush : "#000000";
  }
  const drawing = task.widget !== "upload";
  for (const id of ["pen", "eraser", "size", "clear"]) $(id).closest("label, button").hidden = !drawing;
  $("size").value = { label_painter: 12, sketchpad: 2, mask_painter: 24 }[task.widget] || 12;
  mask.hidden = task.widget !== "mask_painter";
  $("model-input-pane").hidden = !task.shows_model_input;
  $("hint").textContent = task.hint + (drawing ? " The output follows as you draw." : "");
  $("description").textContent = task.description + ".";
  const examples = $("examples");
  examples.replaceChildren("Examples:");
  task.examples.forEach((url, i) => {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = String(i + 1);
    button.onclick = () => loadExample(url);
    examples.append(button);
  });
  selectTool("pen");
}

function clearCanvas() {
  if (state.task.widget === "mask_painter") {
    mask.getContext("2d").clearRect(0, 0, mask.width, mask.height);
  } else {
    const context = input.getContext("2d", { willReadFrequently: true });
    context.fillStyle = blankColour(state.task);
    context.fillRect(0, 0, input.width, input.height);
  }
  translate();
}

// strokes: pointer events on the canvas the widget paints (the mask over the photo for the mask painter)
function enableDrawing() {
  let last = null;
  const target = () => (state.task.widget === "mask_painter" ? mask : input);
  const point = (event) => {
    const rect = target().getBoundingClientRect();
    return [(event.clientX - rect.left) * target().width / rect.width,
      (event.clientY - rect.top) * target().height / rect.height];
  };
  const stroke = (from, to) => {
    const context = target().getContext("2d", { willReadFrequently: true });
    const erasing = state.tool === "eraser";
    const onMask = target() === mask;
    context.globalCompositeOperation = erasing && onMask ? "destination-out" : "source-over";
    context.strokeStyle = erasing && !onMask ? blankColour(state.task) : state.colour;
    context.lineWidth = Number($("size").value);
    context.lineCap = context.lineJoin = "round";
    context.beginPath();
    context.moveTo(...from);
    context.lineTo(...to);
    context.stroke();
    translate();
  };
  for (const canvas of [input, mask]) {
    canvas.addEventListener("pointerdown", (event) => {
      if (state.task.widget === "upload" || event.currentTarget !== target()) return;
      event.currentTarget.setPointerCapture(event.pointerId);
      last = point(event);
      stroke(last, last);
    });
    canvas.addEventListener("pointermove", (event) => {
      if (last === null) return;
      const next = point(event);
      stroke(last, next);
      last = next;
    });
    for (const type of ["pointerup", "pointercancel"]) canvas.addEventListener(type, () => { last = null; });
  }
}

async function selectTask(name) {
  state.task = state.manifest.tasks.find((t) => t.name === name);
  const precision = $("precision");
  precision.replaceChildren(...Object.keys(state.task.models).map((p) => new Option(p, p)));
  const wanted = params.get("precision");
  state.precision = wanted in state.task.models ? wanted : precision.options[0].value;
  precision.value = state.precision;
  buildTools(state.task);
  await loadExample(state.task.examples[0]);
  await loadModel();
}

async function main() {
  state.manifest = await (await fetch("manifest.json")).json();
  if (state.manifest.demo_url) Object.assign($("demo-link"), { href: state.manifest.demo_url, hidden: false });
  if (!state.manifest.tasks.length) {
    setStatus("No web models here yet: write them with `pix2pix-hub export-web` (docs/web.md).");
    return;
  }
  state.runtime = await loadRuntime();
  const picker = $("task");
  picker.replaceChildren(...state.manifest.tasks.map((t) => new Option(t.name, t.name)));
  picker.onchange = () => selectTask(picker.value);
  $("precision").onchange = () => { state.precision = $("precision").value; loadModel(); };
  $("pen").onclick = () => selectTool("pen");
  $("eraser").onclick = () => selectTool("eraser");
  $("clear").onclick = clearCanvas;
  $("upload").onchange = (event) => event.target.files[0] && loadImageInto(event.target.files[0]);
  enableDrawing();
  const first = params.get("task");
  picker.value = state.manifest.tasks.some((t) => t.name === first) ? first : state.manifest.tasks[0].name;
  await selectTask(picker.value);
}

// for tests and benchmarks: the state, and the pixels of what was given, what the model saw and what it gave
window.pix2pix = {
  state,
  entry: () => { const e = entry(); return { ...e, rgb: Array.from(e.rgb) }; },
  output: () => { const o = readCanvas(output); return { ...o, rgb: Array.from(o.rgb) }; },
  translate: () => translate(),
  step(name, context, ...images) {
    const result = STEPS[name](...images.map((i) => ({ ...i, rgb: Uint8Array.from(i.rgb) })), context);
    return { ...result, rgb: Array.from(result.rgb) };
  },
};

main().catch((error) => {
  state.error = String(error);
  setStatus(`The page failed to start: ${error}`);
});
