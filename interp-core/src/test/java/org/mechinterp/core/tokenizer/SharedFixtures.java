package org.mechinterp.core.tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Locates the shared fixture folder: surefire sets {@code interp.shared.dir}; IDE runs start in interp-core. */
final class SharedFixtures {

    private SharedFixtures() {
    }

    static Path resolve(String relative) {
        String configured = System.getProperty("interp.shared.dir");
        if (configured != null && Files.isDirectory(Paths.get(configured))) {
            return Paths.get(configured).resolve(relative);
        }
        for (String candidate : new String[] {"../../shared", "../shared"}) {
            Path p = Paths.get(candidate);
            if (Files.isDirectory(p.resolve("fixtures"))) {
                return p.resolve(relative);
            }
        }
        return Paths.get("../../shared").resolve(relative);
    }
}
