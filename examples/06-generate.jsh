// 06 — Generate with the key/value cache: greedy, seeded sampling, and a steering hook applied at every step.
// Run: ./interp shell examples/06-generate.jsh   (or /open examples/06-generate.jsh inside ./interp shell)

var dir = EmbeddedModel.path();
var model = HookedTransformer.load(dir);
var tok = Tokenizer.load(dir);
var generator = new Generator(model);
int[] prompt = tok.encode("Once upon a time");

// Greedy (the default), stopping at the model's eos token or after 24 new tokens.
var greedy = generator.generate(prompt, GenerationOptions.greedy(24));
System.out.println("greedy: " + tok.decode(greedy.tokens(0), true));

// Seeded sampling: the same seed gives the same text.
var sampling = GenerationOptions.builder().setMaxNewTokens(24).optTemperature(0.9).optTopP(0.95).optSeed(7).build();
var s1 = generator.generate(prompt, sampling);
var s2 = generator.generate(prompt, sampling);
System.out.println("sampled: " + tok.decode(s1.tokens(0), true));
System.out.println("same seed, same tokens: " + Arrays.equals(s1.tokens(0), s2.tokens(0)));

// Steering: add a direction to the residual stream after block 2 at every step. With the cache the hook sees only
// the new positions ([1,T,D] for the prompt, then [1,1,D] per token), which is all a position-wise hook needs.
var m = NDManager.newBaseManager();
int happy = tok.encode("happy")[1];             // [BOS, happy]
var direction = model.weights().embed().get(happy).mul(2f);   // [D]: twice the token's embedding
direction.attach(m);
int[] steered;
int[] recomputed;
try (var scope = model.hooks().scope()) {
    scope.add("blocks.2.hook_resid_post", (x, ctx) -> x.add(direction));
    steered = generator.generate(prompt, GenerationOptions.greedy(24)).tokens(0);
    recomputed = generator.generate(prompt,
            GenerationOptions.builder().setMaxNewTokens(24).optUseCache(false).build()).tokens(0);
}
System.out.println("steered towards '" + tok.tokenText(happy) + "': " + tok.decode(steered, true));
System.out.println("steering changed the text: " + !Arrays.equals(steered, greedy.tokens(0)));
System.out.println("cached == recomputed: " + Arrays.equals(steered, recomputed));

// A batch of prompts of different lengths (left-padded); each stops on its own.
var batch = generator.generate(new int[][] {prompt, tok.encode("The cat")}, GenerationOptions.greedy(12));
for (int b = 0; b < batch.batchSize(); b++) {
    System.out.println("batch " + b + " (" + batch.finishReason(b) + "): " + tok.decode(batch.tokens(b), true));
}

m.close();
tok.close();
model.close();
/exit
