package org.mechinterp.bench.checkpoint;

import com.google.gson.JsonPrimitive;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.mechinterp.core.io.DType;

/**
 * Where every tensor of a generated checkpoint goes: the shard files, their safetensors headers and each tensor's
 * byte range, computed before any value is generated (so shards can be filled in parallel by positional writes,
 * and an existing folder can be checked against it without reading its data).
 *
 * <p>Sharding follows {@code huggingface_hub.split_torch_state_dict_into_shards}, which {@code save_pretrained}
 * uses: tensors are taken in {@code state_dict} order and a new shard starts when the next tensor would push the
 * current one past {@code maxShardBytes} (decimal: HF's default "5GB" is 5,000,000,000 bytes); a tensor larger
 * than the limit gets a shard of its own. One shard is written as {@code model.safetensors}, several as
 * {@code model-00001-of-0000N.safetensors} plus {@code model.safetensors.index.json}.
 *
 * <p>Inside a shard, as the {@code safetensors} library writes it: the header lists {@code __metadata__}
 * ({@code {"format":"pt"}}) and then the tensors sorted by name, data laid out in that order with no gaps, and
 * the JSON is padded with spaces so the data section starts at a multiple of 8 bytes.
 */
public final class CheckpointLayout {
    /** {@code save_pretrained}'s default {@code max_shard_size="5GB"}. */
    public static final long HF_DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;

    /**
     * One safetensors file.
     *
     * @param fileName the file name inside the checkpoint folder
     * @param tensors its tensors, sorted by name (the order of the header and of the data)
     * @param dataOffsets each tensor's start, relative to the data section
     * @param header the 8-byte little-endian length prefix followed by the padded JSON header
     */
    public record Shard(String fileName, List<TensorSpec> tensors, long[] dataOffsets, byte[] header) {
        /** The absolute file position of tensor {@code i}'s first byte. */
        public long position(int i) {
            return header.length + dataOffsets[i];
        }

        /** The total file size in bytes. */
        public long fileSize(DType dtype) {
            long data = 0;
            for (TensorSpec t : tensors) {
                data += t.numel() * dtype.byteSize();
            }
            return header.length + data;
        }
    }

    private final DType dtype;
    private final List<Shard> shards;
    private final long totalBytes;

    private CheckpointLayout(DType dtype, List<Shard> shards, long totalBytes) {
        this.dtype = dtype;
        this.shards = List.copyOf(shards);
        this.totalBytes = totalBytes;
    }

    /**
     * Plans the files of a checkpoint.
     *
     * @param shape the architecture
     * @param dtype BF16, F16 or F32
     * @param maxShardBytes the largest shard (data bytes) before a new one starts
     */
    public static CheckpointLayout plan(ModelShape shape, DType dtype, long maxShardBytes) {
        if (maxShardBytes < 1) {
            throw new IllegalArgumentException("maxShardBytes must be positive, got " + maxShardBytes);
        }
        List<List<TensorSpec>> groups = new ArrayList<>();
        List<TensorSpec> current = new ArrayList<>();
        long currentBytes = 0;
        long total = 0;
        for (TensorSpec t : shape.tensors()) {
            long bytes = t.numel() * dtype.byteSize();
            total += bytes;
            if (bytes > maxShardBytes) {
                groups.add(List.of(t));
                continue;
            }
            if (currentBytes + bytes > maxShardBytes && !current.isEmpty()) {
                groups.add(current);
                current = new ArrayList<>();
                currentBytes = 0;
            }
            current.add(t);
            currentBytes += bytes;
        }
        if (!current.isEmpty()) {
            groups.add(current);
        }
        List<Shard> shards = new ArrayList<>();
        for (int i = 0; i < groups.size(); i++) {
            String file = groups.size() == 1 ? "model.safetensors"
                    : String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", i + 1, groups.size());
            shards.add(shard(file, groups.get(i), dtype));
        }
        return new CheckpointLayout(dtype, shards, total);
    }

    private static Shard shard(String file, List<TensorSpec> group, DType dtype) {
        List<TensorSpec> sorted = new ArrayList<>(group);
        sorted.sort(Comparator.comparing(TensorSpec::name));
        long[] offsets = new long[sorted.size()];
        StringBuilder json = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        long offset = 0;
        for (int i = 0; i < sorted.size(); i++) {
            TensorSpec t = sorted.get(i);
            long end = offset + t.numel() * dtype.byteSize();
            offsets[i] = offset;
            json.append(',').append(new JsonPrimitive(t.name())).append(":{\"dtype\":\"").append(dtype.name())
                    .append("\",\"shape\":[");
            long[] dims = t.shape();
            for (int d = 0; d < dims.length; d++) {
                json.append(d == 0 ? "" : ",").append(dims[d]);
            }
            json.append("],\"data_offsets\":[").append(offset).append(',').append(end).append("]}");
            offset = end;
        }
        json.append('}');
        while (json.length() % 8 != 0) { // ASCII only, so chars = bytes; 8 + length is then a multiple of 8
            json.append(' ');
        }
        byte[] text = json.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer header = ByteBuffer.allocate(8 + text.length).order(ByteOrder.LITTLE_ENDIAN);
        header.putLong(text.length).put(text);
        return new Shard(file, List.copyOf(sorted), offsets, header.array());
    }

    /** The shard files, in name order. */
    public List<Shard> shards() {
        return shards;
    }

    /** Whether there are several shards (and so an index file). */
    public boolean sharded() {
        return shards.size() > 1;
    }

    /** The element type of every tensor. */
    public DType dtype() {
        return dtype;
    }

    /** The bytes of tensor data over all shards (the index's {@code metadata.total_size}). */
    public long totalBytes() {
        return totalBytes;
    }

    /**
     * {@code model.safetensors.index.json} as {@code save_pretrained} writes it ({@code json.dumps(indent=2,
     * sort_keys=True)} and a newline): {@code metadata.total_size} and the {@code weight_map} sorted by name.
     */
    public String indexJson() {
        Map<String, String> weightMap = new TreeMap<>();
        for (Shard s : shards) {
            for (TensorSpec t : s.tensors()) {
                weightMap.put(t.name(), s.fileName());
            }
        }
        StringBuilder out = new StringBuilder("{\n  \"metadata\": {\n    \"total_size\": ").append(totalBytes)
                .append("\n  },\n  \"weight_map\": {\n");
        int i = 0;
        for (Map.Entry<String, String> e : weightMap.entrySet()) {
            out.append("    ").append(new JsonPrimitive(e.getKey())).append(": ").append(new JsonPrimitive(e.getValue()))
                    .append(++i < weightMap.size() ? ",\n" : "\n");
        }
        return out.append("  }\n}\n").toString();
    }

    /** SHA-256 (hex) over every shard's file name and header bytes: identifies the layout in the marker file. */
    public String headerSha256() {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (Shard s : shards) {
                md.update(s.fileName().getBytes(StandardCharsets.UTF_8));
                md.update(s.header());
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
