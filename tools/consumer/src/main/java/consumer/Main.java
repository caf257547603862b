package consumer;

import java.nio.file.Path;
import java.util.List;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.TokenBatch;
import org.mechinterp.models.EmbeddedModel;
import org.mechinterp.sae.model.Sae;

/** A cached forward pass through the library on the bundled model, as a user's application would run it. */
public final class Main {
    public static void main(String[] args) throws Exception {
        Path dir = EmbeddedModel.path(); // from interp-models: no CLI library needed
        String hook = "blocks.0.hook_resid_post";
        try (HookedTransformer model = HookedTransformer.load(dir);
                var cache = model.runWithCache(TokenBatch.of(new int[] {1, 2, 3}), List.of(hook))) {
            System.out.println("consumer: " + EmbeddedModel.NAME + " " + hook + " " + cache.get(hook).getShape()
                    + " (interp-sae on the class path: " + Sae.class.getSimpleName() + ")");
        }
        System.out.println("consumer: ai.djl.offline=" + System.getProperty("ai.djl.offline"));
    }
}
