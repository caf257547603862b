package org.mechinterp.core.family;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.mechinterp.core.io.DType;
import org.mechinterp.core.io.ShardedCheckpoint;
import org.mechinterp.core.model.BlockWeights;
import org.mechinterp.core.model.EmbeddingWeights;
import org.mechinterp.core.model.HeadWeights;
import org.mechinterp.core.model.ModelConfig;
import org.mechinterp.core.model.WeightSource;

/**
 * Weights at rest in the checkpoint's own dtype: the safetensors files stay memory-mapped, and each part is upcast
 * to float32 by the family's own loading code ({@link ModelFamily#loadBlock} etc.) when the forward pass asks for
 * it. When nothing keeps a part past its use (no autograd), blocks reuse one block's worth of float32 storage from
 * layer to layer, and W_E and W_U share one table's; otherwise each part gets fresh arrays in the pass's scratch
 * manager, freed with it.
 *
 * <p>Memory: the mapped files (page cache, which the kernel may evict and re-read) plus one block and one
 * vocabulary table in float32.
 */
final class RestingWeights implements WeightSource {
    private final ModelFamily family;
    private final ModelConfig config;
    private final ShardedCheckpoint checkpoint;
    private final MappedTensors mapped;
    private final ReusableArrays blockPool;
    /** W_E for the embedding, then the same storage for W_U in the head (the gathered rows are copies). */
    private final ReusableArrays tablePool;
    private final long restingBytes;
    private final String dtypes;

    /**
     * Takes ownership of {@code checkpoint} (closed with this source).
     *
     * @param owner manager under which the reusable block storage is made
     */
    RestingWeights(ModelFamily family, ModelConfig config, ShardedCheckpoint checkpoint, NDManager owner) {
        this.family = family;
        this.config = config;
        this.checkpoint = checkpoint;
        this.mapped = new MappedTensors(checkpoint);
        this.blockPool = new ReusableArrays(owner);
        this.tablePool = new ReusableArrays(owner);
        Map<DType, Long> bytesByType = new TreeMap<>();
        for (String name : checkpoint.names()) {
            var info = checkpoint.info(name);
            bytesByType.merge(info.dtype(), info.byteLength(), Long::sum);
        }
        this.restingBytes = bytesByType.values().stream().mapToLong(Long::longValue).sum();
        this.dtypes = String.join("+", bytesByType.keySet().stream().map(Enum::name).toList());
    }

    @Override
    public EmbeddingWeights embedding(NDManager scratch, boolean reuse) {
        try {
            return family.loadEmbedding(config, new WeightLoader(checkpoint, scratch, mapped,
                    reuse ? tablePool : null));
        } catch (IOException e) {
            throw new UncheckedIOException("upcasting the embedding at rest: " + e.getMessage(), e);
        }
    }

    @Override
    public BlockWeights block(int layer, NDManager scratch, boolean reuse) {
        try {
            return family.loadBlock(config, new WeightLoader(checkpoint, scratch, mapped, reuse ? blockPool : null),
                    layer);
        } catch (IOException e) {
            throw new UncheckedIOException("upcasting block " + layer + " at rest: " + e.getMessage(), e);
        }
    }

    @Override
    public HeadWeights head(NDManager scratch, boolean reuse) {
        try {
            return family.loadHead(config, new WeightLoader(checkpoint, scratch, mapped, reuse ? tablePool : null),
                    null);
        } catch (IOException e) {
            throw new UncheckedIOException("upcasting the head at rest: " + e.getMessage(), e);
        }
    }

    @Override
    public long restingBytes() {
        return restingBytes;
    }

    @Override
    public String describe() {
        return String.format(Locale.ROOT, "%s at rest (%.2f GB, memory-mapped from %s), upcast to F32 per layer",
                dtypes, restingBytes / 1e9, checkpoint.location());
    }

    @Override
    public void close() {
        mapped.close();
        blockPool.close();
        tablePool.close();
        try {
            checkpoint.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
