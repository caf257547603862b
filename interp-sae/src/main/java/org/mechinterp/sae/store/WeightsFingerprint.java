package org.mechinterp.sae.store;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.zip.CRC32C;
import org.mechinterp.core.model.HookedTransformer;
import org.mechinterp.core.model.TransformerWeights;

/**
 * A fingerprint of the weights a model actually runs with, recorded in a capture's manifest so that a resume with
 * other weights of the same shapes (a fine-tune, a corrupted copy, weight-processed variants) is refused instead of
 * mixing two models' activations in one store.
 *
 * <p>Why the weights in memory and not the files: it needs no model path, covers models built in memory and
 * weight processing, and for weights at rest it sees exactly what the forward pass upcasts. Each weight contributes
 * its role, shape and a CRC32C of its float32 bytes (hardware-accelerated, about one memory pass) to a SHA-256: it
 * detects accidental differences, which is its job; it is not meant to resist deliberate collisions.
 */
public final class WeightsFingerprint {
    private WeightsFingerprint() {
    }

    /**
     * Lower-case hex SHA-256 over every weight of {@code model}, in a fixed order.
     *
     * @param model the model whose weights are hashed (read, not modified)
     * @return 64 lower-case hex digits
     */
    public static String of(HookedTransformer model) {
        MessageDigest md = Checksums.sha256();
        TransformerWeights weights = model.weights();
        try (NDManager scratch = model.manager().newSubManager()) {
            add(md, "embedding", weights.embedding(scratch));
            for (int layer = 0; layer < model.config().nLayers(); layer++) {
                try (NDManager block = scratch.newSubManager()) {
                    add(md, "blocks." + layer, weights.block(layer, block, false));
                }
            }
            add(md, "head", weights.head(scratch));
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** Adds each component of a weights record (arrays, nested records, absent parts) under its dotted name. */
    private static void add(MessageDigest md, String name, Record part) {
        for (RecordComponent c : part.getClass().getRecordComponents()) {
            Object value;
            try {
                value = c.getAccessor().invoke(part);
            } catch (IllegalAccessException | InvocationTargetException e) {
                throw new IllegalStateException("cannot read " + name + "." + c.getName(), e);
            }
            String key = name + "." + c.getName();
            if (value instanceof Record r) {
                add(md, key, r);
            } else if (value instanceof NDArray a) {
                md.update((key + a.getShape() + a.getDataType()).getBytes(StandardCharsets.UTF_8));
                md.update(crc(a.toByteBuffer()));
            } else {
                md.update((key + "=none").getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    private static byte[] crc(ByteBuffer bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes.duplicate());
        return ByteBuffer.allocate(8).putLong(crc.getValue()).array();
    }
}
