package org.mechinterp.sae.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mechinterp.core.io.SafetensorsFile;
import org.mechinterp.core.io.SafetensorsWriter;
import org.mechinterp.sae.model.Architecture;
import org.mechinterp.sae.store.Checksums;

/**
 * A checkpoint changed after it was written is refused on resume, naming the file: one weight scaled by 1000 in
 * {@code state.safetensors}, an edited {@code state.json}, and (checksums forged to match) a step beyond the run's
 * total. Temporary folders of interrupted checkpoint writes are removed on resume and by the next checkpoint.
 */
class CheckpointIntegrityTest {
    @TempDir
    Path dir;
    private final float[] x = ResumeTest.data();
    private Path step;

    @BeforeEach
    void checkpointAtStep5() throws IOException {
        try (InMemoryBatches data = new InMemoryBatches(x, ResumeTest.ROWS, ResumeTest.D, 5)) {
            TrainingRun run = TrainingRun.start(ResumeTest.config(Architecture.TOPK), data);
            for (int i = 0; i < 5; i++) {
                run.step();
            }
            step = run.checkpoint(dir);
        }
    }

    private String resumeError() {
        return assertThrows(IOException.class, () -> {
            try (InMemoryBatches data = new InMemoryBatches(x, ResumeTest.ROWS, ResumeTest.D, 5)) {
                TrainingRun.resume(dir, data);
            }
        }).getMessage();
    }

    @Test
    void aScaledWeightIsRefused() throws IOException {
        Path file = step.resolve("state.safetensors");
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "interp-sae-checkpoint");
        boolean found = false;
        try (SafetensorsFile in = SafetensorsFile.open(file)) {
            for (String name : in.names()) {
                switch (in.info(name).dtype()) {
                    case F32 -> {
                        float[] v = in.readFloats(name);
                        if (name.equals("param.W_dec")) {
                            v[3] *= 1000;
                        }
                        w.addF32(name, v, in.info(name).shape());
                        found |= name.equals("param.W_dec");
                    }
                    case I32 -> w.addI32(name, in.readInts(name), in.info(name).shape());
                    default -> w.addI64(name, in.readLongs(name), in.info(name).shape());
                }
            }
        }
        assertTrue(found, "the test must change a weight");
        w.write(file);
        String message = resumeError();
        assertTrue(message.contains("state.safetensors") && message.contains("SHA-256")
                && message.contains("delete"), message);
    }

    @Test
    void anEditedStateJsonIsRefused() throws IOException {
        Path json = step.resolve("state.json");
        Files.writeString(json, Files.readString(json).replace("\"step\": 5", "\"step\": 4"));
        String message = resumeError();
        assertTrue(message.contains("state.json") && message.contains("checksum"), message);
    }

    @Test
    void aStepBeyondTheRunIsRefusedEvenWithMatchingChecksums() throws IOException {
        Path json = step.resolve("state.json");
        JsonObject o = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        o.remove("checksum");
        o.addProperty("step", 1000);
        var gson = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();
        o.addProperty("checksum", Checksums.sha256(gson.toJson(o)));
        Files.writeString(json, gson.toJson(o), StandardCharsets.UTF_8);
        String message = resumeError();
        assertTrue(message.contains("step 1000 is outside 0..60"), message);
    }

    @Test
    void resumingOnAnotherStreamSaysSoAndHowToProceed() {
        float[] fewer = java.util.Arrays.copyOf(x, 50 * ResumeTest.D); // the saved position (row 80) is past its end
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> {
            try (InMemoryBatches data = new InMemoryBatches(fewer, 50, ResumeTest.D, 5)) {
                TrainingRun.resume(dir, data);
            }
        });
        assertTrue(e.getMessage().contains("trained on another activation stream")
                && e.getMessage().contains("same --store, --hook and --seed"), e.getMessage());
    }

    @Test
    void interruptedWritesAreRemovedOnResumeAndByTheNextCheckpoint() throws IOException {
        Path leftover = Files.createDirectories(dir.resolve(".step-00000003.k3j2.tmp"));
        Files.writeString(leftover.resolve("state.safetensors"), "partial");
        Files.writeString(dir.resolve(".LATEST.abc.tmp"), "step-00000003");
        try (InMemoryBatches data = new InMemoryBatches(x, ResumeTest.ROWS, ResumeTest.D, 5)) {
            TrainingRun.resume(dir, data);
        }
        assertFalse(Files.exists(leftover));
        Files.createDirectories(dir.resolve(".step-00000007.zz.tmp"));
        try (InMemoryBatches data = new InMemoryBatches(x, ResumeTest.ROWS, ResumeTest.D, 5)) {
            SaeTrainer.builder().setConfig(ResumeTest.config(Architecture.TOPK)).optCheckpointDir(dir)
                    .optProgress(false).build().train(data);
        }
        try (var s = Files.list(dir)) {
            assertEquals(List.of("LATEST", "step-00000060"), s.map(p -> p.getFileName().toString()).sorted()
                    .toList());
        }
    }
}
