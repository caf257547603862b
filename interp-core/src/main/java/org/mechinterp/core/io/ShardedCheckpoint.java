package org.mechinterp.core.io;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A Hugging Face checkpoint folder: either several safetensors shards tied together by
 * {@code model.safetensors.index.json}, or a single safetensors file. Offers the read API of
 * {@link SafetensorsFile} over all tensors, whichever shard holds them.
 *
 * <p>Every shard is opened (and its header validated) once, in {@link #open}; tensor data is read lazily.
 * The caller owns the instance and must {@link #close()} it, which closes all shards.
 */
public final class ShardedCheckpoint implements AutoCloseable {

    /** Name of the shard index written by {@code transformers}' {@code save_pretrained}. */
    public static final String INDEX_FILE = "model.safetensors.index.json";

    /** Name of an unsharded checkpoint written by {@code save_pretrained}. */
    public static final String SINGLE_FILE = "model.safetensors";

    private final Path location;
    /** Shards ordered by file name, so "the first shard" is {@code ...-00001-of-...}. */
    private final List<SafetensorsFile> shards;
    /** Tensor name to the shard holding it, in weight_map (or header) order. */
    private final Map<String, SafetensorsFile> owners;
    private final Set<String> names;

    private ShardedCheckpoint(Path location, List<SafetensorsFile> shards, Map<String, SafetensorsFile> owners) {
        this.location = location;
        this.shards = List.copyOf(shards);
        this.owners = Collections.unmodifiableMap(owners);
        this.names = Collections.unmodifiableSet(new LinkedHashSet<>(owners.keySet()));
    }

    /**
     * Opens a checkpoint folder. Resolution order: {@value #INDEX_FILE} (sharded), else {@value #SINGLE_FILE},
     * else the folder's only {@code *.safetensors} file. A path to a {@code .safetensors} file or to an index
     * file is accepted too.
     *
     * @param dir the checkpoint folder
     * @return the opened checkpoint, to be closed by the caller
     * @throws NoSuchFileException if {@code dir} does not exist
     * @throws SafetensorsFormatException if no checkpoint file can be chosen, the index is malformed, a shard
     *     is missing, a {@code weight_map} entry is absent from its shard, or a shard is malformed
     * @throws IOException on other I/O errors
     */
    public static ShardedCheckpoint open(Path dir) throws IOException {
        if (Files.isRegularFile(dir)) {
            if (dir.getFileName().toString().endsWith(".index.json")) {
                return openIndexed(dir);
            }
            return openSingle(dir, dir);
        }
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "checkpoint folder does not exist");
        }
        Path index = dir.resolve(INDEX_FILE);
        if (Files.isRegularFile(index)) {
            return openIndexed(index);
        }
        Path single = dir.resolve(SINGLE_FILE);
        if (Files.isRegularFile(single)) {
            return openSingle(dir, single);
        }
        List<Path> candidates = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, "*.safetensors")) {
            for (Path p : stream) {
                if (Files.isRegularFile(p)) {
                    candidates.add(p);
                }
            }
        }
        Collections.sort(candidates);
        if (candidates.size() == 1) {
            return openSingle(dir, candidates.get(0));
        }
        if (candidates.isEmpty()) {
            throw new SafetensorsFormatException("checkpoint folder " + dir + " contains neither " + INDEX_FILE
                    + ", " + SINGLE_FILE + " nor any *.safetensors file");
        }
        throw new SafetensorsFormatException("checkpoint folder " + dir + " has no " + INDEX_FILE + " and "
                + candidates.size() + " *.safetensors files " + fileNames(candidates)
                + "; cannot tell which to load (add an index or open one file with SafetensorsFile.open)");
    }

    private static List<String> fileNames(List<Path> paths) {
        List<String> out = new ArrayList<>();
        for (Path p : paths) {
            out.add(p.getFileName().toString());
        }
        return out;
    }

    private static ShardedCheckpoint openSingle(Path location, Path file) throws IOException {
        SafetensorsFile sf = SafetensorsFile.open(file);
        Map<String, SafetensorsFile> owners = new LinkedHashMap<>();
        for (String name : sf.names()) {
            owners.put(name, sf);
        }
        return new ShardedCheckpoint(location, List.of(sf), owners);
    }

    private static ShardedCheckpoint openIndexed(Path index) throws IOException {
        Path dir = index.toAbsolutePath().getParent();
        Map<String, String> weightMap = readWeightMap(index);
        // Open each distinct shard once; TreeMap orders them by file name.
        Map<String, SafetensorsFile> byShardName = new TreeMap<>();
        try {
            for (String shardName : new LinkedHashSet<>(weightMap.values())) {
                Path shardPath = dir.resolve(shardName).normalize();
                if (!shardPath.startsWith(dir) || shardName.isEmpty()) {
                    throw new SafetensorsFormatException(index + ": weight_map shard '" + shardName
                            + "' is not a file inside " + dir);
                }
                if (!Files.isRegularFile(shardPath)) {
                    String tensor = firstTensorIn(weightMap, shardName);
                    throw new SafetensorsFormatException(index + ": shard file " + shardPath
                            + " is missing (weight_map maps tensor '" + tensor + "' to it)");
                }
                byShardName.put(shardName, SafetensorsFile.open(shardPath));
            }
            Map<String, SafetensorsFile> owners = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : weightMap.entrySet()) {
                SafetensorsFile shard = byShardName.get(e.getValue());
                if (!shard.contains(e.getKey())) {
                    throw new SafetensorsFormatException(index + ": weight_map maps tensor '" + e.getKey()
                            + "' to shard " + shard.path() + ", which does not contain it");
                }
                owners.put(e.getKey(), shard);
            }
            return new ShardedCheckpoint(index, new ArrayList<>(byShardName.values()), owners);
        } catch (IOException | RuntimeException | Error e) {
            closeAll(byShardName.values(), e);
            throw e;
        }
    }

    private static String firstTensorIn(Map<String, String> weightMap, String shardName) {
        for (Map.Entry<String, String> e : weightMap.entrySet()) {
            if (e.getValue().equals(shardName)) {
                return e.getKey();
            }
        }
        return "?";
    }

    private static Map<String, String> readWeightMap(Path index) throws IOException {
        JsonElement root;
        try (Reader r = Files.newBufferedReader(index, StandardCharsets.UTF_8);
                JsonReader reader = new JsonReader(r)) {
            reader.setStrictness(Strictness.STRICT);
            root = new Gson().getAdapter(JsonElement.class).read(reader);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new SafetensorsFormatException(index + ": trailing content after the JSON object");
            }
        } catch (SafetensorsFormatException e) {
            throw e;
        } catch (IOException | IllegalStateException | NumberFormatException e) {
            if (e instanceof NoSuchFileException) {
                throw (NoSuchFileException) e;
            }
            throw new SafetensorsFormatException(index + ": not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isJsonObject() || !root.getAsJsonObject().has("weight_map")
                || !root.getAsJsonObject().get("weight_map").isJsonObject()) {
            throw new SafetensorsFormatException(index + ": expected a JSON object with a 'weight_map' object");
        }
        JsonObject wm = root.getAsJsonObject().getAsJsonObject("weight_map");
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : wm.entrySet()) {
            JsonElement v = e.getValue();
            if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString()) {
                throw new SafetensorsFormatException(index + ": weight_map value for tensor '" + e.getKey()
                        + "' must be a shard file name string");
            }
            out.put(e.getKey(), v.getAsString());
        }
        if (out.isEmpty()) {
            throw new SafetensorsFormatException(index + ": weight_map is empty");
        }
        return out;
    }

    private static void closeAll(Iterable<SafetensorsFile> files, Throwable primary) {
        for (SafetensorsFile f : files) {
            try {
                f.close();
            } catch (IOException e) {
                primary.addSuppressed(e);
            }
        }
    }

    /** @return the index file, the single safetensors file's folder, or the path given to {@link #open} */
    public Path location() {
        return location;
    }

    /** @return the opened shard files ordered by file name (one for an unsharded checkpoint) */
    public List<SafetensorsFile> shards() {
        return shards;
    }

    /** @return all tensor names, in {@code weight_map} order (header order for a single file) */
    public Set<String> names() {
        return names;
    }

    /**
     * @param name a tensor name
     * @return whether some shard holds the tensor
     */
    public boolean contains(String name) {
        return owners.containsKey(name);
    }

    /**
     * @param name a tensor name
     * @return its header entry; offsets are relative to the data section of the shard that holds it
     * @throws IllegalArgumentException if no shard holds it; the message lists a few available names
     */
    public TensorInfo info(String name) {
        return owner(name).info(name);
    }

    /**
     * @param name a tensor name
     * @return the shard file holding it
     * @throws IllegalArgumentException if no shard holds it
     */
    public Path shardOf(String name) {
        return owner(name).path();
    }

    /** @return the {@code __metadata__} of the first shard (by file name) */
    public Map<String, String> metadata() {
        return shards.get(0).metadata();
    }

    /**
     * Reads a floating-point tensor as floats; see {@link SafetensorsFile#readFloats}.
     *
     * @param name the tensor name
     * @return a new array of {@code numel} floats, row-major
     * @throws IOException as for {@link SafetensorsFile#readFloats}
     */
    public float[] readFloats(String name) throws IOException {
        return owner(name).readFloats(name);
    }

    /**
     * Maps a tensor's raw bytes; see {@link SafetensorsFile#mapRaw}.
     *
     * @param name the tensor name
     * @return a read-only little-endian buffer over exactly the tensor's bytes, valid after {@link #close()}
     * @throws IOException as for {@link SafetensorsFile#readFloats}
     */
    public java.nio.ByteBuffer mapRaw(String name) throws IOException {
        return owner(name).mapRaw(name);
    }

    /**
     * Reads an integer tensor as longs; see {@link SafetensorsFile#readLongs}.
     *
     * @param name the tensor name
     * @return a new array of {@code numel} longs, row-major
     * @throws IOException as for {@link SafetensorsFile#readLongs}
     */
    public long[] readLongs(String name) throws IOException {
        return owner(name).readLongs(name);
    }

    /**
     * Reads an integer tensor as ints; see {@link SafetensorsFile#readInts}.
     *
     * @param name the tensor name
     * @return a new array of {@code numel} ints, row-major
     * @throws IOException as for {@link SafetensorsFile#readInts}
     */
    public int[] readInts(String name) throws IOException {
        return owner(name).readInts(name);
    }

    private SafetensorsFile owner(String name) {
        SafetensorsFile f = owners.get(name);
        if (f == null) {
            throw new IllegalArgumentException("checkpoint " + location + ": no tensor '" + name + "'; "
                    + owners.size() + " tensors available, e.g. " + SafetensorsFile.sample(owners.keySet()));
        }
        return f;
    }

    /** Closes every shard; all are attempted even if one fails. Idempotent. */
    @Override
    public void close() throws IOException {
        IOException first = null;
        for (SafetensorsFile f : shards) {
            try {
                f.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    @Override
    public String toString() {
        return "ShardedCheckpoint[" + location + ", " + shards.size() + " shard(s), " + owners.size() + " tensors]";
    }
}
