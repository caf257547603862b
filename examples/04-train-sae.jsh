// 04 — Capture activations into a store, train a small TopK sparse autoencoder on them, evaluate it.
// Everything is written under a temp folder. Run: ./interp shell examples/04-train-sae.jsh

var dir = EmbeddedModel.path();
var model = HookedTransformer.load(dir);
var tok = Tokenizer.load(dir);
Path work = Files.createTempDirectory("interp-example-sae-");

// A tiny corpus, one prompt per line (a real run would use thousands of TinyStories lines).
var lines = List.of(
        "Once upon a time, there was a little girl named Lily.",
        "She loved to play outside in the sunshine with her dog.",
        "One day, Tom found a big red ball in the park.",
        "The cat was sad because it could not find its toy.",
        "Mom said, \"Let's go to the store and buy some apples.\"",
        "The bird sang a happy song in the tall green tree.",
        "Ben and Sue built a sand castle at the beach.",
        "The little boy was scared of the dark, so he hugged his bear.",
        "They ate cake and played games at the party.",
        "The sun was hot, so the children went for a swim.",
        "Lily's mom gave her a hug and said she was proud.",
        "The dog barked at the man who walked by the house.",
        "Max wanted to fly like a bird, but he had no wings.",
        "The girl picked a pretty flower and gave it to her friend.",
        "It was a rainy day, and the kids stayed inside to read.",
        "The old tree had many apples, and Tim climbed up to get one.",
        "Sara lost her shoe in the mud and started to cry.",
        "The fish swam fast in the blue water.",
        "After dinner, Dad told a funny story about a silly frog.",
        "The bunny hopped into the garden to eat a carrot.",
        "Anna drew a big house with a red door.",
        "The train went up the hill and down the hill.",
        "He shared his cookies with his sister, and she smiled.",
        "The moon was bright, and the stars were shining.");
Path corpus = work.resolve("corpus.txt");
Files.write(corpus, lines);

// 1. Capture blocks.2.hook_resid_post for every token of every prompt (one row per token, d = 64).
String hook = HookNames.residPost(2);
Path store = work.resolve("store");
var manifest = ActivationCapture.builder().setModel(model).optTokenizer(tok).optModelPath(dir).setCorpus(corpus).
        setHooks(List.of(hook)).setOut(store).optProgress(false).build().run();
System.out.println("store rows: " + manifest.totalRows() + ", d = " + manifest.dim(hook) + ", prompts = " +
        manifest.promptsCompleted());

// 2. Train a TopK SAE (k = 8 of 256 latents) on shuffled rows, BOS rows dropped (they are an outlier direction).
int k = 8;
SaeConfig cfg;
Sae sae;
var last = new TrainingRun.StepStats[1];
try (var data = StoreBatches.builder().setStore(store).setHook(hook).optShuffle(7, 4096).optDropBos(true).build()) {
    cfg = SaeConfig.builder().setArchitecture(Architecture.TOPK).setDims(data.dim(), 256).optK(k).
            setSteps(400).optBatchSize(64).optLearningRate(3e-3).optSeed(7).
            optMetadata(new SaeMetadata(dir.toString(), hook, 0, true)).build();
    sae = SaeTrainer.builder().setConfig(cfg).optProgress(false).optListener(s -> last[0] = s).build().train(data);
}
System.out.printf("trained: %s, %d steps, last batch loss %.4g%n", sae, cfg.steps(), last[0].loss());

// 3. Evaluate on every non-BOS row of the store (in order, no shuffling).
EvalResult eval;
try (var data = StoreBatches.builder().setStore(store).setHook(hook).optDropBos(true).build()) {
    long rows = manifest.totalRows() - manifest.promptsCompleted();     // one BOS row per prompt
    eval = SaeEvaluator.evaluate(sae, data, rows, 256);
}
System.out.printf("eval rows: %d%n", eval.tokens());
System.out.printf("L0: %.2f (k = %d)%n", eval.l0(), k);
System.out.printf("FVU: %.4f (explained variance %.4f; on the training rows)%n", eval.fvu(), eval.explainedVariance());
System.out.printf("cosine: %.4f, dead latents: %.1f%%%n", eval.cosine(), 100 * eval.deadFraction());

// 4. Save in SAELens layout (cfg.json + sae_weights.safetensors) and load it back.
Path saeDir = work.resolve("sae");
SaeLensFormat.save(sae, saeDir);
var reloaded = SaeLensFormat.load(saeDir);
System.out.println("saved: " + saeDir + " -> reloaded " + reloaded.architecture() + " d_sae " + reloaded.dSae());
AtomicFiles.deleteTree(work);   // the store, checkpoints and SAE of this example

tok.close();
model.close();
/exit
