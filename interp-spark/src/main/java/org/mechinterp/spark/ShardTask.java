package org.mechinterp.spark;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.apache.spark.TaskContext;
import org.mechinterp.core.io.SafetensorsFile;
import org.mechinterp.sae.store.Corpus;
import org.mechinterp.sae.store.PassRunner;
import org.mechinterp.sae.store.ShardBuffer;
import org.mechinterp.sae.store.StoreManifest;

/**
 * The executor side of a capture: one task writes one shard of the {@link ShardPlan}. It sorts its prompts by id,
 * runs them in the plan's passes through this JVM's model ({@link ExecutorModels}) and writes
 * {@code shard-NNNNN.safetensors} atomically (the bytes go to a temporary file beside it that is renamed over the
 * name only when complete). The name and the bytes depend only on the plan, so a retried or speculative attempt
 * writes the same file; an attempt that finds the shard already written (a re-run of the job, or an earlier
 * attempt that died after the rename) adopts it after checking its row count. Temporary files of attempts that
 * died are left for the driver to remove.
 */
final class ShardTask implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Test hook (local mode only, same JVM): the shard whose first attempt dies after writing a partial temp. */
    static volatile int failFirstAttemptOfShard = -1;
    /** Test hook (local mode only): the shard whose every attempt dies, so that the job fails. */
    static volatile int failEveryAttemptOfShard = -1;
    /** How often the test hook fired. */
    static final java.util.concurrent.atomic.AtomicInteger injectedFailures = new java.util.concurrent.atomic.AtomicInteger();

    private final String modelPath;
    private final String settingsJson;
    private final String fingerprint;
    private final String out;
    private final ShardPlan plan;

    ShardTask(String modelPath, StoreManifest settings, Path out, ShardPlan plan) {
        this.modelPath = modelPath;
        this.settingsJson = settings.toJson();
        this.fingerprint = settings.model().weightsFingerprint();
        this.out = out.toAbsolutePath().toString();
        this.plan = plan;
    }

    /** Writes (or adopts) shard {@code index} from its prompts; returns its manifest entry. */
    StoreManifest.Shard run(int index, java.util.Iterator<scala.Tuple2<Long, PromptRow>> rows) throws IOException {
        Path dir = Path.of(out);
        Path file = dir.resolve(StoreManifest.shardName(index));
        int expectRows = plan.rows(index);
        if (Files.isRegularFile(file) && rowsIn(file) == expectRows) {
            return StoreManifest.Shard.describe(file, expectRows, plan.firstPrompt(index), plan.prompts(index));
        }
        List<PromptRow> prompts = new ArrayList<>();
        rows.forEachRemaining(t -> prompts.add(t._2()));
        prompts.sort(Comparator.comparingLong(p -> p.id));
        checkPrompts(index, prompts);
        if (plan.lastKeep() >= 0 && index == plan.shards() - 1) { // the prompt that reaches a --max-tokens cap
            PromptRow p = prompts.remove(prompts.size() - 1);
            int keep = plan.lastKeep();
            int nl = p.labels.length / p.tokens.length;
            prompts.add(new PromptRow(new Corpus.Prompt(p.id, p.line, java.util.Arrays.copyOf(p.tokens, keep),
                    java.util.Arrays.copyOf(p.labels, keep * nl))));
        }
        StoreManifest settings = StoreManifest.fromJson(settingsJson);
        ShardBuffer buffer = new ShardBuffer(settings, expectRows);
        ExecutorModels.Loaded loaded = ExecutorModels.model(modelPath);
        if (!loaded.fingerprint().equals(fingerprint)) {
            throw new IllegalArgumentException("model " + loaded.dir + " on executor " + ExecutorModels.host()
                    + " has other weights than the one the capture was planned with (weights fingerprint "
                    + loaded.fingerprint() + " vs " + fingerprint + "): every executor must see the same model");
        }
        List<String> hooks = new ArrayList<>();
        settings.hooks().forEach(h -> hooks.add(h.name()));
        int perPass = settings.promptsPerPass();
        synchronized (loaded) { // one forward pass at a time per model: HookedTransformer is not thread-safe
            PassRunner runner = PassRunner.create(loaded.model, hooks);
            List<Corpus.Prompt> pass = new ArrayList<>();
            for (int i = 0; i < prompts.size(); i++) {
                pass.add(prompts.get(i).toPrompt());
                boolean last = i == prompts.size() - 1;
                if (last || prompts.get(i + 1).id / perPass != prompts.get(i).id / perPass) {
                    runner.run(pass, buffer);
                    pass.clear();
                }
            }
        }
        if (buffer.rows() != expectRows) {
            throw new IllegalStateException("shard " + index + " has " + buffer.rows() + " rows, planned "
                    + expectRows);
        }
        injectFailure(index, dir, file);
        return buffer.write(file);
    }

    private void checkPrompts(int index, List<PromptRow> prompts) {
        long first = plan.firstPrompt(index);
        long n = plan.prompts(index);
        if (prompts.size() != n || prompts.get(0).id != first || prompts.get(prompts.size() - 1).id != first + n - 1) {
            throw new IllegalStateException("shard " + index + " received " + prompts.size() + " prompts, planned "
                    + n + " from id " + first);
        }
    }

    /** Rows recorded in a shard file's header (its {@code prompt_id} length), or −1 if it cannot be read. */
    private static long rowsIn(Path file) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            return f.contains("prompt_id") ? f.info("prompt_id").shape()[0] : -1;
        } catch (IOException | RuntimeException e) {
            return -1; // rewrite it
        }
    }

    /** The test hooks: an attempt that dies mid-write, leaving a partial temporary file. */
    private static void injectFailure(int index, Path dir, Path file) throws IOException {
        TaskContext tc = TaskContext.get();
        if (tc != null && (index == failFirstAttemptOfShard && tc.attemptNumber() == 0
                || index == failEveryAttemptOfShard)) {
            Path tmp = dir.resolve("." + file.getFileName() + ".attempt" + tc.taskAttemptId() + ".tmp");
            Files.write(tmp, new byte[] {1, 2, 3}, StandardOpenOption.CREATE_NEW);
            injectedFailures.incrementAndGet();
            throw new IllegalStateException("injected failure of shard " + index + " (test hook)");
        }
    }
}
