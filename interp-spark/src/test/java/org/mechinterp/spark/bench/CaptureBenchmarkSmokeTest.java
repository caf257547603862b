package org.mechinterp.spark.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collection;

import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/** Runs both sides of the capture benchmark once, in this JVM, on a tiny corpus: a smoke run, no timing claims. */
class CaptureBenchmarkSmokeTest {
    @Test
    void bothSidesRun() throws RunnerException {
        Options o = new OptionsBuilder().include(CaptureBenchmark.class.getName() + "\\.")
                .forks(0).warmupIterations(0).measurementIterations(1).param("prompts", "8")
                .param("master", "local[2]").shouldFailOnError(true).build();
        Collection<RunResult> results = new Runner(o).run();
        assertEquals(2, results.size());
        for (RunResult r : results) {
            assertTrue(r.getPrimaryResult().getScore() > 0, r.getParams().getBenchmark());
        }
    }
}
