// 02 — Cache activations and patch them: which (layer, position) of a clean run carries the information that
// decides "his" vs "her"? Activation patching clean → corrupt at blocks.L.hook_resid_pre, one position at a time.
// Run: ./interp shell examples/02-cache-and-patch.jsh

var dir = EmbeddedModel.path();
var model = HookedTransformer.load(dir);
var tok = Tokenizer.load(dir);
int layers = model.config().nLayers();

// Same token count, different subject: the model continues with "his" after the first, "her" after the second.
int[] clean = tok.encode("The boy had a ball. He gave the ball to");
int[] corrupt = tok.encode("The girl had a ball. She gave the ball to");
if (clean.length != corrupt.length) throw new IllegalStateException("prompts must have the same token count");
int T = clean.length;
int his = Generation.argmax(Generation.lastLogits(model, clean));      // the clean top-1 ("his")
int her = Generation.argmax(Generation.lastLogits(model, corrupt));    // the corrupt top-1 ("her")
System.out.println("targets: '" + tok.tokenText(his) + "' (" + his + ") vs '" + tok.tokenText(her) + "' (" + her + ")");

// The metric: logit(his) − logit(her) at the last position.
double logitDiff(NDArray logits) {
    float[] last = logits.get(0, logits.getShape().get(1) - 1).toFloatArray();
    return last[his] - last[her];
}

// Cache every resid_pre of the clean run (TransformerLens names, batch first: [1,T,D]); the cache owns them.
var names = IntStream.range(0, layers).mapToObj(HookNames::residPre).collect(Collectors.toList());
var cleanCache = model.runWithCache(TokenBatch.of(clean), names);
System.out.println("cached: " + cleanCache.names().size() + " arrays, " + names.get(0) + " shape "
        + cleanCache.get(names.get(0)).getShape());
double cleanDiff = logitDiff(cleanCache.logits());
double corruptDiff;
try (NDManager m = NDManager.newBaseManager()) {
    corruptDiff = logitDiff(model.forward(m, TokenBatch.of(corrupt)));
}
System.out.printf("clean logit difference: %.4f%n", cleanDiff);
System.out.printf("corrupt logit difference: %.4f%n", corruptDiff);

// Runs the corrupt prompt with the clean activation at (layer, positions); returns the recovered fraction of the
// logit difference: 0 = corrupt, 1 = clean. Hook arrays are made with ctx.manager() (freed after the pass) and
// the activation x is the first operand, so results stay in the pass's memory.
double patched(int layer, int... positions) {
    String name = HookNames.residPre(layer);
    NDArray source = cleanCache.get(name);
    float[] mask = new float[T];
    for (int p : positions) mask[p] = 1f;
    try (HookScope scope = model.hooks().scope(); NDManager m = NDManager.newBaseManager()) {
        scope.add(name, (x, ctx) -> x.sub(x.sub(source).mul(ctx.manager().create(mask, new Shape(1, T, 1)))));
        return (logitDiff(model.forward(m, TokenBatch.of(corrupt))) - corruptDiff) / (cleanDiff - corruptDiff);
    }
}

// Sanity check: the whole residual stream before block 0 is the whole input, so patching it recovers all.
System.out.printf("full patch at layer 0 recovers: %.4f%n", patched(0, IntStream.range(0, T).toArray()));

// One position at a time, every layer; show the positions where the prompts differ and the last one.
var shown = IntStream.range(0, T).filter(t -> clean[t] != corrupt[t] || t == T - 1).toArray();
System.out.print("layer ");
for (int t : shown) System.out.printf("%10s", t + ":" + tok.tokenText(clean[t]).strip());
System.out.println();
double best = Double.NEGATIVE_INFINITY;
String bestAt = "";
for (int l = 0; l < layers; l++) {
    System.out.printf("%5d ", l);
    for (int t = 0; t < T; t++) {
        double r = patched(l, t);
        if (r > best) { best = r; bestAt = "layer " + l + ", position " + t; }
        if (clean[t] != corrupt[t] || t == T - 1) System.out.printf("%10.3f", r);
    }
    System.out.println();
}
System.out.printf("best single-position patch: %s recovers %.3f%n", bestAt, best);

cleanCache.close();
tok.close();
model.close();
/exit
