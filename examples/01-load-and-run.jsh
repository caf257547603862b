// 01 — Load the embedded model, tokenize a prompt, show the top-5 next tokens and a short greedy continuation.
// Run: ./interp shell examples/01-load-and-run.jsh   (or /open examples/01-load-and-run.jsh inside ./interp shell)

// The bundled stories260K Llama (llama2.c, TinyStories); any HF checkpoint folder works the same way.
var dir = EmbeddedModel.path();
var model = HookedTransformer.load(dir);        // owns the weights: close it at the end
var tok = Tokenizer.load(dir);
var cfg = model.config();
System.out.printf("model: %s, %d layers, d_model %d, vocab %d%n", dir.getFileName(), cfg.nLayers(), cfg.dModel(),
        cfg.vocabSize());

var prompt = "Once upon a time";
int[] ids = tok.encode(prompt);                 // with the leading BOS
System.out.println("tokens: " + Arrays.toString(ids));

// Logits [V] at the last position; softmax in double precision.
float[] logits = Generation.lastLogits(model, ids);
double maxLogit = Double.NEGATIVE_INFINITY;
for (float l : logits) maxLogit = Math.max(maxLogit, l);
double z = 0;
for (float l : logits) z += Math.exp(l - maxLogit);
double logZ = maxLogit + Math.log(z);
// JShell ends a snippet at the first line that completes a statement: continuation lines must not start with '.'
int[] top = IntStream.range(0, logits.length).boxed().
        sorted((a, b) -> Float.compare(logits[b], logits[a])).
        limit(5).mapToInt(Integer::intValue).toArray();
for (int r = 0; r < top.length; r++) {
    System.out.printf("top-%d: id %d %-12s logit %8.4f  prob %.4f%n", r + 1, top[r],
            "'" + tok.tokenText(top[r]) + "'", logits[top[r]], Math.exp(logits[top[r]] - logZ));
}

// Greedy decoding re-runs the whole sequence each step (every step is a hookable forward pass).
int[] story = Generation.greedy(model, ids, 16);
System.out.println("greedy: " + tok.decode(story, true));

tok.close();
model.close();
/exit
