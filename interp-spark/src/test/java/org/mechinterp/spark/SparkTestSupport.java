package org.mechinterp.spark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.apache.spark.sql.SparkSession;

/** One local Spark session for all test classes of this module, and the shared fixtures. */
final class SparkTestSupport {
    private SparkTestSupport() {
    }

    /**
     * {@code local[2,2]}: two task slots, and a failed task is tried once more (the retry test needs it). Hadoop
     * splits of at most 256 bytes, so that even a small corpus file is read as several splits by several tasks.
     */
    static synchronized SparkSession spark() {
        return SparkSession.builder().master("local[2,2]").appName("interp-spark-tests")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.hadoop.mapreduce.input.fileinputformat.split.maxsize", "256")
                .getOrCreate();
    }

    /** The shared fixtures folder (surefire sets interp.shared.dir; else ../shared or ../../shared). */
    static Path shared() {
        String prop = System.getProperty("interp.shared.dir");
        if (prop != null && Files.isDirectory(Path.of(prop))) {
            return Path.of(prop);
        }
        for (String c : List.of("../shared", "../../shared")) {
            if (Files.isDirectory(Path.of(c, "fixtures"))) {
                return Path.of(c);
            }
        }
        throw new IllegalStateException("shared fixtures folder not found (set -Dinterp.shared.dir)");
    }

    /** The stories260K Llama fixture (5 layers, d_model 64, vocab 512) with its tokenizer. */
    static Path stories() {
        return shared().resolve("fixtures/stories260K-llama").toAbsolutePath();
    }

    /** The files of a store folder, sorted by name. */
    static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }
}
