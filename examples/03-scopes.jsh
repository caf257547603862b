// 03 — Jacobian Scopes: which input tokens drive the prediction at the last position? Semantic (one target
// logit), Temperature (the norm of the final-norm output) and Fisher (the whole predictive distribution), plus
// a check of the Semantic Scope against a plain gradient, and an HTML heatmap in a temp folder.
// Run: ./interp shell examples/03-scopes.jsh

var dir = EmbeddedModel.path();
var model = HookedTransformer.load(dir);
var tok = Tokenizer.load(dir);

int[] ids = tok.encode("The boy had a ball. He gave the ball to");
// Position 0 is BOS: it stays in the forward pass but gets no score.
var request = AttributionRequest.builder().setTokens(ids).optExclude(0).
        optTokenTexts(TokenTexts.inContext(tok, ids)).build();
var attributor = Attributor.builder().setModel(model).optFisherRank(4).build();   // borrows the model

var results = new ArrayList<AttributionResult>();
for (Method m : List.of(Method.SEMANTIC, Method.TEMPERATURE, Method.FISHER)) {
    AttributionResult r = attributor.attribute(m, request);
    results.add(r);
    double[] s = r.scores();
    int[] order = IntStream.range(0, s.length).boxed().sorted((a, b) -> Double.compare(s[b], s[a])).
            limit(3).mapToInt(Integer::intValue).toArray();
    var top = Arrays.stream(order).mapToObj(t -> "'" + r.tokenTexts().get(t) + "'@" + t +
            String.format(Locale.ROOT, "=%.3g", s[t])).collect(Collectors.joining(", "));
    System.out.println(m.id() + " top-3: " + top + (r.target() != null ? "  (target '" + tok.tokenText(r.target()) +
            "')" : ""));
}

// Independent check: the Semantic Scope is ‖∇_{x_τ} logit_target‖₂ with x_τ the token embedding, i.e. the norm of
// the gradient that runWithGradients caches at hook_embed.
int target = results.get(0).target();
double maxDiff = 0;
try (var g = model.runWithGradients(TokenBatch.of(ids), n -> false, n -> n.equals(HookNames.EMBED),
        logits -> logits.get(0, ids.length - 1, target))) {
    float[] grad = g.grad(HookNames.EMBED).toFloatArray();         // [1,T,D] flattened
    int d = model.config().dModel();
    for (int t = 1; t < ids.length; t++) {
        double sq = 0;
        for (int i = 0; i < d; i++) sq += (double) grad[t * d + i] * grad[t * d + i];
        maxDiff = Math.max(maxDiff, Math.abs(Math.sqrt(sq) - results.get(0).score(t)));
    }
}
System.out.printf("semantic vs direct gradient norm: max |diff| = %.2e%n", maxDiff);

Path out = Files.createTempDirectory("interp-example-scopes-");
Path html = out.resolve("scopes.html");
AttributionReport.writeHtml(html, results, "Jacobian Scopes: " + tok.decode(ids, true));
System.out.println("heatmap: " + html + " (" + Files.size(html) + " bytes, starts with "
        + Files.readString(html).substring(0, 15).strip() + ")");
// (keep it: comment out the next line and open the file in a browser)
AtomicFiles.deleteTree(out);

tok.close();
model.close();
/exit
