// 05 — Physics in context: simulate a mass-spring trajectory, serialise it as digits, read the model's forecast
// of the next value from its digit probabilities, then run a tiny version of the physics study (probes, SAE,
// feature correlations, scopes). Everything is written under a temp folder.
// Run: ./interp shell examples/05-physics.jsh

// 1. Simulate with the recipe the physics model was trained on (parameters and initial state drawn per sequence).
var recipe = PhysicsDataRecipe.builder().build();
var example = recipe.sample("mass-spring", new SplittableRandom(11));
var traj = example.trajectory();
var series = example.series();
double[] energy = traj.quantity("E");
double eMin = Arrays.stream(energy).min().getAsDouble();
double eMax = Arrays.stream(energy).max().getAsDouble();
double eMean = Arrays.stream(energy).average().getAsDouble();
System.out.printf("simulated: %s, %d steps of %s, dt %.3g, parameters %s%n", traj.system(), traj.steps(),
        traj.components(), traj.dt(), traj.parameters());
System.out.printf("energy drift (max-min)/mean: %.2e%n", (eMax - eMin) / eMean);
System.out.println("serialised: " + series.text().substring(0, 48) + "... (" + series.text().length() + " chars)");

// 2. The model: the embedded physics model when this build has it, else the embedded stories260K (whose
//    vocabulary also has one token per digit, so the same code runs; its forecasts are just poor).
Path modelDir;
try {
    modelDir = EmbeddedPhysicsModel.path();
} catch (UncheckedIOException e) {
    modelDir = EmbeddedModel.path();
}
var model = HookedTransformer.load(modelDir);
var tok = Tokenizer.load(modelDir);
System.out.println("model: " + modelDir.getFileName());

// 3. Teacher-forced digit probabilities: one forward pass over the whole series; the distribution of the value at
//    (step, x1) comes from the logits at the token before each of its digits, restricted to the 10 digit tokens.
var align = TokenAlignment.encode(tok, "", series, true);
int[] ids = align.ids();
int[] digitIds = DigitTokens.of(tok);
DigitTokens.verify(List.of(new EncodedTrajectory(0, traj, series, align)), digitIds);   // one token per digit
float[][] logits;
try (NDManager m = NDManager.newBaseManager()) {
    NDArray all = model.forward(m, TokenBatch.of(ids)).get(0);             // [T,V]
    logits = new float[ids.length][];
    for (int t = 0; t < ids.length; t++) logits[t] = all.get(t).toFloatArray();
}
double[] digitProbs(float[] l) {
    double max = Double.NEGATIVE_INFINITY;
    for (float v : l) max = Math.max(max, v);
    double z = 0;
    for (float v : l) z += Math.exp(v - max);
    double[] p = new double[10];
    for (int d = 0; d < 10; d++) p[d] = Math.exp(l[digitIds[d]] - max) / z;
    return p;
}
// Forecast mean of value (step, c) on the physical axis.
double forecast(int step, int c) {
    int width = align.series().valueEnd(step, c) - align.series().valueStart(step, c);
    int[] digits = DigitDistribution.digitsOf(series.code(step, c), width);
    double[][] q = new double[width][];
    for (int k = 0; k < width; k++) {
        int tokenOfDigit = align.tokenOfChar(series.valueStart(step, c) + k);
        q[k] = digitProbs(logits[tokenOfDigit - 1]);
    }
    var dist = DigitDistribution.of(digits, q);
    return series.format().digitAxisToValue(dist.mean(), c, series.scaling());
}
int last = traj.steps() - 1;
System.out.printf("next value x1 at step %d: true %.4f, forecast %.4f, repeat-last %.4f%n", last,
        traj.value(last, 0), forecast(last, 0), traj.value(last - 1, 0));
double seModel = 0, seRepeat = 0;
int n = 0;
for (int s = traj.steps() / 2; s < traj.steps(); s++) {
    for (int c = 0; c < traj.dimension(); c++) {
        seModel += Math.pow(forecast(s, c) - traj.value(s, c), 2);
        seRepeat += Math.pow(traj.value(s - 1, c) - traj.value(s, c), 2);
        n++;
    }
}
System.out.printf("forecast RMSE over the second half (%d values): model %.4f, repeat-last %.4f%n", n,
        Math.sqrt(seModel / n), Math.sqrt(seRepeat / n));
tok.close();
model.close();

// 4. A tiny physics study (the full one: `./interp physics`): 5 discovery and 2 held-out trajectories of 12 steps,
//    probes at one layer, a 64-latent SAE, 20 permutations. Writes results.json and report.html.
Path out = Files.createTempDirectory("interp-example-physics-");
var results = PhysicsStudy.builder().setModel(modelDir).setOut(out).optSystem("mass-spring").
        optTrajectories(5, 2).optSteps(12).optLayers(2).optSae(64, 8, 60, 256).optPermutations(20).optScopeTrajectories(1).
        optLog(null).build().run();
System.out.printf("study SAE: layer %d (%s), FVU %.3f, L0 %.2f%n", results.sae().layer(), results.sae().layerChoice(),
        results.sae().fvu(), results.sae().l0());
String fmt(Map<String, Double> m, String f) {
    return m.entrySet().stream().map(e -> e.getKey() + " " + String.format(Locale.ROOT, f, e.getValue())).
            collect(Collectors.joining(", "));
}
System.out.println("study held-out |r(E, best feature)| per family: " + fmt(results.headline().get("E"), "%.3f"));
System.out.println("study seconds per stage: " + fmt(results.timings(), "%.1f"));
System.out.println("study files: " + Files.list(out).map(p -> p.getFileName().toString()).sorted().
        collect(Collectors.toList()));
AtomicFiles.deleteTree(out);   // open out/report.html first to keep it: comment this line out
System.out.println("study folder: " + out + " (deleted)");
/exit
